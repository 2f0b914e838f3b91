"""Hand computations for mmbank/evaluation/functional/exact_similarity.py."""
import pytest
import torch

from mmbank.evaluation.functional.exact_similarity import (
    FIXED_POINT_BITS, NonFiniteFeaturesError, check_finite_features,
    exact_similarity, fixed_point_rows)

SCALE = 2.0**FIXED_POINT_BITS


def test_normalised_rows_are_fixed_point_unit_rows_and_zero_stays_zero():
    feats = torch.tensor([[3.0, 4.0], [0.0, 0.0], [-1.0, 1.0]])
    rows, exps = fixed_point_rows(feats)
    assert exps is None and rows.dtype == torch.float32
    # 3/5 and 4/5 rounded to multiples of 2**-24
    want = torch.tensor([[round(0.6 * SCALE), round(0.8 * SCALE)], [0, 0],
                         [-round(2**-0.5 * SCALE),
                          round(2**-0.5 * SCALE)]]) / SCALE
    assert torch.equal(rows, want.float())
    scaled = rows.double() * SCALE
    assert torch.equal(scaled, scaled.round())  # stored exactly


def test_unnormalised_rows_scale_by_a_power_of_two_into_half_to_one():
    feats = torch.tensor([[3.0, 4.0], [0.25, 0.0]])
    rows, exps = fixed_point_rows(feats, normalize=False)
    # |(3, 4)| = 5 lies in [4, 8): divided by 2**3; |(0.25, 0)| by 2**-1
    assert exps.tolist() == [3, -1]
    assert rows.tolist() == [[0.375, 0.5], [0.5, 0.0]]
    sims = exact_similarity(rows, rows, exps, exps)
    assert sims.tolist() == [[25.0, 0.75], [0.75, 0.0625]]


def test_similarity_of_a_row_does_not_depend_on_the_other_rows():
    torch.manual_seed(0)
    a, _ = fixed_point_rows(torch.randn(37, 64))
    b, _ = fixed_point_rows(torch.randn(53, 64))
    full = exact_similarity(a, b)
    for r0, r1, c0, c1 in ((0, 1, 0, 53), (5, 9, 17, 18), (36, 37, 0, 1)):
        assert torch.equal(exact_similarity(a[r0:r1], b[c0:c1]),
                           full[r0:r1, c0:c1])
    # and equals the float64 product of the rounded rows, rounded once
    assert torch.equal(full, (a.double() @ b.double().T).float())
    # transposing the arguments transposes the result bit for bit
    assert torch.equal(exact_similarity(b, a), full.T)


def test_rows_do_not_depend_on_the_block_they_are_rounded_in():
    torch.manual_seed(1)
    feats = torch.randn(20, 33)
    rows, _ = fixed_point_rows(feats)
    for i in (0, 7, 19):
        one, _ = fixed_point_rows(feats[i:i + 1])
        assert torch.equal(one[0], rows[i])


def test_non_finite_features_are_refused_with_their_name_and_count():
    check_finite_features(torch.randn(4, 3))
    bad = torch.zeros(4, 3)
    bad[1, 2], bad[3, 0] = float('nan'), -float('inf')
    with pytest.raises(NonFiniteFeaturesError,
                       match=r'^Mine contain NaN or infinite values '
                       r'\(2 of 4 rows\)'):
        check_finite_features(bad, 'Mine')
    assert issubclass(NonFiniteFeaturesError, ValueError)
