"""Feature extraction for the frozen-feature benchmarks (kNN, retrieval,
linear evaluation) and the kNN monitor.

Two features per image:

- ``backbone``: the last backbone output, globally average-pooled (the
  feature mmselfsup's benchmarks use), ``(C,)``;
- ``neck``: the model's embedding, ``neck(backbone(x))[0]`` L2-normalised
  (the 128-d feature NPID and Ye et al. evaluate), ``(d,)``; only when the
  model has a neck.

Any module with a ``backbone``, an optional ``neck`` and a
``data_preprocessor`` works: an mmselfsup algorithm (NPID, MultiViewNPID,
MoCo ...), a model wrapper around one, or :class:`FeatureModel`. Only the
first view of a batch is used; extraction needs a pipeline without random
augmentation.
"""
from typing import Dict, List, Optional

import torch
import torch.nn as nn
from mmengine.dist import (all_gather_object, collect_results, get_world_size,
                           is_main_process)
from mmengine.utils import ProgressBar
from torch import Tensor

from mmselfsup.utils import get_model
from ..models.utils.embedding import backbone_and_embedding
from .feature_model import FeatureModel, build_feature_model  # noqa: F401

FEATURE_TYPES = ('backbone', 'neck')


#: The model inside a DDP-style wrapper, or the model itself (mmselfsup's
#: helper: the one unwrapping used across mmbank).
unwrap_model = get_model


def has_neck(model: nn.Module) -> bool:
    """Whether ``model`` (unwrapped) has a neck to give an embedding."""
    return getattr(unwrap_model(model), 'neck', None) is not None


def _sample_field(data_samples: Optional[list], name: str) -> Optional[Tensor]:
    """``(B,)`` long tensor of ``sample.<name>.value`` or None if absent."""
    if not data_samples:
        return None
    values = []
    for sample in data_samples:
        field = getattr(sample, name, None)
        if field is None or 'value' not in field:
            return None
        values.append(torch.as_tensor(field.value).reshape(-1)[:1])
    return torch.cat(values).long().cpu()


@torch.no_grad()
def forward_features(model: nn.Module,
                     data_batch: dict,
                     with_neck: Optional[bool] = None) -> Dict[str, Tensor]:
    """Features of one batch from a dataloader.

    Args:
        model (nn.Module): Model with ``backbone``, ``data_preprocessor`` and
            optionally ``neck`` (model wrappers are unwrapped).
        data_batch (dict): A collated batch (``inputs``, ``data_samples``).
        with_neck (bool, optional): Compute the neck embedding; None: when
            the model has a neck. Defaults to None.

    Returns:
        dict: ``backbone`` ``(B, C)``, ``neck`` ``(B, d)`` or None,
        ``labels`` ``(B,)`` (``gt_label`` of the data samples) or None,
        ``indices`` ``(B,)`` (``sample_idx``) or None; all on the CPU.
    """
    model = unwrap_model(model)
    if with_neck is None:
        with_neck = has_neck(model)
    elif with_neck and not has_neck(model):
        raise ValueError('with_neck=True but the model has no neck.')
    data = model.data_preprocessor(data_batch, False)
    if isinstance(data, dict):
        inputs, data_samples = data['inputs'], data.get('data_samples')
    else:
        inputs, data_samples = data
    images = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
    pooled, embedding = backbone_and_embedding(
        model.backbone, model.neck if with_neck else None, images)
    feats = dict(
        backbone=pooled.float().cpu(),
        neck=embedding.float().cpu() if with_neck else None,
        labels=_sample_field(data_samples, 'gt_label'),
        indices=_sample_field(data_samples, 'sample_idx'))
    return feats


def _sampler_indices(dataloader) -> Tensor:
    """Dataset indices in the order a deterministic sampler yields them."""
    sampler = getattr(dataloader, 'sampler', None)
    if sampler is None or getattr(sampler, 'shuffle', False) or \
            type(sampler).__name__ == 'RandomSampler':
        raise ValueError(
            'Cannot tell which dataset sample each feature belongs to: the '
            "batches carry no sample_idx and the sampler shuffles. Pack it "
            "with dict(type='PackSelfSupInputs', algorithm_keys=["
            "'sample_idx', 'gt_label']) or use "
            "sampler=dict(type='DefaultSampler', shuffle=False).")
    return torch.as_tensor(list(iter(sampler)), dtype=torch.long)


def _dataset_labels(dataset) -> Optional[Tensor]:
    get = getattr(dataset, 'get_gt_labels', None)
    if get is None:
        return None
    return torch.as_tensor(get(), dtype=torch.long)


def _concat(parts: List[Optional[Tensor]]) -> Optional[Tensor]:
    if not parts or any(p is None for p in parts):
        return None
    return torch.cat(parts)


