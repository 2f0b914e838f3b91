import json
import os.path as osp
from typing import Optional, Sequence, Tuple

from mmcls.datasets import CIFAR10, CIFAR100
from mmcls.datasets.utils import check_md5
from mmengine.fileio import exists, join_path

from mmselfsup.registry import DATASETS
from .cifar_batches import SafeCIFARBatches
from .converters import MANIFEST


class _ManifestIntegrity:
    """Accept files listed with their MD5 in ``mmbank_manifest.json``, and
    take a contiguous ``index_range`` of the split.

    ``tools/prepare_cifar.py`` rebuilds CIFAR's pickles from images, so their
    MD5 sums differ from the official archive's; it records them in a
    manifest. Without a manifest the official check (and download) applies.
    """

    #: tells mmbank's evaluation that these datasets take ``index_range``
    VAL_INDEX_RANGE_OK = True

    def __init__(self,
                 *args,
                 index_range: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        if index_range is not None:
            if kwargs.get('indices') is not None:
                raise ValueError(
                    'give either indices or index_range, not both')
            start, stop = _check_index_range(index_range)
            kwargs['indices'] = list(range(start, stop))
            try:
                super().__init__(*args, **kwargs)
            except IndexError:
                raise ValueError(
                    f'index_range {list(index_range)} goes past the end of '
                    'the split') from None
        else:
            super().__init__(*args, **kwargs)

    def _check_integrity(self) -> bool:
        folder = join_path(self.data_prefix['root'], self.base_folder)
        manifest_path = join_path(folder, MANIFEST)
        if not exists(manifest_path):
            return super()._check_integrity()
        with open(manifest_path) as f:
            md5 = json.load(f)['md5']
        for filename, _ in self.train_list + self.test_list:
            path = join_path(folder, filename)
            if filename not in md5 or not osp.isfile(path) \
                    or not check_md5(path, md5[filename]):
                return False
        return True


def _check_index_range(index_range: Sequence[int]) -> Tuple[int, int]:
    """``(start, stop)`` of a valid ``index_range``, else ValueError."""
    if (isinstance(index_range, (str, bytes)) or len(index_range) != 2
            or not all(isinstance(i, int) and not isinstance(i, bool)
                       for i in index_range)
            or not 0 <= index_range[0] < index_range[1]):
        raise ValueError('index_range must be [start, stop) with '
                         f'0 <= start < stop, got {index_range!r}')
    return int(index_range[0]), int(index_range[1])


@DATASETS.register_module()
class OfflineCIFAR10(_ManifestIntegrity, SafeCIFARBatches, CIFAR10):
    """mmcls's ``CIFAR10`` that also reads a copy rebuilt offline.

    Same arguments and behaviour as ``mmcls.CIFAR10`` (including
    ``download=True``); in addition it accepts the ``cifar-10-batches-py``
    folder that ``tools/prepare_cifar.py`` writes from image files, checked
    against that tool's manifest. The batch files are read with a
    restricted unpickler (numpy arrays, no other objects), so a crafted
    file cannot run code (:mod:`mmbank.datasets.cifar_batches`).

    ``index_range=(start, stop)`` keeps samples ``start .. stop - 1`` of the
    split (renumbered from 0), e.g. the validation queries
    ``test_mode=False, index_range=(45000, 50000)``: training images that a
    training subset ``indices=N`` (N <= 45,000) never sees.
    """


@DATASETS.register_module()
class OfflineCIFAR100(_ManifestIntegrity, SafeCIFARBatches, CIFAR100):
    """mmcls's ``CIFAR100`` that also reads a copy rebuilt offline (see
    :class:`OfflineCIFAR10`)."""
