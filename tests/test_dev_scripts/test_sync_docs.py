"""sync_docs.py keeps the model zoo (its results table and metafile.yml)
equal to the CPU suite's records."""
import os.path as osp
import sys

import pytest

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..',
                            '.dev_scripts'))
import sync_docs  # noqa: E402


def test_sync_replaces_only_the_marked_block():
    doc = ('head\n<!-- tuning -->\n| old |\n<!-- /tuning -->\ntail\n'
           '<!-- search -->\n| keep |\n<!-- /search -->\n')
    out = sync_docs.sync(doc, {'tuning': '| new |\n|---|'})
    assert out == ('head\n<!-- tuning -->\n| new |\n|---|\n'
                   '<!-- /tuning -->\ntail\n'
                   '<!-- search -->\n| keep |\n<!-- /search -->\n')
    assert sync_docs.sync(out, {'tuning': '| new |\n|---|'}) == out


def test_missing_marker_is_an_error():
    with pytest.raises(ValueError, match='no <!-- tuning -->'):
        sync_docs.sync('no markers here', {'tuning': '| x |'})


def test_step_shape_from_the_config_name():
    assert sync_docs.step_shape(
        'configs/membank/membank_resnet18-std-w32_1xb32x4-coslr-75e_'
        'cifar10-10k.py') == (75, '32 x 4')
    assert sync_docs.step_shape(
        'configs/npid/npid_resnet18-std-w32_1xb128-coslr-300e_cifar10-'
        '10k.py') == (300, '128 x 1')


def test_zoo_table_rows_from_the_records():
    records = {('a', 'test_top1', 'backbone'): [50.0, 52.0],
               ('a', 'test_top1', 'neck'): [55.0, 55.0],
               ('a', 'linear_top1', None): [41.0],  # one seed of two
               ('a', 'mean_step_seconds', None): [0.5, 0.7],
               ('b', 'test_top1', 'backbone'): [],
               ('c', 'test_top1', 'backbone'): [44.0],
               ('c', 'test_top1', 'neck'): [],
               ('c', 'linear_top1', None): [],
               ('c', 'mean_step_seconds', None): []}

    def values(run, key, part=None):
        return records[(run, key, part)]

    rows = (('m', 'a', 'configs/membank/m_r18_1xb32x4-coslr-75e_c10.py'),
            ('n', 'b', 'configs/npid/n_r18_1xb32-coslr-75e_c10.py'),
            ('n', 'c', 'configs/npid/n_r18_1xb128-coslr-300e_c10.py'))
    out = sync_docs.zoo_table(rows, values, floors=dict(
        pixels_centred=39.35, pixels_standardised=35.6,
        random_backbone=28.03, random_neck=28.23)).splitlines()
    assert 'centred per image 39.35' in out[0]
    assert '--queries test --exact' in out[0]
    assert [c.strip() for c in out[2].split('|')[1:3]] == ['method',
                                                          'config']
    # run b has no record: no row
    assert len(out) == 6
    cells = [c.strip() for c in out[4].split('|')[1:-1]]
    # mean and sample std over seeds; 312 steps of 0.6 s an epoch, 75 epochs
    assert cells == [
        'm', '[m_r18_1xb32x4-coslr-75e_c10](m_r18_1xb32x4-coslr-75e_c10.py)',
        '75', '32 x 4', '51.00 ± 1.41', '55.00 ± 0.00', '41.00 (n=1)', '2',
        '234',
        '[`a`](../../docs/records/cifar_suite/a_seed0.json)']
    cells = [c.strip() for c in out[5].split('|')[1:-1]]
    assert cells[1].endswith('(../npid/n_r18_1xb128-coslr-300e_c10.py)')
    assert cells[2:9] == ['300', '128 x 1', '44.00', '-', '-', '1', '-']


def test_zoo_runs_are_the_suite_runs():
    """Each zoo row reads the records of a suite run of the same epochs,
    views and samples a step, and every metafile result has its row."""
    import cifar_suite
    from mmengine.config import Config
    for _, run, config in sync_docs.ZOO_RUNS:
        suite_config, epochs, views, _, _ = cifar_suite.RUNS[run]
        assert sync_docs.step_shape(config) == sync_docs.step_shape(
            suite_config) == (epochs, sync_docs.step_shape(config)[1])
        if config != suite_config:  # the same resolved config
            assert (Config.fromfile(osp.join(sync_docs.REPO, config))
                    .pretty_text == Config.fromfile(
                        osp.join(sync_docs.REPO, suite_config)).pretty_text)
    zoo = {(run, osp.splitext(osp.basename(config))[0])
           for _, run, config in sync_docs.ZOO_RUNS +
           sync_docs.PER_IMAGE_ZOO_RUNS}
    # the unseen-category stand-in has no kNN row: its suite run trains
    # the metafile model's config
    unseen = {(run, osp.splitext(osp.basename(entry[0]))[0])
              for run, entry in cifar_suite.UNSEEN_RUNS.items()}
    assert {(run, name)
            for name, run in sync_docs.METAFILE_RUNS.items()} <= zoo | unseen
    assert ('full-20k-0to4-150e',
            'membank_resnet18-std-w32_1xb32x4-coslr-150e_cifar10-20k-0to4'
            ) in unseen


