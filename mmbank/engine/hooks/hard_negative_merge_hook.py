import warnings
from typing import Optional

import torch
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.runner import BaseLoop

from mmselfsup.registry import HOOKS
from ...models.memories import InstanceMemoryBank
from ...models.utils import (copy_pair_recovery, pair_similarity,
                             same_class_pair_fraction)
from .memory_bank_setup_hook import find_modules

#: Options removed after the CPU protocol's tuning measured them
#: (docs/results.md): name -> (the behaviour kept, why it went).
REMOVED_OPTIONS = {
    'mutual': (True, 'merging only mutual nearest neighbours is now always '
               'on (mutual=False merged the same pairs to within one '
               'sample and scored the same)'),
    'average_rows': (False, "merged samples' bank rows are no longer "
                     'averaged (averaging scored no better)'),
}


def check_removed_options(options: dict) -> None:
    """Warn about removed options set to the behaviour that was kept;
    raise for any other value or unknown option."""
    for name, value in options.items():
        if name not in REMOVED_OPTIONS:
            raise TypeError(f'HardNegativeMergeHook got an unexpected '
                            f'option {name!r}')
        kept, why = REMOVED_OPTIONS[name]
        if value != kept:
            raise ValueError(
                f'HardNegativeMergeHook: the option {name}={value!r} was '
                f'removed: {why}. Delete {name!r} from the config (the '
                f'last commit with the option is documented in '
                f'CHANGELOG.md, "Removed options").')
        warnings.warn(f'HardNegativeMergeHook: {name} was removed; '
                      f'{name}={value!r} is what it does now: delete the '
                      'key from the config.', DeprecationWarning)


