"""KNNValLoop: the kNN monitor's accuracy in training logs and scalars."""
import glob
import json
import os.path as osp

import pytest
import torch

import mmbank  # noqa: F401
from mmbank.evaluation.functional import knn_accuracy

from conftest import (REPO, checkpoint_features,  # noqa: I100 (tests/conftest.py)
                      run_tool)

CONFIGS = osp.join(REPO, 'tests', 'test_evaluation', 'configs')
MEMBANK_TINY = osp.join(CONFIGS, 'membank_knn_tiny.py')
NPID_TINY = osp.join(CONFIGS, 'npid_knn_tiny.py')

torch.set_num_threads(1)  # 2 cores, shared


def _data_options(root):
    return [
        '--cfg-options', f'train_dataloader.dataset.data_prefix={root}',
        f'val_dataloader.dataset.data_prefix={root}',
        f'val_cfg.memory_dataloader.dataset.data_prefix={root}'
    ]


def _scalars(work):
    [path] = glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))
    with open(path) as f:
        return [json.loads(line) for line in f]


@pytest.mark.parametrize(
    'config', [MEMBANK_TINY, NPID_TINY], ids=['membank', 'mmselfsup-npid'])
def test_monitor_logs_knn_accuracy_during_training(config, tiny_cifar10,
                                                   tmp_path):
    work = str(tmp_path)
    proc = run_tool('tools/train.py', config, '--work-dir', work,
                    *_data_options(tiny_cifar10))
    log = proc.stdout + proc.stderr
    assert 'Epoch(val) [1][3/3]' in log  # 10 test images, batches of 4
    assert 'knn/backbone_top1_k200:' in log
    assert 'knn/neck_top1_k200:' in log
    val = [s for s in _scalars(work) if 'knn/backbone_top1_k200' in s]
    assert len(val) == 1 and val[0]['step'] == 1
    for key in ('knn/backbone_top1_k200', 'knn/backbone_top5_k200',
                'knn/neck_top1_k200', 'knn/neck_top5_k200'):
        assert 0.0 <= val[0][key] <= 100.0
    # the same numbers from the epoch-1 checkpoint, computed independently
    expected = _knn_of_checkpoint(config, osp.join(work, 'epoch_1.pth'),
                                  tiny_cifar10)
    for key, value in expected.items():
        assert val[0][key] == pytest.approx(value), key


def _knn_of_checkpoint(config, checkpoint, root):
    feats = checkpoint_features(config, checkpoint, root)
    out = {}
    for name in ('backbone', 'neck'):
        acc = knn_accuracy(
            feats['train'][name],
            feats['train']['labels'],
            feats['test'][name],
            feats['test']['labels'],
            ks=200,
            temperature=0.1)
        out[f'knn/{name}_top1_k200'] = acc[200][1]
        out[f'knn/{name}_top5_k200'] = acc[200][5]
    return out


def test_monitor_data_is_not_loaded_when_never_run(tiny_cifar10, tmp_path):
    # validation from epoch 2 on, 1 epoch: the val/memory data (a path
    # that does not exist) are never built (mmengine 0.10 also validates
    # after the last epoch, whatever val_interval)
    missing = str(tmp_path / 'no_such_data')
    run_tool('tools/train.py', MEMBANK_TINY, '--work-dir', str(tmp_path),
             '--cfg-options',
             f'train_dataloader.dataset.data_prefix={tiny_cifar10}',
             f'val_dataloader.dataset.data_prefix={missing}',
             f'val_cfg.memory_dataloader.dataset.data_prefix={missing}',
             'val_dataloader.dataset.download=False', 'train_cfg.val_begin=2')
    assert osp.exists(osp.join(str(tmp_path), 'epoch_1.pth'))
