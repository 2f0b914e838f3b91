"""Hand computations for mmbank/models/utils/losses.py."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmbank.models.utils.losses import instance_nll, pairwise_kl, positive_mask


def _kl(p, q):
    return sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))


def test_instance_nll_single_positive_is_cross_entropy():
    logits = torch.tensor([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]])
    targets = torch.tensor([0, 1])
    log_p = torch.log_softmax(logits, dim=1).unsqueeze(0)  # K=1
    # hand computation: -log softmax(logits)[target]
    row0 = -(1.0 - math.log(math.exp(1) + math.exp(2) + math.exp(0.5)))
    row1 = -(0.0 - math.log(1 + 1 + math.exp(3)))
    expected = (row0 + row1) / 2
    assert instance_nll(log_p, targets).item() == pytest.approx(expected)
    assert instance_nll(log_p, targets).item() == pytest.approx(
        F.cross_entropy(logits, targets).item())
    # a mask with only the own rows gives the same
    own = torch.tensor([[True, False, False], [False, True, False]])
    assert instance_nll(log_p, targets, own).item() == pytest.approx(
        expected)


def test_instance_nll_sums_probabilities_of_the_group():
    logits = torch.tensor([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]])
    log_p = torch.log_softmax(logits, dim=1).expand(2, 2, 3)  # K=2 views
    mask = torch.tensor([[True, True, False], [False, False, True]])
    z = math.exp(1) + math.exp(2) + math.exp(0.5)
    row0 = -math.log((math.exp(1) + math.exp(2)) / z)
    row1 = -(3.0 - math.log(2 + math.exp(3)))
    got = instance_nll(log_p, torch.tensor([0, 2]), mask).item()
    assert got == pytest.approx((row0 + row1) / 2)
    with pytest.raises(ValueError, match='does not match'):
        instance_nll(log_p, torch.tensor([0, 2]), mask[:, :2])


def test_pairwise_kl_equals_hand_computation_over_ordered_pairs():
    logits = torch.tensor([[[0.0, 1.0]], [[1.0, 0.0]], [[0.0, 0.0]]])
    probs = [torch.softmax(logits[k, 0], 0).tolist() for k in range(3)]
    pairs = [(k, j) for k in range(3) for j in range(3) if k != j]
    expected = sum(_kl(probs[k], probs[j]) for k, j in pairs) / len(pairs)
    assert pairwise_kl(logits).item() == pytest.approx(expected, rel=1e-5)


def test_pairwise_kl_three_views_detached_matches_explicit_sum():
    torch.manual_seed(0)
    logits = torch.randn(3, 4, 5, requires_grad=True)
    pairwise_kl(logits, detach_target=True).backward()
    fast = logits.grad.clone()
    logits.grad = None
    log_p = torch.log_softmax(logits, dim=2)
    total = 0
    for k in range(3):
        for j in range(3):
            if k != j:
                p_k = log_p[k].detach().exp()
                total = total + (p_k * (log_p[k].detach() - log_p[j])).sum(
                    dim=1).mean()
    (total / 6).backward()
    assert torch.allclose(fast, logits.grad, atol=1e-6)


def test_pairwise_kl_is_zero_for_identical_views_and_checks_shape():
    logits = torch.randn(1, 4, 7).expand(3, 4, 7)
    assert pairwise_kl(logits).item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match='K >= 2'):
        pairwise_kl(torch.randn(1, 4, 7))


def test_pairwise_kl_detach_target_stops_gradient_of_first_argument():
    logits = torch.tensor([[[0.0, 1.0]], [[1.0, 0.0]]], requires_grad=True)
    pairwise_kl(logits, detach_target=True).backward()
    grad_detached = logits.grad.clone()
    logits.grad = None
    pairwise_kl(logits, detach_target=False).backward()
    assert not torch.allclose(grad_detached, logits.grad)
    # with detached targets, each view only moves towards the others:
    # the gradient is softmax(x_j) - mean of the others' softmax
    p = torch.softmax(logits.detach(), dim=2)
    expected = torch.stack([p[0] - p[1], p[1] - p[0]]) / 2
    assert torch.allclose(grad_detached, expected, atol=1e-6)


def test_positive_mask_marks_rows_of_the_same_group():
    groups = torch.tensor([0, 0, 2])
    mask = positive_mask(torch.tensor([1, 2]), None, groups)
    assert mask.tolist() == [[True, True, False], [False, False, True]]
    mask = positive_mask(torch.tensor([1]), torch.tensor([1, 2, 0]), groups)
    assert mask.tolist() == [[True, False, True]]
