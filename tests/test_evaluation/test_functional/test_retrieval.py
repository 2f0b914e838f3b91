"""Recall@K and NMI of unseen-category retrieval against hand computations."""
import math
from fractions import Fraction

import numpy as np
import pytest
import torch

from mmbank.evaluation.functional import (nmi, recall_at_k, retrieval_scores,
                                          stable_topk)
from mmbank.evaluation.functional.retrieval import retrieval_neighbors


def recall_exact(*args, **kwargs):
    """:func:`recall_at_k` in its exact mode (ties by index, any chunking),
    the one the tie and chunking tests pin."""
    return recall_at_k(*args, exact=True, **kwargs)


def neighbors_exact(*args, **kwargs):
    """:func:`retrieval_neighbors` in its exact mode."""
    return retrieval_neighbors(*args, exact=True, **kwargs)

# Four unit vectors on a quarter circle. Cosine similarities:
#   s01 = .8, s02 = .6, s03 = 0, s12 = .96, s13 = .6, s23 = .8
# Neighbours (query excluded) and their labels:
#   q0 (label 0): 1 (1), 2 (0), 3 (1)  -> first same-class neighbour at 2
#   q1 (label 1): 2 (0), 0 (0), 3 (1)  -> 3
#   q2 (label 0): 1 (1), 3 (1), 0 (0)  -> 3
#   q3 (label 1): 2 (0), 1 (1), 0 (0)  -> 2
QUARTER = torch.tensor([[1., 0.], [.8, .6], [.6, .8], [0., 1.]])
QUARTER_LABELS = torch.tensor([0, 1, 0, 1])


def test_recall_hand_computed_and_query_excluded():
    r = recall_at_k(QUARTER, QUARTER_LABELS, ks=[1, 2, 3])
    # without excluding the query, every R@K would be 1
    assert r == {1: 0.0, 2: 0.5, 3: 1.0}


def test_k_larger_than_the_set_is_clipped():
    r = recall_at_k(QUARTER, QUARTER_LABELS, ks=[1, 8, 100])
    assert r == {1: 0.0, 8: 1.0, 100: 1.0}
    # queries whose class has no other sample (1 and 3) never hit
    r = recall_at_k(QUARTER, torch.tensor([0, 1, 0, 2]), ks=[100])
    assert r == {100: 0.5}


def test_cosine_ignores_the_norm():
    scaled = QUARTER * torch.tensor([[3.], [.1], [7.], [.5]])
    assert recall_at_k(scaled, QUARTER_LABELS, [1, 2, 3]) == \
        recall_at_k(QUARTER, QUARTER_LABELS, [1, 2, 3])


def test_ties_are_ranked_by_index():
    # s01 = s02 = 0, s12 = -1: q0's two neighbours tie, sample 1 ranks first
    feats = torch.tensor([[1., 0.], [0., 1.], [0., -1.]])
    # labels 0, 1, 0: q0 -> 1 (miss; 2 first would hit), q1 -> 0 (miss),
    # q2 -> 0 (hit)
    assert recall_exact(feats, torch.tensor([0, 1, 0]), [1]) == {1: 1 / 3}
    # labels 0, 0, 1: q0 -> 1 (hit), q1 -> 0 (hit), q2 -> 0 (miss)
    assert recall_exact(feats, torch.tensor([0, 0, 1]), [1]) == {1: 2 / 3}


def test_ties_hand_computed():
    # All three other samples are at similarity 0 from q0 = e1; samples 1
    # and 2 (+-e2) are at -1 from each other and 0 from e1 and e3 = -e1...
    feats = torch.tensor([[1., 0.], [0., 1.], [0., -1.], [-1., 0.]])
    # sims: s01 = s02 = 0, s03 = -1, s12 = -1, s13 = s23 = 0
    # q0: tie {1, 2} -> 1 first, then 2, then 3
    # q1: tie {0, 3} -> 0 first, then 3, then 2
    # q2: tie {0, 3} -> 0 first, then 3, then 1
    # q3: tie {1, 2} -> 1 first, then 2, then 0
    labels = torch.tensor([0, 1, 0, 1])
    # R@1: q0 -> 1 (miss), q1 -> 0 (miss), q2 -> 0 (hit), q3 -> 1 (hit)
    # R@2: q0 -> {1, 2} hit, q1 -> {0, 3} hit, q2 hit, q3 hit
    assert recall_exact(feats, labels, [1, 2]) == {1: 0.5, 2: 1.0}
    assert stable_topk(torch.tensor([[0., 2., 1., 2., 2.]]),
                       3).tolist() == [[1, 3, 4]]


def test_single_class():
    feats = torch.randn(5, 3)
    assert recall_at_k(feats, torch.zeros(5, dtype=torch.long), [1, 4]) == {
        1: 1.0,
        4: 1.0
    }
    assert nmi(feats, torch.zeros(5, dtype=torch.long)) == 1.0


