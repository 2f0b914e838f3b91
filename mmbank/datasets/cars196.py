import os.path as osp
from typing import List, Optional, Tuple

import numpy as np

from mmselfsup.registry import DATASETS
from .class_split_dataset import ClassSplitDataset


def load_mat(path: str) -> dict:
    """``scipy.io.loadmat`` with squeezed struct arrays."""
    try:
        from scipy.io import loadmat
    except ImportError as err:
        raise ImportError('Reading Cars-196 (cars_annos.mat) needs scipy: '
                          'pip install scipy') from err
    return loadmat(path, squeeze_me=True)


@DATASETS.register_module()
class Cars196(ClassSplitDataset):
    """Stanford Cars-196 split by class for unseen-category retrieval.

    Reads the official all-in-one release::

        data_root
        ├── cars_annos.mat   annotations: relative_im_path, class (1..196),
        │                    test (0/1), bbox_*; class_names
        └── car_ims/         000001.jpg ... 016185.jpg

    ``split='train'`` is classes 1-98 (8,054 images), ``'test'`` classes
    99-196 (8,131 images), ``'all'`` all 16,185; the official per-image
    ``test`` flag is not used. Labels are class id - 1. Needs scipy.

    Args:
        data_root (str): See the layout above.
        split (str): 'train', 'test' or 'all'. Defaults to 'train'.
        **kwargs: Other arguments of ``mmcls.datasets.BaseDataset``.
    """

    dataset_name = 'Cars-196'
    layout_hint = ('Expected cars_annos.mat and car_ims/ (the official '
                   'all-in-one Stanford Cars release) in data_root.')

    def load_class_names(self, data_root: str) -> Optional[List[str]]:
        path = osp.join(data_root, 'cars_annos.mat')
        if not osp.isfile(path):
            return None  # load_annotations explains
        names = load_mat(path).get('class_names')
        if names is None:
            return None
        return [str(n) for n in np.atleast_1d(names)]

    def load_annotations(self) -> List[Tuple[str, int]]:
        path = self.require_file(osp.join(self.data_root, 'cars_annos.mat'))
        mat = load_mat(path)
        if 'annotations' not in mat:
            raise ValueError(f'{self.dataset_name}: {path} has no '
                             "'annotations' variable")
        annos = np.atleast_1d(mat['annotations'])
        fields = annos.dtype.names or ()
        for field in ('relative_im_path', 'class'):
            if field not in fields:
                raise ValueError(f'{self.dataset_name}: the annotations of '
                                 f'{path} have no {field!r} field')
        return [(osp.join(self.data_root, str(rel)), int(cls))
                for rel, cls in zip(annos['relative_im_path'], annos['class'])]
