import warnings
from typing import List, Optional

import numpy as np
import torch
from mmengine.dataset import BaseDataset
from mmengine.dist import all_gather, get_dist_info
from mmengine.hooks import Hook
from mmengine.runner import BaseLoop

from mmselfsup.models.memories import SimpleMemory
from mmselfsup.registry import HOOKS
from mmselfsup.utils import get_model
from ...models.heads import MemoryBankHead
from ...models.memories import InstanceMemoryBank


def find_modules(runner, module_type: type) -> List[torch.nn.Module]:
    """Every sub-module of ``runner.model`` (unwrapped) of ``module_type``."""
    return [
        m for m in get_model(runner.model).modules()
        if isinstance(m, module_type)
    ]


def bank_checksum(bank: InstanceMemoryBank) -> torch.Tensor:
    """``(2,)`` float64 fingerprint of a bank's rows and groups; equal banks
    give equal fingerprints and differing ones almost surely do not."""
    weights = torch.arange(
        1, bank.num_samples + 1, device=bank.feats.device,
        dtype=torch.float64)
    rows = (bank.rows().double().sum(dim=1) * weights).sum()
    groups = (bank.group_ids.double() * weights).sum()
    return torch.stack([rows, groups])


def check_bank_indices(dataset) -> None:
    """Refuse a training set whose ``sample_idx`` values are not one per
    memory bank row: every sample's must be distinct and in ``[0, N)``.

    A plain mmengine dataset numbers its samples ``0 .. N - 1`` itself, so
    it passes as is. Any other dataset, e.g. a wrapper (``ConcatDataset``,
    whose parts each number their samples from 0, ``RepeatDataset``), is
    read with ``get_data_info`` for every sample, without the pipeline.

    Raises:
        ValueError: naming two samples that share a bank row, or a sample
            whose ``sample_idx`` is missing or outside the bank.
    """
    if isinstance(dataset, BaseDataset) or \
            not hasattr(dataset, 'get_data_info'):
        return  # numbered by mmengine / nothing to read it from
    num = len(dataset)
    name = type(dataset).__name__
    indices = np.empty(num, dtype=np.int64)
    for i in range(num):
        info = dataset.get_data_info(i)
        value = info.get('sample_idx') if isinstance(info, dict) else None
        if value is None or not 0 <= int(value) < num:
            raise ValueError(
                f'Sample {i} of the training set ({name}) has sample_idx '
                f'{value!r}, which is not a row of the memory bank (0 to '
                f'{num - 1}): the bank needs each sample\'s index in the '
                'training set.')
        indices[i] = int(value)
    order = np.argsort(indices, kind='stable')
    same = np.flatnonzero(indices[order][1:] == indices[order][:-1])
    if same.size:
        first, second = sorted((int(order[same[0]]), int(order[same[0] + 1])))
        unused = num - len(np.unique(indices))
        raise ValueError(
            f'Samples {first} and {second} of the training set ({name}) '
            f'both have sample_idx {indices[first]}, so they would share a '
            f'memory bank row ({unused} of the {num} rows would never be '
            'updated). Wrappers such as ConcatDataset and RepeatDataset '
            'number the samples of each part from 0; train on a single '
            'dataset that lists every image once instead.')


#: transforms that read or pack an image without changing it
PACKING_TRANSFORMS = ('LoadImageFromFile', 'PackSelfSupInputs',
                      'PackImageAndIndex', 'PackClsInputs', 'PackInputs')


def check_views_are_made(dataset, runner) -> None:
    """Refuse a training set whose pipeline only reads and packs images
    (as the dataset bases' ``train_pipeline`` does for batched views) when
    the model's data preprocessor makes no views either: instance
    discrimination would then train on the unaugmented images."""
    transforms = getattr(getattr(dataset, 'pipeline', None), 'transforms',
                         None)
    if not transforms or any(type(t).__name__ not in PACKING_TRANSFORMS
                             for t in transforms):
        return  # no pipeline to judge, or one that transforms
    preprocessor = getattr(get_model(runner.model), 'data_preprocessor',
                           None)
    if getattr(preprocessor, 'num_views', None) is None:
        raise ValueError(
            'The training pipeline only reads and packs the images ('
            + ', '.join(type(t).__name__ for t in transforms) + ') and the '
            "model's data_preprocessor makes no views, so the network would "
            'see every image unaugmented: set model.data_preprocessor='
            "_base_.batched_views (the dataset base's views, made batched) "
            "or use the base's per_image_pipeline.")