def exact_neighbors(feats, k):
    """Reference for small-integer features: each query's others ranked by
    exact cosine (``sign(d) d^2 / (|q|^2 |t|^2)`` as a fraction), ties by
    lower index."""
    feats = np.asarray(feats).astype(np.int64)
    sq = (feats**2).sum(1)
    out = []
    for q in range(len(feats)):

        def key(j):
            dot = int(feats[q] @ feats[j])
            return -Fraction(dot * abs(dot), int(sq[q] * sq[j])), j

        out.append(sorted((j for j in range(len(feats)) if j != q),
                          key=key)[:k])
    return out


def recall_from_neighbors(neighbors, labels, ks):
    num = len(labels)
    return {
        k: sum(
            any(labels[j] == labels[q] for j in neighbors[q][:k])
            for q in range(num)) / num
        for k in ks
    }


@pytest.mark.parametrize('max_elements', [1, 7 * 37, 2**24])
def test_chunked_equals_brute_force(max_elements):
    rng = np.random.RandomState(0)
    # few distinct directions so that ties occur; all their exactly equal
    # cosines come from symmetric images (sign flips and permutations)
    feats = rng.randint(-1, 2, size=(37, 3)).astype(np.float32)
    feats[np.abs(feats).sum(1) == 0] = 1.
    want = exact_neighbors(feats, 36)
    got = neighbors_exact(feats, 40, max_elements=max_elements)
    assert got.tolist() == want  # neighbour order, ties by index
    for _ in range(5):
        labels = rng.randint(0, 4, size=37)
        ks = [1, 2, 4, 8, 40]
        got = recall_exact(feats, labels, ks, max_elements=max_elements)
        ref = recall_from_neighbors(want, labels, [1, 2, 4, 8, 36])
        assert [got[k] for k in ks] == [ref[k] for k in [1, 2, 4, 8, 36]]


def _tied_pairs(seed):
    """Groups of rows with exactly equal cosines to a query ``q`` whose
    first two coordinates are equal: ``a``, ``a`` with those coordinates
    swapped, and positive multiples. Every other row is orthogonal to ``q``
    (last coordinate only), far below the groups."""
    gen = torch.Generator().manual_seed(seed)
    q = torch.randint(-3, 4, (6, ), generator=gen)
    q[5] = 0
    q[0] = q[1] = torch.randint(1, 4, (1, ), generator=gen)
    rows = [q]
    for _ in range(6):
        a = torch.randint(-3, 4, (6, ), generator=gen)
        a[5] = 0
        a[0], a[1] = 1 + torch.randint(0, 3, (1, ), generator=gen), \
            -1 - torch.randint(0, 3, (1, ), generator=gen)
        rows += [a, a[[1, 0, 2, 3, 4, 5]], 3 * a, 2 * a[[1, 0, 2, 3, 4, 5]]]
    return torch.stack(rows).float()


@pytest.mark.parametrize('seed', [0, 1, 2, 3])
def test_exact_ties_rank_by_index_for_every_chunking(seed):
    feats = _tied_pairs(seed)
    num = feats.shape[0]
    results = [
        neighbors_exact(feats, num, max_elements=m)
        for m in (1, 5 * num, 2**24)
    ]
    for got in results[1:]:
        assert torch.equal(got, results[0])
    # query 0 ranks each tied group by index: a difference of a last bit
    # between its equal cosines would put a higher index first. (Other
    # queries can have exact ties between rows that are not images of each
    # other, e.g. cosines 1 / sqrt(10 * 19) from (1, -3, 1, -2, 2, 0) and
    # (-1, 1, 2, -2, -3, 0): the 2**-24 rounding of the features separates
    # them by ~1e-8, the same way on every machine.)
    want = exact_neighbors(feats, num - 1)[0]
    assert results[0][0].tolist() == want
    neighbors = [want] + results[0][1:].tolist()
    # through Recall@K: query 0 and one member m of a tied group share a
    # class (all other labels distinct) and K ends at the group's first
    # place: the query hits iff m is the group's lowest index
    dots = [int(feats[0] @ feats[j]) for j in want]
    cos = [  # sign(d) d^2 / |t|^2: the order of the cosines
        Fraction(d * abs(d), int(feats[j] @ feats[j]))
        for d, j in zip(dots, want)
    ]
    firsts = [p for p in range(len(cos)) if p == 0 or cos[p] != cos[p - 1]]
    for start in firsts:
        group = [j for j, c in zip(want, cos) if c == cos[start]]
        for member in group:
            labels = torch.arange(num) + 1
            labels[0] = labels[member] = 0
            got = recall_exact(feats, labels, [start + 1], max_elements=num)
            ref = recall_from_neighbors(neighbors, labels.tolist(),
                                        [start + 1])
            assert got == ref


@pytest.mark.parametrize('dim', [8, 512])
def test_random_features_identical_for_every_chunking(dim):
    gen = torch.Generator().manual_seed(dim)
    feats = torch.randn(60, dim, generator=gen)
    feats[30:] = feats[:30] * (1 + 1e-7 * torch.randn(30, 1, generator=gen))
    results = [
        neighbors_exact(feats, 20, max_elements=m)
        for m in (1, 7 * 60, 2**24)
    ]
    for got in results[1:]:
        assert torch.equal(got, results[0])
    labels = torch.randint(0, 6, (60, ), generator=gen)
    recalls = [
        recall_exact(feats, labels, [1, 2, 4, 8], max_elements=m)
        for m in (1, 7 * 60, 2**24)
    ]
    assert recalls[0] == recalls[1] == recalls[2]


