"""Cars196 reads cars_annos.mat and splits by class (Ye et al., CVPR 2019)."""
import os.path as osp

import numpy as np
import pytest

from mmbank.datasets import Cars196


def make_cars(root, class_ids=(1, 2, 2, 3, 4, 4, 4)):
    from scipy.io import savemat
    n = len(class_ids)
    annos = np.zeros((1, n),
                     dtype=[('relative_im_path', 'O'), ('bbox_x1', 'O'),
                            ('class', 'O'), ('test', 'O')])
    for i, c in enumerate(class_ids):
        annos[0, i] = (f'car_ims/{i + 1:06d}.jpg', np.array([[5]]),
                       np.array([[c]], dtype=np.uint8),
                       np.array([[i % 2]], dtype=np.uint8))
    names = np.array([f'Car {c}' for c in range(1, 5)], dtype=object)
    savemat(
        osp.join(root, 'cars_annos.mat'), {
            'annotations': annos,
            'class_names': names[None]
        })


def test_cars_split_by_class_ignoring_the_test_flag(tmp_path):
    make_cars(str(tmp_path))
    train = Cars196(data_root=str(tmp_path), split='train')
    test = Cars196(data_root=str(tmp_path), split='test')
    assert train.get_gt_labels().tolist() == [0, 1, 1]
    assert test.get_gt_labels().tolist() == [2, 3, 3, 3]
    assert train.get_data_info(1)['img_path'] == osp.join(
        str(tmp_path), 'car_ims', '000002.jpg')
    assert train.CLASSES == ('Car 1', 'Car 2', 'Car 3', 'Car 4')
    # a single annotation (scipy squeezes it to a 0-d array)
    make_cars(str(tmp_path), class_ids=(7, ))
    assert Cars196(
        data_root=str(tmp_path), split='test').get_gt_labels().tolist() == [6]


def test_cars_errors(tmp_path):
    from scipy.io import savemat
    with pytest.raises(FileNotFoundError, match='cars_annos.mat'):
        Cars196(data_root=str(tmp_path))
    savemat(osp.join(str(tmp_path), 'cars_annos.mat'), {'x': np.zeros(2)})
    with pytest.raises(ValueError, match="no 'annotations'"):
        Cars196(data_root=str(tmp_path))
