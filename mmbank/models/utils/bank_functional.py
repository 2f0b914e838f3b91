"""The maths of the method as pure functions of tensors.

Notation: ``K`` views of each of ``B`` samples, ``d``-dim L2-normalised
features, a bank of ``N`` rows, ``C`` candidate rows per query (``C = N``
for the full softmax).
"""
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor


def instance_nll(log_probs: Tensor,
                 targets: Tensor,
                 pos_mask: Optional[Tensor] = None) -> Tensor:
    """``-mean_{k,b} log sum_{c in pos(b)} P_k(c | b)``: the instance loss.

    With no ``pos_mask`` the only positive of sample ``b`` is its own row
    ``targets[b]`` (NPID's non-parametric softmax); with merge groups every
    candidate in the sample's group counts (Bulat et al. 2021, (c)). Only the
    rows of samples in groups pay for the masked log-sum-exp.

    Args:
        log_probs (Tensor): ``(K, B, C)`` log-softmax over ``C`` candidates.
        targets (Tensor): ``(B,)`` candidate index of each sample's own row.
        pos_mask (Tensor, optional): ``(B, C)`` bool positives (must include
            each sample's own row). Defaults to None.

    Returns:
        Tensor: Scalar loss.
    """
    num_views, batch = log_probs.shape[:2]
    own = log_probs.gather(
        2, targets.view(1, batch, 1).expand(num_views, batch, 1)).squeeze(2)
    if pos_mask is not None:
        if pos_mask.shape != log_probs.shape[1:]:
            raise ValueError(f'pos_mask {tuple(pos_mask.shape)} does not '
                             f'match log_probs {tuple(log_probs.shape)}')
        rows = pos_mask.sum(dim=1) > 1
        if bool(rows.any()):
            grouped = log_probs[:, rows].masked_fill(
                ~pos_mask[rows].unsqueeze(0), float('-inf')).logsumexp(dim=2)
            own = own.masked_scatter(
                rows.unsqueeze(0).expand(num_views, batch), grouped)
    return -own.mean()


def pairwise_kl(logits: Tensor, detach_target: bool = False) -> Tensor:
    """Mean over ordered view pairs ``k != j`` of ``KL(P_k || P_j)``,
    ``P_k = softmax(logits[k])``; see :func:`pairwise_kl_log_probs`.

    Args:
        logits (Tensor): ``(K, B, C)`` logits of ``K >= 2`` views.
        detach_target (bool): See :func:`pairwise_kl_log_probs`.

    Returns:
        Tensor: Scalar loss.
    """
    if logits.dim() != 3 or logits.shape[0] < 2:
        raise ValueError('pairwise_kl needs (K, B, C) logits with K >= 2, '
                         f'got {tuple(logits.shape)}')
    return pairwise_kl_log_probs(F.log_softmax(logits, dim=2), detach_target)


def pairwise_kl_log_probs(log_p: Tensor,
                          detach_target: bool = False) -> Tensor:
    """Mean over ordered view pairs ``k != j`` of ``KL(P_k || P_j)``.

    The KL is summed over the ``C`` classes and averaged over the ``B``
    samples and the ``K (K - 1)`` ordered pairs.

    Args:
        log_p (Tensor): ``(K, B, C)`` log-probabilities of ``K >= 2`` views.
        detach_target (bool): Stop the gradient through ``P_k``, the
            distribution the KL's expectation is taken under. Defaults to
            False (both sides are trained).

    Returns:
        Tensor: Scalar loss.
    """
    if log_p.dim() != 3 or log_p.shape[0] < 2:
        raise ValueError('pairwise_kl needs (K, B, C) inputs with K >= 2, '
                         f'got {tuple(log_p.shape)}')
    num_views = log_p.shape[0]
    log_t = log_p.detach() if detach_target else log_p
    p_t = log_t.exp()
    # sum_{k != j} KL(P_k || P_j)
    #   = sum_k sum_c P_k ((K - 1) log P_k - sum_{j != k} log P_j),
    # one pass over (K, B, C) instead of K^2
    others = log_p.sum(dim=0, keepdim=True) - log_p
    kl_sum = (p_t * ((num_views - 1) * log_t - others)).sum(dim=2)  # (K, B)
    return kl_sum.sum(dim=0).mean() / (num_views * (num_views - 1))


