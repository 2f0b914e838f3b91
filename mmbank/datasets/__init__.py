from .converters import DatasetConversionError, convert_cifar10
from .offline_cifar import OfflineCIFAR10, OfflineCIFAR100
from .transforms import MultiViewWithIndex

__all__ = [
    'DatasetConversionError', 'convert_cifar10', 'OfflineCIFAR10',
    'OfflineCIFAR100', 'MultiViewWithIndex'
]
