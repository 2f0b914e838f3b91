"""knn_neighbors: exact neighbours and ties, whatever the chunking
(``exact=True``); the float32 default agrees on well-separated data."""
import math
from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F

import mmbank  # noqa: F401
from mmbank.evaluation.functional import (knn_accuracy, knn_neighbors,
                                          knn_predict)

torch.set_num_threads(1)  # 2 cores, shared


def exact_neighbors(*args, **kwargs):
    """:func:`knn_neighbors` in its exact mode, the one these tests pin."""
    return knn_neighbors(*args, exact=True, **kwargs)


def exact_predict(*args, **kwargs):
    """:func:`knn_predict` in its exact mode."""
    return knn_predict(*args, exact=True, **kwargs)


def test_features_are_cosine_not_dot_product():
    train = torch.tensor([[10., 0.], [0., 1.]])
    test = torch.tensor([[0.1, 1.]])  # closer in angle to the 2nd
    _, idx = knn_neighbors(train, test, k=1)
    assert idx.item() == 1
    _, idx = knn_neighbors(train, test, k=1, normalize=False)
    assert idx.item() == 0


CHUNKINGS = [(1, 1), (7, 13), (10**6, 10**6)]


def exact_ranking(train, query, k):
    """Reference for small-integer vectors: cosines compared exactly as
    fractions (``sign(d) d^2 / (|q|^2 |t|^2)``; 0 for a zero vector), ties
    by lower index."""

    def key(j):
        dot = int(sum(int(a) * int(b) for a, b in zip(query, train[j])))
        norms = int((query.long()**2).sum()) * int((train[j].long()**2).sum())
        return -Fraction(dot * abs(dot), max(norms, 1)), j

    return sorted(range(train.shape[0]), key=key)[:k]


def test_one_by_one_chunks_equal_one_block():
    torch.manual_seed(3)
    train = torch.randn(40, 4).round()  # many exactly equal similarities
    test = torch.randn(9, 4).round()
    labels = torch.randint(0, 3, (40, ))
    results = [
        exact_neighbors(train, test, 6, chunk_size=c, train_chunk_size=t)
        for c, t in CHUNKINGS
    ]
    scores = [
        exact_predict(
            train, labels, test, 3, ks=6, chunk_size=c, train_chunk_size=t)[6]
        for c, t in CHUNKINGS
    ]
    for (sims, idx), score in zip(results[1:], scores[1:]):
        # the same neighbours and bit for bit the same similarities
        assert torch.equal(idx, results[0][1])
        assert torch.equal(sims, results[0][0])
        assert torch.equal(score, scores[0])
    # and the neighbours of exact arithmetic, ties by index
    assert results[0][1].tolist() == [
        exact_ranking(train, q, 6) for q in test
    ]


def test_equal_cosines_of_the_brief_tie_at_the_kth_place():
    # query (1, 1, 0, 0); cosines: 0, 1/sqrt(6), 1/sqrt(2), 1/sqrt(6),
    # 2/sqrt(6): rows 1 and 3 tie exactly, and only one fits in k = 3
    train = torch.tensor([[0., 0., 1., 0.], [0., 1., 1., 1.],
                          [1., 0., 0., 0.], [1., 0., 1., 1.],
                          [1., 1., 1., 0.]])
    query = torch.tensor([[1., 1., 0., 0.]])
    for c, t in CHUNKINGS:
        sims, idx = exact_neighbors(
            train, query, 3, chunk_size=c, train_chunk_size=t)
        assert idx.tolist() == [[4, 2, 1]]
        assert sims[0].tolist() == pytest.approx(
            [2 / math.sqrt(6), 1 / math.sqrt(2), 1 / math.sqrt(6)])
        sims, idx = exact_neighbors(
            train, query, 4, chunk_size=c, train_chunk_size=t)
        assert idx.tolist() == [[4, 2, 1, 3]] and sims[0, 2] == sims[0, 3]


