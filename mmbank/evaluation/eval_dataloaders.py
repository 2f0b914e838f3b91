"""Dataloaders of frozen-feature evaluation (kNN, retrieval ...), taken from
a config or derived from its training dataloader.

Rule (documented in ``docs/benchmarks.md``):

1. If the config has ``{prefix}_{split}_dataloader`` with a
   ``dataset.type``, it is used as it is (e.g. ImageNet, see
   ``configs/_base_/knn_imagenet.py``).
2. Otherwise it is derived from ``train_dataloader.dataset``, for datasets
   whose split is chosen by ``test_mode`` (mmcls's CIFAR-10/100, MNIST,
   Fashion-MNIST and mmbank's ``OfflineCIFAR10/100``): the same dataset
   with ``test_mode=False`` for ``train`` (keeping its ``indices`` subset,
   so the memory is what the model was trained on) or ``test_mode=True``
   for ``test`` (the whole test set), or the validation queries for
   ``val``: training images ``CIFAR_VAL_RANGE`` (45,000-49,999) with
   ``test_mode=False``, which a training subset ``indices=N`` with
   N <= 45,000 never contains, so choices can be tuned without reading the
   test set. The pipeline is replaced by
   :data:`ARRAY_EVAL_PIPELINE` (no augmentation; the images are already at
   the training size), a non-shuffling ``DefaultSampler`` and
   ``default_collate``.
3. A partial ``{prefix}_{split}_dataloader`` (no ``dataset.type``), e.g.
   from ``--cfg-options knn_test_dataloader.dataset.indices=1000``, is
   merged into the derived one.
"""
import copy
from typing import Optional

from mmengine.config import Config, ConfigDict

from mmselfsup.registry import DATASETS

SPLITS = ('train', 'val', 'test')

#: Training images kept out of the CIFAR training subsets as validation
#: queries (``index_range`` of ``OfflineCIFAR10/100``).
CIFAR_VAL_RANGE = (45000, 50000)

#: Packs the image with its label and dataset index.
ARRAY_EVAL_PIPELINE = [
    dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx', 'gt_label'])
]

#: Names of datasets whose split is chosen by ``test_mode``.
TEST_MODE_SPLIT_DATASETS = ('CIFAR10', 'CIFAR100', 'MNIST', 'FashionMNIST')


def _dataset_class(type_name):
    if not isinstance(type_name, str):
        return type_name
    cls = DATASETS.get(type_name)
    if cls is None:
        raise KeyError(f'Unknown dataset type {type_name}.')
    return cls


def split_by_test_mode(dataset_type) -> bool:
    """Whether a dataset type chooses its split with ``test_mode``."""
    cls = _dataset_class(dataset_type)
    return any(base.__name__ in TEST_MODE_SPLIT_DATASETS
               for base in cls.__mro__)


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) \
                and not value.get('_delete_', False):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _to_dict(cfg):
    if isinstance(cfg, ConfigDict):
        return cfg.to_dict()
    return copy.deepcopy(cfg)


def val_split_dataset(train_dataset: dict) -> dict:
    """The settings that turn a CIFAR training dataset config into the
    validation queries: ``test_mode=False, index_range=CIFAR_VAL_RANGE``.

    Raises:
        ValueError: If the training subset (``indices``) reaches into the
            validation range, or the dataset cannot take an index range.
    """
    if not hasattr(_dataset_class(train_dataset.get('type')),
                   'VAL_INDEX_RANGE_OK'):
        raise ValueError(
            'The validation split is defined for OfflineCIFAR10/100 '
            f'training sets, not {train_dataset.get("type")}; define '
            'knn_val_dataloader in the config.')
    indices = train_dataset.get('indices')
    start = CIFAR_VAL_RANGE[0]
    if indices is None or (isinstance(indices, int) and indices > start) or (
            not isinstance(indices, int) and max(indices) >= start):
        raise ValueError(
            'The validation queries are training images '
            f'{CIFAR_VAL_RANGE[0]}-{CIFAR_VAL_RANGE[1] - 1}: the training '
            f'subset must lie below {start} (indices=N with N <= {start}), '
            f'got indices={indices if isinstance(indices, int) or indices is None else "[...]"}.')
    return dict(test_mode=False, index_range=CIFAR_VAL_RANGE)


def eval_dataloader_cfg(cfg: Config,
                        split: str,
                        prefix: str = 'knn',
                        batch_size: Optional[int] = None,
                        num_workers: Optional[int] = None) -> dict:
    """The dataloader config of one evaluation split.

    Args:
        cfg (Config): A training config.
        split (str): ``'train'`` (the memory / gallery), ``'val'`` (the
            validation queries) or ``'test'``.
        prefix (str): Config key prefix: ``{prefix}_{split}_dataloader``.
            Defaults to 'knn'.
        batch_size (int, optional): Override the batch size.
        num_workers (int, optional): Override the number of workers.

    Returns:
        dict: A dataloader config for ``Runner.build_dataloader``.

    Raises:
        ValueError: If it can be neither found nor derived.
    """
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    key = f'{prefix}_{split}_dataloader'
    given = _to_dict(cfg.get(key) or {})
    if 'type' in given.get('dataset', {}):
        loader = given
    else:
        if 'train_dataloader' not in cfg or \
                'dataset' not in cfg.train_dataloader:
            raise ValueError(
                f'The config has neither {key} nor a train_dataloader to '
                'derive it from.')
        train_dataset = _to_dict(cfg.train_dataloader.dataset)
        if not split_by_test_mode(train_dataset.get('type')):
            raise ValueError(
                f'Cannot derive the {split} split from a '
                f'{train_dataset.get("type")} training dataset (its split is '
                f'not chosen by test_mode). Define {key} in the config, e.g. '
                "with _base_ = ['../_base_/knn_imagenet.py'].")
        dataset = dict(train_dataset, pipeline=ARRAY_EVAL_PIPELINE)
        if split == 'train':
            dataset['test_mode'] = False
        elif split == 'val':
            dataset.update(val_split_dataset(train_dataset))
            dataset.pop('indices', None)
        else:
            dataset['test_mode'] = True
            dataset.pop('indices', None)
        loader = dict(
            batch_size=256,
            num_workers=0,
            persistent_workers=False,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='default_collate'),
            dataset=dataset)
        loader = _merge(loader, given)
    if batch_size is not None:
        loader['batch_size'] = batch_size
    if num_workers is not None:
        loader['num_workers'] = num_workers
        if num_workers == 0:
            loader['persistent_workers'] = False
    return loader
