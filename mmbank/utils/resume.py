"""Which checkpoint ``--resume`` continues from."""
import os.path as osp
from typing import Optional, Tuple


def _inside(path: str, directory: str) -> bool:
    path, directory = osp.realpath(path), osp.realpath(directory)
    return path.startswith(directory.rstrip(osp.sep) + osp.sep)


def latest_checkpoint(work_dir: str) -> Tuple[Optional[str], str]:
    """The checkpoint to resume a run in ``work_dir`` from, and why.

    mmengine's ``CheckpointHook`` records the latest checkpoint's absolute
    path in ``work_dir/last_checkpoint``, so a copied (or moved) work dir
    would resume from the original's checkpoint, or fail once it is gone.
    The recorded checkpoint is used when it lies inside ``work_dir``;
    otherwise a file of the same name in ``work_dir`` (the copy's own); and
    only then the recorded path (checkpoints saved to another ``out_dir``).

    Args:
        work_dir (str): The run's work directory.

    Returns:
        tuple: The checkpoint (None when ``work_dir`` has no
        ``last_checkpoint``) and a sentence saying where it comes from.

    Raises:
        FileNotFoundError: ``last_checkpoint`` names a checkpoint that is
            neither where it says nor in ``work_dir``.
    """
    record = osp.join(work_dir, 'last_checkpoint')
    recorded = ''
    if osp.isfile(record):
        with open(record) as f:
            recorded = f.read().strip()
    if not recorded:
        return None, (f'No checkpoint found in {work_dir} (it has no '
                      'last_checkpoint file): training starts from scratch.')
    if '://' in recorded:  # a remote backend: as recorded
        return recorded, f'Resuming from {recorded} (from {record}).'
    path = recorded if osp.isabs(recorded) else osp.join(work_dir, recorded)
    own = osp.join(work_dir, osp.basename(recorded))
    if _inside(path, work_dir) and osp.isfile(path):
        return path, f'Resuming from {path}, the latest checkpoint.'
    if osp.isfile(own):
        return own, (f'Resuming from {own}: {record} names {recorded}, '
                     'outside this work dir (copied or moved), so its own '
                     'copy is used.')
    if osp.isfile(path):
        return path, f'Resuming from {path} (from {record}).'
    raise FileNotFoundError(
        f'{record} names the checkpoint {recorded}, which does not exist, '
        f'and {work_dir} has no {osp.basename(recorded)}: cannot resume. '
        'Pass a checkpoint with --resume PATH, or remove last_checkpoint to '
        'start from scratch.')
