"""tools/benchmarks/retrieval_floors.py on a tiny CIFAR-10: pixel floors
equal Recall@K / NMI computed here, the random network matches a model
built the same way, and user errors end in one line."""
import importlib.util
import json
import os.path as osp

import pytest
import torch

from conftest import REPO, user_error
from mmbank.evaluation.floors import pixel_features
from mmbank.evaluation.functional import retrieval_scores

torch.set_num_threads(1)
STAND_IN = osp.join(REPO, 'configs', 'benchmarks', 'retrieval',
                    'resnet18-std-w32_retrieval_cifar10-5to9.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location(
        'retrieval_floors',
        osp.join(REPO, 'tools', 'benchmarks', 'retrieval_floors.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_floors_of_the_unseen_classes(tool, tiny_cifar10, tmp_path):
    from mmbank.datasets import OfflineCIFAR10
    out = tmp_path / 'floors.json'
    result = tool.main([
        STAND_IN, '--ks', '1', '2', '--out', str(out), '--cfg-options',
        f'test_dataloader.dataset.dataset.data_prefix={tiny_cifar10}'
    ])
    assert set(result) == {'pixels_standardised', 'pixels_centred',
                           'random_backbone', 'random_neck'}
    # the test images of classes 5-9, scored here from the arrays
    ds = OfflineCIFAR10(data_prefix=tiny_cifar10, test_mode=True,
                        pipeline=[])
    keep = [i for i in range(len(ds)) if ds.get_data_info(i)['gt_label'] >= 5]
    assert len(keep) == 5
    images = torch.stack([
        torch.as_tensor(ds.get_data_info(i)['img']).permute(2, 0, 1)
        for i in keep
    ])
    labels = torch.tensor([ds.get_data_info(i)['gt_label'] for i in keep])
    expected = retrieval_scores(pixel_features(images, 'pixels_centred'),
                                labels, (1, 2), seed=0)
    for name, value in expected.items():
        assert result['pixels_centred'][name] == pytest.approx(100 * value)
    assert set(result['random_neck']) == {'recall@1', 'recall@2', 'nmi'}
    with open(out) as f:
        saved = json.load(f)
    assert saved['floors'] == json.loads(json.dumps(result))
    # --no-network: pixels only, the same pixel numbers
    pixels_only = tool.main([
        STAND_IN, '--ks', '1', '2', '--no-network', '--cfg-options',
        f'test_dataloader.dataset.dataset.data_prefix={tiny_cifar10}'
    ])
    assert pixels_only == {k: result[k] for k in ('pixels_standardised',
                                                  'pixels_centred')}


def test_validation_split_scores_the_unseen_training_images(
        tool, tiny_cifar10, tmp_path):
    from mmbank.datasets import OfflineCIFAR10
    out = tmp_path / 'val.json'
    # training images 6-15 stand in for 45,000-49,999
    result = tool.main([
        STAND_IN, '--split', 'val', '--ks', '1', '2', '--no-network',
        '--out', str(out), '--cfg-options',
        f'unseen_val_dataloader.dataset.dataset.data_prefix={tiny_cifar10}',
        'unseen_val_dataloader.dataset.dataset.index_range=(6,16)'
    ])
    ds = OfflineCIFAR10(data_prefix=tiny_cifar10, test_mode=False,
                        pipeline=[])
    keep = [i for i in range(6, 16) if ds.get_data_info(i)['gt_label'] >= 5]
    assert 2 <= len(keep) < 10  # some of the 10, not all
    images = torch.stack([
        torch.as_tensor(ds.get_data_info(i)['img']).permute(2, 0, 1)
        for i in keep
    ])
    labels = torch.tensor([ds.get_data_info(i)['gt_label'] for i in keep])
    expected = retrieval_scores(pixel_features(images, 'pixels_centred'),
                                labels, (1, 2), seed=0)
    for name, value in expected.items():
        assert result['pixels_centred'][name] == pytest.approx(100 * value)
    with open(out) as f:
        assert json.load(f)['split'] == 'val'


def test_user_errors_end_in_one_line(tool, capsys, tmp_path):
    assert user_error(capsys, tool.main, [str(tmp_path / 'nope.py')]) == \
        f'Config not found: {tmp_path / "nope.py"}'
    train_only = osp.join(REPO, 'configs', 'npid',
                          'npid_resnet18-std-w32_1xb128-coslr-75e_cifar10-'
                          '10k.py')
    assert user_error(capsys, tool.main, [train_only]).startswith(
        'The config has no test_dataloader')
