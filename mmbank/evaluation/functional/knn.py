"""Weighted k-nearest-neighbour classification (Wu et al., CVPR 2018).

For every test feature take the ``k`` most cosine-similar train features
(:func:`knn_neighbors`, whose module states how they are found: in bounded
memory, in float32 by default, with ``exact=True`` exactly and ties by
train index), weight each neighbour by
``exp(sim / T)``, sum the weights per class and predict the classes by
decreasing score.

Conventions (tested in
``tests/test_evaluation/test_functional/test_knn.py``):

- Scores are ``sum_j exp((s_j - s_max) / T)``: Wu et al.'s
  ``sum_j exp(s_j / T)`` times the per-row constant ``exp(-s_max / T)``
  (``s_max`` the row's best similarity), which changes no prediction and
  cannot overflow whatever ``T``; they are summed in float64.
- Classes with equal scores rank by class index, lower first
  (:func:`topk_correct`).
- NaN or infinite features are refused (:func:`check_finite_features`).
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from .exact_similarity import (FIXED_POINT_BITS,  # noqa: F401
                               NonFiniteFeaturesError, check_finite_features,
                               exact_similarity, fixed_point_rows)
from .knn_neighbors import check_feats, knn_neighbors
from .topk import topk_accuracy, topk_correct  # noqa: F401


def _check_labels(labels: Tensor, num: int, num_classes: int,
                  name: str) -> Tensor:
    labels = torch.as_tensor(labels).long().reshape(-1)
    if labels.numel() != num:
        raise ValueError(f'{name} has {labels.numel()} labels for {num} '
                         'features.')
    if num > 0 and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f'{name} must lie in [0, {num_classes}); got labels in '
            f'[{labels.min().item()}, {labels.max().item()}].')
    return labels


def _ks(ks: Union[int, Sequence[int]]) -> Tuple[int, ...]:
    ks = (ks, ) if isinstance(ks, int) else tuple(int(k) for k in ks)
    if not ks or min(ks) < 1:
        raise ValueError(f'k must be positive integers, got {ks}.')
    return ks


def knn_vote(sims: Tensor,
             neighbor_labels: Tensor,
             num_classes: int,
             ks: Union[int, Sequence[int]],
             temperature: float = 0.07) -> Dict[int, Tensor]:
    """Class scores from sorted neighbours, for several ``k`` at once.

    Args:
        sims (Tensor): ``(M, K)`` neighbour similarities, decreasing.
        neighbor_labels (Tensor): ``(M, K)`` long class of each neighbour.
        num_classes (int): Number of classes ``C``.
        ks (int | Sequence[int]): Numbers of neighbours to vote; a ``k``
            above ``K`` uses the ``K`` given.
        temperature (float): ``T`` of the weights ``exp(sim / T)``.
            Defaults to 0.07.

    Returns:
        dict[int, Tensor]: For each ``k``, ``(M, C)`` scores
        ``sum_{j <= k, y_j = c} exp((s_j - s_1) / T)``.
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be positive, got {temperature}.')
    if sims.shape != neighbor_labels.shape:
        raise ValueError(f'sims {tuple(sims.shape)} and neighbor_labels '
                         f'{tuple(neighbor_labels.shape)} differ in shape.')
    weights = ((sims - sims[:, :1]) / temperature).exp().to(torch.float64)
    scores = {}
    for k in _ks(ks):
        # summed in float64 (then rounded): the order of the additions
        # (atomic on GPUs) cannot change the float32 result in practice
        scores[k] = weights.new_zeros(
            (sims.shape[0], num_classes)).scatter_add_(
                1, neighbor_labels[:, :k], weights[:, :k]).to(sims.dtype)
    return scores


