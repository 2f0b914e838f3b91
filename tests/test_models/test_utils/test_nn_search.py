"""Hand computations for mmbank/models/utils/nn_search.py."""

import pytest
import torch
import torch.nn.functional as F

from mmbank.models.utils import merge_hard_negatives, nn_search
from mmbank.models.utils.nn_search import (
    argmax_in_blocks, best_block_per_row, nearest_other_group)


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


def test_nearest_other_group_passes_compose_and_search_a_slice():
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
    # the first 14 rows alone (what .dev_scripts/nn_search_cost.py
    # times of a large bank): their own search, a partial last tile, the
    # group (7, 15) cut in half
    best, block = best_block_per_row(feats[:14], groups[:14], 6)
    part_sim, part_idx = sim[:14, :14].max(dim=1)
    assert torch.allclose(best, part_sim)
    assert torch.equal(block, part_idx // 6)
    assert not torch.allclose(best, want_sim[:14])  # not the full search's



def _well_separated_bank(seed, num=60, dim=16, margin=1e-3):
    """Unit rows, each row's best similarity outside its group at least
    ``margin`` above its second best (float64), far more than float32
    rounding (about ``1e-6`` here) can move them; pairs share groups."""
    gen = torch.Generator().manual_seed(seed)
    feats = F.normalize(torch.randn(num, dim, generator=gen), dim=1)
    groups = torch.arange(num)
    groups[1::7] = groups[0::7][:groups[1::7].numel()]
    sim = feats.double() @ feats.double().T
    sim[groups[:, None] == groups[None, :]] = float('-inf')
    top = sim.topk(2, dim=1).values
    keep = (top[:, 0] - top[:, 1]) > margin
    return feats, groups, keep


@pytest.mark.parametrize('chunk_size', [1, 5, 16, 4096])
def test_fast_search_agrees_with_exact_on_well_separated_rows(chunk_size):
    feats, groups, keep = _well_separated_bank(0)
    assert keep.sum() >= 40
    want_sim, want_idx = nearest_other_group(feats, groups, 7, exact=True)
    sim, idx = nearest_other_group(feats, groups, chunk_size)
    # rows with a clear best: the same neighbour; all rows: similarities
    # within float32 rounding (1e-5 stated; TF32 on CUDA would need 1e-3)
    assert torch.equal(idx[keep], want_idx[keep])
    assert torch.allclose(sim, want_sim, atol=1e-5, rtol=0)


def test_fast_merge_equals_exact_merge_on_a_well_separated_bank():
    feats, groups, keep = _well_separated_bank(1, num=40)
    assert keep.all()
    # and the candidate pairs' similarities (a mutual pair's two rows share
    # one) far apart, so float32 rounding cannot reorder the merges
    best = nearest_other_group(feats, groups, exact=True)[0].unique()
    assert (best[1:] - best[:-1]).min() > 1e-4
    fast = merge_hard_negatives(feats, groups, 20, 4, 0.0, 8)
    exact = merge_hard_negatives(feats, groups, 20, 4, 0.0, 8, exact=True)
    assert torch.equal(fast, exact)


def test_only_the_exact_search_rounds_to_the_fixed_point_grid(monkeypatch):
    calls = []
    real = nn_search._exact_rows
    monkeypatch.setattr(nn_search, '_exact_rows',
                        lambda feats: calls.append(1) or real(feats))
    feats = F.normalize(torch.randn(9, 4), dim=1)
    nearest_other_group(feats, torch.arange(9), 4)
    assert calls == []  # the default is the float32 search
    nearest_other_group(feats, torch.arange(9), 4, exact=True)
    assert len(calls) == 2  # the tile pass and the argmax pass
    with pytest.raises(ValueError, match='L2-normalised'):
        nearest_other_group(feats * 3, torch.arange(9), 4)
