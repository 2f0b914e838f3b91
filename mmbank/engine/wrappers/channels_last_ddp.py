import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS
from torch import nn


# mmengine's registry, beside MMDistributedDataParallel: the runner looks
# wrappers up there whatever the default scope
@MODEL_WRAPPERS.register_module()
class ChannelsLastDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` of a model converted to channels-last
    before it is wrapped.

    DDP lays out its gradient buckets after the parameters' strides when it
    is built. Converting the parameters to channels-last afterwards (what
    :class:`~mmbank.engine.hooks.ChannelsLastHook` does in ``before_run`` for
    an unwrapped model) makes the first step's gradients land permuted, so
    every start and every resume took one wrong step. With the
    ``ChannelsLastHook`` in a distributed run, ``tools/train.py`` sets
    ``model_wrapper_cfg = dict(type='ChannelsLastDistributedDataParallel')``;
    other launch scripts must set it in the config.

    Args:
        module (nn.Module): The model.
        **kwargs: ``MMDistributedDataParallel``'s arguments.
    """

    def __init__(self, module: nn.Module, **kwargs) -> None:
        super().__init__(
            module=module.to(memory_format=torch.channels_last), **kwargs)
