"""The views of the training configs: made batched by
BatchedViewsDataPreprocessor from the distributions of NPID's per-image
pipeline (the dataset base's ``view_pipeline``), with K where the config's
name says (test_configs_resolved.py checks every config's settings)."""
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmselfsup.registry import MODELS

from conftest import REPO

BATCHED_CONFIGS = sorted(
    osp.relpath(p, REPO) for p in glob.glob(
        osp.join(REPO, 'configs', '**', '*cifar10-*.py'), recursive=True)
    if '_base_' not in p and 'benchmarks' not in p)


def load(rel):
    return Config.fromfile(
        osp.join(REPO, rel), import_custom_modules=False).to_dict()


def test_every_cifar_training_config_is_found():
    names = {osp.basename(p) for p in BATCHED_CONFIGS}
    assert {
        'membank_resnet18-std-w32_1xb32x4-coslr-75e_cifar10-10k.py',
        'membank_resnet18-std-w32_1xb64x2-coslr-40e_cifar10-10k.py',
        'npid_resnet18-std-w32_1xb32-coslr-75e_cifar10-10k.py',
        'membank-vanilla_resnet18-std-w32_1xb128x1-coslr-75e_cifar10-10k.py',
    } <= names
    assert not any(name.endswith('-bv.py') for name in names)


@pytest.mark.parametrize('rel', BATCHED_CONFIGS)
def test_batched_views_draw_from_the_per_image_pipeline(rel):
    cfg = load(rel)
    prep = cfg['model']['data_preprocessor']
    crop, gray, jitter, flip = cfg['view_pipeline']
    assert prep['type'] == 'BatchedViewsDataPreprocessor'
    assert prep['crop_size'] == crop['size']
    assert prep['crop_scale'] == crop['scale']
    assert crop.get('ratio', (3. / 4., 4. / 3.)) == (3. / 4., 4. / 3.)
    assert prep['gray_prob'] == gray['prob'] and gray['keep_channels']
    assert prep['gray_weights'] == gray['channel_weights']
    for key in ('brightness', 'contrast', 'saturation', 'hue'):
        assert prep[key] == jitter[key], key
    assert prep['flip_prob'] == flip['prob']
    assert flip.get('direction', 'horizontal') == 'horizontal'
    # K as the name gives it (..._1xb32x4-...: 4 views; NPID's: 1)
    shape = re.search(r'_1xb\d+(?:x(\d+))?-', osp.basename(rel))
    assert prep['num_views'] == int(shape.group(1) or 1)
    # the per-image alternative the base offers makes the same views
    (multi_view, pack) = cfg['per_image_pipeline']
    assert multi_view['transforms'] == cfg['view_pipeline']
    # packed alike: mmselfsup's PackSelfSupInputs or its cheaper equal
    assert pack == dict(
        type='PackSelfSupInputs', algorithm_keys=['sample_idx'])
    assert cfg['train_pipeline'] in ([pack],
                                     [dict(type='PackImageAndIndex')])


@pytest.mark.parametrize('rel', [
    'configs/membank/membank_resnet18-std-w32_1xb32x4-coslr-75e_cifar10-10k.py',
    'configs/npid/npid_resnet18-std-w32_1xb32-coslr-75e_cifar10-10k.py',
])
def test_batched_config_builds_its_model(rel):
    import mmbank  # noqa: F401
    init_default_scope('mmselfsup')
    cfg = Config.fromfile(osp.join(REPO, rel))
    model = MODELS.build(cfg.model)
    assert type(model.data_preprocessor).__name__ == \
        'BatchedViewsDataPreprocessor'
    assert model.data_preprocessor.num_views == \
        cfg.model.data_preprocessor.num_views


NPID_VIEWS = osp.join(REPO, 'configs', '_base_', 'datasets', 'npid_views.py')
MIXING_BV = osp.join(REPO, 'configs', 'mixing',
                     'npid-bv_resnet50_8xb32-steplr-200e_in1k.py')


def test_loader_crop_base_splits_npids_pipeline():
    """npid_batched_views.py: the loader's crop is npid_views.py's, the
    preprocessor's settings are the rest of it (BGR weights)."""
    crop, gray, jitter, flip = Config.fromfile(NPID_VIEWS).view_pipeline
    cfg = Config.fromfile(MIXING_BV, import_custom_modules=False)
    prep = cfg.model.data_preprocessor
    (multi_view, ) = [
        t for t in cfg.train_dataloader.dataset.pipeline
        if t['type'] == 'MultiViewWithIndex'
    ]
    assert multi_view['transforms'] == [crop]
    assert prep['geometric'] is False and prep['bgr_to_rgb'] is True
    assert prep['num_views'] == multi_view['num_views'] == 1
    assert prep['gray_prob'] == gray['prob']
    assert prep['gray_weights'] == gray['channel_weights']
    for key in ('brightness', 'contrast', 'saturation', 'hue'):
        assert prep[key] == jitter[key], key
    assert prep['flip_prob'] == flip['prob']


@pytest.fixture(scope='module')
def tiny_imagenet(tmp_path_factory):
    """ImageNet's layout (train/<class>/*.JPEG, meta/train.txt), 4 images
    of 48 x 64."""
    import os

    import numpy as np
    from PIL import Image
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


def test_mmselfsups_npid_config_trains_with_loader_crops_and_batched_colour(
        tiny_imagenet, tmp_path):
    from conftest import run_tool
    proc = run_tool(
        'tools/train.py', MIXING_BV, '--work-dir', str(tmp_path),
        '--cfg-options', f'train_dataloader.dataset.data_root={tiny_imagenet}',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
        'default_hooks.logger.interval=1', 'model.neg_num=2',
        'model.memory_bank.length=4')
    assert 'Epoch(train) [1][2/2]' in proc.stdout + proc.stderr
    ckpt = torch_load(osp.join(str(tmp_path), 'epoch_1.pth'))
    assert 'data_preprocessor' in ckpt['rng_states']['states'][0]['generators']


def torch_load(path):
    from mmengine.runner.checkpoint import _load_checkpoint
    return _load_checkpoint(path, map_location='cpu')
