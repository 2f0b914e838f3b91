"""convert_cifar10 and tools/prepare_cifar.py: images -> CIFAR pickles,
written all or nothing."""
import os
import os.path as osp
import tarfile

import numpy as np
import pytest
from mmcls.datasets.categories import CIFAR10_CATEGORIES

from mmbank.datasets import OfflineCIFAR10
from mmbank.datasets.converters import convert_cifar10

from conftest import (REPO, assert_no_cifar_written,  # noqa: I100
                      run_tool, write_cifar_images)

SHARED_TARBALL = osp.join(REPO, '..', 'shared', 'data', 'cifar10-jpg.tar.gz')


def test_round_trip_through_offline_cifar10(tmp_path):
    images = write_cifar_images(str(tmp_path / 'src'))
    out = convert_cifar10(str(tmp_path / 'src'), str(tmp_path / 'out'),
                          check_counts=False, progress=False)
    assert osp.basename(out) == 'cifar-10-batches-py'
    for test_mode, split, num in ((False, 'train', 20), (True, 'test', 10)):
        ds = OfflineCIFAR10(data_prefix=str(tmp_path / 'out'),
                            test_mode=test_mode, download=False)
        assert len(ds) == num
        found = 0
        for i in range(num):
            info = ds.get_data_info(i)
            cls = CIFAR10_CATEGORIES[info['gt_label']]
            matches = [img for (s, c, _), img in images.items()
                       if s == split and c == cls]
            assert any(np.array_equal(info['img'], m) for m in matches)
            found += 1
        assert found == num


def test_tarball_input_and_tool_cli(tmp_path):
    write_cifar_images(str(tmp_path / 'src'))
    tarball = str(tmp_path / 'images.tar.gz')
    with tarfile.open(tarball, 'w:gz') as tar:
        tar.add(str(tmp_path / 'src' / 'cifar10'), arcname='cifar10')
    proc = run_tool('tools/prepare_cifar.py', tarball, str(tmp_path / 'out'),
                    '--no-count-check')
    assert 'Wrote' in proc.stdout
    ds = OfflineCIFAR10(data_prefix=str(tmp_path / 'out'), test_mode=False,
                        download=False)
    assert len(ds) == 20
    # an existing output is an error, unless skipping is asked for
    again = run_tool('tools/prepare_cifar.py', tarball,
                     str(tmp_path / 'out'), '--no-count-check', check=False)
    assert again.returncode == 1 and 'already exists' in again.stderr
    skip = run_tool('tools/prepare_cifar.py', tarball, str(tmp_path / 'out'),
                    '--skip-existing')
    assert 'skipping' in skip.stdout


@pytest.mark.skipif(not osp.exists(SHARED_TARBALL),
                    reason='../shared/data/cifar10-jpg.tar.gz not present')
def test_real_cifar10_tarball(tmp_path):
    convert_cifar10(SHARED_TARBALL, str(tmp_path), progress=False)
    train = OfflineCIFAR10(data_prefix=str(tmp_path), test_mode=False,
                           download=False)
    test = OfflineCIFAR10(data_prefix=str(tmp_path), test_mode=True,
                          download=False)
    assert (len(train), len(test)) == (50000, 10000)
    labels = np.array([test.get_data_info(i)['gt_label']
                       for i in range(len(test))])
    assert np.bincount(labels).tolist() == [1000] * 10
    assert train.get_data_info(0)['img'].shape == (32, 32, 3)


def test_output_appears_only_when_complete(tmp_path, monkeypatch):
    """Files are written under a temporary name beside the output and the
    folder is renamed at the end: interrupted midway (here after two of the
    seven files), nothing is left, and the output never exists half-done."""
    import pickle
    import types

    from mmbank.datasets.converters import cifar_from_images as conv
    write_cifar_images(str(tmp_path / 'src'))
    splits = conv.read_image_splits(str(tmp_path / 'src'),
                                    CIFAR10_CATEGORIES, progress=False)
    out = str(tmp_path / 'out')
    final = osp.join(out, 'cifar-10-batches-py')
    written = []

    def dump(obj, f, protocol=None):
        assert not osp.exists(final)
        assert osp.basename(osp.dirname(f.name)).startswith(
            '.cifar-10-batches-py.partial-')
        if len(written) == 2:
            raise KeyboardInterrupt
        written.append(f.name)
        pickle.dump(obj, f, protocol=protocol)

    monkeypatch.setattr(conv, 'pickle', types.SimpleNamespace(
        dump=dump, HIGHEST_PROTOCOL=pickle.HIGHEST_PROTOCOL))
    with pytest.raises(KeyboardInterrupt):
        conv.write_cifar(splits, out, CIFAR10_CATEGORIES)
    assert len(written) == 2
    assert_no_cifar_written(out)

    # uninterrupted: every file and the manifest arrive together
    written.clear()
    monkeypatch.setattr(conv, 'pickle', types.SimpleNamespace(
        dump=lambda obj, f, protocol=None: (written.append(f.name),
                                             pickle.dump(obj, f, protocol))[1],
        HIGHEST_PROTOCOL=pickle.HIGHEST_PROTOCOL))
    assert conv.write_cifar(splits, out, CIFAR10_CATEGORIES) == final
    assert sorted(os.listdir(out)) == ['cifar-10-batches-py']
    assert sorted(os.listdir(final)) == sorted(
        [osp.basename(p) for p in written] + [conv.MANIFEST])
