"""tools/retrieval.py end to end: the CIFAR-10 stand-in and the CUB config
on tiny data, agreement with tools/test.py's RetrievalMetric, bad input."""
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from conftest import REPO, run_tool

RETRIEVAL = osp.join(REPO, 'configs', 'benchmarks', 'retrieval')
STAND_IN = osp.join(RETRIEVAL, 'resnet18-std_retrieval_cifar10-5to9.py')
CUB = osp.join(RETRIEVAL, 'resnet18_retrieval_cub.py')


def save_checkpoint(config: str, path: str) -> None:
    """A freshly built algorithm's weights, as training would save them."""
    from mmselfsup.registry import MODELS
    cfg = Config.fromfile(config)
    with DefaultScope.overwrite_default_scope('mmselfsup'):
        model = MODELS.build(cfg.model)
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)


@pytest.fixture(scope='module')
def cifar_two_per_class(tmp_path_factory):
    """CIFAR-10 layout, 20 test images (2 per class: 10 of classes 5-9)."""
    from mmcls.datasets.categories import CIFAR10_CATEGORIES

    from mmbank.datasets.converters import write_cifar
    rng = np.random.RandomState(0)
    splits = {}
    for split, num in (('train', 10), ('test', 20)):
        labels = [i % 10 for i in range(num)]
        images = np.stack([
            np.clip(rng.normal(25 * y, 30, (32, 32, 3)), 0,
                    255).astype(np.uint8) for y in labels
        ])
        splits[split] = (images, labels, [f'{i}.png' for i in range(num)])
    root = str(tmp_path_factory.mktemp('cifar_2pc'))
    write_cifar(splits, root, CIFAR10_CATEGORIES, 'cifar10')
    return root


