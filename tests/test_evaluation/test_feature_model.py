"""Tests for mmbank/evaluation/feature_model.py."""
import pytest
import torch
from mmengine.registry import init_default_scope

import mmbank  # noqa: F401
from mmbank.evaluation import FeatureModel, build_feature_model

BACKBONE = dict(type='mmcls.ResNet', depth=18, base_channels=8,
                out_indices=(3, ))
NECK = dict(type='mmselfsup.LinearNeck', in_channels=64, out_channels=16,
            with_avg_pool=True)


def algorithm_cfg(**extra):
    return dict(type='mmselfsup.NPID', backbone=BACKBONE, neck=NECK, **extra)


def test_keys_are_the_algorithms_so_its_checkpoints_load():
    init_default_scope('mmselfsup')
    model = build_feature_model(algorithm_cfg())
    assert isinstance(model, FeatureModel) and not model.training
    prefixes = {k.split('.')[0] for k in model.state_dict()}
    assert prefixes == {'backbone', 'neck'}
    # an algorithm's state dict (plus its head/memory) loads without the rest
    state = {k: torch.full_like(v, 0.5) if v.is_floating_point() else v
             for k, v in model.state_dict().items()}
    state['head.loss.weight'] = torch.ones(1)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert missing == [] and unexpected == ['head.loss.weight']
    assert torch.all(model.neck.fc.weight == 0.5)


def test_without_neck_and_default_preprocessor():
    init_default_scope('mmselfsup')
    model = build_feature_model(algorithm_cfg(), with_neck=False)
    assert model.neck is None and not model.with_neck
    assert type(model.data_preprocessor).__name__ == \
        'SelfSupDataPreprocessor'
    out = model([torch.zeros(2, 3, 32, 32)])
    assert len(out) == 1 and out[0].shape == (2, 64, 1, 1)


def test_only_tensor_mode_and_configs_without_backbone_are_refused():
    init_default_scope('mmselfsup')
    model = build_feature_model(algorithm_cfg())
    with pytest.raises(NotImplementedError, match='mode="loss"'):
        model(torch.zeros(1, 3, 32, 32), mode='loss')
    with pytest.raises(KeyError, match='no backbone.*model type MAE'):
        build_feature_model(dict(type='MAE'))
