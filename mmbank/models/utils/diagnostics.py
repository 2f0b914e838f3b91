"""Diagnostics of merging (labels never reach the method)."""
from typing import Dict, Tuple

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


def pair_softmax_share(rows: Tensor,
                       pairs: Tensor,
                       temperature: float,
                       chunk: int = 1024) -> Dict[str, float]:
    """What the instance softmax over a bank does to known pairs.

    Each member ``i`` of a pair ``(i, j)`` is taken as a query by its own
    row ``m_i`` (a stand-in for its views' features), with
    ``P(k | m_i) = softmax_k(m_k . m_i / temperature)`` over all ``N``
    rows, itself included.

    Args:
        rows (Tensor): ``(N, d)`` L2-normalised bank rows.
        pairs (Tensor): ``(M, 2)`` indices of the pairs.
        temperature (float): The instance softmax's temperature.
        chunk (int): Queries per matrix product. Defaults to 1024.

    Returns:
        dict: Means over the ``2M`` queries (both members of every pair):
        ``partner_share``, ``P(j | m_i)``, the softmax mass the partner
        takes; ``partner_nearest``, the fraction whose partner is the most
        similar other row; ``nll_apart``, ``-log P(i | m_i)``, the instance
        loss with the partner a negative (unmerged); ``nll_merged``,
        ``-log (P(i | m_i) + P(j | m_i))``, with the partner a positive
        (one merge group).
    """
    if temperature <= 0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    pairs = pairs.long().to(rows.device)
    if pairs.dim() != 2 or pairs.shape[1] != 2 or not pairs.numel():
        raise ValueError(f'pairs must be a non-empty (M, 2) tensor, got '
                         f'{tuple(pairs.shape)}')
    query = torch.cat([pairs[:, 0], pairs[:, 1]])
    partner = torch.cat([pairs[:, 1], pairs[:, 0]])
    rows = rows.double()
    sums = dict(partner_share=0., partner_nearest=0., nll_apart=0.,
                nll_merged=0.)
    for q, p in zip(query.split(chunk), partner.split(chunk)):
        logits = rows[q] @ rows.T / temperature  # (c, N)
        log_prob = logits - logits.logsumexp(1, keepdim=True)
        at = torch.arange(q.numel(), device=q.device)
        own, other = log_prob[at, q], log_prob[at, p]
        sums['partner_share'] += float(other.exp().sum())
        sums['nll_apart'] += float(-own.sum())
        sums['nll_merged'] += float(-torch.logaddexp(own, other).sum())
        logits[at, q] = float('-inf')  # the nearest *other* row
        sums['partner_nearest'] += float((logits.argmax(1) == p).sum())
    return {k: v / query.numel() for k, v in sums.items()}
