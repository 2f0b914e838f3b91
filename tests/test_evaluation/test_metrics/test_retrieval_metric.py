"""RetrievalMetric: collects model features and labels, scores them."""
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData, LabelData

from mmselfsup.registry import METRICS
from mmselfsup.structures import SelfSupDataSample
from mmbank.evaluation.functional import nmi, recall_at_k

FEATS = torch.tensor([[1., 0.], [.8, .6], [.6, .8], [0., 1.]])
LABELS = [0, 1, 0, 1]


def samples(with_label=True):
    out = []
    for feat, label in zip(FEATS, LABELS):
        s = SelfSupDataSample()
        # predict() gives (1, C) rows; the neck here is the flipped feature
        s.feats = InstanceData(backbone=feat[None], neck=feat.flip(0)[None])
        if with_label:
            s.gt_label = LabelData(value=torch.tensor([label]))
        out.append(s)
    return out


def test_metric_through_an_evaluator():
    evaluator = Evaluator(
        METRICS.build(dict(type='RetrievalMetric', ks=[1, 2, 3])))
    batch = samples()
    evaluator.process(batch[:3])  # as the test loop does, batch by batch
    evaluator.process(batch[3:])
    metrics = evaluator.evaluate(4)
    want = recall_at_k(FEATS, torch.tensor(LABELS), [1, 2, 3])
    want_neck = recall_at_k(FEATS.flip(1), torch.tensor(LABELS), [1, 2, 3])
    for k in (1, 2, 3):
        assert metrics[f'retrieval/backbone/recall@{k}'] == \
            pytest.approx(100 * want[k])
        assert metrics[f'retrieval/neck/recall@{k}'] == \
            pytest.approx(100 * want_neck[k])
    assert metrics['retrieval/backbone/nmi'] == pytest.approx(
        100 * nmi(FEATS, torch.tensor(LABELS)))
    # hand values: 0, 50, 100 (see test_functional/test_retrieval.py)
    assert [metrics[f'retrieval/backbone/recall@{k}']
            for k in (1, 2, 3)] == [0, 50, 100]


def test_metric_options():
    metric = METRICS.build(
        dict(
            type='RetrievalMetric',
            ks=[1],
            feat_keys=['neck'],
            with_nmi=False,
            prefix='unseen'))
    metric.process({}, [s.to_dict() for s in samples()])  # dict samples
    assert set(metric.evaluate(4)) == {'unseen/neck/recall@1'}


def test_metric_refuses_samples_without_labels_or_features():
    metric = METRICS.build(dict(type='RetrievalMetric'))
    with pytest.raises(KeyError, match='gt_label'):
        metric.process({}, samples(with_label=False))
    metric = METRICS.build(dict(type='RetrievalMetric', feat_keys=['x']))
    with pytest.raises(KeyError, match="'x'"):
        metric.process({}, samples())
    with pytest.raises(ValueError, match='ks'):
        METRICS.build(dict(type='RetrievalMetric', ks=[0]))


@pytest.mark.parametrize('exact', [False, True])
def test_search_precision_option(monkeypatch, exact):
    from mmbank.evaluation.metrics import retrieval_metric as module
    seen = []
    real = module.retrieval_scores
    monkeypatch.setattr(
        module, 'retrieval_scores',
        lambda *args, **kwargs: seen.append(kwargs['exact']) or real(
            *args, **kwargs))
    metric = METRICS.build(
        dict(type='RetrievalMetric', ks=[1, 2], with_nmi=False, exact=exact))
    metric.process(None, samples())
    out = metric.compute_metrics(metric.results)
    assert seen == [exact, exact]  # backbone and neck
    assert out['backbone/recall@2'] == 100. * recall_at_k(
        FEATS, torch.tensor(LABELS), [2], exact=True)[2]
    assert METRICS.build(dict(type='RetrievalMetric')).exact is False