def _symmetric_ties(seed):
    """Queries with equal coordinates and train rows in tied groups: a row,
    its image under a swap of two equal coordinates of the query and
    positive multiples of both. Each group appears twice, in opposite
    orders, so that any difference between the computed similarities of a
    tied group puts a higher index first in one of the two copies."""
    gen = torch.Generator().manual_seed(seed)
    queries, rows = [], []
    for _ in range(12):
        q = torch.randint(-3, 4, (6, ), generator=gen)
        q[1] = q[0] = torch.randint(1, 4, (1, ), generator=gen)
        queries.append(q)
        a = torch.randint(-3, 4, (6, ), generator=gen)
        a[0], a[1] = 1 + torch.randint(0, 3, (1, ), generator=gen), \
            -1 - torch.randint(0, 3, (1, ), generator=gen)
        swapped = a[[1, 0, 2, 3, 4, 5]]
        group = [a, swapped, 2 * a, 3 * swapped]
        rows += group + group[::-1]
    train = torch.stack(rows).float()
    perm = torch.randperm(train.shape[0], generator=gen)
    return train[perm], torch.stack(queries).float()


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_exact_ties_rank_by_index_whatever_the_chunking(seed):
    train, queries = _symmetric_ties(seed)
    want = [exact_ranking(train, q, 20) for q in queries]
    first = None
    for c, t in CHUNKINGS:
        sims, idx = exact_neighbors(
            train, queries, 20, chunk_size=c, train_chunk_size=t)
        assert idx.tolist() == want
        first = sims if first is None else first
        assert torch.equal(sims, first)


@pytest.mark.parametrize('dim', [16, 512])
def test_random_features_identical_for_every_chunking(dim):
    gen = torch.Generator().manual_seed(dim)
    train = torch.randn(300, dim, generator=gen)
    test = torch.randn(37, dim, generator=gen)
    # near-duplicates: similarities within a few float32 ulps of each other
    train[150:200] = train[100:150] * (1 + 1e-7 * torch.randn(50, 1,
                                                               generator=gen))
    labels = torch.randint(0, 5, (300, ), generator=gen)
    results = [
        exact_neighbors(train, test, 30, chunk_size=c, train_chunk_size=t)
        for c, t in CHUNKINGS
    ]
    for sims, idx in results[1:]:
        assert torch.equal(idx, results[0][1])
        assert torch.equal(sims, results[0][0])
    # against float64 brute force (where it is not a near-tie)
    ref = F.normalize(test.double(), dim=1) @ F.normalize(
        train.double(), dim=1).T
    assert torch.allclose(results[0][0].double(),
                          ref.gather(1, results[0][1]), atol=1e-6)
    assert torch.allclose(
        results[0][0].double(), ref.topk(30, dim=1).values, atol=1e-6)
    scores = [
        exact_predict(
            train, labels, test, 5, ks=(1, 30), chunk_size=c,
            train_chunk_size=t) for c, t in CHUNKINGS
    ]
    for score in scores[1:]:
        assert all(torch.equal(score[k], scores[0][k]) for k in (1, 30))


def test_dot_product_mode_is_exact_and_chunk_independent():
    # rows of different norms; dot products 6, 6, 12, 3 with the query
    train = torch.tensor([[1., 2., 3.], [3., 2., 1.], [2., 4., 6.],
                          [0., 0., 3.]])
    query = torch.tensor([[1., 1., 1.]])
    for c, t in CHUNKINGS:
        sims, idx = exact_neighbors(
            train, query, 4, chunk_size=c, train_chunk_size=t,
            normalize=False)
        assert idx.tolist() == [[2, 0, 1, 3]]
        assert sims.tolist() == [[12., 6., 6., 3.]]


