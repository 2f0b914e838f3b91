"""tools/train.py end to end: mmselfsup's NPID and the mmbank method."""
import hashlib
import os.path as osp
import re
import socket

import pytest
import torch

from conftest import TEST_CONFIGS, run_tool

TINY = osp.join(TEST_CONFIGS, 'membank_tiny_deterministic.py')
NPID = osp.join(TEST_CONFIGS, 'npid_tiny.py')
INTERRUPTED = osp.join(TEST_CONFIGS, 'membank_tiny_interrupted.py')


def _load(path):
    from mmengine.runner.checkpoint import _load_checkpoint
    return _load_checkpoint(path, map_location='cpu')


def _data(root):
    return f'train_dataloader.dataset.data_prefix={root}'


def test_mmselfsup_npid_trains_saves_resumes_and_continues(
        tiny_cifar10, tmp_path):
    work = str(tmp_path)
    run_tool('tools/train.py', NPID, '--work-dir', work, '--cfg-options',
             _data(tiny_cifar10))
    first = _load(osp.join(work, 'epoch_1.pth'))
    assert first['meta']['epoch'] == 1 and first['meta']['iter'] == 2
    proc = run_tool('tools/train.py', NPID, '--work-dir', work, '--resume',
                    '--cfg-options', _data(tiny_cifar10),
                    'train_cfg.max_epochs=2')
    assert 'resumed epoch: 1, iter: 2' in proc.stdout + proc.stderr
    second = _load(osp.join(work, 'epoch_2.pth'))
    assert second['meta']['epoch'] == 2 and second['meta']['iter'] == 4
    assert not torch.equal(first['state_dict']['backbone.conv1.weight'],
                           second['state_dict']['backbone.conv1.weight'])


def test_membank_resume_ends_like_an_uninterrupted_run(
        tiny_cifar10, tmp_path):
    straight, split = str(tmp_path / 'straight'), str(tmp_path / 'split')
    run_tool('tools/train.py', TINY, '--work-dir', straight, '--cfg-options',
             _data(tiny_cifar10))
    killed = run_tool('tools/train.py', INTERRUPTED, '--work-dir', split,
                      '--cfg-options', _data(tiny_cifar10), check=False,
                      env=dict(PYTHONPATH=osp.join('tests', 'data')))
    assert 'stopped after epoch 1' in killed.stderr
    assert not osp.exists(osp.join(split, 'epoch_2.pth'))
    proc = run_tool('tools/train.py', TINY, '--work-dir', split, '--resume',
                    '--cfg-options', _data(tiny_cifar10))
    log = proc.stdout + proc.stderr
    assert 'Hard negative merge after epoch 2' in log
    assert 'Merged pairs of the same class: ' in log  # CIFAR has labels
    a = _load(osp.join(straight, 'epoch_2.pth'))['state_dict']
    b = _load(osp.join(split, 'epoch_2.pth'))['state_dict']
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    groups = a['head.memory_bank.group_ids']
    sizes = torch.bincount(groups, minlength=16)
    assert int((sizes > 1).sum()) > 0, 'merging formed no group'
    assert int(sizes.max()) <= 3  # max_group_size
    assert a['head.memory_bank.feats'].shape == (16, 128)


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_processes_keep_banks_and_groups_identical(tiny_cifar10,
                                                       tmp_path):
    """Two gloo processes started as tools/dist_train.sh starts them."""
    work = str(tmp_path)
    proc = run_tool(
        '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={_free_port()}', 'tools/train.py', TINY,
        '--launcher', 'pytorch', '--work-dir', work, '--cfg-options',
        _data(tiny_cifar10), 'train_dataloader.batch_size=4',
        timeout=600)
    log = proc.stdout + proc.stderr
    assert 'Memory bank 0 identical on 2 ranks after epoch 1' in log
    assert 'Memory bank 0 identical on 2 ranks after epoch 2' in log
    state = _load(osp.join(work, 'epoch_2.pth'))['state_dict']
    sizes = torch.bincount(state['head.memory_bank.group_ids'])
    assert int((sizes > 1).sum()) > 0


def _sha(path):
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


def test_nan_loss_stops_with_iteration_and_keeps_last_checkpoint(
        tiny_cifar10, tmp_path):
    work = str(tmp_path)
    run_tool('tools/train.py', TINY, '--work-dir', work, '--cfg-options',
             _data(tiny_cifar10), 'train_cfg.max_epochs=1')
    good = osp.join(work, 'epoch_1.pth')
    digest = _sha(good)
    # a zero temperature turns the logits into inf - inf = NaN at once
    proc = run_tool('tools/train.py', TINY, '--work-dir', work, '--resume',
                    '--cfg-options', _data(tiny_cifar10),
                    'model.head.temperature=1e-45', check=False)
    assert proc.returncode != 0
    assert re.search(r'The loss became (nan|inf) at iteration 3 \(epoch 2\)',
                     proc.stderr), proc.stderr[-2000:]
    assert _sha(good) == digest
    assert not osp.exists(osp.join(work, 'epoch_2.pth'))
    assert _load(good)['meta']['epoch'] == 1


@pytest.mark.parametrize('override, message', [
    ('model.head.memory_bank.num_samples=20',
     'memory bank has 20 rows but the training set has 16'),
    ('train_dataloader.dataset.pipeline.1.algorithm_keys=[]',
     'does not pack sample_idx'),
    ('train_dataloader.dataset.pipeline.0.num_views=1',
     'consistency loss compares views'),
    ('custom_hooks.2.start_epoch=5', 'start_epoch \\(5\\) is after the last'),
])
def test_bad_setup_fails_before_training(tiny_cifar10, tmp_path, override,
                                         message):
    proc = run_tool('tools/train.py', TINY, '--work-dir', str(tmp_path),
                    '--cfg-options', _data(tiny_cifar10), override,
                    check=False)
    assert proc.returncode != 0
    assert re.search(message, proc.stderr), proc.stderr[-2000:]
    assert 'Epoch(train)' not in proc.stdout + proc.stderr
