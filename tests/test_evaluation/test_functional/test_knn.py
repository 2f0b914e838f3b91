"""Weighted kNN maths against hand computations."""
import math
from fractions import Fraction

import pytest
import torch
import torch.nn.functional as F

import mmbank  # noqa: F401
from mmbank.evaluation.functional import (knn_accuracy, knn_neighbors,
                                          knn_predict, knn_vote, topk_accuracy,
                                          topk_correct)
from mmbank.evaluation.functional.knn import (NonFiniteFeaturesError,
                                              check_finite_features)

torch.set_num_threads(1)  # 2 cores, shared


def unit(*angles_deg):
    """Unit 2-D vectors at the given angles, ``(N, 2)``."""
    rad = torch.tensor(angles_deg, dtype=torch.float64) * math.pi / 180
    return torch.stack([rad.cos(), rad.sin()], 1).float()


def brute_force_scores(train, train_labels, test, num_classes, k, t):
    """Reference: full similarity matrix, plain loops, exp(sim / T)."""
    sims = F.normalize(
        test.double(), dim=1) @ F.normalize(
            train.double(), dim=1).T
    scores = torch.zeros(test.shape[0], num_classes, dtype=torch.float64)
    for i in range(test.shape[0]):
        order = sorted(range(train.shape[0]), key=lambda j: -sims[i, j])
        for j in order[:k]:
            scores[i, train_labels[j]] += math.exp(sims[i, j] / t)
    return scores


def test_hand_computed_scores_and_neighbours():
    # train at 0, 90, 180, 53.13 degrees; test at 36.87 degrees:
    # cosines 0.8, 0.6, -0.8, 0.96
    train = torch.tensor([[1., 0.], [0., 1.], [-1., 0.], [0.6, 0.8]])
    labels = torch.tensor([0, 1, 1, 0])
    test = torch.tensor([[0.8, 0.6]])
    sims, idx = knn_neighbors(train, test, k=4)
    assert idx.tolist() == [[3, 0, 1, 2]]
    assert torch.allclose(sims, torch.tensor([[0.96, 0.8, 0.6, -0.8]]))

    t = 0.1
    scores = knn_predict(train, labels, test, 2, ks=(1, 3), temperature=t)
    # scores are exp(sim / T) times exp(-best_sim / T)
    scale = math.exp(0.96 / t)
    assert scores[1][0].tolist() == pytest.approx(
        [math.exp(0.96 / t) / scale, 0.0])
    assert (scores[3][0] * scale).tolist() == pytest.approx(
        [math.exp(0.96 / t) + math.exp(0.8 / t),
         math.exp(0.6 / t)])


def test_features_are_cosine_not_dot_product():
    train = torch.tensor([[10., 0.], [0., 1.]])
    test = torch.tensor([[0.1, 1.]])  # closer in angle to the 2nd
    _, idx = knn_neighbors(train, test, k=1)
    assert idx.item() == 1
    _, idx = knn_neighbors(train, test, k=1, normalize=False)
    assert idx.item() == 0


def test_equal_class_scores_pick_the_lower_class_index():
    # the test vector is exactly between a class-1 and a class-0 sample
    train = unit(0, 90)
    test = unit(45)
    for labels in ([1, 0], [0, 1]):
        scores = knn_predict(train, torch.tensor(labels), test, 2, ks=2)[2]
        assert scores[0, 0] == scores[0, 1]
        assert topk_correct(scores, torch.tensor([0]), (1, ))[1].item()
        assert not topk_correct(scores, torch.tensor([1]), (1, ))[1].item()


@pytest.mark.parametrize('train_chunk_size', [1, 2, 5])
def test_equal_neighbours_ordered_by_train_index(train_chunk_size):
    # samples 1, 2 and 4 are the same vector; k = 2 keeps the lower two
    train = unit(90, 10, 10, 170, 10)
    sims, idx = knn_neighbors(
        train, unit(10), k=2, train_chunk_size=train_chunk_size)
    assert idx.tolist() == [[1, 2]]
    scores = knn_predict(
        train,
        torch.tensor([0, 1, 2, 0, 0]),
        unit(10),
        3,
        ks=2,
        train_chunk_size=train_chunk_size)[2]
    assert scores[0].tolist() == pytest.approx([0.0, 1.0, 1.0])


