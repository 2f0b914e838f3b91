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
