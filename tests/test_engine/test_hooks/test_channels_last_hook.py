import torch

from mmbank.engine import ChannelsLastHook, to_channels_last


def test_to_channels_last_converts_nested_4d_tensors_only():
    data = {'inputs': [torch.randn(2, 3, 4, 5)], 'other': torch.randn(3)}
    out = to_channels_last(data)
    assert out['inputs'][0].is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(out['inputs'][0], data['inputs'][0])
    assert out['other'] is data['other']
    assert ChannelsLastHook.priority == 'VERY_HIGH'
