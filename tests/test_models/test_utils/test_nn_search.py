"""Hand computations for mmbank/models/utils/nn_search.py."""

import torch
import torch.nn.functional as F

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
    # the first 14 rows alone (what tools/benchmarks/nn_search_cost.py
    # times of a large bank): their own search, a partial last tile, the
    # group (7, 15) cut in half
    best, block = best_block_per_row(feats[:14], groups[:14], 6)
    part_sim, part_idx = sim[:14, :14].max(dim=1)
    assert torch.allclose(best, part_sim)
    assert torch.equal(block, part_idx // 6)
    assert not torch.allclose(best, want_sim[:14])  # not the full search's

