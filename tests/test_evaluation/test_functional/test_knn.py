"""Weighted kNN maths against hand computations."""
import math

import pytest
import torch
import torch.nn.functional as F

import mmbank  # noqa: F401
from mmbank.evaluation.functional import (knn_accuracy, knn_neighbors,
                                          knn_predict, knn_vote, topk_correct)
from mmbank.evaluation.functional.knn import NonFiniteFeaturesError

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
    # ties rank by train index in the exact search only
    sims, idx = knn_neighbors(
        train, unit(10), k=2, train_chunk_size=train_chunk_size, exact=True)
    assert idx.tolist() == [[1, 2]]
    scores = knn_predict(
        train,
        torch.tensor([0, 1, 2, 0, 0]),
        unit(10),
        3,
        ks=2,
        train_chunk_size=train_chunk_size,
        exact=True)[2]
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
        train_chunk_size=10**6,
        exact=True)
    chunked = knn_predict(
        train,
        labels,
        test,
        7,
        ks=(1, 5, 20, 300),
        temperature=0.07,
        chunk_size=chunk_size,
        train_chunk_size=train_chunk_size,
        exact=True)
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
        train_chunk_size=train_chunk_size,
        exact=True)
    b = knn_accuracy(
        train, labels, test, test_labels, ks=(5, 20), exact=True)
    assert a == b


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
