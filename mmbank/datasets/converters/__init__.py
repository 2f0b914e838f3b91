from .cifar_from_images import MANIFEST, convert_cifar10, write_cifar
from .image_splits import DatasetConversionError, read_image_splits

__all__ = [
    'MANIFEST', 'DatasetConversionError', 'convert_cifar10',
    'read_image_splits', 'write_cifar'
]
