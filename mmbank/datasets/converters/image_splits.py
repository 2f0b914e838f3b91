"""Read and check the images of a folder or tarball laid out as
``train/<class>/*.jpg`` and ``test/<class>/*.jpg`` (any image format PIL
reads), for :func:`~mmbank.datasets.converters.convert_cifar10`."""
import io
import os
import os.path as osp
import tarfile
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.utils import ProgressBar
from PIL import Image

SPLITS = ('train', 'test')
IMAGE_SUFFIXES = ('.jpg', '.jpeg', '.png', '.bmp')


class DatasetConversionError(ValueError):
    """The input images cannot be turned into a complete dataset."""


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
