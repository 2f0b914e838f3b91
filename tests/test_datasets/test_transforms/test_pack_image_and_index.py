"""PackImageAndIndex gives what PackSelfSupInputs(algorithm_keys=
['sample_idx']) gives."""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

import mmbank  # noqa: F401
from mmbank.datasets.transforms import PackImageAndIndex
from mmselfsup.datasets.transforms import PackSelfSupInputs
from mmselfsup.registry import TRANSFORMS
from mmselfsup.structures import SelfSupDataSample


def _both(results):
    ours = PackImageAndIndex()(dict(results))
    theirs = PackSelfSupInputs(algorithm_keys=['sample_idx'])(dict(results))
    return ours, theirs


def _assert_same(ours, theirs):
    assert set(ours) == set(theirs) == {'inputs', 'data_samples'}
    assert len(ours['inputs']) == len(theirs['inputs'])
    for a, b in zip(ours['inputs'], theirs['inputs']):
        assert a.dtype == b.dtype and a.is_contiguous()
        assert torch.equal(a, b)
    assert isinstance(ours['data_samples'], SelfSupDataSample)
    a = ours['data_samples'].sample_idx.value
    b = theirs['data_samples'].sample_idx.value
    assert a.dtype == b.dtype and torch.equal(a, b)
    assert set(ours['data_samples'].keys()) == set(
        theirs['data_samples'].keys())


def test_registered():
    init_default_scope('mmselfsup')
    assert isinstance(
        TRANSFORMS.build(dict(type='PackImageAndIndex')), PackImageAndIndex)


@pytest.mark.parametrize('shape', [(5, 7, 3), (5, 7)])
def test_one_image_as_packsselfsupinputs(shape):
    img = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape)
    ours, theirs = _both(dict(img=img, sample_idx=41))
    _assert_same(ours, theirs)
    assert ours['inputs'][0].shape == (shape[2] if len(shape) == 3 else 1,
                                       5, 7)
    first_channel = img[..., 0] if len(shape) == 3 else img
    assert torch.equal(ours['inputs'][0][0], torch.from_numpy(first_channel))
    assert ours['data_samples'].sample_idx.value.tolist() == [41]


def test_a_list_of_views_gives_one_tensor_each():
    rng = np.random.RandomState(0)
    views = [rng.randint(0, 256, (4, 6, 3), dtype=np.uint8) for _ in range(3)]
    ours, theirs = _both(dict(img=views, sample_idx=3))
    _assert_same(ours, theirs)
    assert len(ours['inputs']) == 3


@pytest.mark.parametrize('results, error', [
    (dict(img=np.zeros((2, 2, 3), np.uint8)), KeyError),
    (dict(sample_idx=0), KeyError),
    (dict(img=np.zeros((1, 2, 2, 3), np.uint8), sample_idx=0), ValueError),
])
def test_missing_keys_and_bad_shapes_raise(results, error):
    with pytest.raises(error):
        PackImageAndIndex()(results)
