"""Hand computations for mmbank/models/utils/grouping.py."""

import torch
import torch.nn.functional as F

from mmbank.models.utils.grouping import merge_nearest_groups
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


def test_mutual_requires_neighbour_to_point_back():
    # 1 is 0's nearest, but 1's nearest is 2: not mutual for (0, 1)
    sim = torch.tensor([0.9, 0.95, 0.95])
    idx = torch.tensor([1, 2, 1])
    groups = torch.arange(3)
    new = merge_nearest_groups(groups, sim, idx, 3, 4, mutual=True)
    assert new.tolist() == [0, 1, 1]
    new = merge_nearest_groups(groups, sim, idx, 3, 4, mutual=False)
    assert new.tolist() == [0, 0, 0]
