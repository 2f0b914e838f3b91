"""Exact nearest-neighbour search of the merge step: ties and tile sizes.

``nearest_other_group(..., exact=True)`` must give the same neighbour
whatever ``chunk_size`` (and whatever the BLAS rounds), the lowest index
among equal similarities. (The float32 default promises neither: see
``test_nn_search.py`` for its agreement on well-separated banks.)
"""
from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F

from mmbank.models.utils.nn_search import (argmax_in_blocks, best_block_per_row,
                                 nearest_other_group)

torch.set_num_threads(1)  # 2 cores, shared


def exact_nearest(ints, groups, rows):
    """Reference for small-integer rows: the other-group row of largest
    exact cosine (compared as fractions), the lowest index among equal."""
    sq = [int(v @ v) for v in ints]
    out = []
    for i in rows:

        def key(j):
            dot = int(ints[i] @ ints[j])
            return -Fraction(dot * abs(dot), sq[i] * sq[j]), j

        out.append(
            min((j for j in range(len(ints)) if groups[j] != groups[i]),
                key=key))
    return out


def _tied_bank(seed):
    """Small-integer rows, L2-normalised. Query rows ``a`` have equal first
    two coordinates; for each, ``b`` and ``b`` with those two coordinates
    swapped are equally similar to ``a`` (and more than anything else), and
    they come twice, in both orders, so that any difference between the
    computed similarities of a tied pair puts a higher index first for one
    of the two copies of ``a``. Duplicated rows add ties at similarity 1.
    Returns the rows, their integer versions, groups and the query rows."""
    gen = torch.Generator().manual_seed(seed)
    rows, queries = [], []
    for _ in range(6):
        a = torch.randint(-2, 3, (8, ), generator=gen) * 3
        a[0] = a[1] = 9
        b = a.clone()
        b[0] += 1 + int(torch.randint(0, 2, (1, ), generator=gen))
        swapped = b[[1, 0, 2, 3, 4, 5, 6, 7]]
        queries += [len(rows), len(rows) + 3]
        rows += [a, b, swapped, a, swapped, b]
    for _ in range(6):  # plain duplicates
        c = torch.randint(-5, 6, (8, ), generator=gen)
        c[7] = 20  # far from the rows above
        rows += [c, c, c]
    ints = torch.stack(rows)
    perm = torch.randperm(len(ints), generator=gen)
    inverse = torch.argsort(perm)
    queries = inverse[queries].tolist()
    ints = ints[perm]
    groups = torch.arange(len(ints))
    # the two copies of a query row are in one group, so neither is the
    # other's neighbour
    for i in range(0, len(queries), 2):
        q0, q1 = sorted(queries[i:i + 2])
        groups[q1] = q0
    return F.normalize(ints.float(), dim=1), ints, groups, queries


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_ties_go_to_the_lowest_index_for_every_tile_size(seed):
    feats, ints, groups, queries = _tied_bank(seed)
    num = feats.shape[0]
    results = [
        nearest_other_group(feats, groups, chunk_size, exact=True)
        for chunk_size in (1, 3, 7, num)
    ]
    for sim, idx in results[1:]:
        assert torch.equal(idx, results[0][1])
        assert torch.equal(sim, results[0][0])
    # the query rows: their tied pair ranks by index
    assert results[0][1][queries].tolist() == exact_nearest(
        ints, groups, queries)
    # duplicated rows find their lowest-index copy (similarity 1)
    for i in range(num):
        copies = [
            j for j in range(num)
            if j != i and torch.equal(ints[j], ints[i]) and groups[j] !=
            groups[i]
        ]
        if copies and i not in queries:
            assert results[0][1][i] == min(copies)
            assert results[0][0][i] == pytest.approx(1.0, abs=1e-6)


def test_passes_agree_and_random_banks_are_tile_independent():
    gen = torch.Generator().manual_seed(5)
    feats = F.normalize(torch.randn(70, 128, generator=gen), dim=1)
    # near-duplicates: similarities within a few float32 ulps of each other
    feats[35:] = F.normalize(
        feats[:35] + 1e-7 * torch.randn(35, 128, generator=gen), dim=1)
    groups = torch.arange(70)
    groups[[3, 40, 41]] = 3
    results = [
        nearest_other_group(feats, groups, c, exact=True)
        for c in (1, 6, 16, 70, 4096)
    ]
    for sim, idx in results[1:]:
        assert torch.equal(idx, results[0][1])
        assert torch.equal(sim, results[0][0])
    # the tile pass's maxima are exactly the similarities argmax_in_blocks
    # finds in the block it names
    best, block = best_block_per_row(feats, groups, 16, exact=True)
    sim, idx = argmax_in_blocks(feats, groups, block, 16, exact=True)
    assert torch.equal(best.to(sim.dtype), sim)
    assert torch.equal(idx // 16, block)
    assert torch.equal(idx, results[0][1])
    # against float64 brute force
    ref = feats.double() @ feats.double().T
    ref[groups[:, None] == groups[None, :]] = float('-inf')
    assert torch.allclose(results[0][0].double(), ref.max(dim=1).values,
                          atol=1e-6)