def test_k_larger_than_the_train_set_uses_every_sample():
    train, labels = unit(0, 20, 100), torch.tensor([0, 0, 1])
    test = unit(90, 5)
    sims, idx = knn_neighbors(train, test, k=200)
    assert idx.shape == (2, 3)
    scores = knn_predict(train, labels, test, 2, ks=(3, 200))
    assert torch.equal(scores[3], scores[200])
    acc = knn_accuracy(
        train,
        labels,
        test,
        torch.tensor([1, 0]),
        ks=(1, 200),
        temperature=0.1)
    assert acc[1][1] == 100.0
    # with all 3 neighbours, test at 90 degrees: class 0 gets
    # e^(cos70/T) + e^(cos90/T) = 30.6 + 1, class 1 e^(cos10/T) = 19030
    assert acc[200][1] == 100.0


def test_a_single_class():
    torch.manual_seed(0)
    train, test = torch.randn(20, 8), torch.randn(7, 8)
    acc = knn_accuracy(
        train,
        torch.zeros(20, dtype=torch.long),
        test,
        torch.zeros(7, dtype=torch.long),
        ks=(1, 10))
    assert acc == {1: {1: 100.0, 5: 100.0}, 10: {1: 100.0, 5: 100.0}}
    scores = knn_predict(
        train, torch.zeros(20, dtype=torch.long), test, 1, ks=10)[10]
    assert scores.shape == (7, 1) and (scores > 0).all()


def test_top5_with_fewer_than_5_classes_is_topC():
    scores = torch.tensor([[3., 2., 1.], [0., 0., 5.], [1., 2., 3.]])
    labels = torch.tensor([2, 0, 0])
    acc = topk_accuracy(scores, labels, topk=(1, 2, 5))
    assert acc[1] == 0.0
    # row 1: classes 0 and 1 tie at 0, ranked 0 then 1 -> class 0 2nd
    assert acc[2] == pytest.approx(100 / 3)
    assert acc[5] == 100.0


def test_hand_computed_accuracy_several_k():
    # unit circle: class 0 at 0-20 degrees, class 1 at 80-100 degrees
    train = unit(0, 10, 20, 80, 90, 100)
    labels = torch.tensor([0, 0, 0, 1, 1, 1])
    test = unit(30, 85, 57)
    test_labels = torch.tensor([0, 1, 0])  # 57 degrees is nearer class 1
    acc = knn_accuracy(
        train,
        labels,
        test,
        test_labels,
        ks=(1, 4, 6),
        temperature=0.5,
        topk=(1, 2))
    # k=1: 20 -> 0 (right), 80 or 90 -> 1 (right), 80 -> 1 (wrong)
    # k=6: 57 degrees: class 1 sims cos 23, 33, 43 beat cos 37, 47, 57
    for k in (1, 4, 6):
        assert acc[k][1] == pytest.approx(200 / 3)
        assert acc[k][2] == 100.0
        ref = brute_force_scores(train, labels, test, 2, k, 0.5)
        assert ref.argmax(1).tolist() == [0, 1, 1]


@pytest.mark.parametrize('chunk_size,train_chunk_size', [(3, 11), (7, 13),
                                                         (64, 1000),
                                                         (1000, 50)])
