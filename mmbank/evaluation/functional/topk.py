"""Top-k correctness and accuracy of class scores.

Classes with equal scores rank by class index (lower first): top-1 is the
lowest-index class among the best. Top-k with fewer than k classes is
top-``num_classes`` (always correct).
"""
from typing import Dict, Sequence

import torch
from torch import Tensor


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
