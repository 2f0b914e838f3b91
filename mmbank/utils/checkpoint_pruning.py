"""Keep the previous checkpoints until the new one is on disk (applied by
:func:`mmbank.utils.upstream_fixes.apply_upstream_fixes`)."""
from typing import List

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook


def _remove(hook: CheckpointHook, step: int) -> None:
    path = hook.file_backend.join_path(hook.out_dir,
                                       hook.filename_tmpl.format(step))
    if hook.file_backend.isfile(path):
        hook.file_backend.remove(path)
    elif hook.file_backend.isdir(path):  # deepspeed saves directories
        hook.file_backend.rmtree(path)


def _save_then_prune(save_with_step):
    """``CheckpointHook._save_checkpoint_with_step`` that takes the
    checkpoints beyond ``max_keep_ckpts`` out of the hook's record first (so
    the upstream method removes nothing), saves, and only then deletes
    them: a save that fails leaves them, and ``last_checkpoint`` (written
    after a successful save) still names one that exists."""

    def save(self, runner, step, meta):
        stale: List[int] = []
        keep = self.keep_ckpt_ids if self.max_keep_ckpts > 0 else None
        if keep is not None and not (keep and keep[-1] == step):
            while len(keep) >= self.max_keep_ckpts:
                stale.append(keep.popleft())
        save_with_step(self, runner, step, meta)
        if is_main_process():
            for old in stale:
                _remove(self, old)

    save._mmbank_wrapped = True
    return save


def save_before_removing_old_checkpoints() -> None:
    """Make mmengine's ``CheckpointHook`` write the new checkpoint before it
    removes the oldest one (idempotent).

    mmengine 0.10.7 removes the checkpoint beyond ``max_keep_ckpts`` first
    and saves after, so with ``max_keep_ckpts=1`` a full disk or a job
    killed during the save leaves no checkpoint at all, and a
    ``last_checkpoint`` naming a deleted file.
    """
    current = CheckpointHook._save_checkpoint_with_step
    if not getattr(current, '_mmbank_wrapped', False):
        CheckpointHook._save_checkpoint_with_step = _save_then_prune(current)
