"""Every config parses, and every model config builds."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmselfsup.registry import HOOKS, MODELS

from conftest import REPO

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in p)


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, REPO) for p in CONFIGS])
def test_config_parses(path):
    cfg = Config.fromfile(path)
    assert 'model' in cfg


def test_membank_r50_builds_with_bank_sized_from_dataset():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'membank_r50.py'))
    init_default_scope('mmselfsup')
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'MultiViewNPID'
    assert model.head.memory_bank.num_samples == 0  # sized at run time
    assert model.head.num_negatives == 65536
    assert 'length' not in str(cfg.model)
    hooks = [HOOKS.build(h) for h in cfg.custom_hooks]
    assert [type(h).__name__ for h in hooks] == [
        'MemoryBankSetupHook', 'CheckInvalidLossHook', 'RNGStateHook',
        'HardNegativeMergeHook'
    ]
    # the runner orders them by priority: merging before the RNG capture
    assert [h.priority for h in hooks] == [
        'VERY_HIGH', 'VERY_HIGH', 'LOW', 'NORMAL']
    assert cfg.model_wrapper_cfg.broadcast_buffers is False


@pytest.mark.parametrize('protocol,k', [
    ('resnet18-std_1xb64x{}-coslr-10e_cifar10-5k.py', 2),
    ('resnet18-std-w32_1xb128x{}-coslr-75e_cifar10-10k.py', 2),
    ('resnet18-std-w32_1xb128x{}-coslr-75e_cifar10-10k.py', 4),
])
def test_ablations_differ_only_in_their_switches(protocol, k):
    def switches(name):
        cfg = Config.fromfile(
            osp.join(REPO, 'configs', 'ablations', name))
        views = cfg.model.data_preprocessor.num_views
        cons = cfg.model.head.loss_consistency is not None
        merge = any(h['type'] == 'HardNegativeMergeHook'
                    for h in cfg.custom_hooks)
        rest = cfg.to_dict()
        rest.pop('custom_hooks')
        rest['model']['head'].pop('loss_consistency')
        rest['model']['data_preprocessor'].pop('num_views')
        rest.pop('filename', None)
        return (views, cons, merge), rest

    names = {
        name: f'membank-{name}_' + protocol.format(views)
        for name, views in (('vanilla', 1), ('views', k),
                            ('consistency', k), ('merge', 1), ('full', k))
    }
    got = {name: switches(path) for name, path in names.items()}
    assert got['vanilla'][0] == (1, False, False)
    assert got['views'][0] == (k, False, False)
    assert got['consistency'][0] == (k, True, False)
    assert got['merge'][0] == (1, False, True)
    assert got['full'][0] == (k, True, True)
    for name in names:
        assert got[name][1] == got['full'][1], name


def test_cpu_protocol_method_is_the_baselines_batch_times_views():
    """The paper's large mini-batch: B samples x K views, B = NPID's."""
    npid = Config.fromfile(osp.join(
        REPO, 'configs', 'npid', 'npid_resnet18-std-w32_1xb128-coslr-75e_cifar10-10k.py'))
    full = Config.fromfile(osp.join(
        REPO, 'configs', 'membank',
        'membank_resnet18-std-w32_1xb128x2-coslr-75e_cifar10-10k.py'))
    assert full.train_dataloader.batch_size == npid.train_dataloader.batch_size
    assert full.model.data_preprocessor.num_views == 2
    assert npid.model.data_preprocessor.num_views == 1
    for key in ('type', 'mean', 'std', 'crop_size', 'hue'):  # the same views
        assert full.model.data_preprocessor[key] == \
            npid.model.data_preprocessor[key], key
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg', 'val_cfg',
                'val_dataloader'):
        assert full[key] == npid[key], key
    assert full.train_dataloader.dataset.indices == \
        npid.model.memory_bank.length == 10000
    # the monitor scores the validation queries, outside the subset
    assert npid.val_dataloader.dataset.test_mode is False
    assert tuple(npid.val_dataloader.dataset.index_range) == (45000, 50000)


def test_batch32_method_is_its_npid_baselines_batch_times_views():
    """At 32 samples a step too, the method is NPID's B x K views and
    differs from its baseline in nothing the protocol fixes."""
    npid = Config.fromfile(osp.join(
        REPO, 'configs', 'npid',
        'npid_resnet18-std-w32_1xb32-coslr-75e_cifar10-10k.py'))
    full = Config.fromfile(osp.join(
        REPO, 'configs', 'membank',
        'membank_resnet18-std-w32_1xb32x4-coslr-75e_cifar10-10k.py'))
    assert npid.train_dataloader.batch_size == \
        full.train_dataloader.batch_size == 32
    assert full.model.data_preprocessor.num_views == 4
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg', 'val_cfg',
                'val_dataloader'):
        assert full[key] == npid[key], key
    assert npid.model.type == 'NPID' and npid.model.neg_num == 4096
