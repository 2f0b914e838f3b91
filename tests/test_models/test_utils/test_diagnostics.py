"""Hand computations for mmbank/models/utils/diagnostics.py."""
import math

import pytest
import torch

from mmbank.models.utils.diagnostics import same_class_pair_fraction


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


def test_copy_pair_recovery_by_hand():
    from mmbank.models.utils import copy_pair_recovery
    # groups {0, 4}, {1, 5, 2}, the rest alone; true pairs (0,4) (1,5) (3,6)
    group_ids = torch.tensor([0, 1, 1, 3, 0, 1, 6])
    pairs = torch.tensor([[0, 4], [1, 5], [3, 6]])
    precision, recall = copy_pair_recovery(group_ids, pairs)
    # merged pairs: (0,4), (1,5), (1,2), (2,5): two of four are true
    assert precision == 2 / 4
    assert recall == 2 / 3
    precision, recall = copy_pair_recovery(torch.arange(7), pairs)
    assert math.isnan(precision) and recall == 0
    with pytest.raises(ValueError, match='non-empty'):
        copy_pair_recovery(group_ids, torch.zeros(0, 2))


def test_pair_similarity_is_the_mean_cosine_of_the_pairs():
    from mmbank.models.utils import pair_similarity
    rows = torch.tensor([[1., 0.], [0., 1.], [0.6, 0.8]])
    assert pair_similarity(rows, torch.tensor([[0, 1], [0, 2]])) == \
        pytest.approx((0 + 0.6) / 2)


def test_pair_softmax_share_by_hand():
    from mmbank.models.utils import pair_softmax_share
    # r0 = (1, 0), r1 at 60 degrees, r2 = (0, 1); the pair (0, 1); T = 0.5
    c, s = 0.5, math.sqrt(3) / 2
    rows = torch.tensor([[1., 0.], [c, s], [0., 1.]])
    t = 0.5
    e = lambda x: math.exp(x / t)  # noqa: E731
    z0 = e(1) + e(c) + e(0)  # query r0: similarities 1, c, 0
    z1 = e(c) + e(1) + e(s)  # query r1: similarities c, 1, s
    got = pair_softmax_share(rows, torch.tensor([[0, 1]]), t, chunk=1)
    assert got['partner_share'] == pytest.approx((e(c) / z0 + e(c) / z1) / 2)
    assert got['nll_apart'] == pytest.approx(
        -(math.log(e(1) / z0) + math.log(e(1) / z1)) / 2)
    assert got['nll_merged'] == pytest.approx(
        -(math.log((e(1) + e(c)) / z0) + math.log((e(1) + e(c)) / z1)) / 2)
    # r0's nearest other row is r1 (0.5 > 0); r1's is r2 (0.87 > 0.5)
    assert got['partner_nearest'] == 0.5
    # the pair listed the other way round is the same two queries
    assert pair_softmax_share(rows, torch.tensor([[1, 0]]), t) == \
        pytest.approx(got)
    with pytest.raises(ValueError, match='non-empty'):
        pair_softmax_share(rows, torch.zeros(0, 2), t)
    with pytest.raises(ValueError, match='temperature'):
        pair_softmax_share(rows, torch.tensor([[0, 1]]), 0)
