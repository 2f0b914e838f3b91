"""Linear evaluation: the benchmark configs build with a frozen, pretrained
backbone, train through tools/train.py, and tools/test.py evaluates them."""
import glob
import importlib.util
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from conftest import REPO, run_tool

LINEAR = osp.join(REPO, 'configs', 'benchmarks', 'linear')
CPU_LINEAR = osp.join(LINEAR,
                      'resnet18_linear-1xb256-coslr-10e_cifar10-5k.py')
CIFAR_STEM_LINEAR = osp.join(
    LINEAR, 'resnet18-cifar_linear-1xb256-coslr-100e_cifar10.py')
MEMBANK = osp.join(REPO, 'configs', 'membank')


def save_membank_checkpoint(config: str, path: str) -> dict:
    """Save the state dict of a freshly built MultiViewNPID, with BN running
    statistics made non-trivial so that any update would show."""
    from mmselfsup.registry import MODELS
    cfg = Config.fromfile(config)
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        model = MODELS.build(cfg.model)
    state = model.state_dict()
    gen = torch.Generator().manual_seed(0)
    for key, value in state.items():
        if key.endswith('running_mean'):
            value.copy_(torch.randn(value.shape, generator=gen) * .1)
        elif key.endswith('running_var'):
            value.copy_(1 + torch.rand(value.shape, generator=gen))
    torch.save(dict(state_dict=state, meta=dict()), path)
    return state


