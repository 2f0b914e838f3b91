"""User errors end the evaluation tools with one sentence, not a traceback.

``tools/retrieval.py`` and ``tools/test.py`` (``tools/knn.py``:
``test_knn_tool.py``) print ``error: <sentence>`` on stderr and exit with
status 2; ``--debug`` raises instead. ``tools/prepare_cifar.py`` starts its
error on a new line after the progress bar.
"""
import functools
import importlib.util
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from conftest import REPO, user_error

STAND_IN = osp.join(REPO, 'configs', 'benchmarks', 'retrieval',
                    'resnet18-std_retrieval_cifar10-5to9.py')
CPU_LINEAR = osp.join(REPO, 'configs', 'benchmarks', 'linear',
                      'resnet18_linear-1xb256-coslr-10e_cifar10-5k.py')

torch.set_num_threads(1)  # 2 cores, shared


def _load(name):
    spec = importlib.util.spec_from_file_location(
        f'mmbank_tool_errors_{name}', osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def retrieval():
    return _load('retrieval')


@pytest.fixture(scope='module')
def test_tool():
    return _load('test')


@pytest.fixture(scope='module')
def bad_checkpoints(tmp_path_factory):
    """Files torch cannot load, with the sentence each must give."""
    root = tmp_path_factory.mktemp('bad_ckpts')
    empty = root / 'empty.pth'
    empty.write_bytes(b'')
    text = root / 'notes.pth'
    text.write_text('e = 1\n')  # torch.load said: KeyError: 101
    good = root / 'good.pth'
    torch.save(dict(state_dict={'w': torch.zeros(100)}), good)
    data = good.read_bytes()
    truncated = root / 'truncated.pth'
    truncated.write_bytes(data[:-30])  # torch: "central directory"
    missing = root / 'missing.pth'
    return {
        str(empty): f'Checkpoint {empty} is empty (0 bytes): it was not '
        'saved completely.',
        str(text): f'{text} is not a PyTorch checkpoint: torch.save writes a '
        'zip archive (or a pickle), and this file is neither.',
        str(truncated): f'Checkpoint {truncated} is truncated or corrupt: '
        'its zip archive is incomplete (was it saved or copied '
        'completely?).',
        str(missing): f'Checkpoint not found: {missing}',
    }


def test_checkpoint_loader_raises_one_error_class(bad_checkpoints, tmp_path):
    from mmbank.evaluation.checkpoint import (CheckpointError,
                                              checkpoint_state_dict)
    for path, sentence in bad_checkpoints.items():
        with pytest.raises(CheckpointError) as info:
            checkpoint_state_dict(path)
        assert str(info.value) == sentence
    # a zip archive that is no checkpoint: torch's reason, in one line
    import zipfile
    path = str(tmp_path / 'other.zip')
    with zipfile.ZipFile(path, 'w') as z:
        z.writestr('readme.txt', 'hello')
    with pytest.raises(CheckpointError,
                       match=f'^Checkpoint {path} cannot be read: it is '
                       r'corrupt or not a PyTorch checkpoint \(RuntimeError'):
        checkpoint_state_dict(path)


@pytest.mark.parametrize('tool', ['retrieval', 'test_tool'])
def test_bad_checkpoint_files(tool, request, bad_checkpoints, capsys):
    main = request.getfixturevalue(tool).main
    config = STAND_IN if tool == 'retrieval' else CPU_LINEAR
    for path, sentence in bad_checkpoints.items():
        assert user_error(capsys, main, [config, path]) == sentence
    missing = next(p for p in bad_checkpoints if p.endswith('missing.pth'))
    with pytest.raises(FileNotFoundError, match='Checkpoint not found'):
        main([config, missing, '--debug'])
    assert user_error(capsys, main, ['no/such/config.py', missing]) == \
        'Config not found: no/such/config.py'


def test_retrieval_config_without_split(retrieval, capsys, tmp_path):
    path = str(tmp_path / 'w.pth')
    torch.save(dict(state_dict={'backbone.w': torch.zeros(1)}), path)
    config = osp.join(REPO, 'configs', 'membank',
                      'membank_resnet18-std_1xb64x2-coslr-10e_cifar10-0to4.py')
    assert user_error(capsys, retrieval.main, [config, path]).startswith(
        'The config has no test_dataloader: use a retrieval config')


def test_test_tool_checkpoint_of_another_model(test_tool, capsys, tmp_path,
                                               tiny_cifar10):
    path = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict={'encoder.weight': torch.zeros(2)}), path)
    args = [
        CPU_LINEAR, path, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'test_dataloader.dataset.data_prefix={tiny_cifar10}'
    ]
    sentence = user_error(capsys, test_tool.main, args)
    assert sentence.startswith(f'{path} does not fit the model of the '
                               'config:')
    from mmbank.evaluation.checkpoint import CheckpointError
    with pytest.raises(CheckpointError):
        test_tool.main(args[:2] + ['--debug'] + args[2:])


