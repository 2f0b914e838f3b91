"""eval_dataloader_cfg: the validation split of the kNN benchmark
(training images outside the training subset)."""
import pytest
from mmengine.config import Config

from mmbank.evaluation import eval_dataloaders
from mmbank.evaluation.eval_dataloaders import eval_dataloader_cfg


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
