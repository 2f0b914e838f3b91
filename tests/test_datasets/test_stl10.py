"""STL10 reads the official binary layout (column-major images)."""
import os
import os.path as osp

import numpy as np
import pytest
from mmengine.registry import DefaultScope

from mmselfsup.registry import DATASETS
from mmbank.datasets import STL10

CLASS_NAMES = [
    'airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse', 'monkey', 'ship',
    'truck'
]


def write_images(path, images):
    """The official layout, written independently of the reader: per image,
    per channel, the 96 x 96 plane in column-major (Fortran) order."""
    with open(path, 'wb') as f:
        for img in images:  # (H, W, 3)
            for c in range(3):
                f.write(img[:, :, c].flatten(order='F').tobytes())


def make_stl10(root, num=dict(train=3, test=2, unlabeled=4), seed=0):
    rng = np.random.RandomState(seed)
    folder = osp.join(root, 'stl10_binary')
    os.makedirs(folder, exist_ok=True)
    data = {}
    for part, n in num.items():
        images = rng.randint(0, 256, (n, 96, 96, 3)).astype(np.uint8)
        write_images(osp.join(folder, f'{part}_X.bin'), images)
        labels = None
        if part != 'unlabeled':
            labels = rng.randint(1, 11, n).astype(np.uint8)
            labels.tofile(osp.join(folder, f'{part}_y.bin'))
        data[part] = (images, labels)
    with open(osp.join(folder, 'class_names.txt'), 'w') as f:
        f.write('\n'.join(CLASS_NAMES) + '\n')
    return data


def test_orientation_of_the_column_major_layout(tmp_path):
    # top row white, left column grey, red channel only in the top-left
    img = np.zeros((96, 96, 3), np.uint8)
    img[0, :, :] = 255
    img[:, 0, 1] = 100
    img[:10, :5, 0] = 50
    folder = tmp_path / 'stl10_binary'
    folder.mkdir()
    write_images(str(folder / 'train_X.bin'), [img])
    np.array([3], np.uint8).tofile(str(folder / 'train_y.bin'))
    out = STL10(data_root=str(tmp_path), split='train')[0]
    assert out['img'].shape == (96, 96, 3)
    assert np.array_equal(out['img'], img)
    # rows are rows: the white line is on top, not on the left
    assert (out['img'][0, 5:] == 255).all()
    assert out['img'][1:, 5:].max() == 0 and out['img'][5, 0, 1] == 100
    assert out['gt_label'] == 2


def test_splits_labels_and_metainfo(tmp_path):
    data = make_stl10(str(tmp_path))
    train = STL10(data_root=str(tmp_path), split='train')
    assert len(train) == 3
    assert train.CLASSES == tuple(CLASS_NAMES)
    for i in range(3):
        assert np.array_equal(train[i]['img'], data['train'][0][i])
    assert train.get_gt_labels().tolist() == \
        (data['train'][1].astype(int) - 1).tolist()
    assert STL10(
        data_root=str(tmp_path), split='test').get_gt_labels().tolist() == (
            data['test'][1].astype(int) - 1).tolist()

    unlabeled = STL10(data_root=str(tmp_path), split='unlabeled')
    assert unlabeled.get_gt_labels().tolist() == [-1] * 4
    assert np.array_equal(unlabeled[3]['img'], data['unlabeled'][0][3])

    both = STL10(data_root=str(tmp_path), split='train+unlabeled')
    assert len(both) == 7
    assert both.get_gt_labels().tolist()[3:] == [-1] * 4
    assert np.array_equal(both[4]['img'], data['unlabeled'][0][1])
    assert both[4]['sample_idx'] == 4
    # data_root may also be the stl10_binary folder itself
    assert len(STL10(data_root=str(tmp_path / 'stl10_binary'))) == 3


def test_through_the_registry_with_a_pipeline(tmp_path):
    data = make_stl10(str(tmp_path))
    # as in an mmselfsup-scoped config
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        dataset = DATASETS.build(
            dict(
                type='STL10',
                data_root=str(tmp_path),
                split='test',
                pipeline=[
                    dict(
                        type='PackSelfSupInputs',
                        algorithm_keys=['gt_label', 'sample_idx'])
                ]))
    out = dataset[1]
    # PackSelfSupInputs gives CHW
    assert np.array_equal(out['inputs'][0].permute(1, 2, 0).numpy(),
                          data['test'][0][1])
    assert int(out['data_samples'].gt_label.value) == \
        int(data['test'][1][1]) - 1


def test_errors(tmp_path):
    with pytest.raises(ValueError, match='split'):
        STL10(data_root=str(tmp_path), split='val')
    with pytest.raises(FileNotFoundError, match='train_X.bin'):
        STL10(data_root=str(tmp_path), split='train')
    make_stl10(str(tmp_path), num=dict(train=2, test=0))
    with pytest.raises(FileNotFoundError, match='unlabeled_X.bin'):
        STL10(data_root=str(tmp_path), split='train+unlabeled')
    with pytest.raises(ValueError, match='no images'):
        STL10(data_root=str(tmp_path), split='test')
    folder = tmp_path / 'stl10_binary'
    np.array([1, 2, 3], np.uint8).tofile(str(folder / 'train_y.bin'))
    with pytest.raises(ValueError, match='2 images but .* 3 labels'):
        STL10(data_root=str(tmp_path), split='train')
    np.array([0, 2], np.uint8).tofile(str(folder / 'train_y.bin'))
    with pytest.raises(ValueError, match='1-10'):
        STL10(data_root=str(tmp_path), split='train')
    with open(folder / 'train_X.bin', 'ab') as f:
        f.write(b'\0')
    with pytest.raises(ValueError, match='not a multiple'):
        STL10(data_root=str(tmp_path), split='train')


def test_stl10_configs_on_fake_data(tmp_path):
    """The STL-10 training, kNN and linear-evaluation configs build their
    datasets from the official layout."""
    import mmcls.registry

    from mmengine.config import Config
    make_stl10(str(tmp_path))
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = Config.fromfile(
        osp.join(repo, 'configs', 'membank',
                 'membank_resnet18_1xb128x2-coslr-200e_stl10.py'))
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        train = DATASETS.build(
            dict(cfg.train_dataloader.dataset, data_root=str(tmp_path)))
        assert len(train) == 7  # train + unlabeled
        # the loader packs the 96 x 96 image; the model's preprocessor
        # makes its K = 2 views of 96 x 96, batched
        (image, ) = train[6]['inputs']
        assert tuple(image.shape) == (3, 96, 96)
        prep = cfg.model.data_preprocessor
        assert prep.type == 'BatchedViewsDataPreprocessor'
        assert (prep.num_views, prep.crop_size) == (2, 96)
        assert int(train[6]['data_samples'].sample_idx.value) == 6
        for split, num in (('train', 3), ('test', 2)):
            loader = cfg[f'knn_{split}_dataloader']
            dataset = DATASETS.build(
                dict(loader.dataset, data_root=str(tmp_path)))
            assert len(dataset) == num and dataset.split == split
    linear = Config.fromfile(
        osp.join(repo, 'configs', 'benchmarks', 'linear',
                 'resnet18_linear-1xb256-coslr-100e_stl10.py'))
    with DefaultScope.overwrite_default_scope('mmcls'):
        dataset = mmcls.registry.DATASETS.build(
            dict(linear.train_dataloader.dataset, data_root=str(tmp_path)))
        out = dataset[0]
    assert tuple(out['inputs'].shape) == (3, 96, 96)
    assert out['data_samples'].gt_label.label.numel() == 1