def test_retrieval_non_finite_features(retrieval, capsys, tmp_path,
                                       tiny_cifar10):
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmselfsup.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        model = MODELS.build(Config.fromfile(STAND_IN).model)
    state = model.state_dict()
    key = 'backbone.layer4.1.bn2.bias'  # every pooled feature is NaN
    state[key] = torch.full_like(state[key], float('nan'))
    path = str(tmp_path / 'nan.pth')
    torch.save(dict(state_dict=state), path)
    args = [
        STAND_IN, path, '--no-nmi', '--out',
        str(tmp_path / 'r.json'), '--cfg-options',
        f'test_dataloader.dataset.dataset.data_prefix={tiny_cifar10}'
    ]
    # tiny_cifar10's test split: one image of each class, 5 of classes 5-9
    assert user_error(capsys, retrieval.main, args) == (
        'The backbone features of the retrieval split contain NaN or '
        'infinite values (5 of 5 rows); the model that produced them is '
        'broken, e.g. its training diverged.')
    assert not osp.exists(tmp_path / 'r.json')


def test_prepare_cifar_error_starts_on_a_new_line(tmp_path, capsys,
                                                  monkeypatch):
    from mmcls.datasets.categories import CIFAR10_CATEGORIES
    from mmengine.utils import ProgressBar
    from PIL import Image

    from mmbank.datasets.converters import image_splits
    rng = np.random.RandomState(0)
    for split in ('train', 'test'):
        for cls in CIFAR10_CATEGORIES:
            folder = tmp_path / 'src' / 'cifar10' / split / cls
            folder.mkdir(parents=True)
            Image.fromarray(rng.randint(0, 256, (32, 32, 3),
                                        np.uint8)).save(folder / '0.png')
    (tmp_path / 'src' / 'cifar10' / 'test' / 'cat' / '0.png').write_bytes(
        b'not an image')
    # mmengine's bar writes to the sys.stdout of its import; make it write
    # to the captured one, as a bar on a terminal would share the screen
    monkeypatch.setattr(image_splits, 'ProgressBar',
                        functools.partial(ProgressBar, file=sys.stdout))
    prepare = _load('prepare_cifar')
    code = prepare.main(
        [str(tmp_path / 'src'),
         str(tmp_path / 'out'), '--no-count-check'])
    assert code == 1
    out, err = capsys.readouterr()
    assert out.startswith('completed: 0')  # the bar was drawn
    assert out.endswith('\n')  # and its line ended before the error
    assert err.startswith('error: ') and err.count('\n') == 1
    assert 'test/cat/0.png is not a readable image' in err


@pytest.mark.parametrize('option,value', [('--batch-size', '0'),
                                          ('--num-workers', '-1'),
                                          ('--ks', '0')])
def test_retrieval_bad_numbers_are_refused_first(retrieval, capsys, option,
                                                 value):
    with pytest.raises(SystemExit) as exit_info:
        retrieval.main(['no/such/config.py', 'no.pth', option, value])
    assert exit_info.value.code == 2
    assert f'argument {option}: must be >= ' in capsys.readouterr().err


def test_test_tool_refuses_nan_weights_before_printing_the_config(
        test_tool, capsys, tmp_path, tiny_cifar10):
    """A diverged training's checkpoint scored 'accuracy/top1: 0.0000' with
    exit 0, after some 257 lines of config."""
    from mmengine.config import Config
    cfg = Config.fromfile(CPU_LINEAR)
    state = test_tool.build_model_quietly(cfg).state_dict()
    state['backbone.conv1.weight'][0, 0, 0, 0] = float('nan')
    path = str(tmp_path / 'diverged.pth')
    torch.save(dict(state_dict=state), path)
    args = [CPU_LINEAR, path, '--work-dir', str(tmp_path / 'work'),
            '--cfg-options',
            f'test_dataloader.dataset.data_prefix={tiny_cifar10}']
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        test_tool.main(args)
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert err == (f'error: {path} holds NaN or infinite weights (1 '
                   "tensors, e.g. ['backbone.conv1.weight']): its training "
                   'diverged, there is nothing to evaluate.\n')
    assert 'Config' not in out and len(out.splitlines()) < 5, out[-2000:]
