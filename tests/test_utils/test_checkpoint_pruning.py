"""mmengine's CheckpointHook keeps the old checkpoint until the new one is
on disk, and a killed writer's temporary file does not outlive it."""
import os
import os.path as osp
import subprocess
import sys
from collections import deque
from types import SimpleNamespace

import pytest
from mmengine.hooks import CheckpointHook
from mmengine.logging import MessageHub

import mmbank  # noqa: F401
from mmbank.utils.atomic_write import atomic_put, remove_stale_temporaries


class _Runner(SimpleNamespace):
    """What CheckpointHook._save_checkpoint_with_step uses of a runner; its
    save writes ``epoch_N.pth``, or fails like a full disk."""

    def save_checkpoint(self, out_dir, filename, *args, **kwargs):
        if self.disk_full:
            raise OSError(28, 'No space left on device')
        with open(osp.join(out_dir, filename), 'w') as f:
            f.write('checkpoint')


def _hook_and_runner(work_dir, max_keep_ckpts):
    hook = CheckpointHook(interval=1, max_keep_ckpts=max_keep_ckpts)
    hook.out_dir = work_dir
    hook.file_backend = __import__(
        'mmengine.fileio', fromlist=['get_file_backend']).get_file_backend(
            work_dir)
    hook.keep_ckpt_ids = deque(maxlen=max_keep_ckpts)
    runner = _Runner(work_dir=work_dir, disk_full=False,
                     message_hub=MessageHub.get_instance('pruning-test'))
    return hook, runner


@pytest.mark.parametrize('max_keep_ckpts', [1, 2])
def test_a_failed_save_keeps_the_previous_checkpoints(tmp_path,
                                                      max_keep_ckpts):
    work = str(tmp_path)
    hook, runner = _hook_and_runner(work, max_keep_ckpts)
    for step in (1, 2, 3):
        hook._save_checkpoint_with_step(runner, step, meta={})
    kept = sorted(os.listdir(work))
    assert kept == [f'epoch_{s}.pth' for s in (1, 2, 3)][-max_keep_ckpts:] \
        + ['last_checkpoint']
    runner.disk_full = True
    with pytest.raises(OSError, match='No space left'):
        hook._save_checkpoint_with_step(runner, 4, meta={})
    assert sorted(os.listdir(work)) == kept
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read() == osp.join(work, 'epoch_3.pth')


def test_saving_the_same_step_twice_removes_nothing(tmp_path):
    hook, runner = _hook_and_runner(str(tmp_path), 1)
    hook._save_checkpoint_with_step(runner, 1, meta={})
    hook._save_checkpoint_with_step(runner, 1, meta={})  # e.g. save_best
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth', 'last_checkpoint']


def _dead_pid():
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    return proc.pid


def test_temporaries_of_dead_writers_are_removed_on_the_next_write(
        tmp_path):
    dead = tmp_path / f'.epoch_3.pth.{_dead_pid()}.0123abcd.tmp'
    alive = tmp_path / f'.epoch_3.pth.{os.getpid()}.89abcdef.tmp'
    other = tmp_path / '.notes.tmp'  # not one of atomic_put's
    for path in (dead, alive, other):
        path.write_bytes(b'partial')
    atomic_put(b'new', str(tmp_path / 'epoch_4.pth'))
    assert (tmp_path / 'epoch_4.pth').read_bytes() == b'new'
    assert not dead.exists()
    assert alive.exists() and other.exists()
    assert remove_stale_temporaries(str(tmp_path)) == []


def test_a_full_disk_during_training_keeps_the_last_checkpoint(
        tiny_cifar10, tmp_path):
    """ulimit -f below a checkpoint's size: the save of epoch 2 fails; with
    max_keep_ckpts=1 mmengine had already deleted epoch_1.pth."""
    from conftest import REPO, TEST_CONFIGS, run_tool
    npid = osp.join(TEST_CONFIGS, 'npid_tiny.py')
    options = ['--cfg-options', 'train_dataloader.dataset.data_prefix='
               f'{tiny_cifar10}', 'default_hooks.checkpoint.max_keep_ckpts=1']
    work = str(tmp_path)
    run_tool('tools/train.py', npid, '--work-dir', work, *options)
    first = osp.join(work, 'epoch_1.pth')
    size = os.path.getsize(first)
    with open(first, 'rb') as f:
        content = f.read()
    blocks = size // 1024 // 2  # ulimit -f counts 1024-byte blocks
    proc = subprocess.run(
        ['bash', '-c', f'ulimit -f {blocks} && exec "$0" "$@"',
         sys.executable, 'tools/train.py', npid, '--work-dir', work,
         '--resume', *options, 'train_cfg.max_epochs=2'],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode != 0
    assert 'File too large' in proc.stderr, proc.stderr[-2000:]
    with open(first, 'rb') as f:
        assert f.read() == content
    with open(osp.join(work, 'last_checkpoint')) as f:
        assert f.read() == first
    assert not [n for n in os.listdir(work) if n.endswith('.tmp')]
    assert not osp.exists(osp.join(work, 'epoch_2.pth'))