# The float32 default. Its similarities are within FAST_ATOL of the exact
# ones (float32 products of unit vectors: about d * 2**-24 in the worst
# case, 4e-6 at d = 64; TF32 on CUDA would need 1e-3); its last bits may
# depend on the BLAS and the block shape, so it is compared with the exact
# mode on data whose neighbours are separated by far more than that.
FAST_ATOL = 1e-5


def _well_separated(seed, num_train=400, num_test=100, dim=64, k=10):
    """Random features whose exact top-``k + 1`` cosines (float64) are at
    least ``100 * FAST_ATOL`` apart for every query, so that no rounding of
    ``FAST_ATOL`` can reorder the ``k`` neighbours."""
    gen = torch.Generator().manual_seed(seed)
    train = torch.randn(num_train, dim, generator=gen)
    test = torch.randn(num_test, dim, generator=gen)
    ref = F.normalize(test.double(), dim=1) @ F.normalize(
        train.double(), dim=1).T
    top = ref.topk(k + 1, dim=1).values
    keep = (top[:, :-1] - top[:, 1:]).min(dim=1).values > 100 * FAST_ATOL
    return train, test[keep]


@pytest.mark.parametrize('chunking', CHUNKINGS + [(5, 64)])
def test_fast_mode_agrees_with_exact_on_well_separated_data(chunking):
    train, test = _well_separated(0)
    assert test.shape[0] >= 20  # enough queries survive the separation
    want_sims, want_idx = exact_neighbors(train, test, 10)
    c, t = chunking
    sims, idx = knn_neighbors(train, test, 10, chunk_size=c,
                              train_chunk_size=t)
    assert sims.dtype == torch.float32
    assert torch.equal(idx, want_idx)
    assert torch.allclose(sims, want_sims, atol=FAST_ATOL, rtol=0)
    assert (sims[:, :-1] >= sims[:, 1:]).all()  # decreasing


def test_fast_mode_edge_cases():
    # k beyond the train set, the dot-product mode, cosine not dot product
    train = torch.tensor([[1., 2., 3.], [3., 2., 1.], [2., 4., 6.],
                          [0., 0., 3.]])
    query = torch.tensor([[1., 1., 1.]])
    sims, idx = knn_neighbors(train, query, 10, normalize=False)
    assert idx.shape == (1, 4) and idx[0, 0] == 2 and idx[0, 3] == 3
    assert set(idx[0, 1:3].tolist()) == {0, 1}  # a tie: either order
    assert sims.tolist() == [[12., 6., 6., 3.]]
    sims, idx = knn_neighbors(train, query, 1, train_chunk_size=1)
    assert idx.tolist() == [[0]] or idx.tolist() == [[1]] or \
        idx.tolist() == [[2]]  # rows 0, 1, 2 have cosine 6 / sqrt(42)
    assert sims.item() == pytest.approx(6 / math.sqrt(42), abs=FAST_ATOL)


def test_fast_mode_leaves_the_tf32_flag_alone():
    before = torch.backends.cuda.matmul.allow_tf32
    knn_neighbors(torch.randn(20, 8), torch.randn(3, 8), 2)
    assert torch.backends.cuda.matmul.allow_tf32 == before


def test_fast_mode_accuracies_equal_exact_on_well_separated_data():
    train, test = _well_separated(1, k=20)
    gen = torch.Generator().manual_seed(1)
    labels = torch.randint(0, 4, (train.shape[0], ), generator=gen)
    test_labels = torch.randint(0, 4, (test.shape[0], ), generator=gen)
    args = (train, labels, test, test_labels)
    kwargs = dict(ks=(1, 5, 20), topk=(1, 2), chunk_size=7,
                  train_chunk_size=50)
    fast = knn_accuracy(*args, **kwargs)
    assert fast == knn_accuracy(*args, **kwargs, exact=True)
    scores = knn_predict(train, labels, test, 4, ks=20)[20]
    want = exact_predict(train, labels, test, 4, ks=20)[20]
    assert torch.allclose(scores, want, rtol=1e-3)  # exp(1e-5 / 0.07) - 1
