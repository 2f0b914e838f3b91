import os.path as osp
from typing import List, Optional, Tuple

from mmengine import list_from_file

from mmselfsup.registry import DATASETS
from .class_split_dataset import ClassSplitDataset


def read_id_table(path: str) -> dict:
    """``{id: value}`` of a CUB ``"<id> <value>"`` text file."""
    table = {}
    for line_no, line in enumerate(list_from_file(path), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2:
            raise ValueError(f'{path}:{line_no}: expected "<id> <value>", '
                             f'got {line!r}')
        table[int(parts[0])] = parts[1].strip()
    return table


@DATASETS.register_module()
class CUB200(ClassSplitDataset):
    """CUB-200-2011 split by class for unseen-category retrieval.

    Reads the official archive (``CUB_200_2011.tgz``)::

        data_root (CUB_200_2011/, or the folder holding it)
        ├── images.txt              "<image id> <class folder>/<file>.jpg"
        ├── image_class_labels.txt  "<image id> <class id 1..200>"
        ├── classes.txt             "<class id> <name>" (optional)
        └── images/

    ``split='train'`` is classes 1-100 (5,864 images), ``'test'`` classes
    101-200 (5,924 images), ``'all'`` all 11,788; the official per-image
    ``train_test_split.txt`` is not used (mmcls's ``CUB`` uses it).
    Labels are class id - 1.

    Args:
        data_root (str): See the layout above.
        split (str): 'train', 'test' or 'all'. Defaults to 'train'.
        **kwargs: Other arguments of ``mmcls.datasets.BaseDataset``.
    """

    dataset_name = 'CUB-200-2011'
    layout_hint = ('Expected the official CUB_200_2011 folder (images.txt, '
                   'image_class_labels.txt, images/) from '
                   'https://www.vision.caltech.edu/datasets/cub_200_2011/ '
                   'as data_root.')

    @staticmethod
    def resolve_root(data_root: str) -> str:
        """``data_root`` or its ``CUB_200_2011`` sub-folder."""
        nested = osp.join(data_root, 'CUB_200_2011')
        if not osp.isfile(osp.join(data_root, 'images.txt')) and \
                osp.isfile(osp.join(nested, 'images.txt')):
            return nested
        return data_root

    def load_class_names(self, data_root: str) -> Optional[List[str]]:
        path = osp.join(self.resolve_root(data_root), 'classes.txt')
        if not osp.isfile(path):
            return None
        names = read_id_table(path)
        return [names[i] for i in sorted(names)]

    def load_annotations(self) -> List[Tuple[str, int]]:
        root = self.resolve_root(self.data_root)
        images = read_id_table(self.require_file(osp.join(root, 'images.txt')))
        labels = read_id_table(
            self.require_file(osp.join(root, 'image_class_labels.txt')))
        if images.keys() != labels.keys():
            raise ValueError(
                f'{self.dataset_name}: images.txt and '
                'image_class_labels.txt list different image ids under '
                f'{root}')
        return [(osp.join(root, 'images', images[i]), int(labels[i]))
                for i in sorted(images)]
