"""The mixing configs, built on stock mmselfsup configs, really train."""
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from conftest import REPO, run_tool


@pytest.fixture(scope='module')
def tiny_imagenet(tmp_path_factory):
    """ImageNet's layout (train/<class>/*.JPEG, meta/train.txt), 4 images."""
    root = tmp_path_factory.mktemp('imagenet')
    lines = []
    rng = np.random.RandomState(0)
    for label, cls in enumerate(('n01', 'n02')):
        os.makedirs(root / 'train' / cls)
        for i in range(2):
            name = f'{cls}/{i}.JPEG'
            Image.fromarray(rng.randint(0, 256, (48, 64, 3), np.uint8)).save(
                root / 'train' / name, format='JPEG')
            lines.append(f'{name} {label}')
    os.makedirs(root / 'meta')
    (root / 'meta' / 'train.txt').write_text('\n'.join(lines) + '\n')
    return str(root) + '/'


COMMON = [
    'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
    'default_hooks.logger.interval=1'
]


@pytest.mark.parametrize('config, extra, expect', [
    ('npid-membank_resnet50_8xb32-steplr-200e_in1k.py',
     ['model.head.num_negatives=4', 'custom_hooks.2.start_epoch=1'],
     'Hard negative merge after epoch 1'),
    ('simclr-multiview_resnet50_8xb32-coslr-200e_in1k.py', [],
     'Epoch(train) [1][2/2]'),
])
def test_mixing_config_trains(tiny_imagenet, tmp_path, config, extra,
                              expect):
    proc = run_tool(
        'tools/train.py', osp.join(REPO, 'configs', 'mixing', config),
        '--work-dir', str(tmp_path), '--cfg-options',
        f'train_dataloader.dataset.data_root={tiny_imagenet}', *COMMON,
        *extra)
    assert expect in proc.stdout + proc.stderr
    assert osp.exists(osp.join(str(tmp_path), 'epoch_1.pth'))
