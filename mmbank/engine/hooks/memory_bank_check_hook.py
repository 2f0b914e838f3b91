from typing import List, Optional

import torch
from mmengine.dist import all_gather, get_dist_info
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop

from mmselfsup.registry import HOOKS
from ...models.heads import MemoryBankHead
from ...models.memories import InstanceMemoryBank


def find_modules(runner, module_type: type) -> List[torch.nn.Module]:
    """Every sub-module of ``runner.model`` (unwrapped) of ``module_type``."""
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    return [m for m in model.modules() if isinstance(m, module_type)]


def bank_checksum(bank: InstanceMemoryBank) -> torch.Tensor:
    """``(2,)`` float64 fingerprint of a bank's rows and groups; equal banks
    give equal fingerprints and differing ones almost surely do not."""
    weights = torch.arange(
        1, bank.num_samples + 1, device=bank.feats.device,
        dtype=torch.float64)
    rows = (bank.feats.double().sum(dim=1) * weights).sum()
    groups = (bank.group_ids.double() * weights).sum()
    return torch.stack([rows, groups])


@HOOKS.register_module()
class MemoryBankCheckHook(Hook):
    """Size memory banks from the training set and check the setup.

    Before training (``before_run``) it

    - sizes every unsized ``InstanceMemoryBank`` to the training set's
      length, so configs need no dataset length, and refuses a bank whose
      length differs from the dataset;
    - runs the pipeline on sample 0 and refuses a pipeline that does not
      pack ``sample_idx``, and a head with a consistency loss when the
      pipeline gives fewer than 2 views.

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
        for bank in find_modules(runner, InstanceMemoryBank):
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
        if num_views < 2 and any(h.with_consistency for h in heads):
            raise ValueError(
                'The consistency loss compares views of a sample, but the '
                f'pipeline gives {num_views} view; use '
                "dict(type='MultiViewWithIndex', num_views=K) with K >= 2, "
                'or set loss_consistency=None.')

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
