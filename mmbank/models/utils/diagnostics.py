"""Diagnostics of merging (labels never reach the method)."""
from typing import Tuple

import torch
from torch import Tensor


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


def copy_pair_recovery(group_ids: Tensor,
                       pairs: Tensor) -> Tuple[float, float]:
    """How well merging found known near-duplicates.

    Over every pair of samples in the same merge group (the merged pairs),
    the precision is the fraction that are true ``(original, copy)`` pairs;
    the recall is the fraction of true pairs that ended in one group.

    Args:
        group_ids (Tensor): ``(N,)`` group ids in ``[0, N)``.
        pairs (Tensor): ``(M, 2)`` indices of the true pairs, each pair
            once (no pair listed twice, no sample paired with itself).

    Returns:
        tuple[float, float]: ``(precision, recall)``; the precision is NaN
        when no group has two members.
    """
    group_ids, pairs = group_ids.long().cpu(), pairs.long().cpu()
    if pairs.dim() != 2 or pairs.shape[1] != 2 or not pairs.numel():
        raise ValueError(f'pairs must be a non-empty (M, 2) tensor, got '
                         f'{tuple(pairs.shape)}')
    sizes = torch.bincount(group_ids, minlength=group_ids.numel())
    merged = int((sizes * (sizes - 1) // 2).sum())
    found = int((group_ids[pairs[:, 0]] == group_ids[pairs[:, 1]]).sum())
    precision = found / merged if merged else float('nan')
    return precision, found / pairs.shape[0]


def pair_similarity(rows: Tensor, pairs: Tensor) -> float:
    """Mean cosine similarity of the ``(M, 2)`` pairs of L2-normalised
    ``(N, d)`` rows (e.g. the bank rows of known near-duplicates)."""
    pairs = pairs.long().to(rows.device)
    sims = (rows[pairs[:, 0]].float() * rows[pairs[:, 1]].float()).sum(1)
    return float(sims.mean())
