"""OfflineCIFAR10 reads the batch files without running their code."""
import json
import os.path as osp
import pickle
import shutil

import numpy as np
import pytest
from mmcls.datasets import CIFAR10

from mmbank.datasets import OfflineCIFAR10
from mmbank.datasets.cifar_batches import (UnsafeDatasetFileError,
                                           read_cifar_batch)
from mmbank.datasets.converters import MANIFEST

from conftest import REPO

REAL = osp.join(REPO, 'data', 'cifar10')


class _RunsCode:
    """Unpickling this creates a marker file (stands for any code)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def _copy_with_batch(tiny_cifar10, tmp_path, name, entry):
    """A copy of the tiny set whose ``name`` file holds ``entry``, with the
    manifest's MD5 recomputed to match (as an attacker would)."""
    from mmbank.datasets.converters.cifar_from_images import _md5
    root = str(tmp_path / 'cifar')
    shutil.copytree(tiny_cifar10, root)
    folder = osp.join(root, 'cifar-10-batches-py')
    with open(osp.join(folder, name), 'wb') as f:
        pickle.dump(entry, f, protocol=2)
    with open(osp.join(folder, MANIFEST)) as f:
        manifest = json.load(f)
    manifest['md5'][name] = _md5(osp.join(folder, name))
    with open(osp.join(folder, MANIFEST), 'w') as f:
        json.dump(manifest, f)
    return root


@pytest.mark.parametrize('name, test_mode', [('data_batch_1', False),
                                             ('test_batch', True)])
def test_crafted_batch_with_matching_manifest_runs_no_code(
        tiny_cifar10, tmp_path, name, test_mode):
    marker = str(tmp_path / 'pwned')
    entry = dict(batch_label=_RunsCode(marker), labels=[0],
                 data=np.zeros((1, 3072), np.uint8), filenames=['0.png'])
    root = _copy_with_batch(tiny_cifar10, tmp_path, name, entry)
    with pytest.raises(
            UnsafeDatasetFileError,
            match=rf'Refusing to read .*{name}: it asks for \S*open, which '
            'CIFAR files never contain'):
        OfflineCIFAR10(data_prefix=root, test_mode=test_mode,
                       download=False)
    assert not osp.exists(marker)


def test_batch_of_another_layout_is_refused(tiny_cifar10, tmp_path):
    root = _copy_with_batch(
        tiny_cifar10, tmp_path, 'data_batch_2',
        dict(labels=[0, 1], data=np.zeros((2, 3072), np.float32)))
    with pytest.raises(UnsafeDatasetFileError,
                       match=r'data_batch_2 is not a CIFAR batch: its "data" '
                       r'is not an \(N, 3072\) uint8 array'):
        OfflineCIFAR10(data_prefix=root, test_mode=False, download=False)
    with pytest.raises(UnsafeDatasetFileError,
                       match='no list of 1 integer labels'):
        read_cifar_batch(
            pickle.dumps(dict(labels=['a'],
                              data=np.zeros((1, 3072), np.uint8))), 'x')
    with pytest.raises(UnsafeDatasetFileError, match='not a readable CIFAR'):
        read_cifar_batch(b'\x80\x04garbage', 'x')


@pytest.mark.parametrize('protocol', [2, 4, 5])
def test_numpy_arrays_of_every_pickle_protocol_load(protocol):
    data = np.arange(2 * 3072, dtype=np.int64).astype(np.uint8).reshape(
        2, 3072)
    entry = dict(batch_label=b'training batch', labels=[np.int64(3), 7],
                 data=data, filenames=[b'a.png', 'b.png'])
    batch = read_cifar_batch(pickle.dumps(entry, protocol=protocol), 'x')
    assert np.array_equal(batch['data'], data)
    assert batch['labels'] == [3, 7]


def _same_as_plain_pickle(dataset):
    """mmcls's own reading (plain pickle) of the same, trusted, files."""
    plain = CIFAR10.load_data_list(dataset)
    ours = dataset.load_data_list()
    assert len(ours) == len(plain)
    for a, b in zip(ours, plain):
        assert a['gt_label'] == b['gt_label']
        assert np.array_equal(a['img'], b['img'])


def test_prepared_set_loads_the_same_arrays(tiny_cifar10):
    for test_mode in (False, True):
        _same_as_plain_pickle(
            OfflineCIFAR10(data_prefix=tiny_cifar10, test_mode=test_mode,
                           download=False))


@pytest.mark.skipif(
    not osp.exists(osp.join(REAL, 'cifar-10-batches-py', MANIFEST)),
    reason='data/cifar10 not prepared')
def test_real_prepared_test_split_loads_the_same_arrays():
    _same_as_plain_pickle(
        OfflineCIFAR10(data_prefix=REAL, test_mode=True, download=False))
