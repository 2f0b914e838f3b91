from typing import Dict, List, Sequence, Union

import torch
from mmengine.evaluator import Evaluator
from mmengine.runner import ValLoop, autocast
from torch.utils.data import DataLoader

from mmselfsup.registry import LOOPS
from ...evaluation.feature_extraction import (extract_features,
                                              forward_features, has_neck,
                                              unwrap_model)


def feature_samples(feats: Dict[str, torch.Tensor]) -> List[dict]:
    """Split batch features into one dict per sample.

    Args:
        feats (dict): :func:`forward_features` output: ``backbone``
            ``(B, C)``, ``neck`` ``(B, d)`` or None, ``labels`` ``(B,)``.

    Returns:
        list[dict]: ``B`` dicts with ``feats`` (``{type: Tensor}``) and
        ``gt_label`` (int).
    """
    if feats['labels'] is None:
        raise KeyError(
            'The val batches carry no gt_label: pack it with '
            "dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx', "
            "'gt_label']) in the val pipeline.")
    types = [t for t in ('backbone', 'neck') if feats[t] is not None]
    return [
        dict(
            feats={t: feats[t][i]
                   for t in types},
            gt_label=int(feats['labels'][i]))
        for i in range(feats['backbone'].shape[0])
    ]


@LOOPS.register_module()
class KNNValLoop(ValLoop):
    """Validation by weighted kNN on frozen features, for any model with a
    backbone (and optionally a neck).

    Needs no ``predict`` from the model (mmselfsup's ``NPID`` has none):
    the loop extracts the features itself. Each run

    1. extracts the features of ``memory_dataloader`` (normally the train
       split with an augmentation-free pipeline) and gives them to every
       metric that has ``set_memory`` (``KNNAccuracy``);
    2. extracts the features of the val dataloader batch by batch (calling
       the ``before/after_val_iter`` hooks) into the evaluator;
    3. evaluates, and calls ``after_val_epoch`` with the metrics, so
       ``LoggerHook`` logs them and the visualiser backends record them as
       scalars (e.g. ``knn/backbone_top1_k200``).

    The search's precision is the metric's: float32 by default,
    ``val_evaluator=dict(type='KNNAccuracy', exact=True)`` for the exact,
    chunking- and BLAS-independent one (the CIFAR-10 CPU protocols' monitor,
    ``configs/_base_/knn_monitor_cifar10.py``).

    Works with ``train_cfg=dict(type='EpochBasedTrainLoop',
    val_interval=N)`` (or an iteration-based loop) and in distributed runs
    (memory features are gathered on rank 0, where metrics are computed).

    Args:
        runner (Runner): The runner.
        dataloader (DataLoader | dict): Val (query) dataloader.
        evaluator (Evaluator | dict | list): Normally
            ``dict(type='KNNAccuracy')``.
        memory_dataloader (DataLoader | dict): Memory (train) dataloader,
            without augmentation, ``sampler`` not shuffling.
        fp16 (bool): Extract under autocast. Defaults to False.
        progress (bool): Progress bar for the memory extraction. Defaults
            to False.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 memory_dataloader: Union[DataLoader, Dict],
                 fp16: bool = False,
                 progress: bool = False) -> None:
        # Like ValLoop.__init__, except that the dataloaders are built when
        # first used: a run that never validates (fewer epochs than
        # val_interval) does not load the val and memory datasets.
        self._runner = runner
        self._dataloader = dataloader
        self._memory_dataloader = memory_dataloader
        if isinstance(evaluator, (dict, list)):
            self.evaluator = runner.build_evaluator(evaluator)
        else:
            self.evaluator = evaluator
        self.fp16 = fp16
        self.progress = progress
        self.val_loss: Dict = dict()

    def _build(self, loader: Union[DataLoader, Dict]) -> DataLoader:
        if not isinstance(loader, dict):
            return loader
        return self.runner.build_dataloader(
            loader,
            seed=self.runner.seed,
            diff_rank_seed=self.runner._randomness_cfg.get(
                'diff_rank_seed', False))

    @property
    def dataloader(self) -> DataLoader:
        """The val (query) dataloader, built on first use."""
        if isinstance(self._dataloader, dict):
            self._dataloader = self._build(self._dataloader)
            meta = getattr(self._dataloader.dataset, 'metainfo', None)
            if meta is not None:
                self.evaluator.dataset_meta = meta
                self.runner.visualizer.dataset_meta = meta
        return self._dataloader

    @dataloader.setter
    def dataloader(self, loader: Union[DataLoader, Dict]) -> None:
        self._dataloader = loader

    @property
    def memory_dataloader(self) -> DataLoader:
        """The memory (train) dataloader, built on first use."""
        self._memory_dataloader = self._build(self._memory_dataloader)
        return self._memory_dataloader

    def _memory_metrics(self) -> Sequence:
        return [m for m in self.evaluator.metrics if hasattr(m, 'set_memory')]

    def run(self) -> dict:
        """Extract memory and val features and evaluate.

        Returns:
            dict: The metrics.
        """
        self.runner.call_hook('before_val')
        self.runner.call_hook('before_val_epoch')
        self.runner.model.eval()
        memory_metrics = self._memory_metrics()
        if not memory_metrics:
            raise TypeError(
                'KNNValLoop needs a metric taking memory features '
                "(set_memory), e.g. val_evaluator=dict(type='KNNAccuracy').")
        with autocast(enabled=self.fp16):
            memory = extract_features(
                self.runner.model,
                self.memory_dataloader,
                progress=self.progress)
        for metric in memory_metrics:
            metric.set_memory(memory)
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        try:
            metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        finally:
            for metric in memory_metrics:
                metric.set_memory(None)
        self.runner.call_hook('after_val_epoch', metrics=metrics)
        self.runner.call_hook('after_val')
        return metrics

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: dict) -> None:
        """Extract the features of one val batch into the evaluator."""
        self.runner.call_hook(
            'before_val_iter', batch_idx=idx, data_batch=data_batch)
        model = unwrap_model(self.runner.model)
        with autocast(enabled=self.fp16):
            feats = forward_features(model, data_batch, has_neck(model))
        if feats['labels'] is None and feats['indices'] is not None and \
                hasattr(self.dataloader.dataset, 'get_gt_labels'):
            labels = torch.as_tensor(self.dataloader.dataset.get_gt_labels())
            feats['labels'] = labels[feats['indices']].long()
        outputs = feature_samples(feats)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook(
            'after_val_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=outputs)
