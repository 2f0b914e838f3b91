"""tools/knn.py end to end on a checkpoint of a tiny real training run."""
import importlib.util
import json
import os.path as osp
import pickle
import socket

import pytest
import torch

from conftest import REPO, checkpoint_features, run_tool, user_error

TINY = osp.join(REPO, 'tests', 'test_evaluation', 'configs',
                'membank_knn_tiny.py')

torch.set_num_threads(1)  # 2 cores, shared


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        'mmbank_knn_tool', osp.join(REPO, 'tools', 'knn.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def knn_tool():
    return _load_tool()


@pytest.fixture(scope='module')
def trained(tiny_cifar10, tmp_path_factory):
    """A checkpoint of 2 iterations of the CPU config on 16 images."""
    work = str(tmp_path_factory.mktemp('knn_train'))
    run_tool('tools/train.py', TINY, '--work-dir', work, '--cfg-options',
             f'train_dataloader.dataset.data_prefix={tiny_cifar10}',
             'train_cfg.val_begin=2')  # no monitor here
    return osp.join(work, 'epoch_1.pth')


def flat(accuracy):
    """``{(feature, k, metric): value}`` of a results' accuracy dict."""
    return {
        (name, k, m): v
        for name, per_k in accuracy.items()
        for k, per_m in per_k.items()
        for m, v in per_m.items()
    }


def _data(root):
    return f'train_dataloader.dataset.data_prefix={root}'


def _reference(checkpoint, root, ks, temperature, test_indices=None,
               exact=False):
    """kNN accuracies computed independently of the tool."""
    from mmbank.evaluation.functional import knn_accuracy
    feats = checkpoint_features(TINY, checkpoint, root, test_indices)
    return {
        name: {
            str(k): dict(top1=v[1], top5=v[5])
            for k, v in knn_accuracy(
                feats['train'][name],
                feats['train']['labels'],
                feats['test'][name],
                feats['test']['labels'],
                ks=ks,
                temperature=temperature,
                num_classes=10,
                exact=exact).items()
        }
        for name in ('backbone', 'neck')
    }


def test_command_line_end_to_end(trained, tiny_cifar10, tmp_path):
    out = str(tmp_path / 'knn.json')
    proc = run_tool('tools/knn.py', TINY, trained, '--k', '1', '5', '200',
                    '--temperature', '0.1', '--out', out, '--cfg-options',
                    _data(tiny_cifar10))
    with open(out) as f:
        res = json.load(f)
    assert (res['num_train'], res['num_test'], res['num_classes']) == \
        (16, 10, 10)
    assert res['dims'] == dict(backbone=512, neck=128)
    assert flat(res['accuracy']) == pytest.approx(
        flat(_reference(trained, tiny_cifar10, (1, 5, 200), 0.1)))
    # the printed table carries the same numbers
    top1 = res['accuracy']['neck']['200']['top1']
    assert f'neck         128  200*{top1:>9.2f}' in proc.stdout
    # k = 200 over a memory of 16 images is a 16-NN: said, not hidden
    assert res['k_used'] == {'1': 1, '5': 5, '200': 16}
    assert '* k = 200 exceed the memory of 16 images: all 16 are the ' \
        'neighbours' in proc.stdout
    assert 'extracting train features (16 images' in proc.stdout


def test_test_subset_and_backbone_only_checkpoint(knn_tool, trained,
                                                  tiny_cifar10, tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    full = knn_tool.main([
        TINY, trained, '--k', '3', '--no-progress', '--cfg-options',
        _data(tiny_cifar10), 'knn_test_dataloader.dataset.indices=6'
    ])
    assert full['num_test'] == 6
    assert flat(full['accuracy']) == pytest.approx(
        flat(_reference(trained, tiny_cifar10, (3, ), 0.07, test_indices=6)))

    # mmselfsup's extract_backbone_weights.py layout: backbone keys only
    state = _load_checkpoint(trained, map_location='cpu')['state_dict']
    backbone = {
        k[len('backbone.'):]: v
        for k, v in state.items() if k.startswith('backbone.')
    }
    path = str(tmp_path / 'backbone.pth')
    torch.save(dict(state_dict=backbone), path)
    only = knn_tool.main([
        TINY, path, '--backbone-only', '--k', '3', '--no-progress',
        '--cfg-options',
        _data(tiny_cifar10), 'knn_test_dataloader.dataset.indices=6'
    ])
    assert list(only['accuracy']) == ['backbone']
    assert only['accuracy']['backbone'] == full['accuracy']['backbone']
    with pytest.raises(KeyError, match='pass --backbone-only'):
        knn_tool.main(
            [TINY, path, '--debug', '--cfg-options',
             _data(tiny_cifar10)])


def test_exact_flag_reaches_the_search(knn_tool, trained, tiny_cifar10,
                                       monkeypatch, capsys):
    seen = []
    real = knn_tool.knn_accuracy
    monkeypatch.setattr(
        knn_tool, 'knn_accuracy',
        lambda *args, **kwargs: seen.append(kwargs['exact']) or real(
            *args, **kwargs))
    args = [
        TINY, trained, '--k', '3', '--no-progress', '--cfg-options',
        _data(tiny_cifar10), 'knn_test_dataloader.dataset.indices=6'
    ]
    fast = knn_tool.main(args)
    exact = knn_tool.main(['--exact'] + args)
    assert seen == [False, False, True, True]  # backbone, neck; each run
    assert fast['exact'] is False and exact['exact'] is True
    out = capsys.readouterr().out
    assert 'T = 0.07, float32 search:' in out
    assert 'T = 0.07, exact search:' in out
    assert flat(exact['accuracy']) == flat(
        _reference(trained, tiny_cifar10, (3, ), 0.07, test_indices=6,
                   exact=True))


def test_bad_input_gives_clear_errors(knn_tool, trained, tiny_cifar10,
                                      tmp_path, capsys):
    from mmbank.evaluation.checkpoint import (CheckpointError,
                                              CheckpointKeyError)
    from mmbank.utils.upstream_fixes import UnsafeCheckpointError
    args = ['--no-progress', '--cfg-options', _data(tiny_cifar10)]

    missing = str(tmp_path / 'missing.pth')
    assert user_error(capsys, knn_tool.main, [TINY, missing, *args]) == \
        f'Checkpoint not found: {missing}'
    # --debug: the exception itself, with its traceback
    with pytest.raises(FileNotFoundError, match='Checkpoint not found'):
        knn_tool.main([TINY, missing, '--debug', *args])

    wrong = str(tmp_path / 'wrong.pth')
    torch.save(dict(state_dict={'backbone.fc.weight': torch.ones(2)}), wrong)
    assert 'do not match' in user_error(capsys, knn_tool.main,
                                        [TINY, wrong, *args])
    with pytest.raises(
            CheckpointKeyError, match='do not match.*unexpected fc.weight'):
        knn_tool.main([TINY, wrong, '--debug', *args])

    from mmengine.runner.checkpoint import _load_checkpoint
    state = _load_checkpoint(trained, map_location='cpu')['state_dict']
    state['neck.fc.weight'] = torch.ones(64, 512)  # a 64-d neck
    resized = str(tmp_path / 'resized.pth')
    torch.save(dict(state_dict=state), resized)
    assert 'do not fit' in user_error(capsys, knn_tool.main,
                                      [TINY, resized, *args])
    with pytest.raises(CheckpointKeyError, match='do not fit.*neck'):
        knn_tool.main([TINY, resized, '--debug', *args])

    crafted = str(tmp_path / 'crafted.pth')
    with open(crafted, 'wb') as f:
        pickle.dump(dict(state_dict={}, hook=socket.socket), f)
    assert user_error(capsys, knn_tool.main,
                      [TINY, crafted, *args]).startswith(
                          f'Refusing to load checkpoint {crafted}')
    with pytest.raises(UnsafeCheckpointError):
        knn_tool.main([TINY, crafted, '--debug', *args])

    assert 'test split is empty' in user_error(
        capsys, knn_tool.main,
        [TINY, trained, *args, 'knn_test_dataloader.dataset.indices=0'])
    with pytest.raises(ValueError, match='test split is empty'):
        knn_tool.main([
            TINY, trained, '--debug', *args,
            'knn_test_dataloader.dataset.indices=0'
        ])
    # a config value that names no dataset type (mmengine's registry)
    assert 'NoSuchDataset' in user_error(capsys, knn_tool.main, [
        TINY, trained, *args,
        'knn_test_dataloader.dataset.type=NoSuchDataset'
    ])
    with pytest.raises(CheckpointError):
        knn_tool.main([TINY, missing, '--debug', *args])


def test_unreadable_checkpoints_give_one_sentence(knn_tool, trained,
                                                  tmp_path, capsys):
    # refused before anything is built: no data needed
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    text = tmp_path / 'notes.pth'
    text.write_text('epoch 10: loss 4.2\n')
    with open(trained, 'rb') as f:
        data = f.read()
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(data[:len(data) // 2])
    cases = {
        empty: f'Checkpoint {empty} is empty (0 bytes): it was not saved '
        'completely.',
        text: f'{text} is not a PyTorch checkpoint: torch.save writes a zip '
        'archive (or a pickle), and this file is neither.',
        truncated: f'Checkpoint {truncated} is truncated or corrupt: its zip '
        'archive is incomplete (was it saved or copied completely?).',
        tmp_path: f'Checkpoint {tmp_path} is a directory, not a checkpoint '
        'file.',
    }
    for path, sentence in cases.items():
        assert user_error(capsys, knn_tool.main,
                          [TINY, str(path), '--no-progress']) == sentence


def test_non_finite_features_stop_the_tool(knn_tool, trained, tiny_cifar10,
                                           tmp_path, capsys):
    from mmengine.runner.checkpoint import _load_checkpoint
    args = ['--no-progress', '--cfg-options', _data(tiny_cifar10)]
    for bad, name in ((float('nan'), 'nan'), (float('inf'), 'inf')):
        state = _load_checkpoint(trained, map_location='cpu')['state_dict']
        # the last BatchNorm's shift: every pooled feature is NaN / inf
        key = 'backbone.layer4.1.bn2.bias'
        state[key] = torch.full_like(state[key], bad)
        path = str(tmp_path / f'{name}.pth')
        torch.save(dict(state_dict=state), path)
        assert user_error(capsys, knn_tool.main, [TINY, path, *args]) == (
            f'The backbone features of the train split of {path} contain '
            'NaN or infinite values (16 of 16 rows); the model that '
            'produced them is broken, e.g. its training diverged.')
    from mmbank.evaluation.functional.knn import NonFiniteFeaturesError
    with pytest.raises(NonFiniteFeaturesError):
        knn_tool.main([TINY, path, '--debug', *args])


@pytest.mark.parametrize('option,value', [('--chunk-size', '0'),
                                          ('--chunk-size', '-4'),
                                          ('--batch-size', '0'),
                                          ('--num-workers', '-1')])
def test_bad_numbers_are_refused_before_anything_runs(knn_tool, capsys,
                                                      option, value):
    # the config does not even exist: the arguments are checked first
    with pytest.raises(SystemExit) as exit_info:
        knn_tool.main(['no/such/config.py', 'no.pth', option, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f'argument {option}: must be >= ' in err
    assert 'Traceback' not in err


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_two_processes_give_the_single_process_result(knn_tool, trained,
                                                      tiny_cifar10, tmp_path):
    # 7 test images over 2 processes: the sampler pads one, which must be
    # dropped; gathered features must come back in dataset order
    options = [
        '--cfg-options',
        _data(tiny_cifar10), 'knn_test_dataloader.dataset.indices=7'
    ]
    single = knn_tool.main([
        TINY, trained, '--k', '1', '4', '--no-progress', '--batch-size', '3',
        *options
    ])
    out = str(tmp_path / 'dist.json')
    run_tool('-m',
             'torch.distributed.run', '--nproc_per_node', '2', '--master_port',
             str(_free_port()), 'tools/knn.py', TINY, trained, '--launcher',
             'pytorch', '--k', '1', '4', '--no-progress', '--batch-size', '3',
             '--out', out, *options)
    with open(out) as f:
        dist = json.load(f)
    assert dist['num_test'] == 7 and dist['num_train'] == 16
    assert flat(dist['accuracy']) == pytest.approx(flat(single['accuracy']))


def test_validation_queries(knn_tool, trained, tiny_cifar10, monkeypatch):
    """--queries val: the memory is the training subset, the queries the
    training images of the validation range, and the test set is unread."""
    from mmbank.evaluation import eval_dataloaders
    monkeypatch.setattr(eval_dataloaders, 'CIFAR_VAL_RANGE', (10, 16))
    results = knn_tool.main([
        TINY, trained, '--k', '3', '--queries', 'val', '--no-progress',
        '--cfg-options', _data(tiny_cifar10),
        'train_dataloader.dataset.indices=10'
    ])
    assert results['queries'] == 'val'
    assert results['num_train'] == 10 and results['num_test'] == 6
    with pytest.raises(SystemExit):  # a subset reaching into the range
        knn_tool.main([
            TINY, trained, '--queries', 'val', '--no-progress',
            '--cfg-options', _data(tiny_cifar10),
            'train_dataloader.dataset.indices=12'
        ])


def test_a_checkpoint_error_is_the_only_output(tmp_path):
    """mmengine's 'Loads checkpoint by local backend' line came first."""
    other = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict={'encoder.weight': torch.ones(1)}), other)
    proc = run_tool('tools/knn.py', TINY, other, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ''
    assert proc.stderr.startswith(f'error: {other} has no backbone.* ')
