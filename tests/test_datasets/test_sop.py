"""StanfordOnlineProducts reads the official Ebay_{train,test}.txt splits."""
import os.path as osp

import pytest

from mmbank.datasets import StanfordOnlineProducts

from conftest import write_lines  # noqa: I100  (tests/conftest.py)


def make_sop(root):
    header = 'image_id class_id super_class_id path'
    write_lines(
        osp.join(root, 'Ebay_train.txt'), [
            header, '1 1 1 bicycle_final/a_0.JPG',
            '2 1 1 bicycle_final/a_1.JPG', '3 2 2 chair_final/b_0.JPG'
        ])
    write_lines(
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
    write_lines(
        osp.join(str(tmp_path), 'Ebay_test.txt'),
        ['image_id class_id super_class_id path'])
    with pytest.raises(ValueError, match='no images'):
        StanfordOnlineProducts(data_root=str(tmp_path), split='test')
    write_lines(osp.join(str(tmp_path), 'Ebay_test.txt'), ['1 1 1 a.jpg'])
    with pytest.raises(ValueError, match='header'):
        StanfordOnlineProducts(data_root=str(tmp_path), split='test')
