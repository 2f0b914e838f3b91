import io
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from PIL import Image

from mmselfsup.registry import DATASETS


def near_duplicate(img: np.ndarray,
                   shift: Sequence[int] = (0, 0),
                   brightness: float = 1.0,
                   jpeg_quality: Optional[int] = None) -> np.ndarray:
    """A mildly changed copy of an ``(H, W, 3)`` uint8 RGB image.

    The image is shifted by ``shift = (dy, dx)`` pixels (the border
    replicated into the uncovered rows and columns), its intensities scaled
    by ``brightness`` (rounded, clipped to [0, 255]), then re-encoded as a
    JPEG of ``jpeg_quality`` (None: not re-encoded).

    Returns:
        np.ndarray: ``(H, W, 3)`` uint8.
    """
    height, width = img.shape[:2]
    dy, dx = int(shift[0]), int(shift[1])
    if abs(dy) >= height or abs(dx) >= width:
        raise ValueError(f'shift {tuple(shift)} is not smaller than the '
                         f'image ({height} x {width})')
    rows = np.clip(np.arange(height) - dy, 0, height - 1)
    cols = np.clip(np.arange(width) - dx, 0, width - 1)
    out = img[rows][:, cols].astype(np.float32) * brightness
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    if jpeg_quality is not None:
        buffer = io.BytesIO()
        Image.fromarray(out).save(buffer, format='JPEG',
                                  quality=int(jpeg_quality))
        out = np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert(
            'RGB'))
    return np.ascontiguousarray(out)


