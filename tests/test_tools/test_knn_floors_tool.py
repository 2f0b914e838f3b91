"""tools/benchmarks/knn_floors.py on the tiny CIFAR-10: the floors, the
trained result beside them, and user errors."""
import importlib.util
import os.path as osp

import pytest
import torch

from conftest import REPO
from mmbank.evaluation.floors import pixel_features

torch.set_num_threads(1)


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


@pytest.mark.parametrize('content,message', [
    ('[1, 2]', 'not a tools/knn.py --out JSON'),
    ('{"num_test": 6}', 'not a tools/knn.py --out JSON'),
    ('{"accuracy": {"neck": {"200": {"top5": 1}}}}', 'no top-1 of the neck'),
    ('{"accuracy": ', 'is not JSON'),
])
def test_malformed_trained_results_are_a_user_error(tmp_path, capsys,
                                                    content, message):
    from conftest import user_error
    tool = _load_tool()
    config = osp.join(REPO, 'tests', 'test_evaluation', 'configs',
                      'npid_knn_tiny.py')
    knn = tmp_path / 'knn.json'
    knn.write_text(content)
    assert message in user_error(capsys, tool.main,
                                 [config, '--trained', str(knn)])


@pytest.mark.parametrize('option,value', [
    ('--temperature', 'nan'), ('--temperature', 'inf'),
    ('--temperature', '0'), ('--k', '0')])
def test_bad_numbers_are_refused_by_both_knn_tools(capsys, option, value):
    spec = importlib.util.spec_from_file_location(
        'knn_tool_numbers', osp.join(REPO, 'tools', 'knn.py'))
    knn = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(knn)
    floors_argv = ['no/such/config.py', option, value]
    knn_argv = ['no/such/config.py', 'no.pth', option, value]
    for main, argv in ((_load_tool().main, floors_argv),
                       (knn.main, knn_argv)):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        assert f'argument {option}: must be ' in capsys.readouterr().err


def test_a_k_beyond_the_memory_is_printed_as_used():
    tool = _load_tool()
    floors = dict(k=200, k_used=10, temperature=0.1, num_memory=10,
                  num_queries=6, queries='val', best_pixel_floor=40.0,
                  top1=dict(pixels_standardised=35.0, pixels_centred=40.0))
    assert tool.format_table(floors).startswith(
        'kNN floors (k = 200, more than the memory: all 10 images used, '
        'T = 0.1)')
