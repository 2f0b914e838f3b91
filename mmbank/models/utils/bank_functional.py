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


def multi_positive_nll(logits: Tensor, pos_mask: Tensor) -> Tensor:
    """``-mean_m log sum_{c in pos(m)} softmax(logits[m])_c``.

    With one positive per row this is the cross-entropy of NPID's
    non-parametric softmax; with merge groups every member of the query's
    group counts as a positive.

    Args:
        logits (Tensor): ``(M, C)`` logits (similarity / temperature).
        pos_mask (Tensor): ``(M, C)`` bool, at least one True per row.

    Returns:
        Tensor: Scalar loss.
    """
    if logits.shape != pos_mask.shape:
        raise ValueError(f'logits {tuple(logits.shape)} and pos_mask '
                         f'{tuple(pos_mask.shape)} differ in shape')
    if not bool(pos_mask.any(dim=1).all()):
        raise ValueError('every row of pos_mask needs a positive')
    pos = logits.masked_fill(~pos_mask, float('-inf'))
    return (torch.logsumexp(logits, dim=1) -
            torch.logsumexp(pos, dim=1)).mean()


def pairwise_kl(logits: Tensor, detach_target: bool = False) -> Tensor:
    """Mean over ordered view pairs ``k != j`` of ``KL(P_k || P_j)``.

    ``P_k = softmax(logits[k])``; the KL is summed over the ``C`` classes and
    averaged over the ``B`` samples and the ``K (K - 1)`` ordered pairs.

    Args:
        logits (Tensor): ``(K, B, C)`` logits of ``K >= 2`` views.
        detach_target (bool): Stop the gradient through ``P_k``, the
            distribution the KL's expectation is taken under. Defaults to
            False (both sides are trained).

    Returns:
        Tensor: Scalar loss.
    """
    if logits.dim() != 3 or logits.shape[0] < 2:
        raise ValueError('pairwise_kl needs (K, B, C) logits with K >= 2, '
                         f'got {tuple(logits.shape)}')
    num_views = logits.shape[0]
    log_p = F.log_softmax(logits, dim=2)  # (K, B, C)
    log_t = log_p.detach() if detach_target else log_p
    p_t = log_t.exp()
    # cross[k, j, b] = sum_c P_k[b, c] log P_j[b, c]
    cross = torch.einsum('kbc,jbc->kjb', p_t, log_p)
    neg_entropy = (p_t * log_t).sum(dim=2)  # (K, B)
    kl = neg_entropy.unsqueeze(1) - cross  # kl[k, j, b] = KL(P_k || P_j)
    off_diag = ~torch.eye(num_views, dtype=torch.bool, device=logits.device)
    return kl[off_diag].mean()


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


def nearest_other_group(feats: Tensor,
                        group_ids: Tensor,
                        chunk_size: int = 4096) -> Tuple[Tensor, Tensor]:
    """Exact cosine nearest neighbour of each row outside its own group.

    The similarity matrix is symmetric, so only the tiles on and above the
    diagonal are computed, each ``chunk_size x chunk_size`` on the features'
    device, and each updates the best neighbour of both its rows and its
    columns: half the work of a plain search, and the extra memory is one
    tile, never ``N x N``.

    Args:
        feats (Tensor): ``(N, d)`` L2-normalised rows.
        group_ids (Tensor): ``(N,)`` group id of each row (a row alone is
            its own group).
        chunk_size (int): Tile side. Defaults to 4096.

    Returns:
        tuple[Tensor, Tensor]: ``(N,)`` best similarity (``-inf`` when all
        rows are in one group) and ``(N,)`` index of the neighbour.
    """
    num = feats.shape[0]
    best_sim = feats.new_full((num, ), float('-inf'))
    best_idx = torch.zeros(num, dtype=torch.long, device=feats.device)
    pairs = _same_group_pairs(group_ids)
    pair_tiles = pairs // chunk_size

    def update(rows: slice, sim: Tensor, offset: int) -> None:
        tile_sim, tile_idx = sim.max(dim=1)
        better = tile_sim > best_sim[rows]
        best_sim[rows] = torch.where(better, tile_sim, best_sim[rows])
        best_idx[rows] = torch.where(better, tile_idx + offset,
                                     best_idx[rows])

    for i, r0 in enumerate(range(0, num, chunk_size)):
        r1 = min(r0 + chunk_size, num)
        for j, c0 in enumerate(range(r0, num, chunk_size), start=i):
            c1 = min(c0 + chunk_size, num)
            sim = feats[r0:r1] @ feats[c0:c1].T  # (r, c) tile
            if i == j:
                sim.fill_diagonal_(float('-inf'))
            if len(pairs):
                inside = (pair_tiles[:, 0] == i) & (pair_tiles[:, 1] == j)
                a, b = pairs[inside].unbind(1)
                sim[a - r0, b - c0] = float('-inf')
            update(slice(r0, r1), sim, c0)
            if i != j:
                # a contiguous copy: a max down columns is ~3x slower
                update(slice(c0, c1), sim.T.contiguous(), r0)
    return best_sim, best_idx


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
