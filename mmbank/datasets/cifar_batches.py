"""Reading CIFAR's pickled batch files without running their code.

CIFAR-10/100 ship as Python pickles. ``pickle.load`` of a crafted file runs
any code the file asks for, and an MD5 manifest does not help when whoever
can replace a batch can also rewrite the manifest. The batches hold only a
dict of strings, integers, lists and one uint8 numpy array, so they are
read here with an unpickler that resolves nothing but numpy's array
reconstruction, and checked for that layout.
"""
import io
import pickle
from typing import Any, Dict, List

import mmengine.dist as dist
import numpy as np
from mmengine.fileio import LocalBackend, get, get_file_backend, join_path

#: (module, name) of the only globals a CIFAR batch may refer to: numpy's
#: array and scalar reconstruction (numpy 1.x and 2.x module names), and
#: ``_codecs.encode``, which protocol-2 pickles use to rebuild bytes.
ALLOWED_GLOBALS = frozenset({
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'),
    ('numpy._core.multiarray', 'scalar'),
    ('numpy.core.numeric', '_frombuffer'),
    ('numpy._core.numeric', '_frombuffer'),
    ('numpy', 'ndarray'),
    ('numpy', 'dtype'),
    ('_codecs', 'encode'),
})

CIFAR_IMAGE_SIZE = 32 * 32 * 3


class UnsafeDatasetFileError(pickle.UnpicklingError):
    """A dataset file asks for objects its format never holds."""


class _CifarUnpickler(pickle.Unpickler):

    def __init__(self, file, source: str) -> None:
        super().__init__(file, encoding='latin1')  # Python 2 pickles
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise UnsafeDatasetFileError(
                f'Refusing to read {self.source}: it asks for '
                f'{module}.{name}, which CIFAR files never contain, and '
                'unpickling it could run code. Rebuild the data set from '
                'a trusted source (tools/prepare_cifar.py, or the official '
                'archive).')
        return super().find_class(module, name)


def load_cifar_pickle(data: bytes, source: str) -> Any:
    """Unpickle a CIFAR file's bytes, allowing only builtin containers,
    strings, numbers and numpy arrays.

    Raises:
        UnsafeDatasetFileError: If the file refers to anything else.
    """
    try:
        return _CifarUnpickler(io.BytesIO(data), source).load()
    except UnsafeDatasetFileError:
        raise
    except Exception as err:  # truncated or otherwise broken pickles
        raise UnsafeDatasetFileError(
            f'{source} is not a readable CIFAR file ({err}).') from err


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(
        value, bool)


def read_cifar_batch(data: bytes, source: str) -> Dict[str, Any]:
    """``{'data': (N, 3072) uint8, 'labels': list[int]}`` of one batch file
    (CIFAR-10's ``labels`` or CIFAR-100's ``fine_labels``).

    Raises:
        UnsafeDatasetFileError: If the file refers to objects other than
            numpy arrays, or does not have a batch's layout.
    """
    entry = load_cifar_pickle(data, source)
    problem = None
    if not isinstance(entry, dict):
        problem = f'it holds a {type(entry).__name__}, not a dict'
    else:
        images = entry.get('data')
        labels = entry.get('labels', entry.get('fine_labels'))
        if not isinstance(images, np.ndarray) or images.dtype != np.uint8 \
                or images.ndim != 2 or images.shape[1] != CIFAR_IMAGE_SIZE:
            problem = ('its "data" is not an (N, 3072) uint8 array (got '
                       f'{getattr(images, "shape", type(images).__name__)}'
                       f', {getattr(images, "dtype", "")})')
        elif not isinstance(labels, list) or len(labels) != len(images) \
                or not all(_is_int(label) for label in labels):
            problem = (f'it has no list of {len(images)} integer labels '
                       '("labels" or "fine_labels")')
    if problem:
        raise UnsafeDatasetFileError(
            f'{source} is not a CIFAR batch: {problem}.')
    return dict(data=images, labels=[int(label) for label in labels])


class SafeCIFARBatches:
    """Mixin for mmcls's ``CIFAR10`` / ``CIFAR100``: the batches and the
    meta file are read with :func:`read_cifar_batch` /
    :func:`load_cifar_pickle` instead of ``pickle.load``. Integrity check
    and download are as in mmcls."""

    def _ensure_files(self) -> None:
        """Check the files (``_check_integrity``), downloading them first
        where ``download=True`` allows it."""
        root = self.data_prefix['root']
        if dist.is_main_process() and not self._check_integrity():
            local = isinstance(
                get_file_backend(root, enable_singleton=True), LocalBackend)
            if not (self.download and local):
                raise RuntimeError(
                    f'Cannot find {type(self).__name__} dataset in {root}: '
                    f'{self.base_folder}/ is missing, incomplete or does not '
                    'match its MD5 sums' +
                    ('; set download=True to download it.'
                     if local else '.'))
            from mmcls.datasets.utils import download_and_extract_archive
            download_and_extract_archive(
                self.url, root, filename=self.filename, md5=self.tgz_md5)
        dist.barrier()
        if not self._check_integrity():
            raise RuntimeError(
                f'{type(self).__name__}: the files in {root} do not pass '
                'the integrity check after download (or shared storage is '
                f'unavailable); download {self.url} manually.')

    def load_data_list(self) -> List[dict]:
        self._ensure_files()
        folder = join_path(self.data_prefix['root'], self.base_folder)
        names = [n for n, _ in (self.test_list
                                if self.test_mode else self.train_list)]
        batches = [
            read_cifar_batch(get(join_path(folder, n)), join_path(folder, n))
            for n in names
        ]
        # rows are R, G and B planes of 32 x 32; samples are HWC arrays
        images = np.concatenate([b['data'] for b in batches]).reshape(
            -1, 3, 32, 32).transpose(0, 2, 3, 1)
        labels = [label for b in batches for label in b['labels']]
        if self.CLASSES is None:
            self._load_meta()
        return [
            dict(img=img, gt_label=label)
            for img, label in zip(images, labels)
        ]

    def _load_meta(self) -> None:
        path = join_path(self.data_prefix['root'], self.base_folder,
                         self.meta['filename'])
        from mmcls.datasets.utils import check_md5
        from mmengine.fileio import exists
        md5 = self.meta.get('md5')
        if not exists(path) or (md5 is not None and not check_md5(path, md5)):
            raise RuntimeError(
                f'{type(self).__name__}: metadata file {path} is missing or '
                'corrupted; download=True downloads it.')
        meta = load_cifar_pickle(get(path), path)
        names = meta.get(self.meta['key']) if isinstance(meta, dict) else None
        if not isinstance(names, list) or not all(
                isinstance(n, str) for n in names):
            raise UnsafeDatasetFileError(
                f'{path} has no list of class names under '
                f'{self.meta["key"]!r}.')
        self._metainfo.setdefault('classes', names)
