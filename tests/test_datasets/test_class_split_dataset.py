"""split_class_ids: the class split of Ye et al. (CVPR 2019)."""
import pytest

from mmbank.datasets import split_class_ids


def test_split_class_ids():
    assert split_class_ids([3, 1, 2, 4, 1], 'train') == [1, 2]
    assert split_class_ids([3, 1, 2, 4, 1], 'test') == [3, 4]
    assert split_class_ids(range(1, 201), 'test') == list(range(101, 201))
    assert split_class_ids(range(1, 197), 'train') == list(range(1, 99))
    with pytest.raises(ValueError, match='split'):
        split_class_ids([1, 2], 'val')
