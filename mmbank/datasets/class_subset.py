from typing import List, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset

from mmselfsup.registry import DATASETS


def dataset_label(dataset: BaseDataset, idx: int) -> int:
    """The class label of sample ``idx`` of an mmengine dataset."""
    try:
        return int(dataset.get_cat_ids(idx)[0])
    except NotImplementedError:
        return int(dataset.get_data_info(idx)['gt_label'])


@DATASETS.register_module()
class ClassSubset:
    """The samples of some classes of a dataset.

    Keeps, in their order, the samples of ``dataset`` whose label is in
    ``classes``, by turning ``dataset`` into its subset in place: sample
    ``i`` of the subset gets ``sample_idx = i`` (what a memory bank
    indexes), and labels keep their original values. For example the
    offline stand-in of the unseen-category protocol trains on CIFAR-10
    classes 0-4 and retrieves among the test images of classes 5-9.

    Args:
        dataset (dict | BaseDataset): The dataset (or its config), an
            mmengine ``BaseDataset`` with labels (``get_cat_ids`` or
            ``gt_label``).
        classes (Sequence[int | str]): Labels, or class names of
            ``dataset.metainfo['classes']``, to keep.

    Example:
        >>> dict(type='ClassSubset', classes=[5, 6, 7, 8, 9],
        ...      dataset=dict(type='OfflineCIFAR10',
        ...                   data_prefix='data/cifar10', test_mode=True))
    """

    def __init__(self, dataset: Union[dict, BaseDataset],
                 classes: Sequence[Union[int, str]]) -> None:
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not isinstance(dataset, BaseDataset):
            raise TypeError('ClassSubset needs an mmengine BaseDataset, got '
                            f'{type(dataset).__name__}')
        if isinstance(classes, (str, int)) or not len(classes):
            raise ValueError('classes must be a non-empty list of labels or '
                             f'class names, got {classes!r}')
        self.dataset = dataset
        self.class_ids = self.resolve_classes(classes)
        keep = set(self.class_ids)
        indices = [
            i for i in range(len(dataset)) if dataset_label(dataset, i) in keep
        ]
        if not indices:
            raise ValueError(
                f'ClassSubset: none of the {len(dataset)} samples of '
                f'{type(dataset).__name__} has a label in {self.class_ids}')
        dataset.get_subset_(indices)

    def resolve_classes(self, classes: Sequence[Union[int, str]]) -> List[int]:
        """Labels of ``classes`` (names looked up in the metainfo)."""
        names = list(self.dataset.metainfo.get('classes', None) or [])
        ids = []
        for c in classes:
            if isinstance(c, str):
                if c not in names:
                    raise ValueError(f'ClassSubset: unknown class {c!r}; '
                                     f'the dataset has {names}')
                ids.append(names.index(c))
            elif isinstance(c, (int, np.integer)) and not isinstance(c, bool):
                ids.append(int(c))
            else:
                raise TypeError(f'ClassSubset: classes must be ints or '
                                f'names, got {c!r}')
        return ids

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's meta information (all its classes)."""
        return self.dataset.metainfo

    def full_init(self) -> None:
        """Nothing to do: the subset is taken when the wrapper is built."""

    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(idx)

    def get_cat_ids(self, idx: int) -> List[int]:
        return [dataset_label(self.dataset, idx)]

    def get_gt_labels(self) -> np.ndarray:
        """``(N,)`` labels of the kept samples."""
        return np.array(
            [dataset_label(self.dataset, i) for i in range(len(self))],
            dtype=np.int64)

    def __getitem__(self, idx: int) -> dict:
        return self.dataset[idx]

    def __len__(self) -> int:
        return len(self.dataset)

    def __repr__(self) -> str:
        return (f'ClassSubset(classes={self.class_ids}, '
                f'{len(self)} samples of {self.dataset!r})')
