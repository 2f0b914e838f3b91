"""The linear probe refuses a backbone checkpoint that does not fit
(``StrictPretrained``), unless partial loading is asked for."""
import glob
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

torch.set_num_threads(1)  # 2 cores, shared


def build_linear(config, **init_cfg):
    from mmcls.registry import MODELS
    cfg = Config.fromfile(config)  # custom_imports: mmbank
    cfg.model.backbone.init_cfg.update(init_cfg)
    with DefaultScope.overwrite_default_scope('mmcls'):
        return MODELS.build(cfg.model)


def save_backbone_of(config, path):
    """A training-style checkpoint (``backbone.*``) of ``config``'s
    backbone, with non-trivial values everywhere."""
    model = build_linear(config)
    gen = torch.Generator().manual_seed(0)
    state = {
        f'backbone.{k}': (torch.randn(v.shape, generator=gen)
                          if v.is_floating_point() else v.clone())
        for k, v in model.backbone.state_dict().items()
    }
    torch.save(dict(state_dict=state, meta=dict()), path)
    return state


@pytest.mark.parametrize('config', sorted(glob.glob(osp.join(LINEAR, '*.py'))))
def test_linear_configs_use_strict_loading(config):
    init_cfg = Config.fromfile(config).model.backbone.init_cfg
    assert init_cfg.type == 'StrictPretrained'
    assert init_cfg.get('strict', True) is True


def test_fitting_checkpoint_loads_every_tensor(tmp_path):
    ckpt = str(tmp_path / 'std.pth')
    state = save_backbone_of(CPU_LINEAR, ckpt)
    model = build_linear(CPU_LINEAR, checkpoint=ckpt)
    model.init_weights()
    loaded = model.backbone.state_dict()
    assert set(loaded) == {k[len('backbone.'):] for k in state}
    for key, value in loaded.items():
        # including the last BN of each block, which ResNet's
        # zero_init_residual would otherwise zero after loading
        assert torch.equal(value, state[f'backbone.{key}']), key


def test_mismatched_checkpoint_is_refused_then_allowed_with_strict_false(
        tmp_path):
    from mmbank.evaluation.checkpoint import CheckpointKeyError
    ckpt = str(tmp_path / 'cifar_stem.pth')
    state = save_backbone_of(CIFAR_STEM_LINEAR, ckpt)  # 3x3 stem
    model = build_linear(CPU_LINEAR, checkpoint=ckpt)  # 7x7 stem
    before = model.backbone.conv1.weight.clone()
    with pytest.raises(
            CheckpointKeyError,
            match=r'do not fit the model\'s ResNet: of another shape: '
            r'conv1\.weight \(checkpoint \(64, 3, 3, 3\), model '
            r'\(64, 3, 7, 7\)\).*strict=False'):
        model.init_weights()
    assert torch.equal(model.backbone.conv1.weight, before)

    model = build_linear(CPU_LINEAR, checkpoint=ckpt, strict=False)
    before = model.backbone.conv1.weight.clone()
    model.init_weights()
    # the mis-shaped stem keeps its weights, everything else is loaded
    assert torch.equal(model.backbone.conv1.weight, before)
    assert torch.equal(model.backbone.layer4[1].conv2.weight,
                       state['backbone.layer4.1.conv2.weight'])


def test_missing_and_unexpected_keys_are_refused(tmp_path):
    from mmbank.evaluation.checkpoint import CheckpointKeyError
    ckpt = str(tmp_path / 'std.pth')
    state = save_backbone_of(CPU_LINEAR, ckpt)
    state.pop('backbone.layer1.0.bn1.running_var')
    state['backbone.fc.weight'] = torch.zeros(2, 2)
    torch.save(dict(state_dict=state), ckpt)
    model = build_linear(CPU_LINEAR, checkpoint=ckpt)
    with pytest.raises(
            CheckpointKeyError,
            match=r'missing: layer1\.0\.bn1\.running_var; unexpected: '
            r'fc\.weight'):
        model.init_weights()
    # a checkpoint without backbone.* keys at all
    torch.save(dict(state_dict={'head.w': torch.zeros(1)}), ckpt)
    model = build_linear(CPU_LINEAR, checkpoint=ckpt)
    with pytest.raises(CheckpointKeyError,
                       match=r"no weights under 'backbone\.'.*head\."):
        model.init_weights()


def test_linear_training_refuses_a_mismatched_checkpoint(
        tiny_cifar10, tmp_path):
    ckpt = str(tmp_path / 'cifar_stem.pth')
    save_backbone_of(CIFAR_STEM_LINEAR, ckpt)
    work = str(tmp_path / 'linear')
    proc = run_tool(
        'tools/train.py', CPU_LINEAR, '--work-dir', work, '--cfg-options',
        f'model.backbone.init_cfg.checkpoint={ckpt}',
        'train_dataloader.batch_size=8', 'train_cfg.max_epochs=1',
        *[f'{loader}.dataset.data_prefix={tiny_cifar10}'
          for loader in ('train_dataloader', 'val_dataloader',
                         'test_dataloader')],
        check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert re.search(r'CheckpointKeyError: The weights backbone\.\* of '
                     rf'{re.escape(ckpt)} do not fit the model\'s ResNet: '
                     r'of another shape: conv1\.weight', proc.stderr), log
    # before any training step, and nothing saved
    assert 'Epoch(train)' not in log
    assert not glob.glob(osp.join(work, '*.pth'))
