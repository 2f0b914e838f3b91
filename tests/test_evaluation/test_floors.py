"""kNN floors: pixel features by hand (the tool that reports them:
tests/test_tools/test_knn_floors_tool.py)."""
import pytest
import torch

from mmbank.evaluation.floors import collect_pixels, pixel_features

torch.set_num_threads(1)


def test_pixel_features_centred_by_hand():
    # one image, 2 channels of 1 x 2: mean 4 over all of its values
    x = torch.tensor([[[[1, 3]], [[5, 7]]]], dtype=torch.uint8)
    assert pixel_features(x, 'pixels_centred').tolist() == [[-3, -1, 1, 3]]


def test_pixel_features_standardised_by_hand():
    x = torch.tensor([[[[1, 3]], [[5, 7]]]], dtype=torch.uint8)
    out = pixel_features(x, 'pixels_standardised', mean=(1, 5), std=(2, 4))
    assert out.tolist() == [[0, 1, 0, 0.5]]


def test_pixel_features_refuses_bad_input():
    x = torch.zeros(1, 3, 2, 2)
    with pytest.raises(ValueError, match='mean and std'):
        pixel_features(x, 'pixels_standardised')
    with pytest.raises(ValueError, match='unknown pixel normalisation'):
        pixel_features(x, 'pixels_raw')


def test_collect_pixels_keeps_labels_and_order():
    from mmselfsup.structures import SelfSupDataSample
    from mmengine.structures import LabelData

    def batch(values, labels):
        samples = []
        for label in labels:
            s = SelfSupDataSample()
            s.gt_label = LabelData(value=torch.tensor([label]))
            samples.append(s)
        images = torch.tensor(values, dtype=torch.uint8).view(-1, 1, 1, 2)
        return dict(inputs=[images], data_samples=samples)

    out = collect_pixels([batch([[0, 2], [4, 4]], [3, 1]),
                          batch([[1, 5]], [7])], mean=(0, ), std=(1, ))
    assert out['labels'].tolist() == [3, 1, 7]
    assert out['pixels_centred'].tolist() == [[-1, 1], [0, 0], [-2, 2]]
    assert out['pixels_standardised'].tolist() == [[0, 2], [4, 4], [1, 5]]