@HOOKS.register_module()
class HardNegativeMergeHook(Hook):
    """Gradually merge near-duplicate samples of the memory bank.

    After training epochs ``start_epoch, start_epoch + interval, ...`` up to
    ``end_epoch``, it finds each bank row's cosine nearest neighbour
    outside the row's group (tiled on the bank's device, never an ``N x N``
    matrix) and merges the most similar mutual pairs until the fraction of
    samples in merge groups reaches the schedule's target, which grows
    linearly from ``final_ratio / num_merges`` at the first merge to
    ``final_ratio`` at the last (the last merge epoch of the schedule, which
    is ``end_epoch`` when ``interval`` divides ``end_epoch - start_epoch``).
    Merged samples become positives of each other in ``MemoryBankHead``
    (Bulat et al. 2021, (c)).

    The hook only decides when and how much (:meth:`schedule`: epoch ->
    target ratio) and logs; the bank merges
    (:meth:`InstanceMemoryBank.merge_hard_negatives`: search on rank 0,
    union, broadcast). Groups live in the bank's ``group_ids`` buffer, so
    they are saved in checkpoints and restored on resume. After each merge
    the merged fraction is logged as ``merged_ratio``.

    Its figures go to mmengine's ``MessageHub`` (so to the log, the JSON
    scalars and any visualiser backend), ``{i}`` being the bank's number
    when the model has several: ``train/merge_epoch{i}`` and
    ``train/merged_ratio{i}`` after each merge; with labels
    ``train/merge_same_class{i}`` (NaN while no group has two members) and
    ``train/merge_same_class_chance{i}``, one value a merge; and when the
    training set knows its near-duplicates (a ``pairs`` array of
    ``(original, copy)`` indices, as :class:`~mmbank.datasets.NearDuplicates`
    has),
    ``train/merge_copy_precision{i}`` (merged pairs that are true copies;
    NaN while no group has two members) and ``train/merge_copy_recall{i}``
    (true pairs merged), one value a merge, and
    after every epoch ``train/copy_pair_similarity{i}``, the mean cosine of
    the copies' bank rows (what the instance loss does to them, also before
    the first merge).

    Args:
        start_epoch (int): First epoch after which to merge (1-based).
            Defaults to 1.
        end_epoch (int, optional): Epoch at which ``final_ratio`` is
            reached; None for the last epoch. Defaults to None.
        interval (int): Epochs between merges. Defaults to 1.
        final_ratio (float): Fraction of the bank in groups at the end, in
            ``(0, 1]``. Defaults to 0.2.
        max_group_size (int): Bound on a group's size, so transitive merges
            cannot chain into giant groups. Defaults to 4.
        min_similarity (float): Pairs less cosine-similar are never merged,
            even if the target is not reached. Defaults to 0.5.
        chunk_size (int): Side of the similarity tiles; the search's extra
            memory is about ``2 * chunk_size ** 2`` floats. Defaults to 4096.
        log_class_purity (bool): When the training set has labels
            (``get_gt_labels()``), also log how often merged samples share a
            class, against chance. A diagnostic only: labels never reach the
            merge. Defaults to True.
        exact (bool): Search with exact fixed-point float64 similarities:
            merges independent of ``chunk_size``, BLAS and device (the
            CIFAR-10 CPU-protocol configs set it: their published runs
            merged so). Else float32, TF32 on CUDA devices that have it,
            where rows within float32 rounding of a row's best can trade
            places. Defaults to False.
    """

    priority = 'NORMAL'  # before CheckpointHook (VERY_LOW) saves the epoch

    def __init__(self,
                 start_epoch: int = 1,
                 end_epoch: Optional[int] = None,
                 interval: int = 1,
                 final_ratio: float = 0.2,
                 max_group_size: int = 4,
                 min_similarity: float = 0.5,
                 chunk_size: int = 4096,
                 log_class_purity: bool = True,
                 exact: bool = False,
                 **removed) -> None:
        check_removed_options(removed)
        problems = []
        if not isinstance(start_epoch, int) or start_epoch < 1:
            problems.append(f'start_epoch must be an int >= 1, got '
                            f'{start_epoch!r}')
        if end_epoch is not None and (not isinstance(end_epoch, int)
                                      or end_epoch < start_epoch):
            problems.append(f'end_epoch ({end_epoch!r}) must be an int >= '
                            f'start_epoch ({start_epoch!r})')
        if not isinstance(interval, int) or interval < 1:
            problems.append(f'interval must be an int >= 1, got {interval!r}')
        if not 0 < final_ratio <= 1:
            problems.append(f'final_ratio must be in (0, 1], got '
                            f'{final_ratio!r}')
        if not isinstance(max_group_size, int) or max_group_size < 2:
            problems.append(f'max_group_size must be an int >= 2, got '
                            f'{max_group_size!r}')
        if not -1 <= min_similarity <= 1:
            problems.append(f'min_similarity must be in [-1, 1], got '
                            f'{min_similarity!r}')
        if not isinstance(chunk_size, int) or chunk_size < 1:
            problems.append(f'chunk_size must be an int >= 1, got '
                            f'{chunk_size!r}')
        if not isinstance(exact, bool):
            problems.append(f'exact must be True or False, got {exact!r}')
        if problems:
            raise ValueError('HardNegativeMergeHook: ' + '; '.join(problems))
        self.start_epoch = start_epoch
        self.end_epoch = end_epoch
        self.interval = interval
        self.final_ratio = final_ratio
        self.max_group_size = max_group_size
        self.min_similarity = min_similarity
        self.chunk_size = chunk_size
        self.exact = exact
        self.log_class_purity = log_class_purity

    def _last_epoch(self, max_epochs: int) -> int:
        return self.end_epoch if self.end_epoch is not None else max_epochs

    def merge_epochs(self, max_epochs: int) -> list:
        """The (1-based) epochs after which merging happens."""
        last = min(self._last_epoch(max_epochs), max_epochs)
        return list(range(self.start_epoch, last + 1, self.interval))

    def schedule(self, max_epochs: int) -> dict:
        """Merge epoch (1-based) -> fraction of the bank merged after it.

        The ``j``-th of ``n`` merges targets ``final_ratio * j / n``, so the
        last scheduled merge reaches ``final_ratio`` exactly, also when
        ``end_epoch - start_epoch`` is not a multiple of ``interval`` (the
        last merge then comes before ``end_epoch``).
        """
        epochs = self.merge_epochs(max_epochs)
        return {
            epoch: (j + 1) / len(epochs) * self.final_ratio
            for j, epoch in enumerate(epochs)
        }

    def target_ratio(self, epoch: int, max_epochs: int) -> float:
        """Fraction of the bank to have merged after ``epoch`` (0 if no
        merge happens then)."""
        return self.schedule(max_epochs).get(epoch, 0.0)

    def before_run(self, runner) -> None:
        if not isinstance(getattr(runner, '_train_loop', None), BaseLoop):
            return
        max_epochs = runner.max_epochs
        if self.start_epoch > max_epochs:
            raise ValueError(
                f'HardNegativeMergeHook: start_epoch ({self.start_epoch}) is '
                f'after the last epoch ({max_epochs}): it would never merge.')
        if self.end_epoch is not None and self.end_epoch > max_epochs:
            raise ValueError(
                f'HardNegativeMergeHook: end_epoch ({self.end_epoch}) is '
                f'after the last epoch ({max_epochs}): final_ratio would '
                'never be reached.')
        if not find_modules(runner, InstanceMemoryBank):
            raise ValueError('HardNegativeMergeHook: the model has no '
                             'InstanceMemoryBank to merge.')

    def merge(self, bank: InstanceMemoryBank, ratio: float) -> dict:
        """Merge ``bank`` to ``ratio`` with this hook's settings; returns
        the bank's statistics (``merged``, ``groups``, ``largest``,
        ``seconds``)."""
        return bank.merge_hard_negatives(
            ratio,
            max_group_size=self.max_group_size,
            min_similarity=self.min_similarity,
            chunk_size=self.chunk_size,
            exact=self.exact)

    @staticmethod
    def training_labels(runner, num_samples: int) -> Optional[torch.Tensor]:
        """``(N,)`` labels of the training set, or None where it has none
        (or not one per bank row)."""
        dataset = getattr(runner.train_dataloader, 'dataset', None)
        if not hasattr(dataset, 'get_gt_labels'):
            return None
        try:
            labels = torch.as_tensor(dataset.get_gt_labels()).long()
        except Exception:  # unlabelled sets can raise here
            return None
        if labels.shape != (num_samples, ) or bool((labels < 0).any()):
            return None
        return labels

    @staticmethod
    def copy_pairs(runner, num_samples: int) -> Optional[torch.Tensor]:
        """``(M, 2)`` known ``(original, copy)`` pairs of the training set
        (its ``pairs``, e.g. :class:`~mmbank.datasets.NearDuplicates`'),
        or None."""
        dataset = getattr(runner.train_dataloader, 'dataset', None)
        pairs = getattr(dataset, 'pairs', None)
        if pairs is None:
            return None
        pairs = torch.as_tensor(pairs).long()
        if pairs.dim() != 2 or pairs.shape[1] != 2 or not pairs.numel() or \
                int(pairs.max()) >= num_samples or int(pairs.min()) < 0:
            return None
        return pairs

    def after_train_epoch(self, runner) -> None:
        epoch = runner.epoch + 1
        ratio = self.target_ratio(epoch, runner.max_epochs)
        hub = MessageHub.get_current_instance()
        for i, bank in enumerate(find_modules(runner, InstanceMemoryBank)):
            pairs = self.copy_pairs(runner, bank.num_samples)
            if pairs is not None:
                hub.update_scalar(f'train/copy_pair_similarity{i or ""}',
                                  pair_similarity(bank.rows(), pairs))
            if ratio <= 0:
                continue
            stats = self.merge(bank, ratio)
            hub.update_scalar(f'train/merge_epoch{i or ""}', epoch)
            hub.update_scalar(f'train/merged_ratio{i or ""}',
                              bank.merged_ratio)
            purity = ''
            labels = self.training_labels(runner, bank.num_samples) \
                if self.log_class_purity else None
            if labels is not None:
                # NaN while no group has two members: one value per merge
                same, chance = same_class_pair_fraction(bank.group_ids, labels)
                hub.update_scalar(f'train/merge_same_class{i or ""}', same)
                hub.update_scalar(f'train/merge_same_class_chance{i or ""}',
                                  chance)
                if stats['groups']:
                    purity = (f' Merged pairs of the same class: {same:.1%} '
                              f'(chance {chance:.1%}).')
            if pairs is not None:
                # one value a merge, like merge_epoch (precision NaN while
                # no group has two members)
                precision, recall = copy_pair_recovery(bank.group_ids, pairs)
                hub.update_scalar(f'train/merge_copy_precision{i or ""}',
                                  precision)
                hub.update_scalar(f'train/merge_copy_recall{i or ""}', recall)
                if stats['groups']:
                    purity += (f' Merged pairs that are true copies: '
                               f'{precision:.1%}; copies merged: '
                               f'{recall:.1%}.')
            runner.logger.info(
                f'Hard negative merge after epoch {epoch} (bank {i}): '
                f'{stats["merged"]} of {bank.num_samples} samples in '
                f'{stats["groups"]} groups (target {ratio:.1%}), largest '
                f'group {stats["largest"]}, {stats["seconds"]:.2f} s.'
                f'{purity}')