def momentum_update(rows: Tensor, view_feats: Tensor,
                    momentum: float) -> Tensor:
    """``normalise(momentum * rows + (1 - momentum) * mean_k view_feats)``.

    Args:
        rows (Tensor): ``(B, d)`` current bank rows.
        view_feats (Tensor): ``(K, B, d)`` or ``(B, d)`` new features.
        momentum (float): Weight of the old row, in ``[0, 1)``.

    Returns:
        Tensor: ``(B, d)`` new, L2-normalised rows.
    """
    if view_feats.dim() == 3:
        view_feats = view_feats.mean(dim=0)
    return F.normalize(momentum * rows + (1 - momentum) * view_feats, dim=1)


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
    """
    if feats.numel() and float(feats.norm(dim=1).max()) > 2:
        raise ValueError('The nearest-neighbour search needs L2-normalised '
                         'rows; got a row of norm '
                         f'{float(feats.norm(dim=1).max()):.3g}.')
    return torch.round(feats.float() * 2.0**24) / 2.0**24


def nearest_other_group(feats: Tensor,
                        group_ids: Tensor,
                        chunk_size: int = 4096) -> Tuple[Tensor, Tensor]:
    """Exact cosine nearest neighbour of each row outside its own group.

    The similarity matrix is symmetric, so only the tiles on and above the
    diagonal are computed, each ``chunk_size x chunk_size`` on the features'
    device, and each updates the best similarity of both its rows and its
    columns: half the products of a plain search. A tile yields maxima
    only (an argmax, above all down columns, costs several times more), and
    each row remembers which block of rows its best came from; the argmax is
    then found in that block alone (:func:`argmax_in_blocks`), at most
    ``N x chunk_size`` more products. The extra memory is one float64 tile,
    never ``N x N``.

    Similarities are those of the rows rounded to multiples of ``2**-24``,
    computed exactly in float64 (:func:`_exact_rows`), so the result does not
    depend on ``chunk_size`` nor on the BLAS: among equally similar rows the
    lowest index is the neighbour.

    Args:
        feats (Tensor): ``(N, d)`` L2-normalised rows.
        group_ids (Tensor): ``(N,)`` group id of each row (a row alone is
            its own group).
        chunk_size (int): Tile side. Defaults to 4096.

    Returns:
        tuple[Tensor, Tensor]: ``(N,)`` best similarity (``-inf`` when all
        rows are in one group), in ``feats``' dtype, and ``(N,)`` index of
        the neighbour.
    """
    _, best_block = best_block_per_row(feats, group_ids, chunk_size)
    return argmax_in_blocks(feats, group_ids, best_block, chunk_size)


def best_block_per_row(feats: Tensor,
                       group_ids: Tensor,
                       chunk_size: int = 4096,
                       row_bands: Optional[int] = None
                       ) -> Tuple[Tensor, Tensor]:
    """The tile pass of :func:`nearest_other_group`.

    Args:
        feats (Tensor): ``(N, d)`` L2-normalised rows.
        group_ids (Tensor): ``(N,)`` group ids.
        chunk_size (int): Tile side. Defaults to 4096.
        row_bands (int, optional): Stop after this many bands of tiles (for
            timing a part of a large search). Defaults to None (all).

    Returns:
        tuple[Tensor, Tensor]: ``(N,)`` best similarity outside the row's
        group (in ``feats``' dtype) and ``(N,)`` block
        (``index // chunk_size``) it lies in, -1 where there is none; of
        equally good blocks the first.
    """
    num = feats.shape[0]
    exact = _exact_rows(feats)
    best_sim = torch.full((num, ),
                          float('-inf'),
                          dtype=torch.float64,
                          device=feats.device)
    best_block = torch.full((num, ), -1, dtype=torch.long,
                            device=feats.device)
    pairs = _same_group_pairs(group_ids)
    pair_tiles = pairs // chunk_size
    # one tile buffer for the whole search: no allocation per tile
    buffer = torch.empty(
        min(chunk_size, num)**2, dtype=torch.float64, device=feats.device)

    # each row sees the blocks in increasing order (first as a column of
    # the bands above, then in its own band): ``>`` keeps the first best
    def update(first: int, tile_max: Tensor, block: int) -> None:
        best = best_sim[first:first + tile_max.numel()]
        better = tile_max > best
        best.copy_(torch.where(better, tile_max, best))
        best_block[first:first + tile_max.numel()].masked_fill_(better, block)

    for i, r0 in enumerate(range(0, num, chunk_size)):
        if row_bands is not None and i >= row_bands:
            break
        r1 = min(r0 + chunk_size, num)
        rows = exact[r0:r1].to(torch.float64)
        for j, c0 in enumerate(range(r0, num, chunk_size), start=i):
            c1 = min(c0 + chunk_size, num)
            sim = buffer[:(r1 - r0) * (c1 - c0)].view(r1 - r0, c1 - c0)
            torch.mm(rows, exact[c0:c1].to(torch.float64).T,
                     out=sim)  # (r, c) tile, exact
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
                     chunk_size: int = 4096) -> Tuple[Tensor, Tensor]:
    """Each row's most similar row outside its group, searched only in the
    block ``best_block`` names (rows with -1 are skipped: ``-inf``, 0).

    Args:
        feats (Tensor): ``(N, d)`` L2-normalised rows.
        group_ids (Tensor): ``(N,)`` group ids.
        best_block (Tensor): ``(N,)`` block of each row's neighbour.
        chunk_size (int): Block side. Defaults to 4096.

    Returns:
        tuple[Tensor, Tensor]: ``(N,)`` similarity (in ``feats``' dtype) and
        index, the lowest among equal similarities; the similarities are
        exactly those :func:`best_block_per_row` compares.
    """
    num = feats.shape[0]
    exact = _exact_rows(feats)
    best_sim = torch.full((num, ),
                          float('-inf'),
                          dtype=torch.float64,
                          device=feats.device)
    best_idx = torch.zeros(num, dtype=torch.long, device=feats.device)
    for block, b0 in enumerate(range(0, num, chunk_size)):
        b1 = min(b0 + chunk_size, num)
        rows = torch.nonzero(best_block == block).flatten()
        for k0 in range(0, rows.numel(), chunk_size):
            part = rows[k0:k0 + chunk_size]
            sim = exact[part].to(torch.float64) @ exact[b0:b1].to(
                torch.float64).T
            sim.masked_fill_(group_ids[part, None] == group_ids[None, b0:b1],
                             float('-inf'))
            # max returns the first of equal maxima
            best_sim[part], best_idx[part] = sim.max(dim=1)
            best_idx[part] += b0
    return best_sim.to(feats.dtype), best_idx


def _find(parent: list, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def merge_nearest_groups(group_ids: Tensor,
                         nn_sim: Tensor,
                         nn_idx: Tensor,
                         target_merged: int,
                         max_group_size: int,
                         min_similarity: float = -1.0,
                         mutual: bool = True) -> Tensor:
    """Merge the most similar neighbour pairs until enough samples are merged.

    Candidate pairs ``(i, nn_idx[i])`` are taken by decreasing similarity;
    each joins two groups unless the result would exceed ``max_group_size``
    (which stops transitive chains from forming giant groups). Merging
    stops once ``target_merged`` samples are in groups of two or more.

    Args:
        group_ids (Tensor): ``(N,)`` current group ids.
        nn_sim (Tensor): ``(N,)`` similarity to the nearest row outside the
            row's group (from :func:`nearest_other_group`).
        nn_idx (Tensor): ``(N,)`` index of that row.
        target_merged (int): Samples that should be in non-singleton groups
            afterwards.
        max_group_size (int): Largest allowed group.
        min_similarity (float): Pairs less similar are never merged.
            Defaults to -1 (no threshold).
        mutual (bool): Only merge ``i`` and ``j`` when ``j``'s nearest
            neighbour is in ``i``'s group too. Defaults to True.

    Returns:
        Tensor: ``(N,)`` new group ids; each group's id is its smallest
        member index.
    """
    groups = group_ids.cpu().numpy()
    sim = nn_sim.detach().cpu().numpy()
    nbr = nn_idx.cpu().numpy()
    num = len(groups)
    # a group's id is its smallest member, so groups form a union-find
    # forest rooted at their ids
    parent = [int(g) for g in groups]
    size = np.bincount(groups, minlength=num).tolist()
    merged = int(sum(s for s in size if s > 1))
    order = np.argsort(-sim, kind='stable')
    keep = (sim[order] >= min_similarity) & np.isfinite(sim[order])
    candidates = order[keep].tolist()
    for i in candidates:
        if merged >= target_merged:
            break
        j = int(nbr[i])
        if mutual and groups[nbr[j]] != groups[i]:
            continue
        root_i, root_j = _find(parent, int(i)), _find(parent, j)
        if root_i == root_j or size[root_i] + size[root_j] > max_group_size:
            continue
        merged += (size[root_i] == 1) + (size[root_j] == 1)
        if root_j < root_i:
            root_i, root_j = root_j, root_i
        parent[root_j] = root_i
        size[root_i] += size[root_j]
    # a union always keeps the smaller root, so each root is its group's
    # smallest member
    roots = [_find(parent, i) for i in range(num)]
    return torch.tensor(roots, dtype=group_ids.dtype, device=group_ids.device)


def group_mean_rows(feats: Tensor, group_ids: Tensor) -> Tensor:
    """Replace every row by the L2-normalised mean of its group's rows.

    Args:
        feats (Tensor): ``(N, d)`` rows.
        group_ids (Tensor): ``(N,)`` group ids in ``[0, N)``.

    Returns:
        Tensor: ``(N, d)`` rows.
    """
    sums = torch.zeros_like(feats).index_add_(0, group_ids, feats)
    return F.normalize(sums[group_ids], dim=1)


def positive_mask(targets: Tensor,
                  candidates: Optional[Tensor],
                  group_ids: Tensor) -> Tensor:
    """Which candidate rows are positives of each target sample.

    Args:
        targets (Tensor): ``(M,)`` bank index of each query's sample.
        candidates (Tensor, optional): ``(C,)`` bank indices the logits are
            over; None for all ``N`` rows.
        group_ids (Tensor): ``(N,)`` group ids.

    Returns:
        Tensor: ``(M, C)`` bool, True where the candidate is in the target's
        group (the target's own row always is).
    """
    cand_groups = group_ids if candidates is None else group_ids[candidates]
    return group_ids[targets][:, None] == cand_groups[None, :]


def same_class_pair_fraction(group_ids: Tensor,
                             labels: Tensor) -> Tuple[float, float]:
    """How often merged samples share a class: a diagnostic of merging.

    Over every pair of samples in the same merge group, the fraction whose
    labels agree, and the same fraction for pairs drawn at random from the
    whole set (``sum_c p_c^2``), i.e. chance.

    Args:
        group_ids (Tensor): ``(N,)`` group ids in ``[0, N)``.
        labels (Tensor): ``(N,)`` class labels (non-negative ints).

    Returns:
        tuple[float, float]: ``(fraction, chance)``; the fraction is NaN
        when no group has two members.
    """
    if group_ids.shape != labels.shape:
        raise ValueError(f'group_ids {tuple(group_ids.shape)} and labels '
                         f'{tuple(labels.shape)} differ in shape')
    group_ids, labels = group_ids.long().cpu(), labels.long().cpu()
    num = group_ids.numel()
    sizes = torch.bincount(group_ids, minlength=num)
    pairs = (sizes * (sizes - 1) // 2).sum()
    num_classes = int(labels.max()) + 1 if num else 1
    per_class = torch.bincount(group_ids * num_classes + labels,
                               minlength=num * num_classes)
    same = (per_class * (per_class - 1) // 2).sum()
    p = torch.bincount(labels, minlength=num_classes).double() / max(num, 1)
    chance = float((p * p).sum())
    fraction = float(same) / float(pairs) if pairs > 0 else float('nan')
    return fraction, chance
