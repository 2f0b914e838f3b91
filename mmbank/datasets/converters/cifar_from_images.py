"""Rebuild CIFAR's pickled on-disk layout from a folder or tarball of images.

Input layout: ``train/<class>/*.jpg`` and ``test/<class>/*.jpg`` (any image
format PIL reads), as in ``../shared/data/cifar10-jpg.tar.gz``. Output: the
``cifar-10-batches-py/`` (or ``cifar-100-python/``) folder that mmcls's
``CIFAR10`` / ``CIFAR100`` read, plus ``mmbank_manifest.json`` with the MD5
of every file written, which :class:`~mmbank.datasets.OfflineCIFAR10` checks
in place of the official archive's MD5 sums.

The output appears only when complete: everything is written to a temporary
folder beside it and renamed at the end, so corrupt or incomplete input
leaves nothing behind.
"""
import hashlib
import json
import os
import os.path as osp
import pickle
import shutil
import tempfile
from typing import Dict, List, Sequence

import numpy as np

from mmcls.datasets.categories import CIFAR10_CATEGORIES as CIFAR10_CLASSES
from .image_splits import (DatasetConversionError,  # noqa: F401
                           read_image_splits)

MANIFEST = 'mmbank_manifest.json'


def _md5(path: str) -> str:
    digest = hashlib.md5()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _cifar_entry(images: np.ndarray, labels: List[int], names: List[str],
                 batch_label: str, label_key: str) -> dict:
    """The dict CIFAR pickles: ``data`` is (N, 3072) uint8, R then G then B
    planes, each row-major."""
    return {
        'batch_label': batch_label,
        label_key: labels,
        'data': images.transpose(0, 3, 1, 2).reshape(len(images), -1),
        'filenames': names,
    }


def _shuffled(images: np.ndarray, labels: List[int], names: List[str],
              rng: np.random.RandomState) -> tuple:
    order = rng.permutation(len(labels))
    return (images[order], [labels[i] for i in order],
            [names[i] for i in order])


def write_cifar(splits: Dict[str, tuple],
                out_dir: str,
                classes: Sequence[str],
                variant: str = 'cifar10',
                seed: int = 0,
                source_note: str = '') -> str:
    """Write CIFAR's pickled layout into ``out_dir`` atomically.

    Both splits are shuffled with ``seed`` (the official batches are in
    random order too, so the first ``n`` images of either split are a
    near-balanced subset), then the train split is cut into CIFAR-10's five
    batches.

    Args:
        splits (dict): Output of :func:`read_image_splits`.
        out_dir (str): Folder that will contain ``cifar-10-batches-py/``
            (``cifar-100-python/`` for CIFAR-100).
        classes (Sequence[str]): Class names in label order.
        variant (str): ``'cifar10'`` or ``'cifar100'``. Defaults to
            ``'cifar10'``.
        seed (int): Seed of the train-order shuffle. Defaults to 0.
        source_note (str): Recorded in the manifest. Defaults to ''.

    Returns:
        str: The dataset folder written.
    """
    if variant not in ('cifar10', 'cifar100'):
        raise ValueError(f'variant must be cifar10 or cifar100, not {variant}')
    base = 'cifar-10-batches-py' if variant == 'cifar10' else \
        'cifar-100-python'
    final = osp.join(out_dir, base)
    if osp.exists(final):
        raise FileExistsError(
            f'{final} already exists; remove it first or choose another '
            'output folder.')
    os.makedirs(out_dir, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{base}.partial-', dir=out_dir)
    try:
        rng = np.random.RandomState(seed)
        images, labels, names = _shuffled(*splits['train'], rng)
        test_img, test_lab, test_names = _shuffled(*splits['test'], rng)
        files = {}
        if variant == 'cifar10':
            chunks = np.array_split(np.arange(len(labels)), 5)
            for i, idx in enumerate(chunks, start=1):
                files[f'data_batch_{i}'] = _cifar_entry(
                    images[idx], [labels[j] for j in idx],
                    [names[j] for j in idx], f'training batch {i} of 5',
                    'labels')
            files['test_batch'] = _cifar_entry(test_img, test_lab,
                                               test_names,
                                               'testing batch 1 of 1',
                                               'labels')
            files['batches.meta'] = {
                'label_names': list(classes),
                'num_cases_per_batch': len(chunks[0]),
                'num_vis': images.shape[1] * images.shape[2] * 3,
            }
        else:
            files['train'] = _cifar_entry(images, labels, names, 'training',
                                          'fine_labels')
            files['test'] = _cifar_entry(test_img, test_lab, test_names,
                                         'testing', 'fine_labels')
            files['meta'] = {'fine_label_names': list(classes)}
        for name, entry in files.items():
            with open(osp.join(tmp, name), 'wb') as f:
                pickle.dump(entry, f, protocol=pickle.HIGHEST_PROTOCOL)
        manifest = {
            'written_by': 'mmbank tools/prepare_cifar.py',
            'source': source_note,
            'seed': seed,
            'num_train': len(labels),
            'num_test': len(splits['test'][1]),
            'classes': list(classes),
            'md5': {name: _md5(osp.join(tmp, name))
                    for name in files},
        }
        with open(osp.join(tmp, MANIFEST), 'w') as f:
            json.dump(manifest, f, indent=2)
        os.chmod(tmp, 0o755)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def convert_cifar10(source: str,
                    out_dir: str,
                    seed: int = 0,
                    check_counts: bool = True,
                    progress: bool = True) -> str:
    """Turn CIFAR-10 images (folder or tarball) into ``cifar-10-batches-py``.

    Args:
        source (str): Folder or tarball with ``train/<class>/`` and
            ``test/<class>/``.
        out_dir (str): Where ``cifar-10-batches-py/`` is created.
        seed (int): Seed of the train-order shuffle. Defaults to 0.
        check_counts (bool): Require CIFAR-10's 5,000 train and 1,000 test
            images per class. Defaults to True.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        str: The dataset folder written.
    """
    counts = {'train': 5000, 'test': 1000} if check_counts else None
    splits = read_image_splits(
        source, CIFAR10_CLASSES, expected_counts=counts, progress=progress)
    return write_cifar(
        splits, out_dir, CIFAR10_CLASSES, 'cifar10', seed,
        source_note=osp.basename(source))
