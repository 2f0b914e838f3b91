"""NearDuplicates: a dataset plus mildly changed copies with known pairs."""
import numpy as np
import pytest

from mmbank.datasets import NearDuplicates, near_duplicate
from mmbank.engine.hooks.memory_bank_setup_hook import check_bank_indices


def test_shift_and_brightness_by_hand():
    img = np.arange(9 * 3, dtype=np.uint8).reshape(3, 3, 3) * 4
    # down one row, left one column: the border is replicated
    out = near_duplicate(img, shift=(1, -1))
    assert np.array_equal(out[0], img[0][[1, 2, 2]])
    assert np.array_equal(out[1:, 0], img[:2, 1])
    assert np.array_equal(out[2, 2], img[1, 2])
    doubled = near_duplicate(img, brightness=2.0)
    assert np.array_equal(doubled, np.clip(img.astype(int) * 2, 0, 255))
    assert doubled.dtype == np.uint8
    with pytest.raises(ValueError, match='not smaller than the image'):
        near_duplicate(img, shift=(3, 0))


def test_jpeg_reencoding_is_a_mild_change():
    ramp = np.linspace(0, 255, 32)
    smooth = np.stack(np.broadcast_arrays(ramp[:, None], ramp[None, :],
                                          ramp[:, None] * 0 + 128), axis=-1)
    smooth = smooth.astype(np.uint8)
    out = near_duplicate(smooth, jpeg_quality=75)
    assert out.shape == smooth.shape and out.dtype == np.uint8
    diff = np.abs(out.astype(int) - smooth)
    assert 0 < diff.mean() < 8  # changed, but a little (libjpeg-dependent)


@pytest.fixture(scope='module')
def cifar(tiny_cifar10):
    from mmengine.registry import init_default_scope
    init_default_scope('mmselfsup')
    return dict(type='OfflineCIFAR10', data_prefix=tiny_cifar10,
                test_mode=False, download=False, pipeline=[])


def test_copies_are_samples_of_their_own_with_known_pairs(cifar):
    data = NearDuplicates(cifar, fraction=0.25, max_shift=1,
                          brightness=0.1, jpeg_quality=None, seed=3)
    assert len(data) == 16 + 4
    assert data.pairs.shape == (4, 2)
    assert list(data.pairs[:, 1]) == [16, 17, 18, 19]
    assert len(set(data.pairs[:, 0])) == 4 and data.pairs[:, 0].max() < 16
    labels = data.get_gt_labels()
    for (original, copy), record in zip(data.pairs, data.records()):
        assert record['copy'] == copy and record['original'] == original
        dy, dx = record['shift']
        assert max(abs(dy), abs(dx)) == 1  # never (0, 0)
        assert 0.9 <= record['brightness'] <= 1.1
        info = data.get_data_info(int(copy))
        assert info['sample_idx'] == copy
        assert labels[copy] == labels[original] == info['gt_label']
        expected = near_duplicate(
            data.get_data_info(int(original))['img'], (dy, dx),
            record['brightness'], None)
        assert np.array_equal(info['img'], expected)
    assert data.get_data_info(5)['sample_idx'] == 5
    check_bank_indices(data)  # one sample_idx per bank row
    # seeded: the same copies again, other ones under another seed
    again = NearDuplicates(cifar, fraction=0.25, max_shift=1,
                           brightness=0.1, jpeg_quality=None, seed=3)
    assert again.records() == data.records()
    other = NearDuplicates(cifar, fraction=0.25, seed=4)
    assert other.records() != data.records()


@pytest.mark.parametrize('kwargs,message', [
    (dict(fraction=0), 'fraction must be in'),
    (dict(fraction=0.01), 'no copy at all'),
    (dict(max_shift=-1), 'max_shift'),
    (dict(brightness=1.5), 'brightness'),
    (dict(jpeg_quality=100), 'jpeg_quality'),
])
def test_bad_settings_are_refused(cifar, kwargs, message):
    with pytest.raises(ValueError, match=message):
        NearDuplicates(cifar, **kwargs)
