"""ClassSubset keeps the samples of some classes, re-indexed."""
import pytest

from mmselfsup.registry import DATASETS
from mmbank.datasets import ClassSubset, OfflineCIFAR10


def cifar(root, test_mode):
    # tiny_cifar10: labels i % 10 (16 train, 10 test images)
    return dict(
        type='OfflineCIFAR10',
        data_prefix=root,
        test_mode=test_mode,
        download=False)


def test_keeps_classes_and_reindexes(tiny_cifar10):
    subset = DATASETS.build(
        dict(
            type='ClassSubset',
            classes=[5, 6, 7, 8, 9],
            dataset=cifar(tiny_cifar10, True)))
    full = OfflineCIFAR10(
        data_prefix=tiny_cifar10, test_mode=True, download=False)
    kept = [i for i, y in enumerate(full.get_gt_labels()) if y >= 5]
    assert len(kept) == 5 and len(subset) == 5
    assert subset.get_gt_labels().tolist() == [
        int(full.get_gt_labels()[i]) for i in kept
    ]
    for i, j in enumerate(kept):
        info = subset.get_data_info(i)
        # labels keep their values; sample_idx counts within the subset
        assert info['sample_idx'] == i
        assert info['gt_label'] == full.get_data_info(j)['gt_label']
        assert (info['img'] == full.get_data_info(j)['img']).all()
    assert subset[4]['sample_idx'] == 4
    assert len(subset.metainfo['classes']) == 10


def test_class_names_and_train_split(tiny_cifar10):
    subset = ClassSubset(
        dataset=cifar(tiny_cifar10, False), classes=['airplane', 'cat', 1])
    full = OfflineCIFAR10(
        data_prefix=tiny_cifar10, test_mode=False, download=False)
    want = [int(y) for y in full.get_gt_labels() if y in (0, 1, 3)]
    assert sorted(want) == [0, 0, 1, 1, 3, 3]  # in the dataset's order
    assert subset.get_gt_labels().tolist() == want


def test_errors(tiny_cifar10):
    with pytest.raises(ValueError, match='none of the 10 samples'):
        ClassSubset(dataset=dict(cifar(tiny_cifar10, True)), classes=[11])
    with pytest.raises(ValueError, match='unknown class'):
        ClassSubset(dataset=cifar(tiny_cifar10, True), classes=['unicorn'])
    with pytest.raises(ValueError, match='non-empty'):
        ClassSubset(dataset=cifar(tiny_cifar10, True), classes=[])
    with pytest.raises(ValueError, match='non-empty'):
        ClassSubset(dataset=cifar(tiny_cifar10, True), classes=3)
    with pytest.raises(TypeError, match='BaseDataset'):
        ClassSubset(dataset=[1, 2], classes=[1])
