"""topk_accuracy: ties and fewer classes than k."""
import pytest
import torch

from mmbank.evaluation.functional import topk_accuracy


def test_top5_with_fewer_than_5_classes_is_topC():
    scores = torch.tensor([[3., 2., 1.], [0., 0., 5.], [1., 2., 3.]])
    labels = torch.tensor([2, 0, 0])
    acc = topk_accuracy(scores, labels, topk=(1, 2, 5))
    assert acc[1] == 0.0
    # row 1: classes 0 and 1 tie at 0, ranked 0 then 1 -> class 0 2nd
    assert acc[2] == pytest.approx(100 / 3)
    assert acc[5] == 100.0
