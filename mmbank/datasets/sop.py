import os.path as osp
from typing import List, Tuple

from mmengine import list_from_file

from mmselfsup.registry import DATASETS
from .class_split_dataset import ClassSplitDataset

HEADER = ['image_id', 'class_id', 'super_class_id', 'path']


@DATASETS.register_module()
class StanfordOnlineProducts(ClassSplitDataset):
    """Stanford Online Products for unseen-category retrieval.

    Reads the official release (``Stanford_Online_Products.zip``)::

        data_root (Stanford_Online_Products/)
        ├── Ebay_train.txt   "image_id class_id super_class_id path",
        ├── Ebay_test.txt    one header line, then one line per image
        └── bicycle_final/ cabinet_final/ ...

    ``split='train'`` reads ``Ebay_train.txt`` (classes 1-11,318, 59,551
    images), ``'test'`` reads ``Ebay_test.txt`` (classes 11,319-22,634,
    60,502 images), ``'all'`` both. Labels are class id - 1.

    Args:
        data_root (str): See the layout above.
        split (str): 'train', 'test' or 'all'. Defaults to 'train'.
        **kwargs: Other arguments of ``mmcls.datasets.BaseDataset``.
    """

    dataset_name = 'Stanford Online Products'
    layout_hint = ('Expected the official Stanford_Online_Products folder '
                   '(Ebay_train.txt, Ebay_test.txt and the image folders) '
                   'as data_root.')

    def read_list(self, name: str) -> List[Tuple[str, int]]:
        """``(image path, class id)`` of one of the ``Ebay_*.txt`` lists."""
        path = self.require_file(osp.join(self.data_root, name))
        lines = [line for line in list_from_file(path) if line.strip()]
        if not lines or lines[0].split() != HEADER:
            raise ValueError(f'{self.dataset_name}: {path} must start with '
                             f'the header {" ".join(HEADER)!r}')
        items = []
        for line_no, line in enumerate(lines[1:], 2):
            parts = line.split()
            if len(parts) != 4:
                raise ValueError(f'{path}:{line_no}: expected 4 columns, '
                                 f'got {line!r}')
            items.append((osp.join(self.data_root, parts[3]), int(parts[1])))
        return items

    def load_annotations(self) -> List[Tuple[str, int]]:
        # the official files already split the classes in halves
        names = {
            'train': ['Ebay_train.txt'],
            'test': ['Ebay_test.txt'],
            'all': ['Ebay_train.txt', 'Ebay_test.txt']
        }[self.split]
        return [item for name in names for item in self.read_list(name)]

    def load_data_list(self) -> List[dict]:
        annotations = self.load_annotations()
        if not annotations:
            raise ValueError(f'{self.dataset_name}: split {self.split!r} of '
                             f'{self.data_root} has no images')
        return [
            dict(img_path=path, gt_label=cls_id - 1)
            for path, cls_id in annotations
        ]
