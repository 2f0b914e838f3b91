"""tools/train.py end to end: mmselfsup's NPID and the mmbank method."""
import hashlib
import os
import os.path as osp
import re
import shutil

import pytest
import torch

from conftest import TEST_CONFIGS, run_tool
from conftest import assert_same_run as _assert_same_run
from conftest import free_port as _free_port
from conftest import load_checkpoint_file as _load

TINY = osp.join(TEST_CONFIGS, 'membank_tiny_deterministic.py')
NPID = osp.join(TEST_CONFIGS, 'npid_tiny.py')
INTERRUPTED = osp.join(TEST_CONFIGS, 'membank_tiny_interrupted.py')
AUGMENTED = osp.join(TEST_CONFIGS, 'membank_tiny_augmented.py')
NPID_COSINE = osp.join(TEST_CONFIGS, 'npid_tiny_cosine.py')



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



def _resume_from_epoch_1(straight, work, tiny_cifar10, *options):
    """Resume in a new work dir from the uninterrupted run's epoch 1
    checkpoint (what a run stopped after epoch 1 leaves)."""
    os.makedirs(work)
    shutil.copy(osp.join(straight, 'epoch_1.pth'), work)
    return run_tool('tools/train.py', AUGMENTED, '--work-dir', work,
                    '--resume', osp.join(work, 'epoch_1.pth'),
                    '--cfg-options', _data(tiny_cifar10), *options)


def test_resume_with_random_augmentation_ends_like_uninterrupted_run(
        tiny_cifar10, tmp_path):
    """Random crop, grayscale, colour jitter and flip, no workers."""
    straight, split = str(tmp_path / 'straight'), str(tmp_path / 'split')
    run_tool('tools/train.py', AUGMENTED, '--work-dir', straight,
             '--cfg-options', _data(tiny_cifar10))
    proc = _resume_from_epoch_1(straight, split, tiny_cifar10)
    assert 'Random generator states of the end of epoch 1 restored' in \
        proc.stdout + proc.stderr
    state = _assert_same_run(osp.join(straight, 'epoch_2.pth'),
                             osp.join(split, 'epoch_2.pth'))
    sizes = torch.bincount(state['head.memory_bank.group_ids'])
    assert int((sizes > 1).sum()) > 0, 'merging formed no group'


def test_resume_with_workers_ends_like_uninterrupted_run(
        tiny_cifar10, tmp_path):
    """Two workers, restarted every epoch or persistent: the four runs
    (uninterrupted or resumed after epoch 1) end bit for bit alike."""
    ends = []
    for persistent in (False, True):
        options = ('train_dataloader.num_workers=2',
                   f'train_dataloader.persistent_workers={persistent}')
        straight = str(tmp_path / f'straight_{persistent}')
        split = str(tmp_path / f'split_{persistent}')
        run_tool('tools/train.py', AUGMENTED, '--work-dir', straight,
                 '--cfg-options', _data(tiny_cifar10), *options)
        _resume_from_epoch_1(straight, split, tiny_cifar10, *options)
        ends += [osp.join(straight, 'epoch_2.pth'),
                 osp.join(split, 'epoch_2.pth')]
    for other in ends[1:]:
        _assert_same_run(ends[0], other)


def _lrs(log):
    return {
        int(epoch): float(lr)
        for epoch, lr in re.findall(r'Epoch\(train\) \[(\d+)\]\[\d+/\d+\]'
                                    r'\s+lr: ([0-9.e+-]+)', log)
    }


