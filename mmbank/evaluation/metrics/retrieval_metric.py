from typing import Any, Dict, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric

from mmselfsup.registry import METRICS
from ..functional import retrieval_scores


def _get(item: Any, key: str) -> Any:
    """``item[key]`` for dicts, ``item.key`` for data elements; None if
    absent."""
    if isinstance(item, dict):
        return item.get(key, None)
    return getattr(item, key, None)


@METRICS.register_module()
class RetrievalMetric(BaseMetric):
    """Recall@K and NMI of unseen-category retrieval (Ye et al., CVPR 2019).

    Collects the features the model attaches to each sample
    (``data_sample.feats``, e.g. ``MultiViewNPID.predict``'s ``backbone``
    pooled feature and ``neck`` embedding) and its ``gt_label``; every
    sample then queries all the others by cosine similarity (see
    :func:`mmbank.evaluation.functional.recall_at_k`), and k-means with as
    many clusters as classes gives the NMI. Scores are percentages, named
    ``{prefix}/{feat_key}/recall@K`` and ``{prefix}/{feat_key}/nmi``.

    The pipeline must pack the labels:
    ``dict(type='PackSelfSupInputs', algorithm_keys=['gt_label'])``.

    Args:
        ks (Sequence[int]): The ``K`` of Recall@K. Defaults to (1, 2, 4, 8)
            (CUB-200-2011, Cars-196; Stanford Online Products uses
            (1, 10, 100)).
        feat_keys (Sequence[str]): Which features of ``data_sample.feats``
            to score. Defaults to ('backbone', 'neck').
        with_nmi (bool): Also compute NMI. Defaults to True.
        seed (int): k-means seed. Defaults to 0.
        exact (bool): Exact, chunking- and BLAS-independent Recall@K
            neighbours (fixed-point float64); else float32. Defaults to
            False.
        collect_device (str): 'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Defaults to None ('retrieval').
    """

    default_prefix = 'retrieval'

    def __init__(self,
                 ks: Sequence[int] = (1, 2, 4, 8),
                 feat_keys: Sequence[str] = ('backbone', 'neck'),
                 with_nmi: bool = True,
                 seed: int = 0,
                 exact: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if isinstance(ks, int) or not ks or any(int(k) < 1 for k in ks):
            raise ValueError(f'ks must be a non-empty list of ints >= 1, '
                             f'got {ks!r}')
        if isinstance(feat_keys, str) or not feat_keys:
            raise ValueError(
                f'feat_keys must be a non-empty list, got {feat_keys!r}')
        self.ks = [int(k) for k in ks]
        self.feat_keys = list(feat_keys)
        self.with_nmi = with_nmi
        self.seed = seed
        self.exact = exact

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Keep each sample's label and ``(D,)`` features."""
        for sample in data_samples:
            feats, gt = _get(sample, 'feats'), _get(sample, 'gt_label')
            label = _get(gt, 'value') if gt is not None else None
            if feats is None or label is None:
                raise KeyError(
                    'RetrievalMetric needs data samples with feats (from '
                    "the model's predict) and gt_label (pack it with "
                    "dict(type='PackSelfSupInputs', "
                    "algorithm_keys=['gt_label']))")
            result = dict(label=int(torch.as_tensor(label).view(-1)[0]))
            for key in self.feat_keys:
                feat = _get(feats, key)
                if feat is None:
                    raise KeyError(f'RetrievalMetric: the samples have no '
                                   f'{key!r} feature')
                result[key] = torch.as_tensor(feat).detach().cpu().view(-1)
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Percent Recall@K (and NMI) of each feature key."""
        labels = torch.tensor([r['label'] for r in results])
        metrics = {}
        for key in self.feat_keys:
            feats = torch.stack([r[key] for r in results])
            scores = retrieval_scores(
                feats,
                labels,
                self.ks,
                with_nmi=self.with_nmi,
                seed=self.seed,
                exact=self.exact)
            metrics.update({
                f'{key}/{name}': 100. * v
                for name, v in scores.items()
            })
        return metrics
