"""KNNAccuracy: the kNN monitor's metric against the functional kNN (the
loop that feeds it: tests/test_engine/test_runner/test_knn_val_loop.py)."""
import pytest
import torch
from mmengine.structures import InstanceData, LabelData

import mmbank  # noqa: F401
from mmbank.evaluation.functional import knn_accuracy
from mmbank.evaluation.metrics import KNNAccuracy
from mmselfsup.registry import LOOPS, METRICS
from mmselfsup.structures import SelfSupDataSample

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


@pytest.mark.parametrize('exact', [False, True])
def test_search_precision_option_reaches_the_search(monkeypatch, exact):
    from mmbank.evaluation.metrics import knn_accuracy as module
    seen = []
    monkeypatch.setattr(
        module, 'knn_accuracy',
        lambda *args, **kwargs: seen.append(kwargs['exact']) or knn_accuracy(
            *args, **kwargs))
    train, train_labels = synthetic(30)
    test, test_labels = synthetic(12, seed=1)
    metric = METRICS.build(dict(type='KNNAccuracy', ks=[5], exact=exact))
    metric.set_memory(dict(backbone=train, labels=train_labels))
    results = [
        dict(feats=dict(backbone=f), label=int(y))
        for f, y in zip(test, test_labels)
    ]
    out = metric.compute_metrics(results)
    assert seen == [exact]
    assert out['backbone_top1_k5'] == knn_accuracy(
        train, train_labels, test, test_labels, ks=[5], temperature=0.1,
        exact=True)[5][1]  # synthetic clusters: both searches agree
    assert KNNAccuracy().exact is False
