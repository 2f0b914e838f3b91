"""The batched-views (-bv) configs: each is its per-image config with the
views made by BatchedViewsDataPreprocessor from the same distributions,
and nothing else changed."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmselfsup.registry import MODELS

from conftest import REPO

BV_CONFIGS = sorted(
    osp.relpath(p, REPO) for p in glob.glob(
        osp.join(REPO, 'configs', '**', '*-bv.py'), recursive=True)
    # twins of a per-image config (the quick start's has none)
    if osp.exists(p.replace('-bv.py', '.py')))


def load(rel):
    return Config.fromfile(
        osp.join(REPO, rel), import_custom_modules=False).to_dict()


def test_the_issues_configs_exist():
    assert {
        osp.basename(p)
        for p in BV_CONFIGS
    } >= {
        'membank_resnet18-std-w32_1xb32x4-coslr-75e_cifar10-10k-bv.py',
        'membank_resnet18-std-w32_1xb64x2-coslr-150e_cifar10-10k-bv.py',
        'npid_resnet18-std-w32_1xb32-coslr-75e_cifar10-10k-bv.py',
    }


@pytest.mark.parametrize('rel', BV_CONFIGS)
def test_batched_config_is_its_per_image_config_with_batched_views(rel):
    batched = load(rel)
    per_image = load(rel.replace('-bv.py', '.py'))
    prep = batched['model'].pop('data_preprocessor')
    per_image_prep = per_image['model'].pop('data_preprocessor')
    # the views: K and every distribution of the per-image view pipeline
    (multi_view,
     pack) = per_image['train_dataloader']['dataset'].pop('pipeline')
    assert multi_view['type'] == 'MultiViewWithIndex'
    crop, gray, jitter, flip = multi_view['transforms']
    assert prep['type'] == 'BatchedViewsDataPreprocessor'
    assert prep['num_views'] == multi_view['num_views']
    assert prep['crop_size'] == crop['size']
    assert prep['crop_scale'] == crop['scale']
    assert crop.get('ratio', (3. / 4., 4. / 3.)) == (3. / 4., 4. / 3.)
    assert prep['gray_prob'] == gray['prob'] and gray['keep_channels']
    assert prep['gray_weights'] == gray['channel_weights']
    for key in ('brightness', 'contrast', 'saturation', 'hue'):
        assert prep[key] == jitter[key], key
    assert prep['flip_prob'] == flip['prob']
    assert flip.get('direction', 'horizontal') == 'horizontal'
    # normalisation and channel order as before
    for key in ('mean', 'std', 'bgr_to_rgb'):
        assert prep[key] == per_image_prep[key], key
    # the loader packs the image and its index, nothing else
    assert batched['train_dataloader']['dataset'].pop('pipeline') == [pack]
    # and nothing else differs
    for key in ('batched_views', 'batched_views_pipeline', 'filename'):
        batched.pop(key, None)
        per_image.pop(key, None)
    assert batched == per_image


@pytest.mark.parametrize('rel', BV_CONFIGS)
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
