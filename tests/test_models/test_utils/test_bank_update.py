"""Hand computations for mmbank/models/utils/bank_update.py."""

import torch
import torch.nn.functional as F

from mmbank.models.utils.bank_update import momentum_update, random_unit_rows


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


def test_random_unit_rows_are_unit_and_seeded():
    rows = random_unit_rows(5, 3, seed=1)
    assert rows.shape == (5, 3)
    assert torch.allclose(rows.norm(dim=1), torch.ones(5))
    assert torch.equal(rows, random_unit_rows(5, 3, seed=1))
    assert not torch.equal(rows, random_unit_rows(5, 3, seed=2))