@HOOKS.register_module()
class MemoryBankSetupHook(Hook):
    """Size memory banks from the training set and check the setup.

    Before training (``before_run``) it

    - sizes every unsized ``InstanceMemoryBank`` to the training set's
      length, so configs need no dataset length, and refuses a bank whose
      length differs from the dataset; refuses an mmselfsup
      ``SimpleMemory`` (NPID's bank, sized by its config's ``length``) of
      another length: a longer one would silently draw negatives from rows
      that are never updated;
    - refuses a pipeline that only reads and packs the images when the
      model's data preprocessor makes no views either (unaugmented
      training);
    - refuses a training set whose samples do not each have their own
      ``sample_idx`` in ``[0, N)`` (e.g. a ``ConcatDataset``, whose parts
      each number their samples from 0), read from every sample's
      ``get_data_info`` without the pipeline;
    - runs the pipeline on sample 0 and refuses a pipeline that does not
      pack ``sample_idx``, and a head with a consistency loss when the
      pipeline (or a data preprocessor that makes the views, read from its
      ``num_views``) gives fewer than 2 views.

    In distributed training it also checks, every ``sync_interval``
    training epochs, that every rank holds the same bank rows and groups.

    Args:
        seed (int, optional): Seed of the banks' random initial rows.
            Defaults to None (the runner's seeded global generator).
        sync_interval (int): Epochs between cross-rank checks; 0 turns them
            off. Defaults to 1.
    """

    priority = 'VERY_HIGH'

    def __init__(self, seed: Optional[int] = None,
                 sync_interval: int = 1) -> None:
        if sync_interval < 0:
            raise ValueError(
                f'sync_interval must be >= 0, got {sync_interval}')
        self.seed = seed
        self.sync_interval = sync_interval

    def before_run(self, runner) -> None:
        if not isinstance(getattr(runner, '_train_loop', None), BaseLoop):
            return  # not training
        dataset = runner.train_dataloader.dataset
        num_samples = len(dataset)
        if num_samples == 0:
            raise ValueError('The training set is empty.')
        banks = find_modules(runner, InstanceMemoryBank)
        simple = find_modules(runner, SimpleMemory)
        if banks or simple:
            check_bank_indices(dataset)
            check_views_are_made(dataset, runner)
        for memory in simple:
            length = memory.feature_bank.shape[0]
            if length != num_samples:
                raise ValueError(
                    f"mmselfsup's SimpleMemory has {length} rows but the "
                    f'training set has {num_samples} samples; set '
                    f'model.memory_bank.length={num_samples}.')
        for bank in banks:
            if bank.num_samples == 0:
                bank.reset(num_samples, seed=self.seed)
                runner.logger.info(
                    f'Memory bank sized to the training set: {num_samples} '
                    f'x {bank.feat_dim}.')
            elif bank.num_samples != num_samples:
                raise ValueError(
                    f'The memory bank has {bank.num_samples} rows but the '
                    f'training set has {num_samples} samples; leave '
                    'num_samples unset (None) to size it from the dataset.')
        heads = find_modules(runner, MemoryBankHead)
        if not heads:
            return
        sample = dataset[0]
        data_sample = sample.get('data_samples')
        if data_sample is None or 'sample_idx' not in data_sample:
            raise ValueError(
                'The training pipeline does not pack sample_idx, which the '
                "memory bank needs: end it with dict(type='PackSelfSupInputs'"
                ", algorithm_keys=['sample_idx']).")
        inputs = sample['inputs']
        num_views = len(inputs) if isinstance(inputs, (list, tuple)) else 1
        source = 'pipeline'
        # a data preprocessor that makes the views (BatchedViews...)
        preprocessor = getattr(get_model(runner.model), 'data_preprocessor',
                               None)
        if getattr(preprocessor, 'num_views', None) is not None:
            num_views = preprocessor.num_views
            source = 'data preprocessor'
        if num_views < 2 and any(h.with_consistency for h in heads):
            raise ValueError(
                'The consistency loss compares views of a sample, but the '
                f'{source} gives {num_views} view; use '
                "dict(type='MultiViewWithIndex', num_views=K) or "
                "dict(type='BatchedViewsDataPreprocessor', num_views=K) "
                'with K >= 2, or set loss_consistency=None.')

    def after_train_epoch(self, runner) -> None:
        world_size = get_dist_info()[1]
        if world_size < 2 or not self.sync_interval or \
                not self.every_n_epochs(runner, self.sync_interval):
            return
        for i, bank in enumerate(find_modules(runner, InstanceMemoryBank)):
            sums = all_gather(bank_checksum(bank))
            if any(not torch.equal(sums[0], s) for s in sums[1:]):
                raise RuntimeError(
                    f'Memory bank {i} differs between ranks after epoch '
                    f'{runner.epoch + 1}: {[s.tolist() for s in sums]}.')
            runner.logger.info(
                f'Memory bank {i} identical on {world_size} ranks after '
                f'epoch {runner.epoch + 1} (checksum '
                f'{sums[0].tolist()}).')


@HOOKS.register_module()
class MemoryBankCheckHook(MemoryBankSetupHook):
    """The former name of :class:`MemoryBankSetupHook`, kept so that
    existing configs keep working; it warns once per run."""

    def __init__(self, *args, **kwargs) -> None:
        warnings.warn(
            'MemoryBankCheckHook is now called MemoryBankSetupHook (it '
            'sizes the banks and checks the setup); the old name will go.',
            FutureWarning)  # shown to users by default
        super().__init__(*args, **kwargs)
