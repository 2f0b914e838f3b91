"""Unseen-category retrieval metrics (Ye et al., CVPR 2019) as pure
functions.

Notation: ``N`` samples with ``D``-dim features and integer class labels.
Similarity is cosine: features are L2-normalised first. Each sample queries
all the others (itself excluded). As in the kNN, similarities are float32
by default (L2-normalise, matrix product, ``torch.topk``: neighbours closer
than about ``1e-6`` in cosine can swap between chunkings and machines, ties
come in no particular order) and exact with ``exact=True``
(:func:`.exact_similarity.exact_similarity`: the normalised features
rounded to multiples of ``2**-24``, their dot products exact), so that they
do not depend on the chunking, the BLAS or the machine, and neighbours with
equal similarity are ranked by ascending index.
"""
from typing import Dict, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .exact_similarity import (check_finite_features, exact_similarity,
                               fixed_point_rows)

ArrayLike = Union[Tensor, np.ndarray]


def check_retrieval_inputs(feats: ArrayLike,
                           labels: ArrayLike) -> 'tuple[Tensor, Tensor]':
    """Validate features and labels; return them as tensors.

    Args:
        feats (Tensor | ndarray): ``(N, D)`` features.
        labels (Tensor | ndarray): ``(N,)`` integer labels.

    Returns:
        tuple[Tensor, Tensor]: ``(N, D)`` float32 L2-normalised features
        and ``(N,)`` int64 labels.
    """
    feats, labels = _checked(feats, labels)
    return F.normalize(feats, dim=1), labels


def _checked(feats: ArrayLike, labels: ArrayLike) -> 'tuple[Tensor, Tensor]':
    """:func:`check_retrieval_inputs` without the normalisation."""
    feats = torch.as_tensor(feats)
    labels = torch.as_tensor(labels)
    if feats.dim() != 2:
        raise ValueError(
            f'feats must be (N, D), got shape {tuple(feats.shape)}')
    if labels.dim() != 1:
        raise ValueError(
            f'labels must be (N,), got shape {tuple(labels.shape)}')
    if feats.shape[0] != labels.shape[0]:
        raise ValueError(f'{feats.shape[0]} features but {labels.shape[0]} '
                         'labels: they must match one to one')
    if feats.shape[0] < 2:
        raise ValueError('retrieval needs at least 2 samples (each query is '
                         f'excluded from its own neighbours), got '
                         f'{feats.shape[0]}')
    if labels.is_floating_point() or labels.is_complex():
        raise ValueError(f'labels must be integers, got {labels.dtype}')
    feats = feats.detach().float().cpu()
    check_finite_features(feats, 'feats')
    return feats, labels.detach().long().cpu()


def stable_topk(scores: Tensor, k: int) -> Tensor:
    """Column indices of the ``k`` largest scores of each row.

    Ranked by score (descending), ties by column index (ascending), unlike
    ``torch.topk`` whose order among ties is unspecified.

    Args:
        scores (Tensor): ``(M, N)`` scores, ``1 <= k <= N``.
        k (int): Number of columns to return per row.

    Returns:
        Tensor: ``(M, k)`` int64 column indices.
    """
    kth = scores.topk(k, dim=1).values[:, -1:]  # (M, 1)
    above = scores > kth
    tied = scores == kth
    needed = k - above.sum(dim=1, keepdim=True)
    take = above | (tied & (tied.cumsum(dim=1, dtype=torch.int32) <= needed))
    idx = take.nonzero()[:, 1].view(-1, k)  # ascending column order
    order = scores.gather(1, idx).argsort(dim=1, descending=True, stable=True)
    return idx.gather(1, order)


