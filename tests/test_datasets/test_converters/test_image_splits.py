"""read_image_splits (through convert_cifar10): bad input is an error that
names the file and leaves nothing behind."""
import os
import tarfile

import numpy as np
import pytest
from PIL import Image

from mmbank.datasets.converters import DatasetConversionError, convert_cifar10

from conftest import assert_no_cifar_written, write_cifar_images  # noqa: I100


def test_corrupt_image_is_an_error_and_leaves_nothing(tmp_path):
    write_cifar_images(str(tmp_path / 'src'))
    bad = tmp_path / 'src' / 'cifar10' / 'test' / 'cat' / '0000.png'
    bad.write_bytes(b'not an image')
    with pytest.raises(DatasetConversionError,
                       match='test/cat/0000.png is not a readable image'):
        convert_cifar10(str(tmp_path / 'src'), str(tmp_path / 'out'),
                        check_counts=False, progress=False)
    assert_no_cifar_written(str(tmp_path / 'out'))


def test_incomplete_input_is_an_error_and_leaves_nothing(tmp_path):
    write_cifar_images(str(tmp_path / 'src'))
    for name in os.listdir(tmp_path / 'src' / 'cifar10' / 'train' / 'dog'):
        os.remove(tmp_path / 'src' / 'cifar10' / 'train' / 'dog' / name)
    with pytest.raises(DatasetConversionError,
                       match='train/dog has 0 images'):
        convert_cifar10(str(tmp_path / 'src'), str(tmp_path / 'out'),
                        check_counts=False, progress=False)
    assert_no_cifar_written(str(tmp_path / 'out'))
    # the real layout's counts are checked by default
    with pytest.raises(DatasetConversionError, match='expected 5000'):
        convert_cifar10(str(tmp_path / 'src'), str(tmp_path / 'out2'),
                        progress=False)


def test_wrong_size_and_unknown_class_and_truncated_tarball(tmp_path):
    write_cifar_images(str(tmp_path / 'src'))
    Image.fromarray(np.zeros((28, 28, 3), np.uint8)).save(
        tmp_path / 'src' / 'cifar10' / 'train' / 'cat' / 'small.png')
    with pytest.raises(DatasetConversionError, match='28x28, expected 32x32'):
        convert_cifar10(str(tmp_path / 'src'), str(tmp_path / 'out'),
                        check_counts=False, progress=False)
    os.remove(tmp_path / 'src' / 'cifar10' / 'train' / 'cat' / 'small.png')
    os.makedirs(tmp_path / 'src' / 'cifar10' / 'train' / 'unicorn')
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(
        tmp_path / 'src' / 'cifar10' / 'train' / 'unicorn' / '0.png')
    with pytest.raises(DatasetConversionError, match="unknown class folder"):
        convert_cifar10(str(tmp_path / 'src'), str(tmp_path / 'out'),
                        check_counts=False, progress=False)
    tarball = tmp_path / 'cut.tar.gz'
    with tarfile.open(tarball, 'w:gz') as tar:
        tar.add(str(tmp_path / 'src' / 'cifar10'), arcname='cifar10')
    data = tarball.read_bytes()
    tarball.write_bytes(data[:len(data) // 2])
    with pytest.raises(DatasetConversionError, match='not a readable tar'):
        convert_cifar10(str(tarball), str(tmp_path / 'out3'),
                        check_counts=False, progress=False)
    assert_no_cifar_written(str(tmp_path / 'out3'))