def test_resume_with_a_longer_schedule_applies_it(tiny_cifar10, tmp_path):
    first, longer, same = (str(tmp_path / d) for d in ('1', 'long', 'same'))
    run_tool('tools/train.py', NPID_COSINE, '--work-dir', first,
             '--cfg-options', _data(tiny_cifar10))
    shutil.copytree(first, longer)
    shutil.copytree(first, same)
    # a cosine over 3 epochs instead of 1: lr 0.03 x (1 + cos(pi e / 3)) / 2
    proc = run_tool('tools/train.py', NPID_COSINE, '--work-dir', longer,
                    '--resume', '--cfg-options', _data(tiny_cifar10),
                    'train_cfg.max_epochs=3', 'param_scheduler.0.T_max=3',
                    'param_scheduler.0.end=3')
    log = proc.stdout + proc.stderr
    assert 'Resuming with a param_scheduler different from the ' \
        "checkpoint's (param_scheduler.0 (CosineAnnealingLR) T_max: 1 -> 3;" \
        in log, log[-3000:]
    lrs = _lrs(log)
    assert set(lrs) == {2, 3}
    assert lrs[2] == pytest.approx(0.0225, rel=1e-4)
    assert lrs[3] == pytest.approx(0.0075, rel=1e-4)
    # only max_epochs grows: the schedule (over at epoch 1) stays, loudly
    proc = run_tool('tools/train.py', NPID_COSINE, '--work-dir', same,
                    '--resume', '--cfg-options', _data(tiny_cifar10),
                    'train_cfg.max_epochs=2')
    log = proc.stdout + proc.stderr
    assert 'train_cfg.max_epochs grew from 1 to 2 but the param_scheduler ' \
        'ends at epoch 1' in log, log[-3000:]


def test_copied_work_dir_resumes_from_its_own_checkpoint(tiny_cifar10,
                                                        tmp_path):
    original, copy = str(tmp_path / 'original'), str(tmp_path / 'copy')
    run_tool('tools/train.py', NPID, '--work-dir', original,
             '--cfg-options', _data(tiny_cifar10))
    with open(osp.join(original, 'last_checkpoint')) as f:
        assert f.read().strip() == osp.join(original, 'epoch_1.pth')
    shutil.copytree(original, copy)
    shutil.rmtree(original)
    proc = run_tool('tools/train.py', NPID, '--work-dir', copy, '--resume',
                    '--cfg-options', _data(tiny_cifar10),
                    'train_cfg.max_epochs=2')
    log = proc.stdout + proc.stderr
    assert f'Resuming from {osp.join(copy, "epoch_1.pth")}' in log
    assert 'resumed epoch: 1, iter: 2' in log
    assert _load(osp.join(copy, 'epoch_2.pth'))['meta']['epoch'] == 2
    assert not osp.exists(original)


def test_resume_in_an_empty_work_dir_says_it_starts_from_scratch(
        tiny_cifar10, tmp_path):
    proc = run_tool('tools/train.py', NPID, '--work-dir', str(tmp_path),
                    '--resume', '--cfg-options', _data(tiny_cifar10))
    log = proc.stdout + proc.stderr
    assert f'No checkpoint found in {tmp_path} (it has no last_checkpoint ' \
        'file): training starts from scratch.' in log
    assert 'resumed' not in log.lower()
    assert _load(osp.join(tmp_path, 'epoch_1.pth'))['meta']['epoch'] == 1


def test_resume_from_a_missing_checkpoint_is_refused(tmp_path):
    missing = str(tmp_path / 'epoch_3.pth')
    proc = run_tool('tools/train.py', NPID, '--work-dir', str(tmp_path),
                    '--resume', missing, check=False)
    assert proc.returncode != 0
    assert f'error: --resume {missing}: no such checkpoint file.' in \
        proc.stderr
    assert 'Epoch(train)' not in proc.stdout + proc.stderr


def test_amp_on_cpu_trains_under_bfloat16_autocast(tiny_cifar10, tmp_path):
    work = str(tmp_path)
    proc = run_tool('tools/train.py', TINY, '--work-dir', work, '--amp',
                    '--cfg-options', _data(tiny_cifar10),
                    'train_cfg.max_epochs=1')
    log = proc.stdout + proc.stderr
    assert "type='CPUAmpOptimWrapper'" in log
    assert "dtype='bfloat16'" in log
    assert _load(osp.join(work, 'epoch_1.pth'))['meta']['epoch'] == 1


def _with_code_in_config(path, marker):
    """Rewrite a checkpoint we made (trusted, so loaded in full) with a
    line of Python appended to the config strings it carries, as a crafted
    checkpoint would: the strings still pass weights-only loading."""
    ckpt = torch.load(path, weights_only=False)
    line = f"\n_p = __import__('os').system('touch {marker}')\n"
    ckpt['meta']['config'] = ckpt['meta']['cfg'] + line  # mmcv 1.x's key
    ckpt['meta']['cfg'] += line
    torch.save(ckpt, path)