@pytest.fixture(scope='module')
def stand_in_checkpoint(tmp_path_factory):
    path = str(tmp_path_factory.mktemp('ckpt') / 'membank.pth')
    save_checkpoint(STAND_IN, path)
    return path


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location(
        'mmbank_tool_retrieval', osp.join(REPO, 'tools', 'retrieval.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stand_in_end_to_end_agrees_with_the_metric(cifar_two_per_class,
                                                    stand_in_checkpoint,
                                                    tmp_path):
    data = 'test_dataloader.dataset.dataset.data_prefix=' + \
        cifar_two_per_class
    out = str(tmp_path / 'results.json')
    proc = run_tool('tools/retrieval.py', STAND_IN, stand_in_checkpoint,
                    '--ks', '1', '2', '100', '--out', out, '--cfg-options',
                    data)
    assert 'recall@100' in proc.stdout and 'neck' in proc.stdout
    with open(out) as f:
        res = json.load(f)
    assert res['num_images'] == 10 and res['num_classes'] == 5
    assert res['ks'] == [1, 2, 100]
    # the stand-in's test_evaluator asks for the exact search
    assert res['exact'] is True and 'exact search' in proc.stdout
    for key in ('backbone', 'neck'):
        scores = res['results'][key]
        assert set(scores) == {'recall@1', 'recall@2', 'recall@100', 'nmi'}
        assert 0 <= scores['recall@1'] <= scores['recall@2'] <= 100
        # K = 100 > 9 others: every query sees its class's other image
        assert scores['recall@100'] == 100
        assert 0 <= scores['nmi'] <= 100

    # tools/test.py runs the same config through the test loop,
    # MultiViewNPID.predict and RetrievalMetric
    metrics_out = str(tmp_path / 'metrics.json')
    run_tool('tools/test.py', STAND_IN, stand_in_checkpoint, '--work-dir',
             str(tmp_path), '--out', metrics_out, '--cfg-options', data,
             'test_evaluator.ks=[1,2,100]')
    with open(metrics_out) as f:
        metrics = json.load(f)['metrics']
    for key in ('backbone', 'neck'):
        for name, value in res['results'][key].items():
            assert metrics[f'retrieval/{key}/{name}'] == \
                pytest.approx(value, abs=1e-4), (key, name)


def make_cub_images(root):
    """CUB_200_2011 with 2 PNG images for each of 4 classes."""
    import mmcv
    folder = osp.join(root, 'CUB_200_2011')
    rng = np.random.RandomState(0)
    lines, labels = [], []
    for i in range(8):
        cls_id = i // 2 + 1
        rel = f'{cls_id:03d}.Bird/{i}.png'
        img = np.clip(rng.normal(60 * cls_id, 20, (40, 50, 3)), 0, 255)
        os.makedirs(
            osp.join(folder, 'images', osp.dirname(rel)), exist_ok=True)
        mmcv.imwrite(img.astype(np.uint8), osp.join(folder, 'images', rel))
        lines.append(f'{i + 1} {rel}')
        labels.append(f'{i + 1} {cls_id}')
    for name, content in (('images.txt', lines), ('image_class_labels.txt',
                                                  labels)):
        with open(osp.join(folder, name), 'w') as f:
            f.write('\n'.join(content) + '\n')
    return folder


def test_cub_config_end_to_end(tmp_path):
    folder = make_cub_images(str(tmp_path))
    ckpt = str(tmp_path / 'cub.pth')
    save_checkpoint(CUB, ckpt)  # built without the ImageNet download
    out = str(tmp_path / 'cub.json')
    run_tool('tools/retrieval.py', CUB, ckpt, '--out', out, '--batch-size',
             '4', '--num-workers', '0', '--cfg-options',
             f'test_dataloader.dataset.data_root={folder}')
    with open(out) as f:
        res = json.load(f)
    # split='test': classes 3 and 4 of the 4, 2 images each
    assert res['num_images'] == 4 and res['num_classes'] == 2
    assert res['ks'] == [1, 2, 4, 8]  # the config's test_evaluator
    assert res['exact'] is False  # float32 unless asked
    for scores in res['results'].values():
        assert scores['recall@4'] == scores['recall@8'] == 100
    run_tool('tools/retrieval.py', CUB, ckpt, '--exact', '--no-nmi', '--out',
             out, '--batch-size', '4', '--num-workers', '0', '--cfg-options',
             f'test_dataloader.dataset.data_root={folder}')
    with open(out) as f:
        exact = json.load(f)
    assert exact['exact'] is True
    for key, scores in exact['results'].items():
        assert scores['recall@4'] == res['results'][key]['recall@4'] == 100


def test_exact_option_of_the_config_and_flag(tool, monkeypatch):
    assert tool.config_exact(Config(dict(test_evaluator=dict(
        type='RetrievalMetric', exact=True))))
    assert not tool.config_exact(Config(dict(test_evaluator=dict(
        type='RetrievalMetric'))))
    assert not tool.config_exact(Config(dict()))
    seen = []
    monkeypatch.setattr(
        tool, 'retrieval_scores',
        lambda *args, **kwargs: seen.append(kwargs['exact']) or {})
    feats = dict(backbone=torch.randn(4, 3), neck=None,
                 labels=torch.tensor([0, 0, 1, 1]))
    tool.score_features(feats, [1], exact=True)
    tool.score_features(feats, [1])
    assert seen == [True, False]


class TestBadInput:

    def args(self, root, *extra):
        return [
            '--cfg-options',
            f'test_dataloader.dataset.dataset.data_prefix={root}', *extra
        ]

    def test_missing_checkpoint(self, tool, tmp_path):
        with pytest.raises(FileNotFoundError, match='Checkpoint not found'):
            tool.main(['--debug', STAND_IN, str(tmp_path / 'none.pth')])

    def test_wrong_keys(self, tool, cifar_two_per_class, tmp_path):
        from mmbank.evaluation.checkpoint import CheckpointKeyError
        path = str(tmp_path / 'other.pth')
        torch.save(dict(state_dict={'encoder.weight': torch.zeros(2)}), path)
        with pytest.raises(CheckpointKeyError, match='no backbone'):
            tool.main([
                '--debug', STAND_IN, path,
                *self.args(cifar_two_per_class)
            ])
        # a checkpoint of another architecture (the CIFAR stem)
        path = str(tmp_path / 'cifar_stem.pth')
        save_checkpoint(
            osp.join(REPO, 'configs', 'membank',
                     'membank_resnet18_1xb128-steplr-200e_cifar10.py'), path)
        with pytest.raises(CheckpointKeyError, match='backbone'):
            tool.main([
                '--debug', STAND_IN, path,
                *self.args(cifar_two_per_class)
            ])

    def test_crafted_pickle(self, tool, cifar_two_per_class, tmp_path):
        from argparse import Namespace

        from mmbank.utils.upstream_fixes import UnsafeCheckpointError
        path = str(tmp_path / 'evil.pth')
        torch.save(dict(state_dict={}, meta=Namespace(a=1)), path)
        with pytest.raises(UnsafeCheckpointError):
            tool.main([
                '--debug', STAND_IN, path,
                *self.args(cifar_two_per_class)
            ])

    def test_config_without_retrieval_split(self, tool, stand_in_checkpoint):
        config = osp.join(
            REPO, 'configs', 'membank',
            'membank_resnet18-std_1xb64x2-coslr-10e_cifar10-0to4.py')
        with pytest.raises(KeyError, match='no test_dataloader'):
            tool.main(['--debug', config, stand_in_checkpoint])

    def test_empty_or_single_image_split(self, tool, cifar_two_per_class,
                                         stand_in_checkpoint):
        with pytest.raises(ValueError, match='none of the 20 samples'):
            tool.main([
                '--debug',
                STAND_IN, stand_in_checkpoint,
                *self.args(cifar_two_per_class,
                           'test_dataloader.dataset.classes=[42]')
            ])
        # a single image of class 5
        from mmbank.datasets import OfflineCIFAR10
        labels = OfflineCIFAR10(
            data_prefix=cifar_two_per_class, test_mode=True,
            download=False).get_gt_labels().tolist()
        one = f'test_dataloader.dataset.dataset.indices=[{labels.index(5)}]'
        with pytest.raises(ValueError, match='at least 2'):
            tool.main([
                '--debug',
                STAND_IN, stand_in_checkpoint,
                *self.args(cifar_two_per_class,
                           'test_dataloader.dataset.classes=[5]', one)
            ])

    def test_bad_ks(self, tool, stand_in_checkpoint):
        with pytest.raises(SystemExit):
            tool.parse_args([STAND_IN, stand_in_checkpoint, '--ks', '0'])


def test_split_val_reads_the_unseen_classes_validation_images(tool):
    """--split val: the unseen classes' held-out training images (for
    choosing settings), not the test images."""
    cfg = Config.fromfile(
        osp.join(RETRIEVAL, 'resnet18-std-w32_retrieval_cifar10-5to9.py'))
    test = tool.retrieval_dataloader_cfg(cfg)
    val = tool.retrieval_dataloader_cfg(cfg, batch_size=7, split='val')
    assert test['dataset']['dataset']['test_mode'] is True
    assert val['dataset']['dataset']['test_mode'] is False
    assert tuple(val['dataset']['dataset']['index_range']) == (45000, 50000)
    assert val['dataset']['classes'] == test['dataset']['classes'] == \
        [5, 6, 7, 8, 9]
    assert val['batch_size'] == 7
    # a config without that split says so
    with pytest.raises(KeyError, match='no unseen_val_dataloader'):
        tool.retrieval_dataloader_cfg(Config(dict(test_dataloader=test)),
                                      split='val')
