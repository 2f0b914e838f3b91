"""tools/train.py with BatchedViewsDataPreprocessor: a resumed run draws
the views an uninterrupted one does, with and without loader workers (the
views are made in the main process), and the ranks of a distributed run
draw different views."""
import os
import os.path as osp
import shutil

import torch

from conftest import TEST_CONFIGS, run_tool
from conftest import assert_same_run as _assert_same_run
from conftest import free_port as _free_port
from conftest import load_checkpoint_file as _load

BATCHED = osp.join(TEST_CONFIGS, 'membank_tiny_batched_views.py')



def _data(root):
    return f'train_dataloader.dataset.data_prefix={root}'



def _views_state(path, rank=0):
    states = _load(path)['rng_states']['states']
    return states[rank]['generators']['data_preprocessor']


def test_resume_with_batched_views_ends_like_uninterrupted_run(
        tiny_cifar10, tmp_path):
    """Uninterrupted without workers; resumed after epoch 1 without
    workers, with two workers restarted every epoch and with two
    persistent ones: all four end bit for bit alike."""
    straight = str(tmp_path / 'straight')
    run_tool('tools/train.py', BATCHED, '--work-dir', straight,
             '--cfg-options', _data(tiny_cifar10))
    # the views' generator state is in the checkpoint, and moved on
    first = _views_state(osp.join(straight, 'epoch_1.pth'))
    second = _views_state(osp.join(straight, 'epoch_2.pth'))
    assert first.dtype == torch.uint8 and not torch.equal(first, second)
    for workers, persistent in ((0, False), (2, False), (2, True)):
        split = str(tmp_path / f'split_{workers}_{persistent}')
        os.makedirs(split)
        shutil.copy(osp.join(straight, 'epoch_1.pth'), split)
        proc = run_tool('tools/train.py', BATCHED,
                        '--work-dir', split, '--resume',
                        osp.join(split, 'epoch_1.pth'), '--cfg-options',
                        _data(tiny_cifar10),
                        f'train_dataloader.num_workers={workers}',
                        f'train_dataloader.persistent_workers={persistent}')
        log = proc.stdout + proc.stderr
        assert 'Random generator states of the end of epoch 1 restored' \
            in log
        assert 'keep their fresh seeds' not in log
        _assert_same_run(
            osp.join(straight, 'epoch_2.pth'), osp.join(split, 'epoch_2.pth'))


def test_the_seed_option_reaches_the_views_generator(tiny_cifar10, tmp_path):
    """model.data_preprocessor.seed replaces the run's seed for the views
    only."""
    a, b = str(tmp_path / 'a'), str(tmp_path / 'b')
    run_tool('tools/train.py', BATCHED, '--work-dir', a, '--cfg-options',
             _data(tiny_cifar10), 'train_cfg.max_epochs=1')
    run_tool('tools/train.py', BATCHED, '--work-dir', b, '--cfg-options',
             _data(tiny_cifar10), 'train_cfg.max_epochs=1',
             'model.data_preprocessor.seed=123')
    assert not torch.equal(
        _views_state(osp.join(a, 'epoch_1.pth')),
        _views_state(osp.join(b, 'epoch_1.pth')))


def test_consistency_needs_two_views_from_the_preprocessor(
        tiny_cifar10, tmp_path):
    proc = run_tool(
        'tools/train.py',
        BATCHED,
        '--work-dir',
        str(tmp_path),
        '--cfg-options',
        _data(tiny_cifar10),
        'model.data_preprocessor.num_views=1',
        check=False)
    assert proc.returncode != 0
    assert 'the data preprocessor gives 1 view' in proc.stderr
    assert 'Epoch(train)' not in proc.stdout + proc.stderr



def test_two_ranks_draw_different_views_and_keep_banks_identical(
        tiny_cifar10, tmp_path):
    """Two gloo processes seeded alike by mmengine: each rank's views come
    from its own stream (their generator states differ from the start),
    and the banks stay identical."""
    work = str(tmp_path)
    proc = run_tool(
        '-m',
        'torch.distributed.run',
        '--nproc_per_node=2',
        f'--master_port={_free_port()}',
        'tools/train.py',
        BATCHED,
        '--launcher',
        'pytorch',
        '--work-dir',
        work,
        '--cfg-options',
        _data(tiny_cifar10),
        'train_dataloader.batch_size=4',
        'train_cfg.max_epochs=1',
        timeout=600)
    log = proc.stdout + proc.stderr
    assert 'Memory bank 0 identical on 2 ranks after epoch 1' in log
    saved = _load(osp.join(work, 'epoch_1.pth'))['rng_states']['states']
    assert len(saved) == 2
    rank0 = saved[0]['generators']['data_preprocessor']
    rank1 = saved[1]['generators']['data_preprocessor']
    assert not torch.equal(rank0, rank1)
