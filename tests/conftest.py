"""Shared fixtures: a tiny CIFAR-10 on disk, a way to run the tools and to
check their user errors, and the helpers more than one test file uses."""
import os
import re
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
TEST_CONFIGS = osp.join(REPO, 'tests', 'data', 'configs')


@pytest.fixture(scope='session')
def tiny_cifar10(tmp_path_factory) -> str:
    """A CIFAR-10 layout with 16 train and 10 test images (data_prefix)."""
    from mmcls.datasets.categories import CIFAR10_CATEGORIES

    from mmbank.datasets.converters import write_cifar
    rng = np.random.RandomState(0)
    splits = {}
    for split, num in (('train', 16), ('test', 10)):
        labels = [i % 10 for i in range(num)]
        # class-dependent colour plus noise, so features carry the label
        images = np.stack([
            np.clip(rng.normal(25 * label, 30, (32, 32, 3)), 0,
                    255).astype(np.uint8) for label in labels
        ])
        splits[split] = (images, labels, [f'{i}.png' for i in range(num)])
    root = str(tmp_path_factory.mktemp('tiny_cifar10'))
    write_cifar(splits, root, CIFAR10_CATEGORIES, 'cifar10')
    return root


def run_tool(*args, timeout=300, env=None, check=True):
    """Run ``python tools/<args>`` from the repository root."""
    full_env = dict(os.environ, PYTHONUNBUFFERED='1', OMP_NUM_THREADS='1')
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, *args],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=timeout,
                          env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(
            f'{args} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n'
            f'{proc.stderr[-5000:]}')
    return proc


def user_error(capsys, main, argv):
    """``main(argv)`` must exit with status 2 and end stderr with exactly
    one line ``error: <sentence>``, no traceback; returns the sentence."""
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    # a logger handler left by another test on a closed capture stream
    # reports "--- Logging error ---" with a traceback of its own
    err = re.sub(r'--- Logging error ---\n.*?\nArguments: [^\n]*\n', '', err,
                 flags=re.S)
    assert 'Traceback' not in err
    lines = [line for line in err.splitlines() if line.startswith('error:')]
    assert len(lines) == 1 and err.endswith(lines[0] + '\n')
    return lines[0][len('error: '):]


def run_python(code):
    """``python -c code`` in a fresh process (nothing imported yet)."""
    return subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, timeout=120)


def write_lines(path, lines):
    """A text file of ``lines``, its folders created."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def write_cifar_images(root, per_class=(2, 1), size=32):
    """CIFAR-10's image layout under ``root/cifar10``, PNG (lossless)
    images; returns {(split, class, name): array}."""
    from mmcls.datasets.categories import CIFAR10_CATEGORIES
    from PIL import Image
    rng = np.random.RandomState(0)
    images = {}
    for split, num in zip(('train', 'test'), per_class):
        for cls in CIFAR10_CATEGORIES:
            folder = osp.join(root, 'cifar10', split, cls)
            os.makedirs(folder)
            for i in range(num):
                img = rng.randint(0, 256, (size, size, 3), dtype=np.uint8)
                Image.fromarray(img).save(osp.join(folder, f'{i:04d}.png'))
                images[(split, cls, f'{i:04d}.png')] = img
    return images


def assert_no_cifar_written(out_dir):
    """Nothing of a CIFAR-10 conversion is left in ``out_dir``."""
    assert not osp.exists(osp.join(out_dir, 'cifar-10-batches-py'))
    if osp.exists(out_dir):
        assert os.listdir(out_dir) == []


def cifar_loader(root,
                 test_mode=False,
                 keys=('sample_idx', 'gt_label'),
                 shuffle=False,
                 batch_size=5,
                 indices=None):
    """A loader of the ``OfflineCIFAR10`` at ``root``, without augmentation,
    packing ``keys``."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    init_default_scope('mmselfsup')
    return Runner.build_dataloader(
        dict(
            batch_size=batch_size,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=shuffle),
            collate_fn=dict(type='default_collate'),
            dataset=dict(
                type='OfflineCIFAR10',
                data_prefix=root,
                test_mode=test_mode,
                download=False,
                indices=indices,
                serialize_data=indices != 0,  # mmengine can't serialize []
                pipeline=[
                    dict(type='PackSelfSupInputs', algorithm_keys=list(keys))
                ])),
        seed=0)


def checkpoint_features(config, checkpoint, root, test_indices=None):
    """Reference features of a checkpoint, computed without the tools:
    ``{'train': ..., 'test': ...}`` of :func:`extract_features` on the
    ``OfflineCIFAR10`` at ``root`` (``test_indices`` selects test images)."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmbank.evaluation import build_feature_model, extract_features
    from mmbank.evaluation.checkpoint import load_feature_checkpoint
    init_default_scope('mmselfsup')
    model = build_feature_model(Config.fromfile(config).model)
    load_feature_checkpoint(model, checkpoint)
    return {
        split: extract_features(
            model,
            cifar_loader(root, test_mode, keys=('gt_label', ),
                         batch_size=16,
                         indices=test_indices if test_mode else None),
            progress=False)
        for split, test_mode in (('train', False), ('test', True))
    }


def load_checkpoint_file(path):
    """A checkpoint as mmbank loads it (weights-only, mmengine's loader)."""
    from mmengine.runner.checkpoint import _load_checkpoint
    return _load_checkpoint(path, map_location='cpu')


def assert_same_run(a_path, b_path):
    """Two checkpoints' weights, bank rows, merge groups and optimizer
    momenta are bit-identical; returns the first's state dict."""
    import torch
    a, b = load_checkpoint_file(a_path), load_checkpoint_file(b_path)
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for key in a['state_dict']:
        assert torch.equal(a['state_dict'][key], b['state_dict'][key]), key
    momenta = [(a['optimizer']['state'][k]['momentum_buffer'],
                b['optimizer']['state'][k]['momentum_buffer'])
               for k in a['optimizer']['state']]
    assert momenta and all(torch.equal(x, y) for x, y in momenta)
    return a['state_dict']


def free_port():
    """A free TCP port on the loopback, for a torch.distributed master."""
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