def order_by_index(feats: Dict[str, Optional[Tensor]],
                   indices: Tensor) -> Dict[str, Optional[Tensor]]:
    """Sort rows by dataset index and drop repeated indices (the padding
    of distributed samplers).

    Args:
        feats (dict): Tensors with ``N`` rows (or None).
        indices (Tensor): ``(N,)`` dataset index of each row.

    Returns:
        dict: The same keys with ``M <= N`` rows in increasing index order,
        plus ``indices`` ``(M,)``.
    """
    order = torch.argsort(indices, stable=True)
    sorted_idx = indices[order]
    keep = torch.ones_like(sorted_idx, dtype=torch.bool)
    keep[1:] = sorted_idx[1:] != sorted_idx[:-1]
    order = order[keep]
    out = {k: (v[order] if v is not None else None) for k, v in feats.items()}
    out['indices'] = indices[order]
    return out


@torch.no_grad()
def extract_features(
        model: nn.Module,
        dataloader,
        with_neck: Optional[bool] = None,
        progress: bool = True,
        all_ranks: bool = False) -> Optional[Dict[str, Optional[Tensor]]]:
    """Features of every sample of a dataloader, in dataset order.

    The model is put in eval mode (and back to its previous mode after).
    In a distributed run every rank extracts the samples its sampler gives
    it and the parts are gathered and ordered by dataset index (from the
    batches' ``sample_idx`` if packed, else from a non-shuffling sampler's
    order); repeated samples (padding) are dropped.

    Args:
        model (nn.Module): Model with ``backbone``, ``data_preprocessor``
            and optionally ``neck``; model wrappers are unwrapped.
        dataloader (DataLoader): Batches of an augmentation-free pipeline
            ending with ``PackSelfSupInputs`` (pack ``gt_label`` for labels
            and ``sample_idx`` for ordering).
        with_neck (bool, optional): Compute the neck embedding; None: when
            the model has a neck. Defaults to None.
        progress (bool): Show a progress bar on rank 0. Defaults to True.
        all_ranks (bool): Return the gathered features on every rank (each
            rank then holds all of them); if False only rank 0 gets them and
            other ranks get None. Defaults to False.

    Returns:
        dict | None: ``backbone`` ``Tensor[N, C]``, ``neck``
        ``Tensor[N, d]`` (L2-normalised) or None, ``labels`` ``Tensor[N]``
        (from ``gt_label``, else the dataset's ``get_gt_labels()``) or None,
        ``indices`` ``Tensor[N]`` (dataset indices); CPU float32 / int64.
        None on ranks other than 0 unless ``all_ranks``.

    Raises:
        ValueError: If the dataloader yields no sample.
    """
    dataset = getattr(dataloader, 'dataset', None)
    if dataset is not None and len(dataset) == 0:
        raise ValueError('The dataloader\'s dataset is empty: the split is '
                         'empty (check its indices / data path).')
    inner = unwrap_model(model)
    if with_neck is None:
        with_neck = has_neck(inner)
    was_training = inner.training
    inner.eval()
    parts: Dict[str, list] = dict(backbone=[], neck=[], labels=[], indices=[])
    bar = ProgressBar(len(dataloader)) \
        if progress and is_main_process() else None
    try:
        for data_batch in dataloader:
            out = forward_features(inner, data_batch, with_neck)
            for key in parts:
                parts[key].append(out[key])
            if bar is not None:
                bar.update()
    finally:
        inner.train(was_training)
    if bar is not None:
        bar.file.write('\n')
        bar.file.flush()

    local = {k: _concat(v) for k, v in parts.items()}
    if local['indices'] is None:
        idx = _sampler_indices(dataloader)
        num = 0 if local['backbone'] is None else local['backbone'].shape[0]
        local['indices'] = idx[:num]
    if get_world_size() > 1:
        if all_ranks:
            gathered = all_gather_object(local)
        else:
            gathered = collect_results([local], get_world_size(), 'cpu')
        if gathered is None:
            return None
        gathered = [g for g in gathered if g['backbone'] is not None]
        local = {
            k: _concat([g[k] for g in gathered]) if gathered else None
            for k in ('backbone', 'neck', 'labels', 'indices')
        }
    if local['backbone'] is None:
        raise ValueError(
            'The dataloader yielded no sample: the split is empty '
            f'(dataset of length {len(dataloader.dataset)}).')
    indices = local.pop('indices')
    result = order_by_index(local, indices)
    if result['labels'] is None:
        labels = _dataset_labels(dataloader.dataset)
        if labels is not None:
            result['labels'] = labels[result['indices']]
    if not with_neck:
        result['neck'] = None
    return result
