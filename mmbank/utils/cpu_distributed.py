"""CPU-only distributed runs (gloo) for the tools: mmengine 0.10.7 assumes
NCCL and a GPU per process."""
import torch


def init_cpu_distributed(launcher: str) -> bool:
    """Start torch.distributed with gloo for CPU-only multi-process runs.

    mmengine 0.10.7's ``init_dist('pytorch')`` calls
    ``torch.cuda.set_device`` unconditionally, so it fails on machines
    without a GPU. Runners skip ``init_dist`` when a process group already
    exists, so tools call this first. It does nothing with a GPU, with
    ``launcher='none'`` or when a group exists.

    Args:
        launcher (str): The tool's ``--launcher`` value.

    Returns:
        bool: Whether it started a process group.
    """
    import torch.distributed as torch_dist
    if launcher == 'none' or torch.cuda.is_available() or \
            torch_dist.is_initialized():
        return False
    if launcher != 'pytorch':
        raise ValueError(
            f'CPU-only distributed runs support --launcher pytorch (torchrun)'
            f', not {launcher!r}.')
    torch_dist.init_process_group(backend='gloo')
    return True


def use_cpu_distributed_config(cfg, launcher: str) -> None:
    """Point a config at CPU-only distributed running, in place: the gloo
    backend and DDP without device ids (mmengine's defaults assume NCCL and
    a GPU per process). Nothing changes with a GPU or ``launcher='none'``.

    Args:
        cfg (mmengine.Config): The run's config.
        launcher (str): The tool's ``--launcher`` value.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    env_cfg = cfg.get('env_cfg', None) or {}
    dist_cfg = dict(env_cfg.get('dist_cfg', None) or {}, backend='gloo')
    cfg.env_cfg = dict(env_cfg, dist_cfg=dist_cfg)
    wrapper_cfg = cfg.get('model_wrapper_cfg', None) or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False)
    wrapper_cfg['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper_cfg
