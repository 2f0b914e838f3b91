import math

import pytest
import torch

from mmbank.models import ConsistencyLoss


def test_consistency_loss_by_hand():
    loss = ConsistencyLoss(temperature=0.5, loss_weight=2.0)
    a = torch.tensor([[0.0, 1.0]])
    b = torch.tensor([[1.0, 0.0]])
    p = torch.softmax(a / 0.5, 1)[0].tolist()
    q = torch.softmax(b / 0.5, 1)[0].tolist()
    kl_pq = sum(x * math.log(x / y) for x, y in zip(p, q))
    kl_qp = sum(y * math.log(y / x) for x, y in zip(p, q))
    expected = 2.0 * (kl_pq + kl_qp) / 2
    assert loss(torch.stack([a, b])).item() == pytest.approx(expected,
                                                             rel=1e-5)


def test_consistency_loss_takes_one_convention():
    loss = ConsistencyLoss()
    a = torch.zeros(1, 2)
    for bad in (a, torch.zeros(1, 1, 2), (a, a)):
        with pytest.raises(ValueError, match=r'\(K, B, C\)'):
            loss(bad)
    with pytest.raises(ValueError, match='temperature'):
        ConsistencyLoss(temperature=0)
