import copy
from typing import Any, Dict, List, Optional

from mmengine.hooks import Hook
from mmengine.optim.scheduler import ReduceOnPlateauParamScheduler

from mmselfsup.registry import HOOKS

# what a scheduler's state holds besides its settings: its progress
_PROGRESS_KEYS = frozenset(
    ('last_step', '_global_step', '_last_value', 'verbose',
     '_get_value_called_within_step',
     # ReduceOnPlateau
     'best', 'num_bad_epochs', 'cooldown_counter'))


def _settings(state: dict) -> Dict[str, Any]:
    return {k: v for k, v in state.items() if k not in _PROGRESS_KEYS}


def _short(value: Any) -> str:
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    return f'{value:.6g}' if isinstance(value, float) else repr(value)


def _schedule_differences(saved: List[dict], config: List[dict],
                          names: List[str]) -> List[str]:
    """What differs between the checkpoint's scheduler states and the
    config's (``names``: the schedulers' class names)."""
    if len(saved) != len(config):
        return [f'{len(saved)} schedulers in the checkpoint, '
                f'{len(config)} in the config']
    diffs = []
    for i, (old, new, name) in enumerate(zip(saved, config, names)):
        old, new = _settings(old), _settings(new)
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                diffs.append(f'param_scheduler.{i} ({name}) {key}: '
                             f'{_short(old.get(key))} -> '
                             f'{_short(new.get(key))}')
    return diffs


@HOOKS.register_module()
class ResumeScheduleHook(Hook):
    """Apply the config's ``param_scheduler`` when resuming with a new one.

    mmengine restores the checkpoint's schedulers on resume, settings
    included, so a schedule changed for the resumed run (a longer cosine,
    ``--cfg-options param_scheduler.0.end=... train_cfg.max_epochs=...``) is
    silently ignored: the lr follows the old schedule and stays at its last
    value after the old end. When the config's schedulers differ from the
    checkpoint's, this hook applies the config's instead: it replays them
    from their initial state over the epochs and iterations already done,
    so the lr (and any other scheduled value) is what a run with the new
    schedule from the start would have now, and logs a warning with the
    differences and the lr before and after. The optimizer's other state
    (momentum buffers, ...) stays the checkpoint's.

    When the schedule is unchanged but ``train_cfg.max_epochs`` grew past
    the end of an epoch-based scheduler, it warns that the scheduled values
    stay at their last value from there on.

    A ``ReduceOnPlateau`` schedule cannot be replayed (it depends on the
    metrics): then the checkpoint's schedule is kept, with a warning. So is
    a dict of schedulers (several optimizers).

    ``tools/train.py`` registers this hook when resuming.
    """

    priority = 'NORMAL'

    def __init__(self) -> None:
        self._fresh_states: Optional[List[dict]] = None
        self._fresh_groups: Optional[List[dict]] = None
        self._saved: Optional[list] = None
        self._saved_max_epochs: Optional[int] = None
        self._resumed = False

    @staticmethod
    def _schedulers(runner) -> Optional[list]:
        schedulers = runner.param_schedulers
        if isinstance(schedulers, list) and schedulers and \
                all(hasattr(s, 'state_dict') for s in schedulers):
            return schedulers
        return None

    def before_run(self, runner) -> None:
        # the config's schedulers, built, before a checkpoint overwrites them
        schedulers = self._schedulers(runner)
        if schedulers is None or isinstance(runner.optim_wrapper, dict):
            return
        self._fresh_states = [copy.deepcopy(s.state_dict())
                              for s in schedulers]
        keys = set()
        for s in schedulers:
            keys |= {s.param_name, f'initial_{s.param_name}'}
        self._fresh_groups = [{k: copy.deepcopy(g[k])
                               for k in keys if k in g}
                              for g in runner.optim_wrapper.param_groups]

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not getattr(runner, '_resume', False):
            return
        self._resumed = True
        self._saved = checkpoint.get('param_schedulers')
        # from data: RuntimeInfoHook's record of the saved run's length (the
        # config string in the checkpoint is Python, never executed here)
        runtime_info = (checkpoint.get('message_hub') or {}).get(
            'runtime_info') or {}
        max_epochs = runtime_info.get('max_epochs')
        self._saved_max_epochs = max_epochs if isinstance(
            max_epochs, int) else None

    def before_train(self, runner) -> None:
        if not self._resumed:
            return
        schedulers = self._schedulers(runner)
        if schedulers is None or self._fresh_states is None or \
                not isinstance(self._saved, list):
            return
        diffs = _schedule_differences(
            self._saved, self._fresh_states,
            [type(s).__name__ for s in schedulers])
        if not diffs:
            self._warn_if_schedule_ends_early(runner, schedulers)
            return
        lr_before = self._lr(runner)
        if any(isinstance(s, ReduceOnPlateauParamScheduler)
               for s in schedulers):
            runner.logger.warning(
                'Resuming with a param_scheduler different from the '
                f'checkpoint\'s ({"; ".join(diffs)}), but a ReduceOnPlateau '
                'schedule cannot be replayed: the checkpoint\'s schedule is '
                'kept and the new settings are ignored.')
            return
        self._replay(runner, schedulers)
        runner.logger.warning(
            'Resuming with a param_scheduler different from the '
            f'checkpoint\'s ({"; ".join(diffs)}): the config\'s schedule is '
            f'applied, replayed from its start over the epochs '
            f'({runner.epoch}) and iterations ({runner.iter}) done, so the '
            'lr is now '
            f'{_short(self._lr(runner))} (the checkpoint\'s schedule gave '
            f'{_short(lr_before)}).')

    @staticmethod
    def _lr(runner) -> List[float]:
        return [g['lr'] for g in runner.optim_wrapper.param_groups]

    def _replay(self, runner, schedulers: list) -> None:
        for scheduler, state in zip(schedulers, self._fresh_states):
            scheduler.load_state_dict(copy.deepcopy(state))
        for group, values in zip(runner.optim_wrapper.param_groups,
                                 self._fresh_groups):
            group.update(copy.deepcopy(values))
        by_epoch = [s for s in schedulers if s.by_epoch]
        by_iter = [s for s in schedulers if not s.by_epoch]
        epochs, iters = runner.epoch, runner.iter
        per_epoch = iters // epochs if epochs and by_iter else 0
        # as ParamSchedulerHook steps them: after each iteration the
        # iteration-based ones, after each epoch the epoch-based ones
        for _ in range(epochs):
            for _ in range(per_epoch):
                for s in by_iter:
                    s.step()
            for s in by_epoch:
                s.step()
        for _ in range(iters - per_epoch * epochs if by_iter else 0):
            for s in by_iter:
                s.step()

    def _warn_if_schedule_ends_early(self, runner, schedulers: list) -> None:
        max_epochs = getattr(runner.train_loop, 'max_epochs', None)
        if max_epochs is None or self._saved_max_epochs is None or \
                max_epochs <= self._saved_max_epochs:
            return
        ends = [s.end for s in schedulers if s.by_epoch]
        if ends and max(ends) < max_epochs:
            runner.logger.warning(
                f'train_cfg.max_epochs grew from {self._saved_max_epochs} to '
                f'{max_epochs} but the param_scheduler ends at epoch '
                f'{max(ends)}: from there on the lr stays at its last '
                'value. To extend the schedule, change param_scheduler too '
                '(its end, T_max, ...): a changed schedule is applied on '
                'resume.')
