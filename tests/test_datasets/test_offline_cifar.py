"""OfflineCIFAR10's index_range and the validation split of the kNN
benchmark (training images outside the training subset)."""
import pytest
from mmengine.config import Config

from mmbank.datasets import OfflineCIFAR10
from mmbank.evaluation import eval_dataloaders
from mmbank.evaluation.eval_dataloaders import eval_dataloader_cfg


def test_index_range_takes_a_contiguous_block(tiny_cifar10):
    full = OfflineCIFAR10(data_prefix=tiny_cifar10, test_mode=False,
                          pipeline=[])
    part = OfflineCIFAR10(data_prefix=tiny_cifar10, test_mode=False,
                          pipeline=[], index_range=(10, 16))
    assert len(part) == 6
    for i in range(6):
        assert (part.get_data_info(i)['img'] ==
                full.get_data_info(10 + i)['img']).all()
        assert part.get_data_info(i)['gt_label'] == \
            full.get_data_info(10 + i)['gt_label']


@pytest.mark.parametrize('bad', [(5, 5), (-1, 3), (3, ), 'ab', (1.0, 2)])
def test_index_range_refuses_bad_ranges(tiny_cifar10, bad):
    with pytest.raises(ValueError, match='index_range'):
        OfflineCIFAR10(data_prefix=tiny_cifar10, test_mode=False,
                       pipeline=[], index_range=bad)


def test_index_range_past_the_end_and_with_indices(tiny_cifar10):
    with pytest.raises(ValueError, match='past the end'):
        OfflineCIFAR10(data_prefix=tiny_cifar10, test_mode=False,
                       pipeline=[], index_range=(10, 17))
    with pytest.raises(ValueError, match='not both'):
        OfflineCIFAR10(data_prefix=tiny_cifar10, test_mode=False,
                       pipeline=[], index_range=(0, 2), indices=3)


def _cfg(indices):
    return Config(dict(train_dataloader=dict(dataset=dict(
        type='OfflineCIFAR10', data_prefix='d', test_mode=False,
        indices=indices, pipeline=[]))))


def test_val_split_is_outside_the_training_subset():
    loader = eval_dataloader_cfg(_cfg(5000), 'val')
    ds = loader['dataset']
    assert ds['test_mode'] is False
    assert tuple(ds['index_range']) == eval_dataloaders.CIFAR_VAL_RANGE
    assert 'indices' not in ds
    # the memory keeps the subset
    assert eval_dataloader_cfg(_cfg(5000), 'train')['dataset']['indices'] \
        == 5000


@pytest.mark.parametrize('indices', [None, 45001, [0, 45000]])
def test_val_split_refuses_overlapping_subsets(indices):
    with pytest.raises(ValueError, match='must lie below 45000'):
        eval_dataloader_cfg(_cfg(indices), 'val')


def test_val_split_needs_a_cifar_dataset():
    cfg = Config(dict(train_dataloader=dict(dataset=dict(
        type='mmcls.CIFAR10', data_prefix='d', indices=10, pipeline=[]))))
    with pytest.raises(ValueError, match='knn_val_dataloader'):
        eval_dataloader_cfg(cfg, 'val')
