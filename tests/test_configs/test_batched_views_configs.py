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
    osp.relpath(p, REPO)
    for p in glob.glob(osp.join(REPO, 'configs', '**', '*-bv.py'),
                       recursive=True))


def load(rel):
    return Config.fromfile(osp.join(REPO, rel),
                           import_custom_modules=False).to_dict()


def test_the_issues_configs_exist():
    assert {osp.basename(p) for p in BV_CONFIGS} >= {
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
    (multi_view, pack) = per_image['train_dataloader']['dataset'].pop(
        'pipeline')
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