def knn_predict(
        train_feats: Tensor,
        train_labels: Tensor,
        test_feats: Tensor,
        num_classes: int,
        ks: Union[int, Sequence[int]] = (10, 20, 100, 200),
        temperature: float = 0.07,
        chunk_size: int = 1024,
        train_chunk_size: int = 16384,
        device: Optional[Union[str, torch.device]] = None,
        exact: bool = False) -> Dict[int, Tensor]:
    """Weighted kNN class scores of test features.

    Args:
        train_feats (Tensor): ``(N, C)`` train features (any norm: they
            are L2-normalised).
        train_labels (Tensor): ``(N,)`` classes in ``[0, num_classes)``.
        test_feats (Tensor): ``(M, C)`` test features.
        num_classes (int): Number of classes.
        ks (int | Sequence[int]): Numbers of neighbours. Defaults to
            ``(10, 20, 100, 200)``.
        temperature (float): Defaults to 0.07 (0.1 is NPID's protocol).
        chunk_size (int): Test rows per chunk. Defaults to 1024.
        train_chunk_size (int): Train rows per chunk. Defaults to 16384.
        device (str | torch.device, optional): Where to compute. Defaults
            to the train features' device.
        exact (bool): Exact, chunking- and BLAS-independent similarities
            (fixed-point float64, ties by train index); else float32.
            Defaults to False (see :func:`knn_neighbors`).

    Returns:
        dict[int, Tensor]: For each ``k``, ``(M, num_classes)`` scores (see
        :func:`knn_vote`) on ``device``.
    """
    ks = _ks(ks)
    check_feats(train_feats, test_feats)
    train_labels = _check_labels(train_labels, train_feats.shape[0],
                                 num_classes, 'train_labels')
    sims, idx = knn_neighbors(
        train_feats,
        test_feats,
        max(ks),
        chunk_size,
        train_chunk_size,
        device=device,
        exact=exact)
    return knn_vote(sims,
                    train_labels.to(idx.device)[idx], num_classes, ks,
                    temperature)


def knn_accuracy(
    train_feats: Tensor,
    train_labels: Tensor,
    test_feats: Tensor,
    test_labels: Tensor,
    ks: Union[int, Sequence[int]] = (10, 20, 100, 200),
    temperature: float = 0.07,
    topk: Sequence[int] = (1, 5),
    num_classes: Optional[int] = None,
    chunk_size: int = 1024,
    train_chunk_size: int = 16384,
    device: Optional[Union[str, torch.device]] = None,
    exact: bool = False
) -> Dict[int, Dict[int, float]]:
    """Weighted kNN top-k accuracies for several ``k`` at once.

    Neighbours are searched once for ``max(ks)``; votes are counted test
    chunk by test chunk, so memory stays ``O(M * max(ks) + chunk_size *
    (train_chunk_size + num_classes))``.

    Args:
        train_feats (Tensor): ``(N, C)`` train features.
        train_labels (Tensor): ``(N,)`` train classes.
        test_feats (Tensor): ``(M, C)`` test features.
        test_labels (Tensor): ``(M,)`` test classes.
        ks (int | Sequence[int]): Numbers of neighbours. Defaults to
            ``(10, 20, 100, 200)``.
        temperature (float): Defaults to 0.07 (NPID: 0.1).
        topk (Sequence[int]): Which top-k accuracies. Defaults to (1, 5).
        num_classes (int, optional): Defaults to ``max label + 1`` over
            both sets.
        chunk_size (int): Test rows per chunk. Defaults to 1024.
        train_chunk_size (int): Train rows per chunk. Defaults to 16384.
        device (str | torch.device, optional): Where to compute. Defaults
            to the train features' device.
        exact (bool): Exact, chunking- and BLAS-independent similarities
            (fixed-point float64, ties by train index); else float32.
            Defaults to False (see :func:`knn_neighbors`).

    Returns:
        dict[int, dict[int, float]]: ``{k: {t: top-t accuracy in %}}``.
    """
    ks = _ks(ks)
    check_feats(train_feats, test_feats)
    train_labels = torch.as_tensor(train_labels).long().reshape(-1)
    test_labels = torch.as_tensor(test_labels).long().reshape(-1)
    if num_classes is None:
        num_classes = int(max(train_labels.max(), test_labels.max())) + 1
    train_labels = _check_labels(train_labels, train_feats.shape[0],
                                 num_classes, 'train_labels')
    test_labels = _check_labels(test_labels, test_feats.shape[0], num_classes,
                                'test_labels')
    sims, idx = knn_neighbors(
        train_feats,
        test_feats,
        max(ks),
        chunk_size,
        train_chunk_size,
        device=device,
        exact=exact)
    neighbor_labels = train_labels.to(idx.device)[idx]
    test_labels = test_labels.to(idx.device)
    hits = {k: {t: 0 for t in topk} for k in ks}
    for start in range(0, sims.shape[0], chunk_size):
        rows = slice(start, start + chunk_size)
        scores = knn_vote(sims[rows], neighbor_labels[rows], num_classes, ks,
                          temperature)
        for k, score in scores.items():
            for t, ok in topk_correct(score, test_labels[rows], topk).items():
                hits[k][t] += int(ok.sum())
    total = test_feats.shape[0]
    return {
        k: {
            t: 100.0 * n / total
            for t, n in v.items()
        }
        for k, v in hits.items()
    }
