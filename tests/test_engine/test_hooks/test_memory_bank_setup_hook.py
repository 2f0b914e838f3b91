import pytest
import torch

from mmbank.models import InstanceMemoryBank


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


def _check_hook_runner(dataset, bank=None):
    """A runner as MemoryBankSetupHook.before_run sees it: training, with a
    model holding ``bank`` (default: an unsized InstanceMemoryBank)."""
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
        dict(bank=bank or InstanceMemoryBank(feat_dim=2)))
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
    with pytest.warns(FutureWarning, match='MemoryBankSetupHook'):
        hook = HOOKS.build(dict(type='MemoryBankCheckHook', sync_interval=2))
    assert isinstance(hook, MemoryBankSetupHook)
    assert hook.sync_interval == 2


def test_setup_hook_refuses_npid_memory_of_another_length():
    from mmselfsup.models.memories import SimpleMemory

    from mmbank.engine.hooks import MemoryBankSetupHook
    hook = MemoryBankSetupHook()
    longer = SimpleMemory(length=6, feat_dim=2, momentum=0.5)
    with pytest.raises(ValueError,
                       match=r"SimpleMemory has 6 rows but the training set "
                       r'has 5 samples; set model.memory_bank.length=5\.$'):
        hook.before_run(_check_hook_runner(_TinySet.build(5), longer))
    # the right length passes and is left alone
    exact = SimpleMemory(length=5, feat_dim=2, momentum=0.5)
    before = exact.feature_bank.clone()
    hook.before_run(_check_hook_runner(_TinySet.build(5), exact))
    assert torch.equal(exact.feature_bank, before)
    # and its sample indices are checked as the mmbank bank's are
    with pytest.raises(ValueError, match=r'both have sample_idx 0'):
        from mmengine.dataset import ConcatDataset
        hook.before_run(_check_hook_runner(
            ConcatDataset([_TinySet.build(3), _TinySet.build(2)]),
            SimpleMemory(length=5, feat_dim=2, momentum=0.5)))


@pytest.mark.parametrize('pack', [
    dict(type='PackSelfSupInputs', algorithm_keys=['sample_idx']),
    dict(type='PackImageAndIndex')
])
def test_setup_hook_refuses_a_run_that_makes_no_views(pack):
    """A pipeline that only packs (the bases' batched train_pipeline) needs
    a data preprocessor that makes the views."""
    from mmengine.dataset import BaseDataset

    import mmbank  # noqa: F401  (registers the transforms and modules)
    from mmbank.engine.hooks import MemoryBankSetupHook
    from mmbank.models.data_preprocessors import \
        BatchedViewsDataPreprocessor

    def dataset(pipeline):
        import numpy as np

        class Tiny(BaseDataset):

            def load_data_list(self):
                return [dict(img=np.zeros((4, 4, 3), np.uint8), gt_label=0)
                        for _ in range(3)]

        from mmengine.registry import DefaultScope
        with DefaultScope.overwrite_default_scope('mmselfsup'):
            return Tiny(serialize_data=False, pipeline=pipeline)

    hook = MemoryBankSetupHook()
    runner = _check_hook_runner(dataset([pack]))
    with pytest.raises(ValueError, match=r'only reads and packs the images '
                       rf"\({pack['type']}\) and the model's "
                       r'data_preprocessor makes no views'):
        hook.before_run(runner)
    # the views made by the preprocessor, or per image in the loader, pass
    runner.model.data_preprocessor = BatchedViewsDataPreprocessor(
        num_views=1, crop_size=4)
    hook.before_run(runner)
    flip = dict(type='RandomFlip', prob=0.5)
    hook.before_run(_check_hook_runner(dataset([
        dict(type='MultiViewWithIndex', num_views=2, transforms=[flip]),
        pack])))
