"""Weighted k-nearest-neighbour classification (Wu et al., CVPR 2018).

For every test feature take the ``k`` most cosine-similar train features,
weight each neighbour by ``exp(sim / T)``, sum the weights per class and
predict the classes by decreasing score.

Conventions (tested in ``tests/test_evaluation/test_knn_functional.py``):

- Memory is bounded: test rows are processed ``chunk_size`` at a time and
  train rows ``train_chunk_size`` at a time with a running top-k, so no
  ``test x train`` similarity matrix is ever formed; at most a
  ``chunk_size x train_chunk_size`` block.
- Similarities are exact, so results do not depend on chunking nor on the
  BLAS (see :func:`fixed_point_rows` for the devices): each feature is
  L2-normalised in float64 and rounded to a multiple of ``2**-24``
  (:func:`fixed_point_rows`; the cosine moves by at most
  ``2**-24 * sqrt(C)``, about ``1.4e-6`` for 512-d features and typically
  ``1e-8``), and the similarity of two rounded features is their dot
  product computed by a float64 matrix product, in which every partial sum
  is an integer multiple of ``2**-48`` below ``2**5`` and therefore exact in
  any summation order (:func:`exact_similarity`), then rounded to float32.
  A float32 matrix product would not do: its last bits depend on the tile
  shape (a ``1 x n`` block goes to a matrix-vector kernel), so equal
  similarities could compare unequal in one chunking and not in another.
  The float64 product costs about twice the float32 one on CPUs (more on
  GPUs with slow float64).
- Neighbours with equal similarity (equal float32 values) are ordered by
  train index (lower first), also at the k-th place. Equal features, and
  images of each other under a symmetry of the query, have equal
  similarities; cosines equal only in exact arithmetic can be separated by
  the rounding of the features (by ~1e-8), deterministically.
- ``k`` larger than the train set uses every train sample.
- Scores are ``sum_j exp((s_j - s_max) / T)``: Wu et al.'s
  ``sum_j exp(s_j / T)`` times the per-row constant ``exp(-s_max / T)``
  (``s_max`` the row's best similarity), which changes no prediction and
  cannot overflow whatever ``T``; they are summed in float64.
- Classes with equal scores rank by class index (lower first): top-1 is
  the lowest-index class among the best. Top-k with fewer than k classes is
  top-``num_classes`` (always correct).
- NaN or infinite features are refused (:func:`check_finite_features`).
"""
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
from torch import Tensor

from .exact_similarity import (FIXED_POINT_BITS,  # noqa: F401
                               NonFiniteFeaturesError, check_finite_features,
                               exact_similarity, fixed_point_rows)


def _check_feats(train_feats: Tensor, test_feats: Tensor) -> None:
    if train_feats.dim() != 2 or test_feats.dim() != 2:
        raise ValueError(
            'Features must be 2-D (N, C); got train '
            f'{tuple(train_feats.shape)} and test {tuple(test_feats.shape)}.')
    if train_feats.shape[1] != test_feats.shape[1]:
        raise ValueError(
            'Train and test features have different sizes: '
            f'{train_feats.shape[1]} vs {test_feats.shape[1]} dimensions. '
            'Were they extracted by the same model and feature type?')
    if train_feats.shape[0] == 0:
        raise ValueError('The train (memory) set is empty: no neighbours.')
    if test_feats.shape[0] == 0:
        raise ValueError('The test set is empty: nothing to classify.')
    check_finite_features(train_feats, 'The train (memory) features')
    check_finite_features(test_feats, 'The test features')


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


@torch.no_grad()
def knn_neighbors(
    train_feats: Tensor,
    test_feats: Tensor,
    k: int,
    chunk_size: int = 1024,
    train_chunk_size: int = 16384,
    normalize: bool = True,
    device: Optional[Union[str,
                           torch.device]] = None) -> Tuple[Tensor, Tensor]:
    """The ``k`` most cosine-similar train features of each test feature.

    Similarities are exact (see the module's conventions), so the result is
    the same for every ``chunk_size`` and ``train_chunk_size``; ties are
    broken by the lower train index. A block of similarities is computed in
    float64 (``chunk_size x train_chunk_size`` doubles at a time).

    Args:
        train_feats (Tensor): ``(N, C)`` train (memory) features.
        test_feats (Tensor): ``(M, C)`` test (query) features.
        k (int): Number of neighbours; ``min(k, N)`` are returned.
        chunk_size (int): Test rows per chunk. Defaults to 1024.
        train_chunk_size (int): Train rows per chunk. Defaults to 16384.
        normalize (bool): L2-normalise the features first (cosine
            similarity); False: dot products of the features as they are
            (each row rounded to 24 bits after its leading power of two).
            Defaults to True.
        device (str | torch.device, optional): Where to compute; the train
            features are moved there once. Defaults to the train features'
            device.

    Returns:
        tuple[Tensor, Tensor]: ``(M, k')`` similarities, decreasing along
        each row, and ``(M, k')`` long train indices, on ``device``, with
        ``k' = min(k, N)``.
    """
    _check_feats(train_feats, test_feats)
    if k < 1 or chunk_size < 1 or train_chunk_size < 1:
        raise ValueError('k, chunk_size and train_chunk_size must be '
                         f'positive, got {k}, {chunk_size}, '
                         f'{train_chunk_size}.')
    device = torch.device(device) if device is not None \
        else train_feats.device
    train, train_exp = fixed_point_rows(train_feats.to(device), normalize)
    # all test rows at once: their rounding is the same whatever chunk_size
    test, test_exp = fixed_point_rows(test_feats, normalize)
    num_train = train.shape[0]
    k = min(k, num_train)
    all_sims, all_idx = [], []
    for start in range(0, test.shape[0], chunk_size):
        query = test[start:start + chunk_size].to(device)
        query_exp = None if test_exp is None else \
            test_exp[start:start + chunk_size].to(device)
        best_sims = query.new_empty((query.shape[0], 0))
        best_idx = torch.empty((query.shape[0], 0),
                               dtype=torch.long,
                               device=device)
        for t0 in range(0, num_train, train_chunk_size):
            sims = exact_similarity(
                query, train[t0:t0 + train_chunk_size], query_exp,
                None if train_exp is None else
                train_exp[t0:t0 + train_chunk_size])
            sims, idx = _chunk_topk(sims, min(k, sims.shape[1]))
            best_sims, best_idx = _merge_topk(
                torch.cat([best_sims, sims], 1),
                torch.cat([best_idx, idx + t0], 1), k)
        all_sims.append(best_sims)
        all_idx.append(best_idx)
    return torch.cat(all_sims), torch.cat(all_idx)


