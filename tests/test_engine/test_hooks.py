import pytest
import torch
import torch.nn.functional as F

from mmbank.engine import (ChannelsLastHook, HardNegativeMergeHook,
                           to_channels_last)
from mmbank.models import InstanceMemoryBank


def test_merge_schedule_grows_linearly_to_final_ratio():
    hook = HardNegativeMergeHook(start_epoch=4, interval=2, final_ratio=0.3)
    assert hook.merge_epochs(10) == [4, 6, 8, 10]
    ratios = [hook.target_ratio(e, 10) for e in range(1, 11)]
    assert ratios == pytest.approx(
        [0, 0, 0, 0.075, 0, 0.15, 0, 0.225, 0, 0.3])
    hook = HardNegativeMergeHook(start_epoch=2, end_epoch=3, final_ratio=0.2)
    assert [hook.target_ratio(e, 5) for e in range(1, 6)] == pytest.approx(
        [0, 0.1, 0.2, 0, 0])


def test_last_merge_reaches_final_ratio_when_interval_does_not_divide():
    # merges after epochs 2, 5 and 8 (11 would pass end_epoch 10): thirds of
    # final_ratio, the last one exactly final_ratio (not 0.2 * 9 / 11)
    hook = HardNegativeMergeHook(start_epoch=2, end_epoch=10, interval=3,
                                 final_ratio=0.2)
    assert hook.merge_epochs(12) == [2, 5, 8]
    assert hook.schedule(12) == pytest.approx({2: 0.2 / 3, 5: 0.4 / 3,
                                               8: 0.2})
    assert hook.target_ratio(8, 12) == 0.2
    ratios = [hook.target_ratio(e, 12) for e in range(1, 13)]
    assert ratios == pytest.approx(
        [0, 0.2 / 3, 0, 0, 0.4 / 3, 0, 0, 0.2, 0, 0, 0, 0])
    # end_epoch unset: up to the last epoch, 1, 4, 7 of 9 epochs
    hook = HardNegativeMergeHook(interval=3, final_ratio=0.3)
    assert hook.schedule(9) == pytest.approx({1: 0.1, 4: 0.2, 7: 0.3})


@pytest.mark.parametrize('kwargs, message', [
    (dict(start_epoch=0), 'start_epoch must be an int >= 1'),
    (dict(start_epoch=5, end_epoch=3), 'end_epoch'),
    (dict(interval=0), 'interval'),
    (dict(final_ratio=0), 'final_ratio'),
    (dict(final_ratio=1.5), 'final_ratio'),
    (dict(max_group_size=1), 'max_group_size'),
    (dict(min_similarity=2), 'min_similarity'),
])
def test_merge_hook_rejects_schedules_that_make_no_sense(kwargs, message):
    with pytest.raises(ValueError, match=message):
        HardNegativeMergeHook(**kwargs)


def test_merge_on_a_bank_reaches_target_and_can_average_rows():
    bank = InstanceMemoryBank(num_samples=8, feat_dim=4)
    # four tight pairs
    base = F.normalize(torch.randn(4, 4, generator=torch.Generator()
                                   .manual_seed(0)), dim=1)
    noise = 1e-3 * torch.randn(4, 4, generator=torch.Generator()
                               .manual_seed(1))
    bank.feats.copy_(F.normalize(torch.cat([base, base + noise]), dim=1))
    hook = HardNegativeMergeHook(final_ratio=0.5, min_similarity=0.9,
                                 average_rows=True, chunk_size=3)
    stats = hook.merge(bank, ratio=0.5)
    assert stats['merged'] == 4 and stats['groups'] == 2
    assert stats['largest'] == 2
    merged = bank.group_sizes() > 1
    # rows of a group were replaced by their (normalised) mean
    for g in bank.group_ids[merged].unique():
        rows = bank.feats[bank.group_ids == g]
        assert torch.allclose(rows[0], rows[1])
    stats = hook.merge(bank, ratio=1.0)
    assert stats['merged'] == 8 and stats['largest'] == 2


def test_to_channels_last_converts_nested_4d_tensors_only():
    data = {'inputs': [torch.randn(2, 3, 4, 5)], 'other': torch.randn(3)}
    out = to_channels_last(data)
    assert out['inputs'][0].is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(out['inputs'][0], data['inputs'][0])
    assert out['other'] is data['other']
    assert ChannelsLastHook.priority == 'VERY_HIGH'


