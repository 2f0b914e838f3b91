"""OfflineCIFAR10's index_range and its manifest check."""
import os.path as osp

import pytest

from mmbank.datasets import OfflineCIFAR10
from mmbank.datasets.converters import convert_cifar10

from conftest import write_cifar_images  # noqa: I100  (tests/conftest.py)


def test_index_range_takes_a_contiguous_block(tiny_cifar10):
    full = OfflineCIFAR10(data_prefix=tiny_cifar10, test_mode=False,
                          pipeline=[])
    part = OfflineCIFAR10(data_prefix=tiny_cifar10, test_mode=False,
                          pipeline=[], index_range=(10, 16))
    assert len(part) == 6
    for i in range(6):
        assert (part.get_data_info(i)['img'] ==
                full.get_data_info(10 + i)['img']).all()
        assert part.get_data_info(i)['gt_label'] == \
            full.get_data_info(10 + i)['gt_label']


@pytest.mark.parametrize('bad', [(5, 5), (-1, 3), (3, ), 'ab', (1.0, 2)])
def test_index_range_refuses_bad_ranges(tiny_cifar10, bad):
    with pytest.raises(ValueError, match='index_range'):
        OfflineCIFAR10(data_prefix=tiny_cifar10, test_mode=False,
                       pipeline=[], index_range=bad)


def test_index_range_past_the_end_and_with_indices(tiny_cifar10):
    with pytest.raises(ValueError, match='past the end'):
        OfflineCIFAR10(data_prefix=tiny_cifar10, test_mode=False,
                       pipeline=[], index_range=(10, 17))
    with pytest.raises(ValueError, match='not both'):
        OfflineCIFAR10(data_prefix=tiny_cifar10, test_mode=False,
                       pipeline=[], index_range=(0, 2), indices=3)


def test_tampered_pickle_fails_the_manifest_check(tmp_path):
    write_cifar_images(str(tmp_path / 'src'))
    out = convert_cifar10(str(tmp_path / 'src'), str(tmp_path / 'out'),
                          check_counts=False, progress=False)
    with open(osp.join(out, 'test_batch'), 'ab') as f:
        f.write(b'x')
    with pytest.raises(RuntimeError, match='Cannot find OfflineCIFAR10'):
        OfflineCIFAR10(data_prefix=str(tmp_path / 'out'), test_mode=True,
                       download=False)
