"""Which checkpoint --resume picks from a work dir's last_checkpoint."""
import os.path as osp
import shutil

import pytest

from mmbank.utils.resume import latest_checkpoint


def _work_dir(path, name='epoch_2.pth', record=None):
    path.mkdir(parents=True)
    (path / name).write_bytes(b'checkpoint')
    (path / 'last_checkpoint').write_text(
        str(path / name) if record is None else record)
    return str(path)


def test_recorded_checkpoint_inside_the_work_dir(tmp_path):
    work = _work_dir(tmp_path / 'run')
    path, note = latest_checkpoint(work)
    assert path == osp.join(work, 'epoch_2.pth')
    assert note.startswith('Resuming from')


def test_copied_work_dir_uses_its_own_checkpoint(tmp_path):
    original = _work_dir(tmp_path / 'original')
    copy = str(tmp_path / 'copy')
    shutil.copytree(original, copy)
    # with the original still there, and after it is gone
    for _ in range(2):
        path, note = latest_checkpoint(copy)
        assert path == osp.join(copy, 'epoch_2.pth')
        assert 'outside this work dir' in note
        shutil.rmtree(original, ignore_errors=True)


def test_relative_record_and_checkpoints_saved_elsewhere(tmp_path):
    work = _work_dir(tmp_path / 'run', record='epoch_2.pth')
    assert latest_checkpoint(work)[0] == osp.join(work, 'epoch_2.pth')
    out_dir = _work_dir(tmp_path / 'out' / 'run2')  # CheckpointHook out_dir
    (tmp_path / 'run2').mkdir()
    (tmp_path / 'run2' / 'last_checkpoint').write_text(
        osp.join(out_dir, 'epoch_2.pth'))
    assert latest_checkpoint(str(tmp_path / 'run2'))[0] == osp.join(
        out_dir, 'epoch_2.pth')


def test_no_record_means_from_scratch(tmp_path):
    path, note = latest_checkpoint(str(tmp_path))
    assert path is None
    assert note == (f'No checkpoint found in {tmp_path} (it has no '
                    'last_checkpoint file): training starts from scratch.')


def test_record_of_a_vanished_checkpoint_is_an_error(tmp_path):
    (tmp_path / 'last_checkpoint').write_text('/nowhere/epoch_9.pth')
    with pytest.raises(FileNotFoundError, match='cannot resume'):
        latest_checkpoint(str(tmp_path))


@pytest.mark.parametrize('record', ['', None])
def test_empty_or_missing_record_resumes_from_the_newest_checkpoint(
        tmp_path, record):
    """mmengine writes last_checkpoint non-atomically: a crash can leave it
    empty, and --resume then started from scratch beside epoch_10.pth."""
    for name in ('epoch_3.pth', 'epoch_10.pth', 'iter_50.pth', 'best.pth'):
        (tmp_path / name).write_bytes(b'checkpoint')
    if record is not None:
        (tmp_path / 'last_checkpoint').write_text(record)
    path, note = latest_checkpoint(str(tmp_path))
    assert path == str(tmp_path / 'epoch_10.pth')
    state = 'is empty' if record is not None else 'is missing'
    assert note == (f'Resuming from {path}, the newest checkpoint in '
                    f'{tmp_path} ({tmp_path / "last_checkpoint"} {state}).')
    for name in ('epoch_3.pth', 'epoch_10.pth', 'best.pth'):
        (tmp_path / name).unlink()
    assert latest_checkpoint(str(tmp_path))[0] == str(tmp_path /
                                                      'iter_50.pth')