def test_merge_hook_reads_training_labels_only_where_they_fit():
    class Labelled:
        def __init__(self, labels):
            self.labels = labels

        def get_gt_labels(self):
            return self.labels

    class Runner:
        def __init__(self, dataset):
            self.train_dataloader = type('Loader', (), {})()
            self.train_dataloader.dataset = dataset

    labels = HardNegativeMergeHook.training_labels(
        Runner(Labelled([1, 0, 2])), 3)
    assert labels.tolist() == [1, 0, 2]
    # another length than the bank, unlabelled (-1) or no labels at all
    assert HardNegativeMergeHook.training_labels(
        Runner(Labelled([1, 0])), 3) is None
    assert HardNegativeMergeHook.training_labels(
        Runner(Labelled([-1, -1, -1])), 3) is None
    assert HardNegativeMergeHook.training_labels(Runner(object()), 3) is None


class _TinySet:
    """Builds a tiny in-memory mmengine dataset of ``num`` images."""

    @staticmethod
    def build(num):
        import numpy as np
        from mmengine.dataset import BaseDataset

        class Tiny(BaseDataset):

            def load_data_list(self):
                return [dict(img=np.zeros((4, 4, 3), np.uint8), gt_label=0)
                        for _ in range(num)]

        return Tiny(serialize_data=False)


def _check_hook_runner(dataset):
    """A runner as MemoryBankSetupHook.before_run sees it: training, with a
    model holding an unsized bank."""
    from mmengine.logging import MMLogger
    from mmengine.runner import BaseLoop

    class Loop(BaseLoop):

        def run(self):
            pass

    runner = type('Runner', (), {})()
    runner._train_loop = object.__new__(Loop)
    runner.train_dataloader = type('Loader', (), {})()
    runner.train_dataloader.dataset = dataset
    runner.model = torch.nn.ModuleDict(
        dict(bank=InstanceMemoryBank(feat_dim=2)))
    runner.logger = MMLogger.get_instance('mmbank-test-check-hook')
    return runner


def test_check_hook_refuses_concat_dataset_sharing_bank_rows():
    from mmengine.dataset import ConcatDataset, RepeatDataset

    from mmbank.engine.hooks import MemoryBankSetupHook
    hook = MemoryBankSetupHook()
    # each part numbers its samples from 0: rows 0-2 would be shared, 3-5
    # never updated
    concat = ConcatDataset([_TinySet.build(3), _TinySet.build(3)])
    assert [concat.get_data_info(i)['sample_idx'] for i in range(6)] == \
        [0, 1, 2, 0, 1, 2]
    with pytest.raises(ValueError,
                       match=r'Samples 0 and 3 of the training set '
                       r'\(ConcatDataset\) both have sample_idx 0.*'
                       r'3 of the 6 rows would never be updated'):
        hook.before_run(_check_hook_runner(concat))
    with pytest.raises(ValueError, match=r'\(RepeatDataset\) both have'):
        hook.before_run(_check_hook_runner(
            RepeatDataset(_TinySet.build(2), times=2)))

    class Shifted:
        """A wrapper whose indices run past the bank."""

        def __init__(self, dataset):
            self.dataset = dataset

        def __len__(self):
            return len(self.dataset)

        def get_data_info(self, idx):
            return dict(self.dataset.get_data_info(idx), sample_idx=idx + 1)

    with pytest.raises(ValueError, match=r'Sample 3 .*sample_idx 4, which '
                       r'is not a row of the memory bank \(0 to 3\)'):
        hook.before_run(_check_hook_runner(Shifted(_TinySet.build(4))))

    # one dataset, and a wrapper that keeps one index per sample, pass
    for dataset in (_TinySet.build(5),
                    ConcatDataset([_TinySet.build(5)])):
        runner = _check_hook_runner(dataset)
        hook.before_run(runner)
        assert runner.model['bank'].num_samples == 5


def test_former_name_of_the_setup_hook_still_builds_and_warns():
    from mmselfsup.registry import HOOKS

    from mmbank.engine.hooks import MemoryBankSetupHook
    with pytest.warns(DeprecationWarning, match='MemoryBankSetupHook'):
        hook = HOOKS.build(dict(type='MemoryBankCheckHook', sync_interval=2))
    assert isinstance(hook, MemoryBankSetupHook)
    assert hook.sync_interval == 2
