"""CUB200 reads the official layout and splits by class (Ye et al., CVPR
2019)."""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import DefaultScope

from mmselfsup.registry import DATASETS
from mmbank.datasets import CUB200

from conftest import write_lines  # noqa: I100  (tests/conftest.py)


def make_cub(root, class_ids=(1, 1, 2, 3, 3, 4)):
    """CUB_200_2011/ with images of 4 classes (ids in image order)."""
    folder = osp.join(root, 'CUB_200_2011')
    images = [
        f'{c:03d}.Bird_{c}/img_{i}.jpg' for i, c in enumerate(class_ids, 1)
    ]
    write_lines(
        osp.join(folder, 'images.txt'),
        [f'{i} {p}' for i, p in enumerate(images, 1)])
    write_lines(
        osp.join(folder, 'image_class_labels.txt'),
        [f'{i} {c}' for i, c in enumerate(class_ids, 1)])
    write_lines(
        osp.join(folder, 'classes.txt'),
        [f'{c} {c:03d}.Bird_{c}' for c in sorted(set(class_ids))])
    return folder, images


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
    write_lines(
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
    write_lines(osp.join(folder, 'image_class_labels.txt'), ['1 1', '2 1'])
    with pytest.raises(ValueError, match='different image ids'):
        CUB200(data_root=folder)
    write_lines(osp.join(folder, 'images.txt'), ['1 a.jpg', '2 b.jpg'])
    # a single class: its first half is empty
    with pytest.raises(ValueError, match="split 'train' .* no images"):
        CUB200(data_root=folder, split='train')
    with pytest.raises(ValueError, match='split'):
        CUB200(data_root=folder, split='val')
    write_lines(osp.join(folder, 'images.txt'), ['1'])
    with pytest.raises(ValueError, match='expected "<id> <value>"'):
        CUB200(data_root=folder)