def build_linear(config: str, checkpoint=None):
    from mmcls.registry import MODELS
    cfg = Config.fromfile(config)
    if checkpoint is not None:
        cfg.model.backbone.init_cfg.checkpoint = checkpoint
    with DefaultScope.overwrite_default_scope('mmcls'):
        model = MODELS.build(cfg.model)
    return model


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(
        f'mmbank_tool_{name}', osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('config', sorted(glob.glob(osp.join(LINEAR, '*.py'))))
def test_linear_configs_freeze_the_backbone(config):
    import mmbank  # noqa: F401
    cfg = Config.fromfile(config)
    assert cfg.default_scope == 'mmcls'
    assert cfg.model.backbone.init_cfg.prefix == 'backbone.'
    model = build_linear(config)
    model.train()
    assert not any(p.requires_grad for p in model.backbone.parameters())
    assert all(p.requires_grad for p in model.head.parameters())
    norms = [
        m for m in model.backbone.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
    ]
    assert norms and not any(m.training for m in norms)


def test_cifar_stem_checkpoint_initialises_the_linear_backbone(tmp_path):
    ckpt = str(tmp_path / 'membank.pth')
    state = save_membank_checkpoint(
        osp.join(MEMBANK, 'membank_resnet18_1xb128-steplr-200e_cifar10.py'),
        ckpt)
    model = build_linear(CIFAR_STEM_LINEAR, ckpt)
    model.init_weights()
    loaded = model.backbone.state_dict()
    backbone = {
        k[len('backbone.'):]: v
        for k, v in state.items() if k.startswith('backbone.')
    }
    assert loaded.keys() == backbone.keys()
    for key, value in backbone.items():
        assert torch.equal(loaded[key], value), key


def test_train_two_iterations_then_test(tiny_cifar10, tmp_path):
    ckpt = str(tmp_path / 'membank.pth')
    state = save_membank_checkpoint(
        osp.join(MEMBANK,
                 'membank_resnet18-std_1xb64x2-coslr-10e_cifar10-5k.py'),
        ckpt)
    work = str(tmp_path / 'linear')
    data = [
        f'{loader}.dataset.data_prefix={tiny_cifar10}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]
    proc = run_tool('tools/train.py', CPU_LINEAR, '--work-dir', work,
                    '--cfg-options',
                    f'model.backbone.init_cfg.checkpoint={ckpt}',
                    'train_dataloader.batch_size=8', 'train_cfg.max_epochs=1',
                    *data)
    log = proc.stdout + proc.stderr
    assert re.search(r'Epoch\(train\) +\[1\]\[2/2\]', log), log[-2000:]
    val_top1 = float(re.findall(r'accuracy/top1: ([\d.]+)', log)[-1])

    trained = torch.load(
        osp.join(work, 'epoch_1.pth'), map_location='cpu',
        weights_only=False)['state_dict']
    # the backbone, BN statistics included, is the pretrained one: frozen
    backbone = [k for k in state if k.startswith('backbone.')]
    assert backbone and set(backbone) == \
        {k for k in trained if k.startswith('backbone.')}
    for key in backbone:
        assert torch.equal(trained[key], state[key]), key
    assert trained['head.fc.weight'].shape == (10, 512)

    out = str(tmp_path / 'metrics.json')
    proc = run_tool('tools/test.py', CPU_LINEAR, osp.join(work, 'epoch_1.pth'),
                    '--work-dir', work, '--out', out, '--cfg-options', data[2])
    import json
    with open(out) as f:
        metrics = json.load(f)['metrics']
    # same weights, same test set: the accuracy of the last validation
    assert metrics['accuracy/top1'] == pytest.approx(val_top1, abs=1e-3)


def test_missing_pretrained_checkpoint_fails_training(tiny_cifar10, tmp_path):
    proc = run_tool(
        'tools/train.py',
        CPU_LINEAR,
        '--work-dir',
        str(tmp_path),
        '--cfg-options',
        'model.backbone.init_cfg.checkpoint=/no/such.pth',
        f'train_dataloader.dataset.data_prefix={tiny_cifar10}',
        f'val_dataloader.dataset.data_prefix={tiny_cifar10}',
        f'test_dataloader.dataset.data_prefix={tiny_cifar10}',
        check=False)
    assert proc.returncode != 0
    assert '/no/such.pth' in proc.stderr


@pytest.fixture(scope='module')
def tool():
    return load_tool('test')


class TestToolsTestBadInput:

    def test_missing_checkpoint(self, tool, tmp_path):
        with pytest.raises(FileNotFoundError, match='Checkpoint not found'):
            tool.main(['--debug', CPU_LINEAR, str(tmp_path / 'none.pth')])

    def test_checkpoint_of_another_model(self, tool, tiny_cifar10, tmp_path):
        # the self-supervised checkpoint has no linear head
        ckpt = str(tmp_path / 'membank.pth')
        save_membank_checkpoint(
            osp.join(MEMBANK,
                     'membank_resnet18-std_1xb64x2-coslr-10e_cifar10-5k.py'),
            ckpt)
        with pytest.raises(
                tool.CheckpointMismatchError,
                match=r'missing, e\.g\. \[.head\.fc\.weight'):
            tool.main([
                '--debug',
                CPU_LINEAR, ckpt, '--work-dir',
                str(tmp_path), '--cfg-options',
                f'test_dataloader.dataset.data_prefix={tiny_cifar10}'
            ])
        # a CIFAR-stem backbone does not fit the standard stem
        model = build_linear(CPU_LINEAR)
        state = build_linear(CIFAR_STEM_LINEAR).state_dict()
        with pytest.raises(
                tool.CheckpointMismatchError, match='of another shape'):
            tool.check_state_dict(model, state)

    def test_crafted_pickle_is_refused(self, tool, tmp_path):
        from argparse import Namespace

        from mmbank.utils.upstream_fixes import UnsafeCheckpointError
        path = str(tmp_path / 'evil.pth')
        torch.save(dict(state_dict={}, meta=Namespace(x=1)), path)
        with pytest.raises(UnsafeCheckpointError, match='Refusing'):
            tool.checkpoint_state_dict(path)

    def test_not_a_state_dict(self, tool, tmp_path):
        path = str(tmp_path / 'list.pth')
        torch.save([torch.zeros(1)], path)
        with pytest.raises(
                tool.CheckpointMismatchError,
                match='not a checkpoint of model weights'):
            tool.checkpoint_state_dict(path)
