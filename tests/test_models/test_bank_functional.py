import math

import pytest
import torch
import torch.nn.functional as F

from mmbank.models.utils import (argmax_in_blocks, best_block_per_row,
                                 group_mean_rows, merge_nearest_groups,
                                 instance_nll, momentum_update,
                                 nearest_other_group, pairwise_kl,
                                 positive_mask, same_class_pair_fraction)


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


def _kl(p, q):
    return sum(pi * math.log(pi / qi) for pi, qi in zip(p, q))


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


def test_momentum_update_follows_formula_with_view_average():
    rows = F.normalize(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), dim=1)
    views = torch.tensor([[[0.0, 1.0], [1.0, 0.0]], [[0.0, 1.0],
                                                     [0.0, 1.0]]])
    out = momentum_update(rows, views, momentum=0.5)
    # row 0: 0.5 * (1, 0) + 0.5 * (0, 1) -> normalised (1, 1) / sqrt(2)
    # row 1: 0.5 * (0, 1) + 0.5 * (0.5, 0.5) = (0.25, 0.75)
    expected = torch.tensor([[1.0, 1.0], [0.25, 0.75]])
    assert torch.allclose(out, F.normalize(expected, dim=1))
    assert torch.allclose(out.norm(dim=1), torch.ones(2))


def test_nearest_other_group_matches_brute_force_and_skips_own_group():
    torch.manual_seed(0)
    feats = F.normalize(torch.randn(37, 8), dim=1)
    groups = torch.arange(37)
    groups[5] = 3  # rows 3 and 5 form a group, across tiles
    groups[[20, 21, 36]] = 20  # and a group of three
    sim = feats @ feats.T
    same = groups[:, None] == groups[None, :]
    sim[same] = float('-inf')
    want_sim, want_idx = sim.max(dim=1)
    # tiles smaller than the bank, the last one partial
    got_sim, got_idx = nearest_other_group(feats, groups, 5)
    assert torch.equal(got_idx, want_idx)
    assert torch.allclose(got_sim, want_sim)
    assert got_idx[3] != 5 and got_idx[5] != 3


def test_nearest_other_group_passes_compose_and_stop_early():
    torch.manual_seed(1)
    feats = F.normalize(torch.randn(23, 4), dim=1)
    groups = torch.arange(23)
    groups[[7, 15]] = 7
    sim = feats @ feats.T
    sim[groups[:, None] == groups[None, :]] = float('-inf')
    want_sim, want_idx = sim.max(dim=1)
    best, block = best_block_per_row(feats, groups, 6)
    assert torch.allclose(best, want_sim)
    assert torch.equal(block, want_idx // 6)
    got_sim, got_idx = argmax_in_blocks(feats, groups, block, 6)
    assert torch.equal(got_idx, want_idx)
    # rows whose block is -1 are skipped
    block[:3] = -1
    got_sim, got_idx = argmax_in_blocks(feats, groups, block, 6)
    assert torch.isinf(got_sim[:3]).all() and torch.equal(got_idx[3:],
                                                          want_idx[3:])
    # one band of tiles: the first 6 rows see every column, the others only
    # the first 6 rows (the band's column side)
    best, block = best_block_per_row(feats, groups, 6, row_bands=1)
    assert torch.allclose(best[:6], want_sim[:6])
    assert torch.allclose(best[6:], sim[6:, :6].max(dim=1).values)


def test_merge_nearest_groups_on_constructed_pairs():
    # three tight pairs (0,1), (2,3), (4,5) with decreasing similarity, and
    # a loner 6
    base = torch.eye(4)
    feats = F.normalize(
        torch.stack([
            base[0], base[0] + 0.01 * base[1], base[1], base[1] + 0.1 * base[2],
            base[2], base[2] + 0.3 * base[3], base[3] - base[0]
        ]), dim=1)
    groups = torch.arange(7)
    sim, idx = nearest_other_group(feats, groups)
    # target 4 samples: the two most similar pairs merge, the third not
    new = merge_nearest_groups(groups, sim, idx, target_merged=4,
                               max_group_size=4)
    assert new.tolist() == [0, 0, 2, 2, 4, 5, 6]
    # a higher target merges the third pair as well
    new = merge_nearest_groups(groups, sim, idx, target_merged=6,
                               max_group_size=4)
    assert new.tolist() == [0, 0, 2, 2, 4, 4, 6]
    # a similarity threshold stops merging even below the target
    new = merge_nearest_groups(groups, sim, idx, target_merged=7,
                               max_group_size=4, min_similarity=0.999)
    assert new.tolist() == [0, 0, 2, 3, 4, 5, 6]


def test_merge_nearest_groups_bounds_group_size():
    # a chain 0-1-2-3-4-5 of near-identical rows would merge into one giant
    # group; max_group_size=2 keeps pairs
    feats = F.normalize(
        torch.tensor([[1.0, 0.001 * i] for i in range(6)]), dim=1)
    groups = torch.arange(6)
    for _ in range(3):
        sim, idx = nearest_other_group(feats, groups)
        groups = merge_nearest_groups(groups, sim, idx, target_merged=6,
                                      max_group_size=2, mutual=False)
    sizes = torch.bincount(groups)
    assert int(sizes.max()) == 2
    assert int((sizes == 2).sum()) == 3


def test_mutual_requires_neighbour_to_point_back():
    # 1 is 0's nearest, but 1's nearest is 2: not mutual for (0, 1)
    sim = torch.tensor([0.9, 0.95, 0.95])
    idx = torch.tensor([1, 2, 1])
    groups = torch.arange(3)
    new = merge_nearest_groups(groups, sim, idx, 3, 4, mutual=True)
    assert new.tolist() == [0, 1, 1]
    new = merge_nearest_groups(groups, sim, idx, 3, 4, mutual=False)
    assert new.tolist() == [0, 0, 0]


def test_group_mean_rows_and_positive_mask():
    feats = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    groups = torch.tensor([0, 0, 2])
    out = group_mean_rows(feats, groups)
    half = F.normalize(torch.tensor([[0.5, 0.5]]), dim=1)
    assert torch.allclose(out[:2], half.expand(2, 2))
    assert torch.allclose(out[2], F.normalize(feats[2:], dim=1)[0])
    mask = positive_mask(torch.tensor([1, 2]), None, groups)
    assert mask.tolist() == [[True, True, False], [False, False, True]]
    mask = positive_mask(torch.tensor([1]), torch.tensor([1, 2, 0]), groups)
    assert mask.tolist() == [[True, False, True]]


def test_same_class_pair_fraction_counts_pairs_within_groups():
    # groups {0, 1, 2} (labels 0, 0, 1), {3, 4} (2, 2), {5} (1):
    # 4 pairs in groups, 2 of them same-class; classes equally frequent
    fraction, chance = same_class_pair_fraction(
        torch.tensor([0, 0, 0, 3, 3, 5]), torch.tensor([0, 0, 1, 2, 2, 1]))
    assert fraction == pytest.approx(2 / 4)
    assert chance == pytest.approx(3 * (1 / 3) ** 2)
    fraction, chance = same_class_pair_fraction(
        torch.arange(4), torch.tensor([0, 0, 0, 1]))
    assert math.isnan(fraction)
    assert chance == pytest.approx(0.75 ** 2 + 0.25 ** 2)
    with pytest.raises(ValueError, match='differ in shape'):
        same_class_pair_fraction(torch.arange(4), torch.zeros(3))