@pytest.mark.parametrize('how', ['path', 'auto'])
def test_resume_never_executes_the_config_string_of_a_checkpoint(
        tiny_cifar10, tmp_path, how):
    """mmengine's Runner.resume ran meta['config'] through
    Config.fromstring, and ResumeScheduleHook meta['cfg']: code ran."""
    work, marker = str(tmp_path / 'work'), str(tmp_path / 'MARKER')
    run_tool('tools/train.py', NPID_COSINE, '--work-dir', work,
             '--cfg-options', _data(tiny_cifar10))
    checkpoint = osp.join(work, 'epoch_1.pth')
    _with_code_in_config(checkpoint, marker)
    resume = ['--resume', checkpoint] if how == 'path' else ['--resume']
    proc = run_tool('tools/train.py', NPID_COSINE, '--work-dir', work,
                    *resume, '--cfg-options', _data(tiny_cifar10),
                    'train_cfg.max_epochs=2')
    log = proc.stdout + proc.stderr
    assert not osp.exists(marker)
    assert 'resumed epoch: 1, iter: 2' in log
    # the saved run's length still comes through, from data
    assert 'train_cfg.max_epochs grew from 1 to 2 but the param_scheduler ' \
        'ends at epoch 1' in log, log[-3000:]


def _two_ranks(*args):
    return run_tool('-m', 'torch.distributed.run', '--nproc_per_node=2',
                    f'--master_port={_free_port()}', 'tools/train.py',
                    *args, '--launcher', 'pytorch', timeout=600)


def test_two_ranks_with_channels_last_resume_exactly(tiny_cifar10,
                                                     tmp_path):
    """Converted after DDP wrapped it, the model took a wrong first step
    after every start and resume (gradients in a permuted layout)."""
    config = osp.join(TEST_CONFIGS, 'membank_tiny_channels_last.py')
    options = ('--cfg-options', _data(tiny_cifar10),
               'train_dataloader.batch_size=4')
    straight, split = str(tmp_path / 'straight'), str(tmp_path / 'split')
    proc = _two_ranks(config, '--work-dir', straight, *options)
    assert "type='ChannelsLastDistributedDataParallel'" in \
        proc.stdout + proc.stderr
    os.makedirs(split)
    shutil.copy(osp.join(straight, 'epoch_1.pth'), split)
    _two_ranks(config, '--work-dir', split, '--resume',
               osp.join(split, 'epoch_1.pth'), *options)
    state = _assert_same_run(osp.join(straight, 'epoch_2.pth'),
                             osp.join(split, 'epoch_2.pth'))
    assert state['backbone.conv1.weight'].is_contiguous(
        memory_format=torch.channels_last)


def test_non_finite_weights_are_never_saved_nor_resumed_from(
        tiny_cifar10, tmp_path):
    """An lr of NaN with one iteration an epoch: the loss is still finite
    when checked, the weights after the step are not; epoch_1.pth held 62
    NaN tensors and --resume restarted from it."""
    work = str(tmp_path / 'nan')
    proc = run_tool('tools/train.py', TINY, '--work-dir', work,
                    '--cfg-options', _data(tiny_cifar10),
                    'train_dataloader.batch_size=16',
                    'optim_wrapper.optimizer.lr=nan', check=False)
    assert proc.returncode != 0
    assert re.search(r'NonFiniteCheckpointError: Not saving the checkpoint '
                     r'of epoch 1, iteration 1: \d+ tensors hold NaN or inf',
                     proc.stderr), proc.stderr[-2000:]
    assert not [n for n in os.listdir(work) if n.endswith('.pth')]
    # a checkpoint made non-finite elsewhere is not resumed from
    good = str(tmp_path / 'good')
    run_tool('tools/train.py', TINY, '--work-dir', good, '--cfg-options',
             _data(tiny_cifar10), 'train_cfg.max_epochs=1')
    path = osp.join(good, 'epoch_1.pth')
    ckpt = torch.load(path, weights_only=False)
    ckpt['state_dict']['head.memory_bank.feats'][3, 0] = float('inf')
    torch.save(ckpt, path)
    proc = run_tool('tools/train.py', TINY, '--work-dir', good, '--resume',
                    '--cfg-options', _data(tiny_cifar10), check=False)
    assert proc.returncode != 0
    assert 'Refusing to start from a checkpoint in which 1 tensors hold ' \
        'NaN or inf values (e.g. head.memory_bank.feats)' in proc.stderr
    assert 'Epoch(train)' not in proc.stdout + proc.stderr


