"""Train any mmselfsup or mmbank config with the OpenMMLab runner.

Usage:
    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--cfg-options KEY=VALUE ...] [--launcher {none,pytorch,slurm}]

Multi-process training goes through mmengine and torch.distributed: use
tools/dist_train.sh (torchrun) or tools/slurm_train.sh. Without a GPU,
distributed runs use the gloo backend and CPU DDP.

Whatever the config's hooks, a run stops rather than train on a NaN loss,
save or resume from a checkpoint with NaN or infinite weights, or run
epochs without an iteration (``CheckInvalidLossHook``); with
``ChannelsLastHook``, distributed runs convert the model before DDP wraps
it (``ChannelsLastDistributedDataParallel``). ``--cfg-options
near_duplicates.fraction=0.3`` trains on the config's training set plus
near-duplicates of 30% of its images (``NearDuplicates``).
"""
import argparse
import os.path as osp
import sys
from typing import Optional

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmbank  # noqa: E402,F401  (registers components, applies fixes)
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmbank.datasets import use_near_duplicates  # noqa: E402
from mmbank.engine.hooks import (CheckInvalidLossHook,  # noqa: E402
                                 ResumeScheduleHook,
                                 use_channels_last_wrapper)
from mmbank.utils.cli import add_launch_arguments, set_local_rank  # noqa
from mmbank.utils.resume import latest_checkpoint  # noqa: E402
from mmbank.utils.upstream_fixes import (  # noqa: E402
    init_cpu_distributed, use_cpu_distributed_config)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or with no value from the latest '
        'checkpoint in the work directory (from scratch when it has none)')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision training (float16 with loss '
        'scaling on a GPU, bfloat16 autocast on CPU)')
    add_launch_arguments(parser)
    args = parser.parse_args(argv)
    set_local_rank(args)
    return args


def _gpu_like_device() -> bool:
    from mmengine.device import get_device
    return get_device() != 'cpu'


def use_amp(cfg: Config) -> None:
    """Switch the optimizer wrapper to mixed precision, in place:
    mmengine's ``AmpOptimWrapper`` (float16, dynamic loss scaling) with a
    GPU, mmbank's ``CPUAmpOptimWrapper`` (bfloat16 autocast) without."""
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper not in ('OptimWrapper', 'AmpOptimWrapper',
                       'CPUAmpOptimWrapper'):
        raise ValueError(f'--amp does not support the optimizer wrapper '
                         f'{wrapper}')
    if _gpu_like_device():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        return
    dtype = cfg.optim_wrapper.get('dtype', None)
    if dtype not in (None, 'bfloat16'):
        raise ValueError(
            f'--amp on CPU autocasts to bfloat16, but the config asks for '
            f'optim_wrapper.dtype={dtype!r}, which CPU training does not '
            'support.')
    cfg.optim_wrapper.type = 'CPUAmpOptimWrapper'
    cfg.optim_wrapper.pop('loss_scale', None)
    cfg.optim_wrapper.dtype = 'bfloat16'


def resolve_resume(cfg: Config, resume: Optional[str]) -> Optional[str]:
    """Point the config at the checkpoint ``--resume`` continues from.

    With no path (or ``resume=True`` and no ``load_from`` in the config),
    the latest checkpoint of the work dir
    (:func:`~mmbank.utils.resume.latest_checkpoint`: the copy's own in a
    copied work dir), or, when there is none, training from scratch. A
    given local path must exist.

    Returns:
        str | None: A sentence for the log about the choice made.
    """
    if resume is None:
        if not cfg.get('resume', False) or cfg.get('load_from', None):
            return None
        resume = 'auto'  # resume=True in the config, without a checkpoint
    if resume == 'auto':
        checkpoint, note = latest_checkpoint(cfg.work_dir)
    else:
        if '://' not in resume and not osp.isfile(resume):
            raise FileNotFoundError(
                f'--resume {resume}: no such checkpoint file.')
        checkpoint, note = resume, None
    cfg.resume = checkpoint is not None
    cfg.load_from = checkpoint
    return note


def build_config(args) -> Config:
    """The config of the run, with the command line applied (but
    ``--resume``: :func:`resolve_resume`)."""
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        use_amp(cfg)
    use_near_duplicates(cfg)
    use_cpu_distributed_config(cfg, args.launcher)
    use_channels_last_wrapper(cfg, args.launcher)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = build_config(args)
    try:
        note = resolve_resume(cfg, args.resume)
    except FileNotFoundError as err:
        raise SystemExit(f'error: {err}') from None
    init_cpu_distributed(args.launcher)
    runner = Runner.from_cfg(cfg)
    if note is not None:
        # plainly, when there is nothing to resume from
        log = runner.logger.info if cfg.resume else runner.logger.warning
        log(note)
    if cfg.resume and not any(
            isinstance(h, ResumeScheduleHook) for h in runner.hooks):
        runner.register_hook(ResumeScheduleHook())
    # no NaN loss trained on, no non-finite checkpoint saved or resumed
    # from, no epoch without an iteration, whatever the config's hooks
    if not any(isinstance(h, CheckInvalidLossHook) for h in runner.hooks):
        runner.register_hook(CheckInvalidLossHook())
    runner.train()


if __name__ == '__main__':
    main()
