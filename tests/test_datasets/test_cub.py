"""CUB200, Cars196 and StanfordOnlineProducts read the official layouts and
split by class (Ye et al., CVPR 2019)."""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import DefaultScope

from mmselfsup.registry import DATASETS
from mmbank.datasets import (CUB200, Cars196, StanfordOnlineProducts,
                             split_class_ids)


def write(path, lines):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def make_cub(root, class_ids=(1, 1, 2, 3, 3, 4)):
    """CUB_200_2011/ with images of 4 classes (ids in image order)."""
    folder = osp.join(root, 'CUB_200_2011')
    images = [
        f'{c:03d}.Bird_{c}/img_{i}.jpg' for i, c in enumerate(class_ids, 1)
    ]
    write(
        osp.join(folder, 'images.txt'),
        [f'{i} {p}' for i, p in enumerate(images, 1)])
    write(
        osp.join(folder, 'image_class_labels.txt'),
        [f'{i} {c}' for i, c in enumerate(class_ids, 1)])
    write(
        osp.join(folder, 'classes.txt'),
        [f'{c} {c:03d}.Bird_{c}' for c in sorted(set(class_ids))])
    return folder, images


def test_split_class_ids():
    assert split_class_ids([3, 1, 2, 4, 1], 'train') == [1, 2]
    assert split_class_ids([3, 1, 2, 4, 1], 'test') == [3, 4]
    assert split_class_ids(range(1, 201), 'test') == list(range(101, 201))
    assert split_class_ids(range(1, 197), 'train') == list(range(1, 99))
    with pytest.raises(ValueError, match='split'):
        split_class_ids([1, 2], 'val')


def test_cub_split_by_class(tmp_path):
    folder, images = make_cub(str(tmp_path))
    train = CUB200(data_root=folder, split='train')
    test = CUB200(data_root=folder, split='test')
    assert train.get_gt_labels().tolist() == [0, 0, 1]
    assert test.get_gt_labels().tolist() == [2, 2, 3]
    assert train.get_data_info(2)['img_path'] == osp.join(
        folder, 'images', images[2])
    assert test.get_data_info(0)['img_path'] == osp.join(
        folder, 'images', images[3])
    assert len(CUB200(data_root=folder, split='all')) == 6
    assert train.CLASSES == ('001.Bird_1', '002.Bird_2', '003.Bird_3',
                             '004.Bird_4')
    # the folder holding CUB_200_2011/ works too
    assert len(CUB200(data_root=str(tmp_path), split='test')) == 3


def test_cub_loads_images_through_a_pipeline(tmp_path):
    import mmcv
    folder, images = make_cub(str(tmp_path))
    img = np.zeros((20, 30, 3), np.uint8)
    img[:, :, 2] = 200  # red in BGR
    for path in images:
        os.makedirs(
            osp.dirname(osp.join(folder, 'images', path)), exist_ok=True)
        mmcv.imwrite(img, osp.join(folder, 'images', path[:-4] + '.png'))
    write(
        osp.join(folder, 'images.txt'),
        [f'{i} {p[:-4]}.png' for i, p in enumerate(images, 1)])
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        dataset = DATASETS.build(
            dict(
                type='CUB200',
                data_root=folder,
                split='test',
                pipeline=[
                    dict(type='LoadImageFromFile'),
                    dict(
                        type='PackSelfSupInputs', algorithm_keys=['gt_label'])
                ]))
    out = dataset[2]
    assert tuple(out['inputs'][0].shape) == (3, 20, 30)
    assert int(out['data_samples'].gt_label.value) == 3


def test_cub_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='images.txt'):
        CUB200(data_root=str(tmp_path))
    folder, _ = make_cub(str(tmp_path))
    write(osp.join(folder, 'image_class_labels.txt'), ['1 1', '2 1'])
    with pytest.raises(ValueError, match='different image ids'):
        CUB200(data_root=folder)
    write(osp.join(folder, 'images.txt'), ['1 a.jpg', '2 b.jpg'])
    # a single class: its first half is empty
    with pytest.raises(ValueError, match="split 'train' .* no images"):
        CUB200(data_root=folder, split='train')
    with pytest.raises(ValueError, match='split'):
        CUB200(data_root=folder, split='val')
    write(osp.join(folder, 'images.txt'), ['1'])
    with pytest.raises(ValueError, match='expected "<id> <value>"'):
        CUB200(data_root=folder)


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


def make_sop(root):
    header = 'image_id class_id super_class_id path'
    write(
        osp.join(root, 'Ebay_train.txt'), [
            header, '1 1 1 bicycle_final/a_0.JPG',
            '2 1 1 bicycle_final/a_1.JPG', '3 2 2 chair_final/b_0.JPG'
        ])
    write(
        osp.join(root, 'Ebay_test.txt'), [
            header, '4 3 1 bicycle_final/c_0.JPG', '5 4 2 chair_final/d_0.JPG',
            '6 4 2 chair_final/d_1.JPG'
        ])


def test_sop_splits(tmp_path):
    make_sop(str(tmp_path))
    train = StanfordOnlineProducts(data_root=str(tmp_path), split='train')
    test = StanfordOnlineProducts(data_root=str(tmp_path), split='test')
    assert train.get_gt_labels().tolist() == [0, 0, 1]
    assert test.get_gt_labels().tolist() == [2, 3, 3]
    assert test.get_data_info(2)['img_path'] == osp.join(
        str(tmp_path), 'chair_final/d_1.JPG')
    assert len(StanfordOnlineProducts(data_root=str(tmp_path),
                                      split='all')) == 6


def test_sop_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='Ebay_test.txt'):
        StanfordOnlineProducts(data_root=str(tmp_path), split='test')
    write(
        osp.join(str(tmp_path), 'Ebay_test.txt'),
        ['image_id class_id super_class_id path'])
    with pytest.raises(ValueError, match='no images'):
        StanfordOnlineProducts(data_root=str(tmp_path), split='test')
    write(osp.join(str(tmp_path), 'Ebay_test.txt'), ['1 1 1 a.jpg'])
    with pytest.raises(ValueError, match='header'):
        StanfordOnlineProducts(data_root=str(tmp_path), split='test')
