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
   for ``test`` (the whole test set), the pipeline replaced by
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

SPLITS = ('train', 'test')

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


def eval_dataloader_cfg(cfg: Config,
                        split: str,
                        prefix: str = 'knn',
                        batch_size: Optional[int] = None,
                        num_workers: Optional[int] = None) -> dict:
    """The dataloader config of one evaluation split.

    Args:
        cfg (Config): A training config.
        split (str): ``'train'`` (the memory / gallery) or ``'test'``.
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
