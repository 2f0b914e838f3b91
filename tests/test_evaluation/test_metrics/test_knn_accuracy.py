"""KNNAccuracy and KNNValLoop: kNN accuracy in training logs and scalars."""
import glob
import json
import os.path as osp

import pytest
import torch
from mmengine.structures import InstanceData, LabelData

import mmbank  # noqa: F401
from mmbank.evaluation.functional import knn_accuracy
from mmbank.evaluation.metrics import KNNAccuracy
from mmselfsup.registry import LOOPS, METRICS
from mmselfsup.structures import SelfSupDataSample

from conftest import run_tool  # noqa: I100  (tests/conftest.py)

HERE = osp.dirname(osp.abspath(__file__))
MEMBANK_TINY = osp.join(HERE, 'configs', 'membank_knn_tiny.py')
NPID_TINY = osp.join(HERE, 'configs', 'npid_knn_tiny.py')

torch.set_num_threads(1)  # 2 cores, shared


def synthetic(num, dim=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(num) % 3
    centres = torch.eye(3, dim) * 3
    return centres[labels] + torch.randn(num, dim, generator=g), labels


def test_registered():
    assert METRICS.get('KNNAccuracy') is KNNAccuracy
    assert LOOPS.get('KNNValLoop').__name__ == 'KNNValLoop'


def test_metric_matches_the_functional_knn():
    train, train_labels = synthetic(30)
    test, test_labels = synthetic(12, seed=1)
    metric = KNNAccuracy(ks=(1, 10), temperature=0.1, topk=(1, 2))
    metric.set_memory(dict(backbone=train, neck=None, labels=train_labels))
    metric.process(None, [
        dict(
            feats=dict(backbone=test[i], neck=None),
            gt_label=int(test_labels[i])) for i in range(6)
    ])
    # data samples as a model's predict would give them
    samples = []
    for i in range(6, 12):
        sample = SelfSupDataSample()
        sample.feats = InstanceData(backbone=test[i:i + 1])
        sample.gt_label = LabelData(value=test_labels[i:i + 1])
        samples.append(sample.to_dict())
    metric.process(None, samples)
    metrics = metric.evaluate(12)
    expected = knn_accuracy(
        train,
        train_labels,
        test,
        test_labels,
        ks=(1, 10),
        temperature=0.1,
        topk=(1, 2))
    assert metrics == {
        f'knn/backbone_top{t}_k{k}': expected[k][t]
        for k in (1, 10)
        for t in (1, 2)
    }


def test_metric_errors_are_clear():
    metric = KNNAccuracy()
    metric.process(None,
                   [dict(feats=dict(backbone=torch.ones(4)), gt_label=0)])
    with pytest.raises(RuntimeError, match='KNNValLoop'):
        metric.evaluate(1)
    metric = KNNAccuracy(feature_types=['neck'])
    metric.set_memory(
        dict(
            backbone=torch.ones(2, 4), neck=None, labels=torch.tensor([0, 1])))
    metric.process(None,
                   [dict(feats=dict(backbone=torch.ones(4)), gt_label=0)])
    with pytest.raises(KeyError, match="no \\['neck'\\] features"):
        metric.evaluate(1)
    with pytest.raises(KeyError, match='gt_label'):
        KNNAccuracy().process(None, [dict(feats=dict(backbone=torch.ones(4)))])
    with pytest.raises(KeyError, match='no labels'):
        KNNAccuracy().set_memory(dict(backbone=torch.ones(2, 4), labels=None))


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
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    from mmbank.evaluation import build_feature_model, extract_features
    from mmbank.evaluation.checkpoint import load_feature_checkpoint
    init_default_scope('mmselfsup')
    model = build_feature_model(Config.fromfile(config).model)
    load_feature_checkpoint(model, checkpoint)
    feats = {}
    for split, test_mode in (('train', False), ('test', True)):
        loader = Runner.build_dataloader(
            dict(
                batch_size=16,
                sampler=dict(type='DefaultSampler', shuffle=False),
                collate_fn=dict(type='default_collate'),
                dataset=dict(
                    type='OfflineCIFAR10',
                    data_prefix=root,
                    test_mode=test_mode,
                    pipeline=[
                        dict(
                            type='PackSelfSupInputs',
                            algorithm_keys=['gt_label'])
                    ])))
        feats[split] = extract_features(model, loader, progress=False)
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
