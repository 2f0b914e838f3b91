"""extract_features on the tests' tiny CIFAR-10 (16 train, 10 test)."""
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmbank  # noqa: F401
from mmbank.evaluation import (FeatureModel, build_feature_model,
                               extract_features, forward_features)

from conftest import cifar_loader as loader  # noqa: I100

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CPU_CONFIG = osp.join(REPO, 'configs', 'membank',
                      'membank_resnet18-std_1xb64x2-coslr-10e_cifar10-5k.py')

torch.set_num_threads(1)  # 2 cores, shared


@pytest.fixture(scope='module')
def model():
    init_default_scope('mmselfsup')
    torch.manual_seed(0)
    return build_feature_model(Config.fromfile(CPU_CONFIG).model)


def test_features_labels_and_order(model, tiny_cifar10):
    data = loader(tiny_cifar10)
    feats = extract_features(model, data, progress=False)
    assert feats['backbone'].shape == (16, 512)
    assert feats['neck'].shape == (16, 128)
    assert torch.allclose(feats['neck'].norm(dim=1), torch.ones(16))
    assert feats['indices'].tolist() == list(range(16))
    assert feats['labels'].tolist() == list(data.dataset.get_gt_labels())

    # the backbone feature is the average-pooled last stage, the neck one
    # the normalised neck output, both of the normalised images
    batch = next(iter(data))
    with torch.no_grad():
        images = model.data_preprocessor(batch)[0][0]
        last = model.backbone(images)[-1]
        expected = F.adaptive_avg_pool2d(last, 1).flatten(1)
        embed = F.normalize(model.neck(model.backbone(images))[0], dim=1)
    assert torch.allclose(feats['backbone'][:5], expected, atol=1e-5)
    assert torch.allclose(feats['neck'][:5], embed, atol=1e-5)


def test_shuffled_batches_come_back_in_dataset_order(model, tiny_cifar10):
    plain = extract_features(model, loader(tiny_cifar10), progress=False)
    shuffled = extract_features(
        model,
        loader(tiny_cifar10, shuffle=True, batch_size=3),
        progress=False)
    assert shuffled['indices'].tolist() == list(range(16))
    assert torch.allclose(plain['backbone'], shuffled['backbone'], atol=1e-5)
    assert torch.equal(plain['labels'], shuffled['labels'])


def test_without_packed_index_or_label(model, tiny_cifar10):
    # labels from the dataset, order from the (non-shuffling) sampler
    data = loader(tiny_cifar10, test_mode=True, keys=())
    feats = extract_features(model, data, progress=False)
    assert feats['labels'].tolist() == list(data.dataset.get_gt_labels())
    assert feats['indices'].tolist() == list(range(10))
    with pytest.raises(ValueError, match='sampler shuffles'):
        extract_features(
            model, loader(tiny_cifar10, keys=(), shuffle=True), progress=False)


def test_backbone_only_and_mode_restored(tiny_cifar10):
    init_default_scope('mmselfsup')
    cfg = Config.fromfile(CPU_CONFIG)
    model = build_feature_model(cfg.model, with_neck=False)
    assert isinstance(model, FeatureModel) and model.neck is None
    model.train()
    feats = extract_features(model, loader(tiny_cifar10), progress=False)
    assert feats['neck'] is None and feats['backbone'].shape == (16, 512)
    assert model.training
    with pytest.raises(ValueError, match='no neck'):
        forward_features(model, next(iter(loader(tiny_cifar10))), True)


def test_empty_split_is_refused(model, tiny_cifar10):
    with pytest.raises(ValueError, match='split is empty'):
        extract_features(
            model, loader(tiny_cifar10, indices=0), progress=False)