def test_model_zoo_is_up_to_date_with_the_records(capsys):
    """The published table is the records' (python
    .dev_scripts/sync_docs.py rewrites it after a new record)."""
    assert sync_docs.main(['--check']) == 0, capsys.readouterr().out


def test_missing_zoo_block_is_an_error():
    with open(sync_docs.MODEL_ZOO) as f:
        doc = f.read()
    assert '<!-- results -->' in doc and '<!-- /results -->' in doc
    with pytest.raises(ValueError, match='no <!-- results -->'):
        sync_docs.sync(doc.replace('<!-- results -->', ''),
                       {'results': sync_docs.zoo_block()})

META = """Models:
  - Name: a
    # a comment that stays
    Results:
      - Task: Weighted kNN (k=200, T=0.1), test set, mean of 1 seed
        Metrics:
          Top 1 Accuracy (backbone): 50.0
          Top 1 Accuracy (embedding): 51.0
      - Task: Linear Classification (frozen backbone), test set, mean of 2 seeds
        Metrics:
          Top 1 Accuracy: 40.0
  - Name: b
    Results:
      - Task: Weighted kNN (k=200, T=0.1), test set, mean of 1 seed
        Metrics:
          Top 1 Accuracy (backbone): 12.0
"""


def test_metafile_results_follow_the_records():
    records = {('run-a', 'test_top1', 'backbone'): [50.5, 51.0],
               ('run-a', 'test_top1', 'neck'): [54.9, 55.3],
               ('run-a', 'test_top1', None): [{}, {}],
               ('run-a', 'linear_top1', None): [41.0]}

    def values(run, key, part=None):
        return records[(run, key, part)]

    out = sync_docs.sync_metafile(META, runs={'a': 'run-a'}, values=values)
    lines = out.splitlines()
    assert lines[2] == '    # a comment that stays'
    assert lines[4].endswith('test set, mean of 2 seeds')
    # (50.5 + 51.0) / 2 and (54.9 + 55.3) / 2
    assert lines[6] == '          Top 1 Accuracy (backbone): 50.75'
    assert lines[7] == '          Top 1 Accuracy (embedding): 55.1'
    assert lines[8].endswith('test set, mean of 1 seed')
    assert lines[10] == '          Top 1 Accuracy: 41.0'
    # model b is not a suite model: untouched
    assert lines[11:] == META.splitlines()[11:]
    assert sync_docs.sync_metafile(out, runs={'a': 'run-a'},
                                   values=values) == out
    # a kNN task's metric must name its part
    bad = META.replace('Top 1 Accuracy (embedding)', 'Top 1 Accuracy')
    with pytest.raises(ValueError, match='not a metric of test_top1'):
        sync_docs.sync_metafile(bad, runs={'a': 'run-a'}, values=values)
    with pytest.raises(ValueError, match="suite run 'run-b'"):
        sync_docs.sync_metafile(META, runs={'b': 'run-b'},
                                values=lambda run, key, part=None: [])


def test_suite_values_in_seed_order_without_missing(tmp_path):
    import json
    for seed, rec in ((1, {'test_top1': {'backbone': 2.0}}),
                      (0, {'test_top1': {'backbone': 1.0}}),
                      (2, {'test_top1': None})):
        (tmp_path / f'x_seed{seed}.json').write_text(json.dumps(rec))
    (tmp_path / 'xy_seed0.json').write_text(
        json.dumps({'test_top1': {'backbone': 9.0}}))
    assert sync_docs.suite_values('x', 'test_top1', 'backbone',
                                  records=str(tmp_path)) == [1.0, 2.0]


RETRIEVAL_META = """Models:
  - Name: c
    Results:
      - Task: Image Retrieval (tools/retrieval.py), test set, mean of 1 seed
        Dataset: CIFAR-10 test images: classes 5-9
        Metrics:
          Recall@1 (backbone): 0
          NMI (embedding): 0
"""


def test_metafile_retrieval_results_follow_the_records(tmp_path):
    import json
    for seed, (r1, nmi) in enumerate(((60.0, 20.0), (61.5, 23.0))):
        rec = {'test_retrieval': {'backbone': {'recall@1': r1, 'nmi': 1.0},
                                  'neck': {'recall@1': 1.0, 'nmi': nmi}}}
        (tmp_path / f'run-c_seed{seed}.json').write_text(json.dumps(rec))

    def values(run, key, part=None):
        return sync_docs.suite_values(run, key, part, records=str(tmp_path))

    out = sync_docs.sync_metafile(RETRIEVAL_META, runs={'c': 'run-c'},
                                  values=values).splitlines()
    assert out[3].endswith('test set, mean of 2 seeds')
    # the Dataset line has a colon but is not a metric: kept
    assert out[4] == '        Dataset: CIFAR-10 test images: classes 5-9'
    assert out[6] == '          Recall@1 (backbone): 60.75'  # (60 + 61.5)/2
    assert out[7] == '          NMI (embedding): 21.5'  # (20 + 23) / 2
    # a kNN metric under a retrieval task is an error
    bad = RETRIEVAL_META.replace('NMI (embedding)',
                                 'Top 1 Accuracy (backbone)')
    with pytest.raises(ValueError, match='not a metric of test_retrieval'):
        sync_docs.sync_metafile(bad, runs={'c': 'run-c'}, values=values)