def test_a_training_set_smaller_than_one_batch_is_refused(tiny_cifar10,
                                                          tmp_path):
    proc = run_tool('tools/train.py', NPID, '--work-dir', str(tmp_path),
                    '--cfg-options', _data(tiny_cifar10),
                    'train_dataloader.batch_size=32', check=False)
    assert proc.returncode != 0
    assert 'The training data loader gives no batch: 16 samples, batch ' \
        'size 32, drop_last=True' in proc.stderr, proc.stderr[-2000:]
    assert not [n for n in os.listdir(tmp_path) if n.endswith('.pth')]


def test_near_duplicates_switch_adds_copies_with_bank_rows(tiny_cifar10,
                                                           tmp_path):
    work = str(tmp_path)
    run_tool('tools/train.py', TINY, '--work-dir', work, '--cfg-options',
             _data(tiny_cifar10), 'train_cfg.max_epochs=1',
             'near_duplicates.fraction=0.25', 'near_duplicates.seed=1')
    state = _load(osp.join(work, 'epoch_1.pth'))['state_dict']
    assert state['head.memory_bank.feats'].shape == (16 + 4, 128)


def test_npid_trains_on_near_duplicates_with_its_bank_sized(tiny_cifar10,
                                                            tmp_path):
    """mmselfsup's NPID on the benchmark (.dev_scripts/near_duplicates.py):
    its fixed-length bank set to originals + copies."""
    work = str(tmp_path)
    run_tool('tools/train.py', NPID, '--work-dir', work, '--cfg-options',
             _data(tiny_cifar10), 'train_cfg.max_epochs=1',
             'near_duplicates.fraction=0.25', 'model.memory_bank.length=20')
    state = _load(osp.join(work, 'epoch_1.pth'))['state_dict']
    assert state['memory_bank.feature_bank'].shape == (20, 16)


def test_merging_on_near_duplicates_logs_precision_and_recall(tiny_cifar10,
                                                              tmp_path):
    """The figures go through mmengine's MessageHub: they ride in the
    checkpoint's message hub, one value per merge (per epoch for the
    copies' similarity)."""
    work = str(tmp_path)
    proc = run_tool('tools/train.py', TINY, '--work-dir', work,
                    '--cfg-options', _data(tiny_cifar10),
                    'near_duplicates.fraction=0.25')
    assert 'Merged pairs that are true copies: ' in proc.stdout + proc.stderr
    ckpt = _load(osp.join(work, 'epoch_2.pth'))
    scalars = ckpt['message_hub']['log_scalars']
    assert list(scalars['train/merge_epoch'].data[0]) == [1, 2]
    for name in ('merge_copy_precision', 'merge_copy_recall',
                 'copy_pair_similarity', 'merge_same_class',
                 'merge_same_class_chance', 'merged_ratio'):
        values, counts = scalars[f'train/{name}'].data
        assert len(values) == 2, name  # after epochs 1 and 2
        assert all(0 <= v <= 1 or name == 'copy_pair_similarity'
                   for v in values), (name, values)
    # the last merge's figures, recomputed from the saved groups
    from mmbank.models.utils import copy_pair_recovery
    state = ckpt['state_dict']
    from mmengine.registry import init_default_scope
    from mmselfsup.registry import DATASETS
    init_default_scope('mmselfsup')
    data = DATASETS.build(dict(
        type='NearDuplicates', fraction=0.25,
        dataset=dict(type='OfflineCIFAR10', data_prefix=tiny_cifar10,
                     test_mode=False, download=False, pipeline=[])))
    pairs = torch.as_tensor(data.pairs)
    precision, recall = copy_pair_recovery(state['head.memory_bank.group_ids'],
                                           pairs)
    values, _ = scalars['train/merge_copy_recall'].data
    assert values[-1] == pytest.approx(recall)
    values, _ = scalars['train/merge_copy_precision'].data
    assert values[-1] == pytest.approx(precision)
