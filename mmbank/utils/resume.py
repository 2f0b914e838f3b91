"""Which checkpoint ``--resume`` continues from."""
import os
import os.path as osp
import re
from typing import Optional, Tuple

# the names mmengine's CheckpointHook gives checkpoints by default
_CHECKPOINT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')


def newest_checkpoint_file(work_dir: str) -> Optional[str]:
    """The ``epoch_N.pth`` of ``work_dir`` with the largest ``N`` (or, with
    none, the ``iter_N.pth``), or None."""
    found = {'epoch': [], 'iter': []}
    for name in os.listdir(work_dir) if osp.isdir(work_dir) else []:
        match = _CHECKPOINT_NAME.match(name)
        if match and osp.isfile(osp.join(work_dir, name)):
            found[match.group(1)].append((int(match.group(2)), name))
    for kind in ('epoch', 'iter'):
        if found[kind]:
            return osp.join(work_dir, max(found[kind])[1])
    return None


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
    Without a record (mmengine writes ``last_checkpoint`` non-atomically, so
    a crash can leave it empty), the newest ``epoch_N.pth`` (or
    ``iter_N.pth``) in ``work_dir``.

    Args:
        work_dir (str): The run's work directory.

    Returns:
        tuple: The checkpoint (None when ``work_dir`` has neither a
        ``last_checkpoint`` nor a checkpoint) and a sentence saying where it
        comes from.

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
        newest = newest_checkpoint_file(work_dir)
        if newest is not None:
            state = 'is empty' if osp.isfile(record) else 'is missing'
            return newest, (f'Resuming from {newest}, the newest checkpoint '
                            f'in {work_dir} ({record} {state}).')
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
