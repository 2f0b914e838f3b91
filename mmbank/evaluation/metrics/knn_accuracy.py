from typing import Any, Dict, List, Optional, Sequence, Union

import torch
from mmengine.evaluator import BaseMetric
from torch import Tensor

from mmselfsup.registry import METRICS
from ..functional import knn_accuracy


def _label_of(sample: dict) -> int:
    label = sample.get('gt_label')
    if isinstance(label, dict):  # LabelData.to_dict()
        label = label.get('value')
    if label is None:
        raise KeyError(
            'KNNAccuracy got a sample without gt_label. Pack it with '
            "dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx', "
            "'gt_label']) in the val pipeline.")
    return int(torch.as_tensor(label).reshape(-1)[0])


@METRICS.register_module()
class KNNAccuracy(BaseMetric):
    """Weighted kNN top-k accuracy of val features against memory features.

    The metric of the kNN monitor (:class:`KNNValLoop`): the loop gives it
    the features of a memory set (the train split without augmentation)
    with :meth:`set_memory`, then the features of every val sample through
    ``process``; ``compute_metrics`` classifies each val sample from its
    ``k`` nearest memory samples (Wu et al.'s weighted vote, see
    :func:`mmbank.evaluation.functional.knn_accuracy`).

    Each processed sample is a dict with ``feats`` (``{feature type:
    Tensor(C,)}``) and ``gt_label``; data samples carrying
    ``feats=InstanceData(backbone=..., neck=...)`` and a ``gt_label`` work
    as well.

    Metric names are ``{prefix}/{feature}_top{t}_k{k}``, e.g.
    ``knn/backbone_top1_k200`` and ``knn/neck_top1_k200``.

    Args:
        ks (Sequence[int]): Numbers of neighbours. Defaults to ``(200, )``.
        temperature (float): Vote temperature. Defaults to 0.1 (NPID).
        topk (Sequence[int]): Top-k accuracies to report. Defaults to
            ``(1, 5)``.
        feature_types (Sequence[str], optional): Features to evaluate, from
            ``('backbone', 'neck')``; None: every one the model gives.
            Defaults to None.
        num_classes (int, optional): Defaults to the largest label + 1.
        chunk_size (int): Test rows per chunk of the search. Defaults to
            1024.
        exact (bool): Exact, chunking- and BLAS-independent neighbour
            search (fixed-point float64); else float32, TF32 on CUDA
            devices that have it. Defaults to False.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to 'cpu'.
        prefix (str): Defaults to 'knn'.
    """

    default_prefix = 'knn'

    def __init__(self,
                 ks: Union[int, Sequence[int]] = (200, ),
                 temperature: float = 0.1,
                 topk: Sequence[int] = (1, 5),
                 feature_types: Optional[Sequence[str]] = None,
                 num_classes: Optional[int] = None,
                 chunk_size: int = 1024,
                 exact: bool = False,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ks = (ks, ) if isinstance(ks, int) else tuple(ks)
        if temperature <= 0:
            raise ValueError(
                f'temperature must be positive, got {temperature}')
        self.temperature = temperature
        self.topk = tuple(topk)
        self.feature_types = None if feature_types is None \
            else tuple(feature_types)
        self.num_classes = num_classes
        self.chunk_size = chunk_size
        self.exact = exact
        self.memory: Optional[Dict[str, Optional[Tensor]]] = None

    def set_memory(self, memory: Optional[Dict[str, Any]]) -> None:
        """Set the memory (train) features, or clear them with None.

        Args:
            memory (dict, optional): ``backbone`` ``(N, C)``, ``neck``
                ``(N, d)`` or None and ``labels`` ``(N,)``, as
                :func:`mmbank.evaluation.extract_features` returns.
        """
        if memory is not None and memory.get('labels') is None:
            raise KeyError(
                'The memory features have no labels: pack gt_label in the '
                'memory pipeline or use a dataset with get_gt_labels().')
        self.memory = memory

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        """Keep the features and label of each val sample.

        Args:
            data_batch: Unused.
            data_samples (Sequence[dict]): Samples with ``feats`` and
                ``gt_label``.
        """
        for sample in data_samples:
            feats = {
                name: torch.as_tensor(value).detach().reshape(-1).cpu()
                for name, value in sample['feats'].items() if value is not None
            }
            self.results.append(dict(feats=feats, label=_label_of(sample)))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """kNN accuracies of the val samples against the memory.

        Returns:
            dict[str, float]: ``{feature}_top{t}_k{k}`` in percent.
        """
        if self.memory is None:
            raise RuntimeError(
                'KNNAccuracy has no memory (train) features. Use it with '
                "val_cfg=dict(type='KNNValLoop', memory_dataloader=...), "
                'which extracts them, or call set_memory() first.')
        if not results:
            raise ValueError('KNNAccuracy got no val sample: the val split '
                             'is empty.')
        available = [
            name for name in ('backbone', 'neck') if
            self.memory.get(name) is not None and name in results[0]['feats']
        ]
        wanted = self.feature_types or available
        missing = [name for name in wanted if name not in available]
        if missing:
            raise KeyError(f'KNNAccuracy: no {missing} features (the model '
                           f'gives {available}).')
        labels = torch.tensor([r['label'] for r in results])
        metrics = {}
        for name in wanted:
            test_feats = torch.stack([r['feats'][name] for r in results])
            acc = knn_accuracy(
                self.memory[name],
                self.memory['labels'],
                test_feats,
                labels,
                ks=self.ks,
                temperature=self.temperature,
                topk=self.topk,
                num_classes=self.num_classes,
                chunk_size=self.chunk_size,
                exact=self.exact)
            for k, per_t in acc.items():
                for t, value in per_t.items():
                    metrics[f'{name}_top{t}_k{k}'] = value
        return metrics
