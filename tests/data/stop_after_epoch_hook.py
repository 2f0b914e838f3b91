"""A test-only hook that kills training after an epoch, like a crash."""
from mmengine.hooks import Hook

from mmselfsup.registry import HOOKS


@HOOKS.register_module()
class StopAfterEpochHook(Hook):
    """Exit the process after ``epoch`` (after its checkpoint is saved)."""

    priority = 'LOWEST'

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def after_train_epoch(self, runner) -> None:
        if runner.epoch + 1 == self.epoch:
            raise SystemExit(f'stopped after epoch {self.epoch}')
