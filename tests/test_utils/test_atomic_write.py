"""Atomic checkpoint writes: a failed write leaves no partial file."""
import os

import pytest
import torch
from mmengine.runner.checkpoint import _load_checkpoint

import mmbank  # noqa: F401


class _DiskFullFile:
    """A file whose write stores half the bytes, then fails like ENOSPC."""

    def __init__(self, f):
        self._f = f

    def write(self, data):
        self._f.write(bytes(data)[:len(data) // 2])
        self._f.flush()
        raise OSError(28, 'No space left on device')

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._f.close()


def test_checkpoint_write_failing_midway_leaves_no_partial_file(
        tmp_path, monkeypatch):
    """mmengine writes a checkpoint straight into its final name: a full
    disk left a truncated epoch_2.pth there, which --resume then picked."""
    import builtins
    import hashlib

    from mmengine.runner.checkpoint import save_checkpoint
    good = str(tmp_path / 'epoch_1.pth')
    save_checkpoint(dict(state_dict={'w': torch.ones(1000)}), good)
    digest = hashlib.sha256(open(good, 'rb').read()).hexdigest()

    real_open = builtins.open

    def full_disk_open(file, mode='r', *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        return _DiskFullFile(f) if 'b' in mode and set(mode) & set('wxa') \
            else f

    monkeypatch.setattr(builtins, 'open', full_disk_open)
    with pytest.raises(OSError, match='No space left'):
        save_checkpoint(dict(state_dict={'w': torch.zeros(1000)}),
                        str(tmp_path / 'epoch_2.pth'))
    monkeypatch.setattr(builtins, 'open', real_open)
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth']  # no temp file
    assert hashlib.sha256(open(good, 'rb').read()).hexdigest() == digest
    assert torch.equal(_load_checkpoint(good)['state_dict']['w'],
                       torch.ones(1000))


def test_checkpoint_overwrite_is_atomic_and_keeps_permissions(tmp_path):
    from mmengine.fileio import get_file_backend
    from mmengine.runner.checkpoint import save_checkpoint
    path = str(tmp_path / 'latest.pth')
    save_checkpoint(dict(state_dict={'w': torch.ones(3)}), path)
    save_checkpoint(dict(state_dict={'w': torch.zeros(3)}), path)
    assert os.listdir(tmp_path) == ['latest.pth']
    assert torch.equal(_load_checkpoint(path)['state_dict']['w'],
                       torch.zeros(3))
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    # the fix is on the backend every local checkpoint write goes through
    backend = get_file_backend(path)
    assert getattr(type(backend).put, '_mmbank_wrapped', False)
