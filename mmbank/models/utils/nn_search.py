"""Nearest-neighbour search over the bank, in tiles, never N x N.

Two modes, as in the kNN benchmark:

- ``exact=False`` (the default): float32 products of the rows (TF32 on
  CUDA devices that have it). A similarity is within about ``1e-6`` of the
  cosine (``1e-3`` with TF32) and its last bits depend on the tile shape
  and the BLAS, so among rows closer than that to a row's best the
  neighbour can differ between chunk sizes, machines and devices.
- ``exact=True``: similarities computed exactly (float64 products of rows
  rounded to a fixed grid), so results do not depend on the tile shape or
  the BLAS and the lowest index wins a tie.
"""
from typing import Tuple

import torch
from torch import Tensor

from ...utils.fast_matmul import fast_matmul


def _same_group_pairs(group_ids: Tensor) -> Tensor:
    """``(P, 2)`` all ordered pairs ``(a, b)``, ``a != b``, of rows that share
    a group (few: groups are small and most rows are alone)."""
    counts = torch.bincount(group_ids, minlength=group_ids.numel())
    members = torch.nonzero(counts[group_ids] > 1).flatten()
    if members.numel() == 0:
        return group_ids.new_zeros((0, 2))
    order = torch.argsort(group_ids[members], stable=True)
    members = members[order]
    groups = group_ids[members]
    pairs = []
    # groups are bounded in size, so a few shifted comparisons find them all
    for shift in range(1, int(counts.max())):
        same = groups[shift:] == groups[:-shift]
        a, b = members[shift:][same], members[:-shift][same]
        pairs += [torch.stack([a, b], 1), torch.stack([b, a], 1)]
    return torch.cat(pairs)


def _check_normalised(feats: Tensor) -> None:
    """Refuse rows that are clearly not L2-normalised (norm above 2)."""
    if feats.numel() and float(feats.norm(dim=1).max()) > 2:
        raise ValueError('The nearest-neighbour search needs L2-normalised '
                         'rows; got a row of norm '
                         f'{float(feats.norm(dim=1).max()):.3g}.')


def _exact_rows(feats: Tensor) -> Tensor:
    """Rows rounded to multiples of ``2**-24`` (held exactly in float32),
    whose dot products a float64 matrix product computes exactly.

    Every product of two entries is a multiple of ``2**-48`` and, the rows
    having norm at most 1 (up to rounding), every partial sum lies below
    ``2**5``: float64 holds all of them exactly, so the similarity of two
    rows does not depend on the tile it is computed in, on the BLAS's
    summation order or on the machine, and equal similarities compare
    equal. (A float32 product is not like that: a 1-wide tile goes to a
    matrix-vector kernel, tiles of other shapes to other kernels, and the
    last bits differ.) The rounding moves a cosine by at most
    ``2**-24 * sqrt(d)``, typically ``1e-8``.

    The grid is that of the kNN benchmark's
    :func:`~mmbank.evaluation.functional.exact_similarity.fixed_point_rows`,
    but the rows are rounded as they are: that function normalises them
    again in float64 first, which would move the bank's rounded rows (and
    the merges) by a last bit.
    """
    _check_normalised(feats)
    return torch.round(feats.float() * 2.0**24) / 2.0**24


def _search_rows(feats: Tensor, exact: bool) -> Tuple[Tensor, torch.dtype]:
    """The rows to multiply and the dtype of their products: the
    :func:`_exact_rows` and float64, or the float32 rows as they are."""
    if exact:
        return _exact_rows(feats), torch.float64
    _check_normalised(feats)
    return feats.float(), torch.float32


def nearest_other_group(feats: Tensor,
                        group_ids: Tensor,
                        chunk_size: int = 4096,
                        exact: bool = False) -> Tuple[Tensor, Tensor]:
    """Cosine nearest neighbour of each row outside its own group.

    The similarity matrix is symmetric, so only the tiles on and above the
    diagonal are computed, each ``chunk_size x chunk_size`` on the features'
    device, and each updates the best similarity of both its rows and its
    columns: half the products of a plain search. A tile yields maxima
    only (an argmax, above all down columns, costs several times more), and
    each row remembers which block of rows its best came from; the argmax is
    then found in that block alone (:func:`argmax_in_blocks`), at most
    ``N x chunk_size`` more products. The extra memory is one tile, never
    ``N x N``.

    By default the products are float32 (TF32 on CUDA), and the argmax pass
    finds the best row of the block its tile pass named up to float32
    rounding. With ``exact=True`` similarities are those of the rows
    rounded to multiples of ``2**-24``, computed exactly in float64
    (:func:`_exact_rows`), so the result does not depend on ``chunk_size``
    nor on the BLAS: among equally similar rows the lowest index is the
    neighbour.

    Args:
        feats (Tensor): ``(N, d)`` L2-normalised rows.
        group_ids (Tensor): ``(N,)`` group id of each row (a row alone is
            its own group).
        chunk_size (int): Tile side. Defaults to 4096.
        exact (bool): Exact fixed-point float64 similarities; else float32.
            Defaults to False.

    Returns:
        tuple[Tensor, Tensor]: ``(N,)`` best similarity (``-inf`` when all
        rows are in one group), in ``feats``' dtype, and ``(N,)`` index of
        the neighbour.
    """
    _, best_block = best_block_per_row(feats, group_ids, chunk_size, exact)
    return argmax_in_blocks(feats, group_ids, best_block, chunk_size, exact)


