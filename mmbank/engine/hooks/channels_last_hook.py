from typing import Any

import torch
from mmengine.hooks import Hook

from mmselfsup.registry import HOOKS
from mmselfsup.utils import get_model


def to_channels_last(data: Any) -> Any:
    """Convert every 4-D tensor in (nested lists, tuples and dicts of)
    ``data`` to ``torch.channels_last``; leave everything else as is."""
    if torch.is_tensor(data):
        return data.contiguous(memory_format=torch.channels_last) \
            if data.dim() == 4 else data
    if isinstance(data, (list, tuple)):
        return type(data)(to_channels_last(d) for d in data)
    if isinstance(data, dict):
        return {k: to_channels_last(v) for k, v in data.items()}
    return data


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Run convolutions in the channels-last memory format.

    Converts the model's 4-D weights and, through a forward hook on its data
    preprocessor, every batch of images. On CPUs with oneDNN this made a
    ResNet-18 training step about 1.5 times faster here; the numbers do not
    change beyond float rounding. Works with any algorithm, so baselines and
    mmbank runs can be timed alike.
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        model = get_model(runner.model)
        model.to(memory_format=torch.channels_last)
        preprocessor = getattr(model, 'data_preprocessor', None)
        if preprocessor is not None and not getattr(
                preprocessor, '_mmbank_channels_last', False):
            preprocessor.register_forward_hook(
                lambda module, args, output: to_channels_last(output))
            preprocessor._mmbank_channels_last = True
