"""CPU-only distributed runs: gloo and DDP without device ids."""
import pytest
import torch
from mmengine import Config

import mmbank  # noqa: F401
from mmbank.utils.cpu_distributed import use_cpu_distributed_config


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_cpu_distributed_config_uses_gloo_and_ddp_without_devices():
    cfg = Config(dict(model_wrapper_cfg=dict(
        type='MMDistributedDataParallel', find_unused_parameters=True)))
    use_cpu_distributed_config(cfg, 'pytorch')
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    # the config's own wrapper options are kept, device ids dropped
    assert cfg.model_wrapper_cfg.find_unused_parameters is True
    assert cfg.model_wrapper_cfg.device_ids is None

    bare = Config(dict())
    use_cpu_distributed_config(bare, 'pytorch')
    assert bare.model_wrapper_cfg == dict(
        type='MMDistributedDataParallel', broadcast_buffers=False,
        device_ids=None)

    untouched = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl'))))
    use_cpu_distributed_config(untouched, 'none')
    assert untouched.env_cfg.dist_cfg.backend == 'nccl'
    assert 'model_wrapper_cfg' not in untouched