def best_block_per_row(feats: Tensor,
                       group_ids: Tensor,
                       chunk_size: int = 4096,
                       exact: bool = False) -> Tuple[Tensor, Tensor]:
    """The tile pass of :func:`nearest_other_group`.

    Args:
        feats (Tensor): ``(N, d)`` L2-normalised rows.
        group_ids (Tensor): ``(N,)`` group ids.
        chunk_size (int): Tile side. Defaults to 4096.
        exact (bool): Exact float64 similarities; else float32. Defaults
            to False.

    Returns:
        tuple[Tensor, Tensor]: ``(N,)`` best similarity outside the row's
        group (in ``feats``' dtype) and ``(N,)`` block
        (``index // chunk_size``) it lies in, -1 where there is none; of
        equally good blocks the first.
    """
    num = feats.shape[0]
    rows_all, dtype = _search_rows(feats, exact)
    best_sim = torch.full((num, ),
                          float('-inf'),
                          dtype=dtype,
                          device=feats.device)
    best_block = torch.full((num, ), -1, dtype=torch.long,
                            device=feats.device)
    pairs = _same_group_pairs(group_ids)
    pair_tiles = pairs // chunk_size
    # one tile buffer for the whole search: no allocation per tile
    buffer = torch.empty(
        min(chunk_size, num)**2, dtype=dtype, device=feats.device)

    # each row sees the blocks in increasing order (first as a column of
    # the bands above, then in its own band): ``>`` keeps the first best
    def update(first: int, tile_max: Tensor, block: int) -> None:
        best = best_sim[first:first + tile_max.numel()]
        better = tile_max > best
        best.copy_(torch.where(better, tile_max, best))
        best_block[first:first + tile_max.numel()].masked_fill_(better, block)

    for i, r0 in enumerate(range(0, num, chunk_size)):
        r1 = min(r0 + chunk_size, num)
        rows = rows_all[r0:r1].to(dtype)
        for j, c0 in enumerate(range(r0, num, chunk_size), start=i):
            c1 = min(c0 + chunk_size, num)
            sim = buffer[:(r1 - r0) * (c1 - c0)].view(r1 - r0, c1 - c0)
            with fast_matmul(not exact and feats.is_cuda):
                torch.mm(rows, rows_all[c0:c1].to(dtype).T,
                         out=sim)  # (r, c) tile
            if i == j:
                sim.fill_diagonal_(float('-inf'))
            if len(pairs):
                inside = (pair_tiles[:, 0] == i) & (pair_tiles[:, 1] == j)
                a, b = pairs[inside].unbind(1)
                sim[a - r0, b - c0] = float('-inf')
            update(r0, sim.amax(dim=1), j)
            if i != j:
                update(c0, sim.amax(dim=0), i)
    return best_sim.to(feats.dtype), best_block


def argmax_in_blocks(feats: Tensor,
                     group_ids: Tensor,
                     best_block: Tensor,
                     chunk_size: int = 4096,
                     exact: bool = False) -> Tuple[Tensor, Tensor]:
    """Each row's most similar row outside its group, searched only in the
    block ``best_block`` names (rows with -1 are skipped: ``-inf``, 0).

    Args:
        feats (Tensor): ``(N, d)`` L2-normalised rows.
        group_ids (Tensor): ``(N,)`` group ids.
        best_block (Tensor): ``(N,)`` block of each row's neighbour.
        chunk_size (int): Block side. Defaults to 4096.
        exact (bool): Exact float64 similarities; else float32. Defaults
            to False.

    Returns:
        tuple[Tensor, Tensor]: ``(N,)`` similarity (in ``feats``' dtype) and
        index, the lowest among equal similarities; with ``exact=True`` the
        similarities are exactly those :func:`best_block_per_row` compares
        (in float32 they may differ in the last bits).
    """
    num = feats.shape[0]
    rows_all, dtype = _search_rows(feats, exact)
    best_sim = torch.full((num, ),
                          float('-inf'),
                          dtype=dtype,
                          device=feats.device)
    best_idx = torch.zeros(num, dtype=torch.long, device=feats.device)
    for block, b0 in enumerate(range(0, num, chunk_size)):
        b1 = min(b0 + chunk_size, num)
        rows = torch.nonzero(best_block == block).flatten()
        for k0 in range(0, rows.numel(), chunk_size):
            part = rows[k0:k0 + chunk_size]
            with fast_matmul(not exact and feats.is_cuda):
                sim = rows_all[part].to(dtype) @ rows_all[b0:b1].to(dtype).T
            sim.masked_fill_(group_ids[part, None] == group_ids[None, b0:b1],
                             float('-inf'))
            # max returns the first of equal maxima
            best_sim[part], best_idx[part] = sim.max(dim=1)
            best_idx[part] += b0
    return best_sim.to(feats.dtype), best_idx
