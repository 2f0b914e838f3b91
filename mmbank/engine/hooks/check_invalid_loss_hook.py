import math
from typing import List

import torch
from mmengine.hooks import Hook

from mmselfsup.registry import HOOKS


class InvalidLossError(FloatingPointError):
    """The training loss became NaN or infinite."""


class NonFiniteCheckpointError(FloatingPointError):
    """A checkpoint holds NaN or infinite weights or buffers."""


class EmptyEpochError(ValueError):
    """An epoch of the training data loader has no batch."""


def _to_float(value) -> float:
    return float(value.detach()) if torch.is_tensor(value) else float(value)


def non_finite_tensors(state_dict: dict) -> List[str]:
    """Names of the floating-point tensors of ``state_dict`` holding a NaN
    or an infinity."""
    return [
        name for name, value in state_dict.items()
        if torch.is_tensor(value) and value.is_floating_point()
        and not bool(torch.isfinite(value).all())
    ]


def _describe(names: List[str]) -> str:
    return f'{len(names)} tensors hold NaN or inf values (e.g. ' \
        f'{", ".join(names[:3])})'


@HOOKS.register_module()
class CheckInvalidLossHook(Hook):
    """Stop training when it goes wrong, before anything bad is saved.

    - After each checked iteration, a NaN or infinite loss stops the run
      (:class:`InvalidLossError`), before any checkpoint of that iteration
      is written, so the last checkpoint on disk is a good one.
    - A checkpoint whose weights or buffers (memory-bank rows included)
      hold NaN or inf is never written, even when the loss was still finite
      (e.g. an lr of NaN): the run stops instead
      (:class:`NonFiniteCheckpointError`).
    - Nor does a run start from one (``resume`` or ``load_from``).
    - A training set smaller than one batch with ``drop_last=True`` gives
      epochs without an iteration: the run stops before it starts
      (:class:`EmptyEpochError`) instead of saving an untrained model.

    Args:
        interval (int): Check the loss every ``interval`` iterations.
            Defaults to 1 (with a larger interval a checkpoint saved between
            two checks could hold the bad weights).
    """

    priority = 'VERY_HIGH'

    def __init__(self, interval: int = 1) -> None:
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.interval = interval

    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        if len(loader) > 0:
            return
        size = len(loader.dataset) if hasattr(loader, 'dataset') else '?'
        raise EmptyEpochError(
            f'The training data loader gives no batch: {size} samples, '
            f'batch size {loader.batch_size}, drop_last={loader.drop_last} '
            '(per process). Training would run no iteration and save an '
            'untrained model; use more data or a smaller batch.')

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

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        bad = non_finite_tensors(checkpoint.get('state_dict', {}))
        if bad:
            meta = checkpoint.get('meta', {})
            raise NonFiniteCheckpointError(
                f'Not saving the checkpoint of epoch {meta.get("epoch")}, '
                f'iteration {meta.get("iter")}: {_describe(bad)}, though '
                'the loss was finite when checked. Training stopped; the '
                'checkpoints already saved are untouched.')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        bad = non_finite_tensors(checkpoint.get('state_dict', {}))
        if bad:
            raise NonFiniteCheckpointError(
                f'Refusing to start from a checkpoint in which '
                f'{_describe(bad)}; start from an earlier checkpoint.')
