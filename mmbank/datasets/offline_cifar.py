import json
import os.path as osp

from mmcls.datasets import CIFAR10, CIFAR100
from mmcls.datasets.utils import check_md5
from mmengine.fileio import exists, join_path

from mmselfsup.registry import DATASETS
from .converters import MANIFEST


class _ManifestIntegrity:
    """Accept files listed with their MD5 in ``mmbank_manifest.json``.

    ``tools/prepare_cifar.py`` rebuilds CIFAR's pickles from images, so their
    MD5 sums differ from the official archive's; it records them in a
    manifest. Without a manifest the official check (and download) applies.
    """

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


@DATASETS.register_module()
class OfflineCIFAR10(_ManifestIntegrity, CIFAR10):
    """mmcls's ``CIFAR10`` that also reads a copy rebuilt offline.

    Same arguments and behaviour as ``mmcls.CIFAR10`` (including
    ``download=True``); in addition it accepts the ``cifar-10-batches-py``
    folder that ``tools/prepare_cifar.py`` writes from image files, checked
    against that tool's manifest.
    """


@DATASETS.register_module()
class OfflineCIFAR100(_ManifestIntegrity, CIFAR100):
    """mmcls's ``CIFAR100`` that also reads a copy rebuilt offline (see
    :class:`OfflineCIFAR10`)."""
