"""Atomic local file writes for mmengine's checkpoints (applied by
:func:`mmbank.utils.upstream_fixes.apply_upstream_fixes`)."""
import glob
import os
import os.path as osp
import re
import uuid

from mmengine.fileio.backends import LocalBackend


# ``.{name}.{pid}.{8 hex digits}.tmp``, as atomic_put names its temporaries
_TEMPORARY = re.compile(r'^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$')


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def remove_stale_temporaries(directory: str) -> list:
    """Delete what :func:`atomic_put` left in ``directory`` when its process
    was killed mid-write (a partial file of a checkpoint's size): the
    temporaries of processes that no longer run. Returns their paths."""
    removed = []
    for path in glob.glob(osp.join(glob.escape(directory), '.*.tmp')):
        match = _TEMPORARY.match(osp.basename(path))
        if match is None or _process_alive(int(match.group(1))):
            continue
        try:
            os.remove(path)
            removed.append(path)
        except OSError:
            pass
    return removed


def atomic_put(obj: bytes, filepath) -> None:
    """Write ``obj`` to ``filepath`` all or nothing.

    The bytes go to a temporary file in the same directory, are flushed to
    disk, and the file is renamed to ``filepath`` (``os.replace``, atomic on
    one file system). A failed write (a full disk, ...) leaves the previous
    ``filepath``, if any, untouched and no partial file behind; what a
    killed writer left behind is removed first
    (:func:`remove_stale_temporaries`).
    """
    filepath = osp.realpath(os.fspath(filepath))  # write through symlinks
    directory, name = osp.split(filepath)
    os.makedirs(directory, exist_ok=True)
    remove_stale_temporaries(directory)
    tmp = osp.join(directory, f'.{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}'
                   '.tmp')
    try:
        with open(tmp, 'xb') as f:
            f.write(obj)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def _atomic_local_put(self, obj: bytes, filepath) -> None:
    atomic_put(obj, filepath)


_atomic_local_put._mmbank_wrapped = True


def write_local_files_atomically() -> None:
    """Make mmengine's local file writes (checkpoints) atomic.

    mmengine 0.10.7 writes a checkpoint with ``LocalBackend.put``, which
    opens the final name and writes into it: a failure mid-write (a full
    disk, a killed job) leaves a truncated checkpoint under that name, which
    ``--resume`` then picks. This routes ``put`` through :func:`atomic_put`.
    """
    if not getattr(LocalBackend.put, '_mmbank_wrapped', False):
        LocalBackend.put = _atomic_local_put
