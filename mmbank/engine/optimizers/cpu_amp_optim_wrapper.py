from contextlib import contextmanager
from typing import Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from mmselfsup.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """Mixed precision on CPU: forward and loss under bfloat16 autocast.

    mmengine 0.10.7's ``AmpOptimWrapper`` refuses to start without a GPU
    (or NPU, MLU, MUSA), though its autocast supports the CPU.
    bfloat16 keeps float32's exponent range, so no loss scaling is needed
    and this is a plain :class:`OptimWrapper` whose ``optim_context`` also
    enters ``torch.autocast('cpu', dtype=torch.bfloat16)``. The weights,
    gradients and optimizer state stay float32. ``tools/train.py --amp``
    picks it when there is no GPU.

    Args:
        dtype (str | torch.dtype): The autocast dtype; only ``bfloat16``
            (CPU autocast in float16 would need loss scaling). Defaults to
            ``'bfloat16'``.
        **kwargs: Keyword arguments of :class:`OptimWrapper`.
    """

    def __init__(self,
                 dtype: Union[str, torch.dtype] = 'bfloat16',
                 **kwargs) -> None:
        if isinstance(dtype, str):
            dtype = getattr(torch, dtype, None)
        if dtype != torch.bfloat16:
            raise ValueError(
                'CPUAmpOptimWrapper autocasts to bfloat16 only (float16 on '
                f'CPU would need loss scaling), got {dtype}')
        super().__init__(**kwargs)
        self.cast_dtype = dtype

    def load_state_dict(self, state_dict: dict) -> None:
        # a checkpoint of AmpOptimWrapper (GPU) has its loss scaler's state
        state_dict = dict(state_dict)
        state_dict.pop('loss_scaler', None)
        super().load_state_dict(state_dict)

    @contextmanager
    def optim_context(self, model: nn.Module):
        with super().optim_context(model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield
