import os.path as osp
from typing import List, Optional

import numpy as np
from mmcls.datasets import BaseDataset
from mmengine import list_from_file

from mmselfsup.registry import DATASETS

IMAGE_SIZE = 96
IMAGE_BYTES = 3 * IMAGE_SIZE * IMAGE_SIZE


def decode_stl10_image(raw: np.ndarray) -> np.ndarray:
    """A ``(96, 96, 3)`` RGB image from its 27,648 bytes in the STL-10
    binary layout (per channel, column-major: the row index varies
    fastest)."""
    return np.ascontiguousarray(
        raw.reshape(3, IMAGE_SIZE, IMAGE_SIZE).transpose(2, 1, 0))


@DATASETS.register_module()
class STL10(BaseDataset):
    """STL-10 from the official binary release.

    Reads ``stl10_binary.tar.gz`` as extracted::

        data_root
        └── stl10_binary/
            ├── train_X.bin  train_y.bin      5,000 labelled images
            ├── test_X.bin   test_y.bin       8,000 labelled images
            ├── unlabeled_X.bin             100,000 unlabelled images
            └── class_names.txt

    ``*_X.bin`` hold 96 x 96 RGB uint8 images, each channel stored
    column-major; ``*_y.bin`` one uint8 label 1-10 per image. Images come
    as ``(96, 96, 3)`` RGB arrays under ``img`` (like mmcls's ``CIFAR10``:
    no ``LoadImageFromFile``, no BGR-to-RGB swap), read from disk per
    sample, so the 3 GB of images never sit in memory. Labels are 0-9;
    unlabelled images get ``gt_label=-1``.

    Args:
        data_root (str): The folder holding ``stl10_binary/`` (or that
            folder itself).
        split (str): 'train', 'test', 'unlabeled' or 'train+unlabeled'
            (105,000 images, the unsupervised training set). Defaults to
            'train'.
        **kwargs: Other arguments of ``mmcls.datasets.BaseDataset``
            (``pipeline``, ``indices``, ...).
    """

    METAINFO = {
        'classes': ('airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse',
                    'monkey', 'ship', 'truck')
    }
    base_folder = 'stl10_binary'
    SPLITS = {
        'train': ('train', ),
        'test': ('test', ),
        'unlabeled': ('unlabeled', ),
        'train+unlabeled': ('train', 'unlabeled'),
    }

    def __init__(self, data_root: str, split: str = 'train', **kwargs) -> None:
        if split not in self.SPLITS:
            raise ValueError(f'split must be one of {tuple(self.SPLITS)}, '
                             f'got {split!r}')
        self.split = split
        folder = self.resolve_folder(data_root)
        names = osp.join(folder, 'class_names.txt')
        if 'classes' not in kwargs and osp.isfile(names):
            kwargs['classes'] = [
                n.strip() for n in list_from_file(names) if n.strip()
            ]
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    @classmethod
    def resolve_folder(cls, data_root: str) -> str:
        """``data_root/stl10_binary``, or ``data_root`` if it holds the
        files itself."""
        nested = osp.join(data_root, cls.base_folder)
        if not osp.isdir(nested) and \
                osp.isfile(osp.join(data_root, 'train_X.bin')):
            return data_root
        return nested

    def _part_files(self, part: str) -> 'tuple[str, Optional[str]]':
        folder = self.resolve_folder(self.data_root)
        images = osp.join(folder, f'{part}_X.bin')
        labels = None if part == 'unlabeled' else osp.join(
            folder, f'{part}_y.bin')
        for path in (images, labels):
            if path is not None and not osp.isfile(path):
                raise FileNotFoundError(
                    f'STL-10: {path} not found. Expected the extracted '
                    'official stl10_binary/ folder (train_X.bin, '
                    'train_y.bin, test_X.bin, test_y.bin, unlabeled_X.bin) '
                    'from https://cs.stanford.edu/~acoates/stl10/ under '
                    'data_root.')
        return images, labels

    def load_data_list(self) -> List[dict]:
        data_list = []
        for part in self.SPLITS[self.split]:
            images, labels = self._part_files(part)
            size = osp.getsize(images)
            if size % IMAGE_BYTES:
                raise ValueError(
                    f'STL-10: {images} has {size} bytes, not a multiple of '
                    f'{IMAGE_BYTES} (3 x 96 x 96): truncated or not STL-10')
            num = size // IMAGE_BYTES
            if labels is None:
                gt = np.full(num, -1, dtype=np.int64)
            else:
                gt = np.fromfile(labels, dtype=np.uint8).astype(np.int64)
                if len(gt) != num:
                    raise ValueError(f'STL-10: {images} holds {num} images '
                                     f'but {labels} {len(gt)} labels')
                if num and (gt.min() < 1 or gt.max() > 10):
                    raise ValueError(f'STL-10: labels of {labels} must be '
                                     f'1-10, got {gt.min()}-{gt.max()}')
                gt -= 1
            data_list.extend(
                dict(img_file=images, img_index=i, gt_label=int(gt[i]))
                for i in range(num))
        if not data_list:
            raise ValueError(
                f'STL-10: split {self.split!r} under {self.data_root} has '
                'no images')
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """The annotation of sample ``idx`` with its image under ``img``."""
        info = super().get_data_info(idx)
        raw = np.fromfile(
            info.pop('img_file'),
            dtype=np.uint8,
            count=IMAGE_BYTES,
            offset=info.pop('img_index') * IMAGE_BYTES)
        info['img'] = decode_stl10_image(raw)
        return info

    def get_cat_ids(self, idx: int) -> List[int]:
        """``[label]`` of sample ``idx`` (-1 if unlabelled), without
        reading its image."""
        return [int(super().get_data_info(idx)['gt_label'])]

    def get_gt_labels(self) -> np.ndarray:
        """``(N,)`` labels, -1 for unlabelled images."""
        return np.array([self.get_cat_ids(i)[0] for i in range(len(self))],
                        dtype=np.int64)

    def extra_repr(self) -> List[str]:
        return [
            f'Root of dataset: \t{self.data_root}', f'Split: \t{self.split}'
        ]
