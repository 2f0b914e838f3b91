from .cifar_from_images import (MANIFEST, DatasetConversionError,
                                convert_cifar10, read_image_splits,
                                write_cifar)

__all__ = [
    'MANIFEST', 'DatasetConversionError', 'convert_cifar10',
    'read_image_splits', 'write_cifar'
]