def retrieval_neighbors(feats: ArrayLike,
                        k: int,
                        max_elements: int = 2**24,
                        exact: bool = False) -> Tensor:
    """The ``k`` most cosine-similar other samples of every sample.

    The ``N x N`` similarity matrix is never built: queries go in chunks of
    ``max(1, max_elements // N)`` rows, so memory stays bounded. With
    ``exact=True`` the result does not depend on the chunking (similarities
    are exact) and ties rank by ascending index.

    Args:
        feats (Tensor | ndarray): ``(N, D)`` finite features, ``N >= 2``.
        k (int): Neighbours per sample, clipped to ``N - 1``.
        max_elements (int): Bound on the similarities held at once.
            Defaults to 2**24.
        exact (bool): Exact fixed-point float64 similarities; else float32.
            Defaults to False.

    Returns:
        Tensor: ``(N, min(k, N - 1))`` int64 indices, most similar first,
        the query itself excluded.
    """
    feats = torch.as_tensor(feats)
    if feats.dim() != 2 or feats.shape[0] < 2:
        raise ValueError('feats must be (N, D) with N >= 2, got shape '
                         f'{tuple(feats.shape)}')
    if k < 1 or max_elements < 1:
        raise ValueError(f'k and max_elements must be >= 1, got {k} and '
                         f'{max_elements}')
    feats = feats.detach().float().cpu()
    check_finite_features(feats, 'feats')
    rows = fixed_point_rows(feats)[0] if exact else F.normalize(feats, dim=1)
    num = rows.shape[0]
    k = min(k, num - 1)
    chunk = max(1, min(num, max_elements // num))
    neighbors = []
    for start in range(0, num, chunk):
        end = min(start + chunk, num)
        sims = exact_similarity(rows[start:end], rows) if exact \
            else rows[start:end] @ rows.T  # (m, N)
        local = torch.arange(end - start)
        sims[local, local + start] = float('-inf')  # exclude the query
        neighbors.append(
            stable_topk(sims, k) if exact else sims.topk(k, dim=1).indices)
    return torch.cat(neighbors)


def recall_at_k(feats: ArrayLike,
                labels: ArrayLike,
                ks: Sequence[int] = (1, 2, 4, 8),
                max_elements: int = 2**24,
                exact: bool = False) -> Dict[int, float]:
    """Recall@K of cosine retrieval, each sample querying all the others.

    Recall@K is the fraction of queries with at least one sample of their
    class among their ``K`` most similar other samples. A ``K`` larger than
    ``N - 1`` is clipped to ``N - 1`` (every other sample is a neighbour).
    Neighbours are those of :func:`retrieval_neighbors`.

    Args:
        feats (Tensor | ndarray): ``(N, D)`` features, ``N >= 2``.
        labels (Tensor | ndarray): ``(N,)`` integer class labels.
        ks (Sequence[int]): The ``K`` values, each >= 1.
            Defaults to (1, 2, 4, 8).
        max_elements (int): Bound on the similarities held at once.
            Defaults to 2**24.
        exact (bool): Exact similarities, ties by index (see
            :func:`retrieval_neighbors`); else float32. Defaults to False.

    Returns:
        dict[int, float]: Recall@K in ``[0, 1]`` for each ``K`` of ``ks``.
    """
    ks = list(ks)
    if not ks or any(
            isinstance(k, bool) or not isinstance(k,
                                                  (int, np.integer)) or k < 1
            for k in ks):
        raise ValueError(f'ks must be a non-empty list of ints >= 1, got {ks}')
    feats, labels = _checked(feats, labels)
    num = feats.shape[0]
    k_max = min(max(ks), num - 1)
    nn_idx = retrieval_neighbors(feats, k_max, max_elements,
                                 exact)  # (N, k_max)
    match = labels[nn_idx] == labels[:, None]
    first_hit = torch.where(
        match.any(dim=1),
        match.int().argmax(dim=1), torch.full((num, ), k_max))  # no hit
    return {k: int((first_hit < min(k, k_max)).sum()) / num for k in ks}


def nmi(feats: ArrayLike,
        labels: ArrayLike,
        num_clusters: Optional[int] = None,
        seed: int = 0,
        n_init: int = 1,
        max_iter: int = 300) -> float:
    """Normalised mutual information of k-means clusters and the labels.

    k-means (scikit-learn, k-means++ initialisation, fixed seed) clusters
    the L2-normalised features into as many clusters as there are classes;
    the score is ``normalized_mutual_info_score(labels, clusters)``.

    Args:
        feats (Tensor | ndarray): ``(N, D)`` features.
        labels (Tensor | ndarray): ``(N,)`` integer class labels.
        num_clusters (int, optional): Defaults to None (the number of
            distinct labels).
        seed (int): k-means random state. Defaults to 0.
        n_init (int): k-means restarts. Defaults to 1.
        max_iter (int): k-means iterations. Defaults to 300.

    Returns:
        float: NMI in ``[0, 1]``.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    feats, labels = check_retrieval_inputs(feats, labels)
    labels = labels.numpy()
    if num_clusters is None:
        num_clusters = len(np.unique(labels))
    if not 1 <= num_clusters <= len(labels):
        raise ValueError(f'num_clusters must be in [1, {len(labels)}], got '
                         f'{num_clusters}')
    clusters = KMeans(
        n_clusters=num_clusters,
        n_init=n_init,
        max_iter=max_iter,
        random_state=seed).fit_predict(feats.double().numpy())
    return float(normalized_mutual_info_score(labels, clusters))


def retrieval_scores(feats: ArrayLike,
                     labels: ArrayLike,
                     ks: Sequence[int] = (1, 2, 4, 8),
                     with_nmi: bool = True,
                     seed: int = 0,
                     exact: bool = False) -> Dict[str, float]:
    """Recall@K for each ``K`` and (optionally) NMI of one feature set.

    Args:
        feats (Tensor | ndarray): ``(N, D)`` features.
        labels (Tensor | ndarray): ``(N,)`` integer class labels.
        ks (Sequence[int]): Defaults to (1, 2, 4, 8).
        with_nmi (bool): Also compute NMI (k-means: the slow part on large
            sets). Defaults to True.
        seed (int): k-means seed. Defaults to 0.
        exact (bool): Exact Recall@K neighbours (see :func:`recall_at_k`);
            the NMI's k-means is the same in both modes. Defaults to False.

    Returns:
        dict[str, float]: ``{'recall@K': r, ..., 'nmi': s}``, in ``[0, 1]``.
    """
    scores = {
        f'recall@{k}': r
        for k, r in recall_at_k(feats, labels, ks, exact=exact).items()
    }
    if with_nmi:
        scores['nmi'] = nmi(feats, labels, seed=seed)
    return scores
