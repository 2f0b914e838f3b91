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
import io
import json
import os
import os.path as osp
import pickle
import shutil
import tarfile
import tempfile
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.utils import ProgressBar
from PIL import Image

from mmcls.datasets.categories import CIFAR10_CATEGORIES as CIFAR10_CLASSES

MANIFEST = 'mmbank_manifest.json'
SPLITS = ('train', 'test')
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp')


class DatasetConversionError(ValueError):
    """The input images cannot be turned into a complete dataset."""


def _md5(path: str) -> str:
    digest = hashlib.md5()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def _iter_images(source: str) -> Iterator[Tuple[str, bytes]]:
    """Yield ``(relative path, file bytes)`` of every image in ``source``."""
    if osp.isdir(source):
        for root, _, files in os.walk(source):
            for name in sorted(files):
                if name.lower().endswith(IMAGE_SUFFIXES):
                    path = osp.join(root, name)
                    with open(path, 'rb') as f:
                        yield osp.relpath(path, source), f.read()
        return
    if not osp.isfile(source):
        raise DatasetConversionError(f'{source} does not exist.')
    try:
        with tarfile.open(source) as tar:
            for member in tar:
                if member.isfile() and member.name.lower().endswith(
                        IMAGE_SUFFIXES):
                    yield member.name, tar.extractfile(member).read()
    except (tarfile.TarError, EOFError, OSError) as err:
        raise DatasetConversionError(
            f'{source} is not a readable tar archive ({err}).') from err


def _split_and_class(rel_path: str) -> Optional[Tuple[str, str]]:
    """``'cifar/train/cat/1.jpg'`` -> ``('train', 'cat')``; None if neither
    split is in the path."""
    parts = rel_path.replace('\\', '/').split('/')
    for i, part in enumerate(parts[:-2]):
        if part in SPLITS:
            return part, parts[i + 1]
    return None


def _decode(rel_path: str, data: bytes, size: int) -> np.ndarray:
    """Decode to an RGB ``(size, size, 3)`` uint8 array or raise."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img = np.asarray(img.convert('RGB'))
    except Exception as err:  # PIL raises many kinds
        raise DatasetConversionError(
            f'{rel_path} is not a readable image ({err}).') from err
    if img.shape != (size, size, 3):
        raise DatasetConversionError(
            f'{rel_path} is {img.shape[1]}x{img.shape[0]}, '
            f'expected {size}x{size}.')
    return img


def read_image_splits(source: str,
                      classes: Sequence[str],
                      size: int = 32,
                      expected_counts: Optional[Dict[str, int]] = None,
                      progress: bool = True) -> Dict[str, tuple]:
    """Read and check every image of ``source``.

    Args:
        source (str): A folder or a tar archive (any compression).
        classes (Sequence[str]): Class folder names in label order.
        size (int): Expected image side. Defaults to 32.
        expected_counts (dict, optional): Images per class expected in each
            split, e.g. ``{'train': 5000, 'test': 1000}``. Defaults to None
            (only require every class to be non-empty).
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        dict: split -> ``(images (N, size, size, 3) uint8, labels list[int],
        file names list[str])``, sorted by class then file name.
    """
    label_of = {name: i for i, name in enumerate(classes)}
    found: Dict[str, List[Tuple[int, str, np.ndarray]]] = {
        s: []
        for s in SPLITS
    }
    bar = ProgressBar(sum(expected_counts.values()) * len(classes)
                      if expected_counts else 0) if progress else None
    step, pending = 1000, 0
    for rel_path, data in _iter_images(source):
        split_class = _split_and_class(rel_path)
        if split_class is None:
            continue
        split, cls = split_class
        if cls not in label_of:
            raise DatasetConversionError(
                f'{rel_path}: unknown class folder {cls!r}; expected one of '
                f'{list(classes)}.')
        found[split].append((label_of[cls], osp.basename(rel_path),
                             _decode(rel_path, data, size)))
        pending += 1
        if bar is not None and pending == step:
            bar.update(pending)
            pending = 0
    if bar is not None:
        if pending:
            bar.update(pending)
        print()
    out = {}
    for split in SPLITS:
        items = sorted(found[split], key=lambda t: (t[0], t[1]))
        counts = np.bincount([t[0] for t in items], minlength=len(classes))
        for label, count in enumerate(counts):
            want = expected_counts.get(split) if expected_counts else None
            if count == 0 or (want is not None and count != want):
                raise DatasetConversionError(
                    f'{source}: {split}/{classes[label]} has {count} images, '
                    f'expected {want if want is not None else "at least 1"}'
                    '. The input is incomplete.')
        out[split] = (np.stack([t[2] for t in items]),
                      [int(t[0]) for t in items], [t[1] for t in items])
    return out


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
