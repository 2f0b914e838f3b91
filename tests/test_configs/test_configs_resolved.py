"""What the shared bases give every config built on them, checked on the
resolved configs: NPID's augmentation with the dataset's crop size and
channel order, model bases that differ where they say, cosine schedules
that span the run, merging inside the run with the runtime's settings, and
evaluation loaders that are the training (or memory) loader on another
split."""
import functools
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from conftest import REPO

RUN_CONFIGS = sorted(
    osp.relpath(p, REPO) for p in glob.glob(
        osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p)

RGB_WEIGHTS = (0.299, 0.587, 0.114)  # arrays (CIFAR, STL-10)
BGR_WEIGHTS = (0.114, 0.587, 0.2989)  # LoadImageFromFile
CROP_SIZE = {'OfflineCIFAR10': 32, 'OfflineCIFAR100': 32, 'STL10': 96}


@functools.lru_cache(maxsize=None)
def load(rel: str) -> dict:
    """A config resolved as a plain dict (custom imports not needed)."""
    cfg = Config.fromfile(osp.join(REPO, rel), import_custom_modules=False)
    return cfg.to_dict()


def of_type(value, type_name: str) -> list:
    """Every dict with ``type=type_name`` in a nested config value."""
    if isinstance(value, dict):
        found = [value] if value.get('type') == type_name else []
        for item in value.values():
            found += of_type(item, type_name)
        return found
    if isinstance(value, (list, tuple)):
        return [d for item in value for d in of_type(item, type_name)]
    return []


def differing(a: dict, b: dict) -> set:
    return {key for key in set(a) | set(b) if a.get(key) != b.get(key)}


def innermost_dataset(loader: dict) -> dict:
    dataset = loader['dataset']
    while 'dataset' in dataset:  # ClassSubset
        dataset = dataset['dataset']
    return dataset


@pytest.mark.parametrize('rel', RUN_CONFIGS)
def test_views_are_npids_augmentation_at_the_datasets_size(rel):
    cfg = load(rel)
    loader = cfg['train_dataloader']
    multi_views = of_type(loader, 'MultiViewWithIndex')
    preprocessor = cfg['model']['data_preprocessor']
    batched = preprocessor.get('type') == 'BatchedViewsDataPreprocessor'
    if 'simclr' in rel:  # SimCLR's own augmentation
        pytest.skip('no NPID views')
    if not multi_views and not batched:
        # nothing makes views: only the evaluation and linear configs
        assert 'benchmarks' in rel or 'linear' in rel, rel
        pytest.skip('no NPID views')
    dataset_type = innermost_dataset(loader)['type']
    if not multi_views:
        # arrays of one size: the loader packs them, every view is made
        # batched with NPID's distributions
        assert loader['dataset'].get('pipeline', innermost_dataset(
            loader)['pipeline']) == [dict(type='PackImageAndIndex')]
        assert preprocessor.get('geometric', True) is True
        assert preprocessor['crop_size'] == CROP_SIZE[dataset_type]
        assert preprocessor['crop_scale'] == (0.2, 1.)
        assert (preprocessor['gray_prob'],
                preprocessor['gray_weights']) == (0.2, RGB_WEIGHTS)
        for key in ('brightness', 'contrast', 'saturation', 'hue'):
            assert preprocessor[key] == 0.4, key
        assert preprocessor['flip_prob'] == 0.5
        assert preprocessor['bgr_to_rgb'] is False
        return
    (multi_view, ) = multi_views
    if batched:
        # images of varying size: the loader decodes and crops each view,
        # the rest of NPID's augmentation is made batched
        (crop, ) = multi_view['transforms']
        assert crop == dict(
            type='RandomResizedCrop', size=CROP_SIZE.get(dataset_type, 224),
            scale=(0.2, 1.), backend='pillow')
        assert preprocessor['geometric'] is False
        assert preprocessor['num_views'] == multi_view['num_views']
        assert (preprocessor['gray_prob'],
                preprocessor['gray_weights']) == (0.2, BGR_WEIGHTS)
        for key in ('brightness', 'contrast', 'saturation', 'hue'):
            assert preprocessor[key] == 0.4, key
        assert preprocessor['flip_prob'] == 0.5
        assert preprocessor['bgr_to_rgb'] is True
        return
    crop, gray, jitter, flip = multi_view['transforms']
    assert crop == dict(
        type='RandomResizedCrop',
        size=CROP_SIZE.get(dataset_type, 224),
        scale=(0.2, 1.),
        backend='pillow')
    from_files = bool(of_type(loader, 'LoadImageFromFile'))
    assert gray == dict(
        type='RandomGrayscale',
        prob=0.2,
        keep_channels=True,
        channel_weights=BGR_WEIGHTS if from_files else RGB_WEIGHTS)
    assert jitter == dict(
        type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4,
        hue=0.4)
    assert flip == dict(type='RandomFlip', prob=0.5)
    # the preprocessor turns BGR images (and only those) into RGB
    assert cfg['model']['data_preprocessor']['bgr_to_rgb'] == from_files


def test_model_bases_differ_only_where_they_say():
    base = 'configs/_base_/models/'
    std = load(base + 'membank_resnet18.py')['model']
    cifar = load(base + 'membank_resnet18_cifar.py')['model']
    assert differing(std, cifar) == {'backbone'}
    assert cifar['backbone']['type'] == 'mmcls.ResNet_CIFAR'
    r50 = load(base + 'membank_resnet50.py')['model']
    assert differing(std['head'], r50['head']) == {
        'temperature', 'num_negatives', 'loss_consistency'}
    npid = load(base + 'npid_resnet18.py')['model']
    assert differing(std, npid) == {'type', 'neg_num', 'head', 'memory_bank'}

    linear = 'configs/benchmarks/_base_/models/'
    std = load(linear + 'resnet18_linear.py')['model']
    cifar = load(linear + 'resnet18-cifar_linear.py')['model']
    assert differing(std, cifar) == {'backbone'}
    assert differing(std['backbone'], cifar['backbone']) == {
        'type', 'init_cfg'}


def test_npid_schedules_differ_only_in_weight_decay():
    base = 'configs/_base_/schedules/'
    cifar = load(base + 'sgd_steplr-200e_cifar.py')
    in1k = load(base + 'sgd_steplr-200e_in1k.py')
    assert differing(cifar, in1k) == {'optimizer', 'optim_wrapper'}
    assert differing(cifar['optimizer'], in1k['optimizer']) == {
        'weight_decay'}


@pytest.mark.parametrize('rel', RUN_CONFIGS)
def test_schedules_span_the_run(rel):
    cfg = load(rel)
    for cosine in of_type(cfg.get('param_scheduler'), 'CosineAnnealingLR'):
        max_epochs = cfg['train_cfg']['max_epochs']
        # after a warm-up, if any (SimCLR's), down to the last epoch
        assert cosine['end'] == max_epochs
        assert cosine['T_max'] == cosine['end'] - cosine['begin']
    for merge in of_type(cfg.get('custom_hooks'), 'HardNegativeMergeHook'):
        assert merge['start_epoch'] < cfg['train_cfg']['max_epochs']
        assert (merge['final_ratio'], merge['max_group_size'],
                merge['min_similarity']) == (0.1, 4, 0.7)


@pytest.mark.parametrize('rel', [
    'configs/_base_/knn_imagenet.py',
    'configs/membank/membank_resnet18_1xb128x2-coslr-200e_stl10.py'
])
def test_knn_splits_share_one_loader(rel):
    cfg = load(rel)
    train, test = cfg['knn_train_dataloader'], cfg['knn_test_dataloader']
    assert differing(train, test) == {'dataset'}
    assert differing(train['dataset'], test['dataset']) <= {
        'split', 'ann_file', 'data_prefix'}
    assert train['sampler'] == dict(type='DefaultSampler', shuffle=False)
    assert not any('Random' in t['type'] for t in train['dataset']['pipeline'])


def test_knn_monitor_memory_is_the_queries_loader_on_the_train_split():
    cfg = load('configs/_base_/knn_monitor_cifar10.py')
    val, memory = cfg['val_dataloader'], cfg['val_cfg']['memory_dataloader']
    assert differing(val, memory) == {'dataset'}
    assert differing(val['dataset'], memory['dataset']) == {'test_mode'}
    assert memory['dataset']['test_mode'] is False


@pytest.mark.parametrize(
    'rel', [rel for rel in RUN_CONFIGS if '/linear/' in rel])
def test_linear_evaluation_tests_on_the_training_loader(rel):
    cfg = load(rel)
    train, val = cfg['train_dataloader'], cfg['val_dataloader']
    assert cfg['test_dataloader'] == val
    assert differing(train, val) == {'sampler', 'dataset'}
    assert val['sampler']['shuffle'] is False
    assert differing(train['dataset'], val['dataset']) <= {
        'test_mode', 'split', 'ann_file', 'data_prefix', 'pipeline',
        'indices'}
    assert not any('Random' in t['type'] for t in val['dataset']['pipeline'])
