"""Weights-only checkpoint loading: mmengine's checkpoints load, crafted
ones are refused by every loader, whatever the environment."""
import os
import os.path as osp
import pickle

import pytest
import torch
from mmengine.logging import MessageHub
from mmengine.runner.checkpoint import _load_checkpoint

import mmbank  # noqa: F401
from mmbank.utils.weights_only_loading import (UnsafeCheckpointError,
                                               history_buffer_getattr)

from conftest import TEST_CONFIGS, run_python, run_tool


@pytest.fixture(scope='module')
def mmengine_checkpoint(tmp_path_factory):
    """A checkpoint as mmengine writes it: weights plus a message hub with
    HistoryBuffers and numpy values."""
    hub = MessageHub('fixture-hub')
    for step in range(3):
        hub.update_scalar('train/loss', 1.0 / (step + 1))
    import numpy as np
    hub.update_info('eta', np.float64(3.5))
    ckpt = dict(
        meta=dict(epoch=1, iter=2, seed=0),
        state_dict={'w': torch.ones(2)},
        message_hub=hub.state_dict())
    path = str(tmp_path_factory.mktemp('ckpt') / 'epoch_1.pth')
    torch.save(ckpt, path)
    return path


def test_checkpoints_need_the_fix(mmengine_checkpoint):
    # without mmbank, torch's weights-only loading refuses them
    proc = run_python(f'import torch\ntorch.load({mmengine_checkpoint!r})')
    assert proc.returncode != 0
    assert 'Weights only load failed' in proc.stderr


def test_checkpoints_load_with_weights_only_kept_on(mmengine_checkpoint):
    ckpt = _load_checkpoint(mmengine_checkpoint, map_location='cpu')
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert buffer.mean() == pytest.approx((1 + 1 / 2 + 1 / 3) / 3)


def test_only_history_buffer_statistics_are_reachable_by_getattr():
    from mmengine.logging.history_buffer import HistoryBuffer
    assert history_buffer_getattr(HistoryBuffer, 'mean') is \
        HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError):
        history_buffer_getattr(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError):
        history_buffer_getattr(os, 'system')


