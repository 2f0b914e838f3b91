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
