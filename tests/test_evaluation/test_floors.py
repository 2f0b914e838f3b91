"""kNN floors: pixel features by hand, and the tool on the tiny CIFAR-10."""
import importlib.util
import os.path as osp

import pytest
import torch

from conftest import REPO
from mmbank.evaluation.floors import collect_pixels, pixel_features

torch.set_num_threads(1)


def test_pixel_features_centred_by_hand():
    # one image, 2 channels of 1 x 2: mean 4 over all of its values
    x = torch.tensor([[[[1, 3]], [[5, 7]]]], dtype=torch.uint8)
    assert pixel_features(x, 'pixels_centred').tolist() == [[-3, -1, 1, 3]]


def test_pixel_features_standardised_by_hand():
    x = torch.tensor([[[[1, 3]], [[5, 7]]]], dtype=torch.uint8)
    out = pixel_features(x, 'pixels_standardised', mean=(1, 5), std=(2, 4))
    assert out.tolist() == [[0, 1, 0, 0.5]]


def test_pixel_features_refuses_bad_input():
    x = torch.zeros(1, 3, 2, 2)
    with pytest.raises(ValueError, match='mean and std'):
        pixel_features(x, 'pixels_standardised')
    with pytest.raises(ValueError, match='unknown pixel normalisation'):
        pixel_features(x, 'pixels_raw')


def test_collect_pixels_keeps_labels_and_order():
    from mmselfsup.structures import SelfSupDataSample
    from mmengine.structures import LabelData

    def batch(values, labels):
        samples = []
        for label in labels:
            s = SelfSupDataSample()
            s.gt_label = LabelData(value=torch.tensor([label]))
            samples.append(s)
        images = torch.tensor(values, dtype=torch.uint8).view(-1, 1, 1, 2)
        return dict(inputs=[images], data_samples=samples)

    out = collect_pixels([batch([[0, 2], [4, 4]], [3, 1]),
                          batch([[1, 5]], [7])], mean=(0, ), std=(1, ))
    assert out['labels'].tolist() == [3, 1, 7]
    assert out['pixels_centred'].tolist() == [[-1, 1], [0, 0], [-2, 2]]
    assert out['pixels_standardised'].tolist() == [[0, 2], [4, 4], [1, 5]]


def _load_tool():
    spec = importlib.util.spec_from_file_location(
        'knn_floors', osp.join(REPO, 'tools', 'benchmarks', 'knn_floors.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_floors_tool_on_tiny_cifar(tiny_cifar10, tmp_path, monkeypatch):
    """Pixel floors equal a kNN computed here on the same arrays; the
    random network gives both features; the validation split is used."""
    from mmbank.evaluation import eval_dataloaders
    from mmbank.evaluation.functional import knn_accuracy
    from mmbank.datasets import OfflineCIFAR10
    # the tiny set has 16 training images: memory 0-9, validation 10-15
    monkeypatch.setattr(eval_dataloaders, 'CIFAR_VAL_RANGE', (10, 16))
    tool = _load_tool()
    config = osp.join(REPO, 'tests', 'test_evaluation', 'configs',
                      'npid_knn_tiny.py')
    out = tmp_path / 'floors.json'
    result = tool.main([
        config, '--queries', 'val', '--k', '3', '--out', str(out),
        '--cfg-options', f'train_dataloader.dataset.data_prefix={tiny_cifar10}',
        'train_dataloader.dataset.indices=10'
    ])
    assert out.exists()
    assert result['num_memory'] == 10 and result['num_queries'] == 6
    assert set(result['top1']) == {
        'pixels_standardised', 'pixels_centred', 'random_backbone',
        'random_neck'
    }
    ds = OfflineCIFAR10(data_prefix=tiny_cifar10, test_mode=False,
                        pipeline=[])
    images = torch.stack([
        torch.as_tensor(ds.get_data_info(i)['img']).permute(2, 0, 1)
        for i in range(16)
    ])
    labels = torch.tensor([ds.get_data_info(i)['gt_label']
                           for i in range(16)])
    feats = pixel_features(images, 'pixels_centred')
    expected = knn_accuracy(feats[:10], labels[:10], feats[10:],
                            labels[10:], ks=[3], temperature=0.1,
                            topk=(1, ), num_classes=10)[3][1]
    assert result['top1']['pixels_centred'] == pytest.approx(expected)
    assert result['best_pixel_floor'] == max(
        result['top1']['pixels_centred'],
        result['top1']['pixels_standardised'])


def test_trained_results_beside_the_floors(capsys):
    tool = _load_tool()
    knn = dict(num_test=6, accuracy=dict(
        backbone={'3': dict(top1=50.0, top5=90.0)},
        neck={'3': dict(top1=20.0, top5=60.0)}))
    trained = tool.trained_top1(knn, 3)
    assert trained == dict(trained_backbone=50.0, trained_neck=20.0)
    floors = dict(k=3, temperature=0.1, num_memory=10, num_queries=6,
                  queries='val', best_pixel_floor=40.0,
                  top1=dict(pixels_standardised=35.0, pixels_centred=40.0))
    table = tool.format_table(floors, trained)
    assert 'trained network, backbone' in table
    assert '+10.00 over the better pixel floor' in table
    assert '-20.00 over the better pixel floor' in table
    with pytest.raises(ValueError, match='no k = 200'):
        tool.trained_top1(knn, 200)


def test_floors_tool_user_errors_before_any_extraction(tmp_path, capsys):
    """A missing config, a missing --trained file and a --trained result
    without the asked k end the tool with one sentence (exit 2), before
    any image is read."""
    import json

    from conftest import user_error
    tool = _load_tool()
    config = osp.join(REPO, 'tests', 'test_evaluation', 'configs',
                      'npid_knn_tiny.py')
    assert 'not found' in user_error(capsys, tool.main,
                                     [str(tmp_path / 'nope.py')]).lower()
    assert 'nope.json' in user_error(
        capsys, tool.main, [config, '--trained', str(tmp_path / 'nope.json')])
    knn = tmp_path / 'knn.json'
    knn.write_text(json.dumps(dict(num_test=6, accuracy=dict(
        backbone={'20': dict(top1=50.0, top5=90.0)}))))
    assert 'no k = 200' in user_error(capsys, tool.main,
                                      [config, '--trained', str(knn)])
