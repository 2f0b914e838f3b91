"""Losses of the method as pure functions of tensors: the multi-positive
instance loss over the bank and the KL consistency between views.

Notation: ``K`` views of each of ``B`` samples, a bank of ``N`` rows, ``C``
candidate rows per query (``C = N`` for the full softmax).
"""
from typing import Optional

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
