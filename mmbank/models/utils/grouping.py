"""Union-find merging of bank rows into bounded groups, and the groups'
sizes."""
from typing import Dict

import numpy as np
import torch
from torch import Tensor

from .nn_search import nearest_other_group


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
                         min_similarity: float = -1.0) -> Tensor:
    """Merge the most similar neighbour pairs until enough samples are merged.

    Candidate pairs ``(i, nn_idx[i])`` are taken by decreasing similarity;
    a pair is mutual at the group level (``i``'s nearest neighbour ``j``
    has its own nearest neighbour in ``i``'s group) or skipped, and joins
    two groups unless the result would exceed ``max_group_size`` (which
    stops transitive chains from forming giant groups). Merging stops once
    ``target_merged`` samples are in groups of two or more.

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
        if groups[nbr[j]] != groups[i]:  # not mutual
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


def row_group_sizes(group_ids: Tensor) -> Tensor:
    """``(N,)`` size of each row's group, from ``(N,)`` group ids in
    ``[0, N)``."""
    counts = torch.bincount(group_ids, minlength=group_ids.numel())
    return counts[group_ids]


def group_statistics(group_ids: Tensor) -> Dict[str, int]:
    """``merged``: rows in groups of two or more, ``groups``: how many such
    groups, ``largest``: the largest group's size."""
    counts = torch.bincount(group_ids, minlength=group_ids.numel())
    return dict(
        merged=int(counts[counts > 1].sum()),
        groups=int((counts > 1).sum()),
        largest=int(counts.max()))


def merge_hard_negatives(feats: Tensor,
                         group_ids: Tensor,
                         target_merged: int,
                         max_group_size: int,
                         min_similarity: float = -1.0,
                         chunk_size: int = 4096,
                         exact: bool = False) -> Tensor:
    """Each row's cosine nearest neighbour outside its group
    (:func:`nearest_other_group`, in ``chunk_size`` tiles; float32, or
    exact and tie-stable with ``exact=True``), then the most similar pairs
    merged (:func:`merge_nearest_groups`, whose arguments these are):
    ``(N,)`` new group ids."""
    sim, idx = nearest_other_group(feats, group_ids, chunk_size, exact)
    return merge_nearest_groups(group_ids, sim, idx, target_merged,
                                max_group_size, min_similarity)