def test_chunked_equals_unchunked_and_brute_force(chunk_size,
                                                  train_chunk_size):
    torch.manual_seed(1)
    train, test = torch.randn(300, 16), torch.randn(77, 16)
    labels = torch.randint(0, 7, (300, ))
    test_labels = torch.randint(0, 7, (77, ))
    full = knn_predict(
        train,
        labels,
        test,
        7,
        ks=(1, 5, 20, 300),
        temperature=0.07,
        chunk_size=10**6,
        train_chunk_size=10**6)
    chunked = knn_predict(
        train,
        labels,
        test,
        7,
        ks=(1, 5, 20, 300),
        temperature=0.07,
        chunk_size=chunk_size,
        train_chunk_size=train_chunk_size)
    for k in full:
        assert torch.allclose(full[k], chunked[k], rtol=1e-5, atol=1e-6)
        assert torch.equal(full[k].argmax(1), chunked[k].argmax(1))
    ref = brute_force_scores(train, labels, test, 7, 20, 0.07)
    ref = ref / ref.max(dim=1, keepdim=True).values
    got = full[20] / full[20].max(dim=1, keepdim=True).values
    assert torch.allclose(got.double(), ref, rtol=1e-4, atol=1e-6)
    a = knn_accuracy(
        train,
        labels,
        test,
        test_labels,
        ks=(5, 20),
        chunk_size=chunk_size,
        train_chunk_size=train_chunk_size)
    b = knn_accuracy(train, labels, test, test_labels, ks=(5, 20))
    assert a == b


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
        knn_neighbors(train, test, 6, chunk_size=c, train_chunk_size=t)
        for c, t in CHUNKINGS
    ]
    scores = [
        knn_predict(
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
        sims, idx = knn_neighbors(
            train, query, 3, chunk_size=c, train_chunk_size=t)
        assert idx.tolist() == [[4, 2, 1]]
        assert sims[0].tolist() == pytest.approx(
            [2 / math.sqrt(6), 1 / math.sqrt(2), 1 / math.sqrt(6)])
        sims, idx = knn_neighbors(
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
        sims, idx = knn_neighbors(
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
        knn_neighbors(train, test, 30, chunk_size=c, train_chunk_size=t)
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
        knn_predict(
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
        sims, idx = knn_neighbors(
            train, query, 4, chunk_size=c, train_chunk_size=t,
            normalize=False)
        assert idx.tolist() == [[2, 0, 1, 3]]
        assert sims.tolist() == [[12., 6., 6., 3.]]


def test_non_finite_features_are_refused():
    train, test = torch.randn(5, 4), torch.randn(3, 4)
    for bad in (float('nan'), float('inf'), -float('inf')):
        broken = train.clone()
        broken[2, 1] = bad
        with pytest.raises(NonFiniteFeaturesError,
                           match=r'train \(memory\) features contain NaN '
                           r'or infinite values \(1 of 5 rows\)'):
            knn_neighbors(broken, test, 2)
        with pytest.raises(ValueError, match='test features contain NaN'):
            knn_predict(train, torch.zeros(5), broken[:3], 2)
    with pytest.raises(NonFiniteFeaturesError, match='^Mine contain NaN'):
        check_finite_features(torch.tensor([[float('nan')]]), 'Mine')
    check_finite_features(train)


def test_agrees_with_mmselfsup_knn_eval():
    from mmselfsup.evaluation.functional import knn_eval
    torch.manual_seed(2)
    centres = torch.randn(5, 32)
    train_labels = torch.randint(0, 5, (400, ))
    test_labels = torch.randint(0, 5, (200, ))
    train = centres[train_labels] + 2 * torch.randn(400, 32)
    test = centres[test_labels] + 2 * torch.randn(200, 32)
    ours = knn_accuracy(
        train, train_labels, test, test_labels, ks=(10, 50), temperature=0.07)
    for k in (10, 50):
        top1, top5 = knn_eval(
            train, train_labels, test, test_labels, k, 0.07, num_classes=5)
        assert ours[k][1] == pytest.approx(top1)
        assert ours[k][5] == pytest.approx(top5)


def test_tiny_temperature_does_not_overflow():
    train = unit(0, 5, 90)
    scores = knn_predict(
        train, torch.tensor([0, 0, 1]), unit(80), 2, ks=3, temperature=1e-4)[3]
    assert torch.isfinite(scores).all()
    assert scores[0].argmax().item() == 1


def test_vote_of_more_neighbours_than_given():
    sims = torch.tensor([[0.9, 0.5]])
    scores = knn_vote(
        sims, torch.tensor([[1, 0]]), 2, ks=(1, 5), temperature=1.0)
    assert scores[1].tolist()[0] == pytest.approx([0.0, 1.0])
    assert scores[5].tolist()[0] == pytest.approx([math.exp(-0.4), 1.0])


def test_bad_input_is_refused_clearly():
    train, test = torch.randn(5, 8), torch.randn(3, 4)
    labels = torch.zeros(5, dtype=torch.long)
    with pytest.raises(ValueError, match='different sizes: 8 vs 4'):
        knn_predict(train, labels, test, 2)
    with pytest.raises(ValueError, match='test set is empty'):
        knn_predict(train, labels, torch.empty(0, 8), 2)
    with pytest.raises(ValueError, match='train .* set is empty'):
        knn_accuracy(
            torch.empty(0, 8),
            torch.empty(0),
            torch.randn(3, 8),
            torch.zeros(3),
            num_classes=2)
    with pytest.raises(ValueError, match='must lie in'):
        knn_predict(train, torch.full((5, ), 3), torch.randn(3, 8), 2)
    with pytest.raises(ValueError, match='5 labels for 4'):
        knn_predict(torch.randn(4, 8), labels, torch.randn(3, 8), 2)
    with pytest.raises(ValueError, match='positive'):
        knn_predict(train, labels, torch.randn(3, 8), 2, ks=(0, ))
    with pytest.raises(ValueError, match='temperature'):
        knn_predict(train, labels, torch.randn(3, 8), 2, temperature=0)
    with pytest.raises(ValueError, match='2-D'):
        knn_neighbors(torch.randn(5), torch.randn(3, 8), 1)