def _chunk_topk(sims: Tensor, k: int) -> Tuple[Tensor, Tensor]:
    """``torch.topk`` along rows, except that among elements equal to the
    k-th largest the lowest-index ones are kept (``topk`` keeps any).

    Args:
        sims (Tensor): ``(B, n)`` similarities, ``k <= n``.
        k (int): How many to keep.

    Returns:
        tuple[Tensor, Tensor]: ``(B, k)`` values and column indices (in no
        particular order).
    """
    vals, idx = sims.topk(k, dim=1)
    kth = vals.min(dim=1, keepdim=True).values
    tied = ((sims >= kth).sum(dim=1) > k).nonzero().flatten()
    if tied.numel():
        sub, sub_kth = sims[tied], kth[tied]
        above = sub > sub_kth
        equal = sub == sub_kth
        need = k - above.sum(dim=1, keepdim=True)
        keep = above | (equal & (equal.int().cumsum(dim=1) <= need))
        cols = keep.nonzero()[:, 1].view(-1, k)
        vals[tied], idx[tied] = sub.gather(1, cols), cols
    return vals, idx


def _merge_topk(sims: Tensor, idx: Tensor, k: int) -> Tuple[Tensor, Tensor]:
    """The best ``k`` of candidate neighbours, ties by lower index."""
    by_index = idx.argsort(dim=1)
    sims, idx = sims.gather(1, by_index), idx.gather(1, by_index)
    order = sims.argsort(dim=1, descending=True, stable=True)[:, :k]
    return sims.gather(1, order), idx.gather(1, order)


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
        device: Optional[Union[str,
                               torch.device]] = None) -> Dict[int, Tensor]:
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

    Returns:
        dict[int, Tensor]: For each ``k``, ``(M, num_classes)`` scores (see
        :func:`knn_vote`) on ``device``.
    """
    ks = _ks(ks)
    _check_feats(train_feats, test_feats)
    train_labels = _check_labels(train_labels, train_feats.shape[0],
                                 num_classes, 'train_labels')
    sims, idx = knn_neighbors(
        train_feats,
        test_feats,
        max(ks),
        chunk_size,
        train_chunk_size,
        device=device)
    return knn_vote(sims,
                    train_labels.to(idx.device)[idx], num_classes, ks,
                    temperature)


def topk_correct(
    scores: Tensor, labels: Tensor,
    topk: Sequence[int] = (1, 5)) -> Dict[int, Tensor]:
    """Whether each label is among the ``k`` best-scored classes.

    Args:
        scores (Tensor): ``(M, C)`` class scores.
        labels (Tensor): ``(M,)`` true classes.
        topk (Sequence[int]): Defaults to ``(1, 5)``.

    Returns:
        dict[int, Tensor]: For each ``k``, ``(M,)`` bool; ties between
        classes rank the lower class index first and ``k > C`` counts as
        ``k = C``.
    """
    labels = torch.as_tensor(labels).long().to(scores.device).reshape(-1, 1)
    ranking = scores.argsort(dim=1, descending=True, stable=True)
    hits = ranking == labels
    return {k: hits[:, :min(k, scores.shape[1])].any(dim=1) for k in topk}


def topk_accuracy(
    scores: Tensor, labels: Tensor,
    topk: Sequence[int] = (1, 5)) -> Dict[int, float]:
    """Top-k accuracies in percent (see :func:`topk_correct`).

    Args:
        scores (Tensor): ``(M, C)`` class scores, ``M > 0``.
        labels (Tensor): ``(M,)`` true classes.
        topk (Sequence[int]): Defaults to ``(1, 5)``.

    Returns:
        dict[int, float]: ``{k: accuracy in [0, 100]}``.
    """
    if scores.shape[0] == 0:
        raise ValueError('No scores: cannot compute an accuracy.')
    correct = topk_correct(scores, labels, topk)
    return {k: 100.0 * v.float().mean().item() for k, v in correct.items()}


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
    device: Optional[Union[str, torch.device]] = None
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

    Returns:
        dict[int, dict[int, float]]: ``{k: {t: top-t accuracy in %}}``.
    """
    ks = _ks(ks)
    _check_feats(train_feats, test_feats)
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
        device=device)
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
