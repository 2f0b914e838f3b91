import math

import torch
from mmengine.hooks import Hook

from mmselfsup.registry import HOOKS


class InvalidLossError(FloatingPointError):
    """The training loss became NaN or infinite."""


def _to_float(value) -> float:
    return float(value.detach()) if torch.is_tensor(value) else float(value)


@HOOKS.register_module()
class CheckInvalidLossHook(Hook):
    """Stop training when the loss becomes NaN or infinite.

    Runs right after each checked iteration, before any checkpoint of that
    iteration is written, so the last checkpoint on disk is a good one.

    Args:
        interval (int): Check every ``interval`` iterations. Defaults to 1
            (with a larger interval a checkpoint saved between two checks
            could hold the bad weights).
    """

    priority = 'VERY_HIGH'

    def __init__(self, interval: int = 1) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.interval = interval

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if not outputs or 'loss' not in outputs or \
                not self.every_n_train_iters(runner, self.interval):
            return
        value = _to_float(outputs['loss'])
        if not math.isfinite(value):
            others = {
                k: _to_float(v)
                for k, v in outputs.items() if k != 'loss'
            }
            raise InvalidLossError(
                f'The loss became {value} at iteration {runner.iter + 1} '
                f'(epoch {runner.epoch + 1}); losses: {others}. Training '
                'stopped; the checkpoints already saved are untouched.')
