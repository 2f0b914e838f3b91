"""Hand computations for mmbank/models/utils/grouping.py."""

import torch
import torch.nn.functional as F

from mmbank.models.utils.grouping import (group_statistics,
                                         merge_hard_negatives,
                                         merge_nearest_groups,
                                         row_group_sizes)
from mmbank.models.utils.nn_search import nearest_other_group


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


def test_only_mutual_pairs_merge():
    # 1 is 0's nearest, but 1's nearest is 2: (1, 2) merges, (0, 1) never,
    # although the target (all 3 samples) is not reached
    sim = torch.tensor([0.9, 0.95, 0.95])
    idx = torch.tensor([1, 2, 1])
    groups = torch.arange(3)
    new = merge_nearest_groups(groups, sim, idx, 3, 4)
    assert new.tolist() == [0, 1, 1]
    # at the group level: 0's nearest (1) is in the group {1, 2} whose
    # member 2 points back at 0, so the pair is mutual and 0 joins
    sim = torch.tensor([0.9, 0.95, 0.95])
    idx = torch.tensor([1, 0, 0])
    new = merge_nearest_groups(torch.tensor([0, 1, 1]), sim, idx, 3, 4)
    assert new.tolist() == [0, 0, 0]


def test_group_sizes_and_statistics_by_hand():
    groups = torch.tensor([0, 0, 2, 0, 4, 4, 6])
    assert row_group_sizes(groups).tolist() == [3, 3, 1, 3, 2, 2, 1]
    assert group_statistics(groups) == dict(merged=5, groups=2, largest=3)


def test_merge_hard_negatives_is_the_search_then_the_merge():
    torch.manual_seed(0)
    feats = F.normalize(torch.randn(20, 4), dim=1)
    groups = torch.arange(20)
    sim, idx = nearest_other_group(feats, groups, 6)
    want = merge_nearest_groups(groups, sim, idx, 8, 3, -1.0)
    got = merge_hard_negatives(feats, groups, 8, 3, -1.0, 6)
    assert torch.equal(got, want)
    assert int((row_group_sizes(got) > 1).sum()) >= 8


def test_merge_nearest_groups_bounds_group_size():
    # a chain 0-1-2-3-4-5 of near-identical rows would merge into one giant
    # group; max_group_size=2 keeps pairs
    feats = F.normalize(
        torch.tensor([[1.0, 0.001 * i] for i in range(6)]), dim=1)
    groups = torch.arange(6)
    for _ in range(3):
        sim, idx = nearest_other_group(feats, groups)
        groups = merge_nearest_groups(groups, sim, idx, target_merged=6,
                                      max_group_size=2)
    sizes = torch.bincount(groups)
    assert int(sizes.max()) == 2
    # mutual nearest neighbours on a chain are adjacent rows; which
    # adjacent pairs form depends on near-equal similarities (at rounding
    # level), so only the structure is asserted: adjacent pairs, at least
    # two of them, every other row alone
    pairs = [[int(i) for i in (groups == g).nonzero()]
             for g in groups.unique() if int((groups == g).sum()) == 2]
    assert len(pairs) >= 2 and all(b == a + 1 for a, b in pairs)
