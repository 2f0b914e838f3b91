import torch

from mmbank.engine import ChannelsLastHook, to_channels_last


def test_to_channels_last_converts_nested_4d_tensors_only():
    data = {'inputs': [torch.randn(2, 3, 4, 5)], 'other': torch.randn(3)}
    out = to_channels_last(data)
    assert out['inputs'][0].is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(out['inputs'][0], data['inputs'][0])
    assert out['other'] is data['other']
    assert ChannelsLastHook.priority == 'VERY_HIGH'


def test_distributed_runs_with_the_hook_wrap_a_converted_model():
    import pytest
    from mmengine import Config

    from mmbank.engine import use_channels_last_wrapper
    hooks = [dict(type='ChannelsLastHook'), dict(type='RNGStateHook')]
    cfg = Config(dict(custom_hooks=hooks, find_unused_parameters=True))
    use_channels_last_wrapper(cfg, 'pytorch')
    assert cfg.model_wrapper_cfg == dict(
        type='ChannelsLastDistributedDataParallel', broadcast_buffers=False,
        find_unused_parameters=True)
    # the config's own options are kept
    cfg = Config(dict(custom_hooks=hooks, model_wrapper_cfg=dict(
        type='MMDistributedDataParallel', device_ids=None)))
    use_channels_last_wrapper(cfg, 'pytorch')
    assert cfg.model_wrapper_cfg == dict(
        type='ChannelsLastDistributedDataParallel', device_ids=None)
    # nothing to do without the hook or without distributed training
    without_hook = Config(dict(custom_hooks=hooks[1:]))
    use_channels_last_wrapper(without_hook, 'pytorch')
    single = Config(dict(custom_hooks=hooks))
    use_channels_last_wrapper(single, 'none')
    assert 'model_wrapper_cfg' not in without_hook
    assert 'model_wrapper_cfg' not in single
    cfg = Config(dict(custom_hooks=hooks, model_wrapper_cfg=dict(
        type='MMFullyShardedDataParallel')))
    with pytest.raises(ValueError, match='MMFullyShardedDataParallel'):
        use_channels_last_wrapper(cfg, 'pytorch')


def test_the_hook_refuses_a_wrapped_model_it_would_convert_too_late():
    from types import SimpleNamespace

    import pytest
    from mmengine.model import BaseModel
    from mmengine.registry import MODEL_WRAPPERS

    class Net(BaseModel):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(3, 4, 3)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.conv(inputs)

    @MODEL_WRAPPERS.register_module(force=True)
    class FakeWrapper(torch.nn.Module):  # a wrapper without a process group
        def __init__(self, module):
            super().__init__()
            self.module = module

    runner = SimpleNamespace(model=FakeWrapper(Net()))
    with pytest.raises(RuntimeError, match='not channels-last'):
        ChannelsLastHook().before_run(runner)
    runner.model.module.to(memory_format=torch.channels_last)
    ChannelsLastHook().before_run(runner)  # converted before: accepted
    bare = SimpleNamespace(model=Net())
    ChannelsLastHook().before_run(bare)
    assert bare.model.conv.weight.is_contiguous(
        memory_format=torch.channels_last)
