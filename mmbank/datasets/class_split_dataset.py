import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmcls.datasets import BaseDataset

SPLITS = ('train', 'test', 'all')


def split_class_ids(class_ids: Sequence[int], split: str) -> List[int]:
    """The classes of a class-disjoint split (Ye et al., CVPR 2019).

    Args:
        class_ids (Sequence[int]): Class ids present in the dataset.
        split (str): 'train' for the first half of the sorted distinct ids,
            'test' for the second half, 'all' for every class.

    Returns:
        list[int]: The split's sorted class ids.
    """
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    ids = sorted(set(int(c) for c in class_ids))
    half = len(ids) // 2
    return {'train': ids[:half], 'test': ids[half:], 'all': ids}[split]


class ClassSplitDataset(BaseDataset):
    """Base of retrieval datasets split by class, not by image.

    The unseen-category protocol (Ye et al., CVPR 2019) trains on the images
    of the first half of the classes and retrieves among the images of the
    other half. Subclasses read their official annotation layout in
    :meth:`load_annotations`; this class keeps the images of ``split``'s
    classes. Labels are the dataset's 1-based class ids minus one, so they
    stay unique across splits (``'test'`` labels do not start at 0).

    Args:
        data_root (str): The dataset's folder.
        split (str): 'train' (first half of the classes), 'test' (second
            half) or 'all'. Defaults to 'train'.
        **kwargs: Other arguments of ``mmcls.datasets.BaseDataset``
            (``pipeline``, ``indices``, ``test_mode``, ...).
    """

    #: Name of the dataset in messages.
    dataset_name = ''
    #: How to get the files, shown when they are missing.
    layout_hint = ''

    def __init__(self, data_root: str, split: str = 'train', **kwargs) -> None:
        if split not in SPLITS:
            raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
        self.split = split
        kwargs.setdefault('classes', self.load_class_names(data_root))
        super().__init__(ann_file='', data_root=data_root, **kwargs)

    def load_class_names(self, data_root: str) -> Optional[List[str]]:
        """Names of all classes, indexed by label; None if unknown."""
        return None

    def load_annotations(self) -> List[Tuple[str, int]]:
        """``(image path, 1-based class id)`` of every image."""
        raise NotImplementedError

    def require_file(self, path: str) -> str:
        """``path`` if it is a file, else a FileNotFoundError that explains
        the expected layout."""
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'{self.dataset_name}: {path} not found. {self.layout_hint}')
        return path

    def load_data_list(self) -> List[dict]:
        annotations = self.load_annotations()
        if not annotations:
            raise ValueError(f'{self.dataset_name}: no images listed under '
                             f'{self.data_root}')
        keep = set(split_class_ids([c for _, c in annotations], self.split))
        data_list = [
            dict(img_path=path, gt_label=cls_id - 1)
            for path, cls_id in annotations if cls_id in keep
        ]
        if not data_list:
            raise ValueError(f'{self.dataset_name}: split {self.split!r} of '
                             f'{self.data_root} has no images')
        return data_list

    def extra_repr(self) -> List[str]:
        return [
            f'Root of dataset: \t{self.data_root}',
            f'Split (by class): \t{self.split}'
        ]