@DATASETS.register_module()
class NearDuplicates:
    """A dataset plus near-duplicates of some of its images, as samples of
    their own: a benchmark for merging, whose true pairs are known.

    ``round(fraction * N)`` images, drawn without replacement under
    ``seed``, are added again after the ``N`` originals, each changed
    mildly (:func:`near_duplicate`): shifted by up to ``max_shift`` pixels
    (each direction drawn from ``[-max_shift, max_shift]``, not both 0),
    brightness scaled by a factor drawn from ``[1 - brightness,
    1 + brightness]``, re-encoded as a JPEG of ``jpeg_quality``. Copy ``j``
    is sample ``N + j`` (its ``sample_idx``, so it has its own bank row) and
    keeps its original's label. :attr:`pairs` holds the ``(original, copy)``
    index pairs and :meth:`records` what was done to each copy.

    Only in-memory image datasets (``get_data_info`` giving an ``img``
    array, like CIFAR's) can be wrapped. The kNN memory of a benchmark
    should be the original dataset, so numbers stay comparable.

    Args:
        dataset (dict | BaseDataset): The dataset (or its config).
        fraction (float): Copies per original image, in (0, 1]. Defaults
            to 0.1.
        max_shift (int): Largest shift in pixels. Defaults to 2.
        brightness (float): Largest relative brightness change. Defaults
            to 0.05.
        jpeg_quality (int, optional): JPEG quality of the copies, None for
            no re-encoding. Defaults to 75.
        seed (int): Seed of the choice of images and of the changes.
            Defaults to 0.

    Example:
        >>> dict(type='NearDuplicates', fraction=0.3,
        ...      dataset=dict(type='OfflineCIFAR10',
        ...                   data_prefix='data/cifar10', indices=10000))
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 fraction: float = 0.1,
                 max_shift: int = 2,
                 brightness: float = 0.05,
                 jpeg_quality: Optional[int] = 75,
                 seed: int = 0) -> None:
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not 0 < fraction <= 1:
            raise ValueError(f'fraction must be in (0, 1], got {fraction}')
        if not isinstance(max_shift, int) or max_shift < 0:
            raise ValueError(f'max_shift must be an int >= 0, got '
                             f'{max_shift!r}')
        if not 0 <= brightness < 1:
            raise ValueError(f'brightness must be in [0, 1), got '
                             f'{brightness}')
        if jpeg_quality is not None and not 1 <= jpeg_quality <= 95:
            raise ValueError(f'jpeg_quality must be in [1, 95] or None, got '
                             f'{jpeg_quality}')
        self.dataset = dataset
        num = len(dataset)
        num_copies = int(round(fraction * num))
        if num_copies < 1:
            raise ValueError(f'fraction {fraction} of {num} images is no '
                             'copy at all')
        if 'img' not in dataset.get_data_info(0):
            raise ValueError(
                f'NearDuplicates needs an in-memory image dataset (an img '
                f'array per sample, like CIFAR\'s); '
                f'{type(dataset).__name__} gives '
                f'{sorted(dataset.get_data_info(0))}')
        rng = np.random.RandomState(seed)
        originals = rng.choice(num, num_copies, replace=False)
        self._changes: List[Dict] = []
        self._images: List[np.ndarray] = []
        for src in originals:
            shift = (0, 0)
            while max_shift and shift == (0, 0):
                shift = tuple(int(s) for s in rng.randint(
                    -max_shift, max_shift + 1, size=2))
            factor = float(rng.uniform(1 - brightness, 1 + brightness))
            self._changes.append(dict(
                original=int(src), shift=shift, brightness=factor,
                jpeg_quality=jpeg_quality))
            self._images.append(near_duplicate(
                dataset.get_data_info(int(src))['img'], shift, factor,
                jpeg_quality))
        #: ``(M, 2)`` int64 array of ``(original, copy)`` sample indices
        self.pairs = np.stack(
            [originals, num + np.arange(num_copies)], axis=1).astype(np.int64)
        self.num_originals = num
        self.settings = dict(fraction=fraction, max_shift=max_shift,
                             brightness=brightness,
                             jpeg_quality=jpeg_quality, seed=seed)

    def records(self) -> List[Dict]:
        """What each copy is: ``copy``, ``original``, ``shift``,
        ``brightness`` and ``jpeg_quality``, in copy order."""
        return [dict(copy=self.num_originals + j, **change)
                for j, change in enumerate(self._changes)]

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    @property
    def pipeline(self):
        return self.dataset.pipeline

    def full_init(self) -> None:
        """Nothing to do: the copies are made when the wrapper is built."""

    def get_data_info(self, idx: int) -> dict:
        if idx < 0:
            idx += len(self)
        if not 0 <= idx < len(self):
            raise IndexError(f'index {idx} out of range for {len(self)} '
                             'samples')
        if idx < self.num_originals:
            return self.dataset.get_data_info(idx)
        j = idx - self.num_originals
        info = self.dataset.get_data_info(self._changes[j]['original'])
        info.update(img=self._images[j].copy(), sample_idx=idx)
        return info

    def get_cat_ids(self, idx: int) -> List[int]:
        info = self.get_data_info(idx)
        return [int(info['gt_label'])]

    def get_gt_labels(self) -> np.ndarray:
        """``(N + M,)`` labels, the copies' their originals'."""
        labels = np.asarray(self.dataset.get_gt_labels(), dtype=np.int64)
        return np.concatenate([labels, labels[self.pairs[:, 0]]])

    def __getitem__(self, idx: int) -> dict:
        return self.pipeline(self.get_data_info(idx))

    def __len__(self) -> int:
        return self.num_originals + len(self._changes)

    def __repr__(self) -> str:
        return (f'NearDuplicates({len(self._changes)} copies of '
                f'{self.num_originals} samples of {self.dataset!r})')


def use_near_duplicates(cfg) -> bool:
    """Wrap a config's training set in :class:`NearDuplicates` when it sets
    ``near_duplicates`` (in place), e.g. from the command line::

        python tools/train.py CONFIG --cfg-options near_duplicates.fraction=0.3

    ``near_duplicates`` holds :class:`NearDuplicates`'s settings (``{}`` or
    ``True`` for its defaults); the kNN monitor's memory (``val_cfg``) stays
    the config's own dataset. A memory bank sized from the training set
    (``num_samples=None``) grows with the copies; a fixed size no longer
    fits and is refused by ``MemoryBankSetupHook``.

    Returns:
        bool: Whether the training set was wrapped.
    """
    settings = cfg.get('near_duplicates', None)
    if settings is None or settings is False:
        return False
    settings = {} if settings is True else dict(settings)
    dataset = cfg.train_dataloader.dataset
    if dataset.get('type') in ('NearDuplicates', NearDuplicates):
        raise ValueError('near_duplicates is set, but the training set is '
                         'already a NearDuplicates')
    cfg.train_dataloader.dataset = dict(type='NearDuplicates',
                                        dataset=dataset, **settings)
    return True
