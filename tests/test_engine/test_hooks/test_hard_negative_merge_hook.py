import pytest
import torch
import torch.nn.functional as F

from mmbank.engine import HardNegativeMergeHook
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


def test_merge_on_a_bank_reaches_target_and_keeps_rows():
    bank = InstanceMemoryBank(num_samples=8, feat_dim=4)
    # four tight pairs
    base = F.normalize(torch.randn(4, 4, generator=torch.Generator()
                                   .manual_seed(0)), dim=1)
    noise = 1e-3 * torch.randn(4, 4, generator=torch.Generator()
                               .manual_seed(1))
    bank.feats.copy_(F.normalize(torch.cat([base, base + noise]), dim=1))
    hook = HardNegativeMergeHook(final_ratio=0.5, min_similarity=0.9,
                                 chunk_size=3)
    rows = bank.feats.clone()
    stats = hook.merge(bank, ratio=0.5)
    assert stats['merged'] == 4 and stats['groups'] == 2
    assert stats['largest'] == 2
    # the groups are constructed pairs (i, i + 4); the rows are untouched
    ids = bank.group_ids
    assert all(ids[i] == ids[i + 4] for i in range(4) if ids[i] != i or
               ids[i + 4] != i + 4)
    assert torch.equal(bank.feats, rows)
    stats = hook.merge(bank, ratio=1.0)
    assert stats['merged'] == 8 and stats['largest'] == 2


@pytest.mark.parametrize('exact', [False, True])
def test_merge_hook_passes_its_search_precision_to_the_bank(
        monkeypatch, exact):
    seen = {}
    bank = InstanceMemoryBank(num_samples=4, feat_dim=2)
    monkeypatch.setattr(bank, 'merge_hard_negatives',
                        lambda ratio, **kwargs: seen.update(kwargs))
    HardNegativeMergeHook(exact=exact).merge(bank, ratio=0.5)
    assert seen['exact'] is exact
    assert HardNegativeMergeHook().exact is False  # float32 by default
    with pytest.raises(ValueError, match='exact must be True or False'):
        HardNegativeMergeHook(exact='yes')


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


class _ToyBankModel:
    """A toy algorithm for a real runner: a linear embedding of 4-d points
    and an InstanceMemoryBank it updates after the loss."""

    @staticmethod
    def build(num):
        from mmengine.model import BaseModel

        class Toy(BaseModel):

            def __init__(self):
                super().__init__()
                self.linear = torch.nn.Linear(4, 4)
                self.bank = InstanceMemoryBank(num, feat_dim=4)

            def forward(self, inputs, data_samples=None, mode='tensor'):
                feats = F.normalize(self.linear(inputs), dim=1)
                loss = -(feats * self.bank.rows(data_samples)).sum(1).mean()
                self.bank.update(data_samples, feats)
                return dict(loss=loss)

        return Toy()


def test_merge_hook_in_a_real_runner(tmp_path):
    """Merges after epochs 2, 3 and 4 of 4 put 1/3, 2/3 and all of the
    final ratio 0.5 of the bank in groups, logged as merged_ratio."""
    from mmengine.logging import MessageHub
    from mmengine.runner import Runner
    torch.manual_seed(0)
    points = torch.randn(12, 4)
    dataset = [(points[i], i) for i in range(12)]
    runner = Runner(
        model=_ToyBankModel.build(12),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=dataset,
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=4,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=True, max_epochs=4),
        custom_hooks=[
            dict(type='HardNegativeMergeHook', start_epoch=2,
                 final_ratio=0.5, max_group_size=2, min_similarity=-1.0,
                 log_class_purity=False)
        ],
        default_hooks=dict(checkpoint=None, logger=None),
        default_scope='mmselfsup')
    from mmengine.hooks import Hook
    seen = []

    class Spy(Hook):
        priority = 'LOWEST'  # after the merge hook

        def after_train_epoch(self, runner):
            hub = MessageHub.get_current_instance()
            if 'train/merged_ratio' in hub.log_scalars:
                seen.append(hub.get_scalar('train/merged_ratio').current())

    runner.register_hook(Spy())
    runner.train()
    bank = runner.model.bank
    # the schedule: 2 of 12 after epoch 2, 4 after 3, 6 after 4 (pairs)
    assert seen == pytest.approx([2 / 12, 4 / 12, 6 / 12])
    assert bank.num_merged == 6
    assert int(bank.group_sizes().max()) == 2


def test_removed_options_warn_at_the_kept_value_and_fail_otherwise():
    with pytest.warns(DeprecationWarning, match='mutual was removed'):
        hook = HardNegativeMergeHook(mutual=True)
    assert not hasattr(hook, 'mutual')
    with pytest.warns(DeprecationWarning, match='average_rows was removed'):
        HardNegativeMergeHook(average_rows=False)
    with pytest.raises(ValueError, match="mutual=False was removed.*Delete "
                       "'mutual'"):
        HardNegativeMergeHook(mutual=False)
    with pytest.raises(ValueError, match='average_rows=True was removed'):
        HardNegativeMergeHook(average_rows=True)
    with pytest.raises(TypeError, match="unexpected option 'mutal'"):
        HardNegativeMergeHook(mutal=True)