class _RunsCode:
    """Unpickling this creates a marker file (stands for any code)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, 'w'))


@pytest.fixture
def crafted_checkpoint(tmp_path):
    marker = str(tmp_path / 'pwned')
    path = str(tmp_path / 'crafted.pth')
    torch.save({'state_dict': {}, 'meta': _RunsCode(marker)}, path)
    return path, marker


def test_crafted_checkpoint_refused_by_the_loader(crafted_checkpoint):
    path, marker = crafted_checkpoint
    with pytest.raises(UnsafeCheckpointError, match='Refusing to load'):
        _load_checkpoint(path, map_location='cpu')
    assert not osp.exists(marker)


def test_crafted_checkpoint_refused_by_init_cfg_pretrained(
        crafted_checkpoint):
    from mmselfsup.registry import MODELS
    path, marker = crafted_checkpoint
    model = MODELS.build(
        dict(type='LinearNeck', in_channels=4, out_channels=2,
             init_cfg=dict(type='Pretrained', checkpoint=path)))
    with pytest.raises(UnsafeCheckpointError):
        model.init_weights()
    assert not osp.exists(marker)


@pytest.mark.parametrize('how', ['resume', 'load_from'])
def test_crafted_checkpoint_refused_by_train_tool(crafted_checkpoint,
                                                  tiny_cifar10, tmp_path,
                                                  how):
    path, marker = crafted_checkpoint
    args = ['tools/train.py', osp.join(TEST_CONFIGS, 'npid_tiny.py'),
            '--work-dir', str(tmp_path / 'work')]
    if how == 'resume':
        args += ['--resume', path, '--cfg-options']
    else:
        args += ['--cfg-options', f'load_from={path}']
    args.append(f'train_dataloader.dataset.data_prefix={tiny_cifar10}')
    proc = run_tool(*args, check=False)
    assert proc.returncode != 0
    assert 'UnsafeCheckpointError: Refusing to load checkpoint' in \
        proc.stderr
    assert not osp.exists(marker)


# TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1 (set to load old checkpoints) turns
# torch's weights-only default off for every torch.load that does not pass
# weights_only; mmengine's loaders must still load weights-only.
NO_WEIGHTS_ONLY = 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'


def test_env_var_cannot_turn_weights_only_off_in_the_loader(
        crafted_checkpoint, mmengine_checkpoint, monkeypatch):
    monkeypatch.setenv(NO_WEIGHTS_ONLY, '1')
    path, marker = crafted_checkpoint
    with pytest.raises(UnsafeCheckpointError, match='Refusing to load'):
        _load_checkpoint(path, map_location='cpu')
    assert not osp.exists(marker)
    # mmengine's own checkpoints still load
    ckpt = _load_checkpoint(mmengine_checkpoint, map_location='cpu')
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))


def test_env_var_cannot_turn_weights_only_off_in_url_loading(
        crafted_checkpoint, monkeypatch, tmp_path):
    # http:// and torchvision:// go through torch.hub, whose default is
    # weights_only=False whatever the environment; a file already in the
    # hub's cache is loaded without downloading
    import shutil
    monkeypatch.setenv(NO_WEIGHTS_ONLY, '1')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    path, marker = crafted_checkpoint
    cache = tmp_path / 'torch_home' / 'hub' / 'checkpoints'
    cache.mkdir(parents=True)
    shutil.copy(path, cache / 'crafted.pth')
    with pytest.raises(UnsafeCheckpointError, match='Refusing to load'):
        _load_checkpoint('http://example.invalid/crafted.pth',
                         map_location='cpu')
    assert not osp.exists(marker)


def test_env_var_cannot_turn_weights_only_off_in_pretrained_and_knn(
        crafted_checkpoint, monkeypatch):
    import importlib.util

    from mmselfsup.registry import MODELS
    from conftest import REPO
    monkeypatch.setenv(NO_WEIGHTS_ONLY, '1')
    path, marker = crafted_checkpoint
    model = MODELS.build(
        dict(type='LinearNeck', in_channels=4, out_channels=2,
             init_cfg=dict(type='Pretrained', checkpoint=path)))
    with pytest.raises(UnsafeCheckpointError):
        model.init_weights()
    spec = importlib.util.spec_from_file_location(
        'mmbank_knn_tool_env', osp.join(REPO, 'tools', 'knn.py'))
    knn = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(knn)
    with pytest.raises(UnsafeCheckpointError, match='Refusing to load'):
        knn.load_feature_checkpoint(torch.nn.Module(), path)
    assert not osp.exists(marker)


def test_env_var_cannot_turn_weights_only_off_on_resume(
        crafted_checkpoint, tiny_cifar10, tmp_path):
    path, marker = crafted_checkpoint
    proc = run_tool(
        'tools/train.py', osp.join(TEST_CONFIGS, 'npid_tiny.py'),
        '--work-dir', str(tmp_path / 'work'), '--resume', path,
        '--cfg-options',
        f'train_dataloader.dataset.data_prefix={tiny_cifar10}',
        env={NO_WEIGHTS_ONLY: '1'}, check=False)
    assert proc.returncode != 0
    assert 'UnsafeCheckpointError: Refusing to load checkpoint' in \
        proc.stderr
    assert not osp.exists(marker)


def test_loaded_checkpoints_lose_the_config_string_runners_execute(
        tmp_path):
    path = str(tmp_path / 'epoch_1.pth')
    torch.save(dict(meta=dict(epoch=1, config='import os', cfg='a = 1'),
                    state_dict={'w': torch.ones(1)}), path)
    ckpt = _load_checkpoint(path, map_location='cpu')
    assert ckpt['meta'] == dict(epoch=1, cfg='a = 1')