def test_stable_topk_matches_stable_sort():
    scores = torch.randint(0, 4, (20, 30)).float()
    for k in (1, 5, 30):
        want = torch.sort(
            scores, dim=1, descending=True, stable=True).indices[:, :k]
        assert torch.equal(stable_topk(scores, k), want)


def test_nmi_hand_computed():
    # two tight, far apart pairs: k-means (k = 2) finds {0, 1} and {2, 3}
    feats = torch.tensor([[1., 0.], [1., .01], [0., 1.], [.01, 1.]])
    assert nmi(feats, torch.tensor([0, 0, 1, 1])) == pytest.approx(1.0)
    assert nmi(feats, torch.tensor([7, 7, 3, 3])) == pytest.approx(1.0)
    # labels independent of the clusters
    assert nmi(feats, torch.tensor([0, 1, 0, 1])) == pytest.approx(0.0)
    # labels 0, 0, 0, 1: H(Y) = H(3/4, 1/4), H(C) = log 2,
    # I = H(Y) - H(Y|C) = H(Y) - log(2) / 2, NMI = I / mean(H(Y), H(C))
    # (only two clusters are asked for: 2 distinct labels)
    h_y = -(.75 * math.log(.75) + .25 * math.log(.25))
    h_c = math.log(2)
    mi = h_y - .5 * math.log(2)
    assert nmi(feats,
               torch.tensor([0, 0, 0,
                             1])) == pytest.approx(mi / ((h_y + h_c) / 2))


def test_nmi_is_seeded():
    rng = np.random.RandomState(1)
    feats, labels = rng.randn(200, 8), rng.randint(0, 6, 200)
    assert nmi(feats, labels, seed=3) == nmi(feats, labels, seed=3)


def test_retrieval_scores_keys():
    scores = retrieval_scores(QUARTER, QUARTER_LABELS, ks=[1, 2])
    assert scores == pytest.approx({
        'recall@1': 0.,
        'recall@2': .5,
        'nmi': nmi(QUARTER, QUARTER_LABELS)
    })
    assert 'nmi' not in retrieval_scores(
        QUARTER, QUARTER_LABELS, ks=[1], with_nmi=False)


@pytest.mark.parametrize('feats,labels,ks,match', [
    (torch.randn(4, 2), torch.arange(3), [1], '4 features but 3 labels'),
    (torch.randn(1, 2), torch.arange(1), [1], 'at least 2 samples'),
    (torch.randn(0, 2), torch.arange(0), [1], 'at least 2 samples'),
    (torch.randn(4), torch.arange(4), [1], r'\(N, D\)'),
    (torch.randn(4, 2), torch.arange(4).float(), [1], 'integers'),
    (torch.tensor([[0., float('nan')], [1., 1.]]), torch.arange(2), [1
                                                                     ], 'NaN'),
    (torch.randn(4, 2), torch.arange(4), [0], 'ints >= 1'),
    (torch.randn(4, 2), torch.arange(4), [], 'ints >= 1'),
])
def test_bad_input(feats, labels, ks, match):
    with pytest.raises(ValueError, match=match):
        recall_at_k(feats, labels, ks)


def test_nmi_bad_input():
    with pytest.raises(ValueError, match='labels'):
        nmi(torch.randn(4, 2), torch.arange(5))
    with pytest.raises(ValueError, match='num_clusters'):
        nmi(torch.randn(4, 2), torch.arange(4), num_clusters=5)


@pytest.mark.parametrize('max_elements', [1, 7 * 30, 2**24])
def test_fast_mode_agrees_with_exact_on_well_separated_data(max_elements):
    # float32 similarities are within 1e-5 of the exact ones (d = 32); keep
    # the samples whose 9 best exact cosines are 1e-3 apart, so no rounding
    # can reorder their 8 neighbours
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(100, 32, generator=gen)
    while True:  # drop the samples with close neighbours until none has
        unit = feats.double() / feats.double().norm(dim=1, keepdim=True)
        sims = (unit @ unit.T).fill_diagonal_(-2)
        top = sims.topk(9, dim=1).values
        close = (top[:, :-1] - top[:, 1:]).min(dim=1).values < 1e-3
        if not close.any():
            break
        feats = feats[~close]
    num = feats.shape[0]
    assert num >= 30
    want = neighbors_exact(feats, 8)
    got = retrieval_neighbors(feats, 8, max_elements=max_elements)
    assert torch.equal(got, want)
    labels = torch.randint(0, 5, (num, ), generator=gen)
    assert recall_at_k(feats, labels, [1, 2, 4, 8],
                       max_elements=max_elements) == \
        recall_exact(feats, labels, [1, 2, 4, 8])
    assert retrieval_scores(feats, labels, [1, 8], with_nmi=False) == \
        retrieval_scores(feats, labels, [1, 8], with_nmi=False, exact=True)
