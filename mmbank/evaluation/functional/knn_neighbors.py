"""The ``k`` most cosine-similar train features of each test feature, in
bounded memory (Wu et al., CVPR 2018): fast by default, exact on request.

Two modes (tested in
``tests/test_evaluation/test_functional/test_knn_neighbors.py``):

- ``exact=False`` (the default): features L2-normalised in float32, one
  float32 matrix product per block (TF32 on CUDA devices that have it,
  :func:`~mmbank.utils.fast_matmul.fast_matmul`), ``torch.topk``, as in
  DINO's ``eval_knn``. A similarity is within about ``1e-6`` of the exact
  cosine (``1e-3`` with TF32); the last bits depend on the block shape and
  the BLAS, so neighbours whose similarities differ by less than that can
  swap between chunkings, machines and devices, and ties come in no
  particular order. On well-separated data the neighbours and accuracies
  are those of the exact mode.
- ``exact=True``: the conventions below. Results do not depend on the
  chunking, the BLAS or the machine; ties rank by train index. This is how
  the published kNN numbers were computed.

Both modes:

- Memory is bounded: test rows are processed ``chunk_size`` at a time and
  train rows ``train_chunk_size`` at a time with a running top-k, so no
  ``test x train`` similarity matrix is ever formed; at most a
  ``chunk_size x train_chunk_size`` block.
- ``k`` larger than the train set uses every train sample.
- NaN or infinite features are refused (:func:`check_finite_features`).

The exact mode:

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
  The float64 product costs about twice the float32 one on CPUs, 1x to 8x
  the float32 one on data-centre GPUs (H100: 67 FP64 tensor-core TFLOP/s
  against 67 float32 and 495 TF32) and 64x on consumer GPUs.
- Neighbours with equal similarity (equal float32 values) are ordered by
  train index (lower first), also at the k-th place. Equal features, and
  images of each other under a symmetry of the query, have equal
  similarities; cosines equal only in exact arithmetic can be separated by
  the rounding of the features (by ~1e-8), deterministically.
"""
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from ...utils.fast_matmul import fast_matmul
from .exact_similarity import (check_finite_features, exact_similarity,
                               fixed_point_rows)


def check_feats(train_feats: Tensor, test_feats: Tensor) -> None:
    """Refuse train and test features that cannot be compared: not 2-D, of
    different sizes, empty, or not finite."""
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


@torch.no_grad()
def knn_neighbors(
    train_feats: Tensor,
    test_feats: Tensor,
    k: int,
    chunk_size: int = 1024,
    train_chunk_size: int = 16384,
    normalize: bool = True,
    device: Optional[Union[str, torch.device]] = None,
    exact: bool = False) -> Tuple[Tensor, Tensor]:
    """The ``k`` most cosine-similar train features of each test feature.

    By default in float32 (see the module's two modes); with ``exact=True``
    similarities are exact, so the result is the same for every
    ``chunk_size`` and ``train_chunk_size`` and ties are broken by the lower
    train index, a block of similarities being computed in float64
    (``chunk_size x train_chunk_size`` doubles at a time).

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
        exact (bool): Exact fixed-point float64 similarities, independent
            of chunking and BLAS; else float32 (TF32 on CUDA devices that
            have it). Defaults to False.

    Returns:
        tuple[Tensor, Tensor]: ``(M, k')`` similarities, decreasing along
        each row, and ``(M, k')`` long train indices, on ``device``, with
        ``k' = min(k, N)``.
    """
    check_feats(train_feats, test_feats)
    if k < 1 or chunk_size < 1 or train_chunk_size < 1:
        raise ValueError('k, chunk_size and train_chunk_size must be '
                         f'positive, got {k}, {chunk_size}, '
                         f'{train_chunk_size}.')
    device = torch.device(device) if device is not None \
        else train_feats.device
    if not exact:
        return fast_knn_neighbors(train_feats, test_feats, k, chunk_size,
                                  train_chunk_size, normalize, device)
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


def fast_knn_neighbors(train_feats: Tensor, test_feats: Tensor, k: int,
                       chunk_size: int, train_chunk_size: int,
                       normalize: bool,
                       device: torch.device) -> Tuple[Tensor, Tensor]:
    """:func:`knn_neighbors`' float32 mode: normalise, multiply, top-k.

    Each ``chunk_size x train_chunk_size`` block of similarities is one
    float32 matrix product (TF32 allowed on CUDA); a running top-k keeps
    the best ``k`` per test row. Equal similarities come in no particular
    order.

    Returns:
        tuple[Tensor, Tensor]: ``(M, k')`` similarities, decreasing, and
        train indices, on ``device``.
    """
    train = train_feats.to(device, torch.float32)
    train = F.normalize(train, dim=1) if normalize else train
    k = min(k, train.shape[0])
    all_sims, all_idx = [], []
    with fast_matmul(device.type == 'cuda'):
        for start in range(0, test_feats.shape[0], chunk_size):
            query = test_feats[start:start + chunk_size].to(
                device, torch.float32)
            query = F.normalize(query, dim=1) if normalize else query
            best_sims = query.new_empty((query.shape[0], 0))
            best_idx = torch.empty((query.shape[0], 0),
                                   dtype=torch.long,
                                   device=device)
            for t0 in range(0, train.shape[0], train_chunk_size):
                sims = query @ train[t0:t0 + train_chunk_size].T
                sims, idx = sims.topk(min(k, sims.shape[1]), dim=1)
                best_sims, pos = torch.cat([best_sims, sims], 1).topk(
                    min(k, best_sims.shape[1] + sims.shape[1]), dim=1)
                best_idx = torch.cat([best_idx, idx + t0], 1).gather(1, pos)
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
