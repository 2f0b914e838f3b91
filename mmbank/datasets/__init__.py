from .converters import DatasetConversionError, convert_cifar10
from .offline_cifar import OfflineCIFAR10, OfflineCIFAR100
from .transforms import MultiViewWithIndex

__all__ = [
    'DatasetConversionError', 'convert_cifar10', 'OfflineCIFAR10',
    'OfflineCIFAR100', 'MultiViewWithIndex'
]
from .cars196 import Cars196  # noqa: E402
from .class_split_dataset import ClassSplitDataset, split_class_ids  # noqa
from .class_subset import ClassSubset  # noqa: E402
from .cub import CUB200  # noqa: E402
from .near_duplicates import (NearDuplicates, near_duplicate,  # noqa: E402
                              use_near_duplicates)
from .sop import StanfordOnlineProducts  # noqa: E402
from .stl10 import STL10, decode_stl10_image  # noqa: E402

__all__ += [
    'Cars196', 'ClassSplitDataset', 'split_class_ids', 'ClassSubset',
    'CUB200', 'NearDuplicates', 'near_duplicate', 'use_near_duplicates',
    'StanfordOnlineProducts', 'STL10', 'decode_stl10_image'
]
