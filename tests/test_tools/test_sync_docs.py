"""sync_docs.py replaces marked blocks with the campaigns' tables."""
import os.path as osp
import sys

import pytest

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..', 'tools',
                            'benchmarks'))
import sync_docs  # noqa: E402


def test_first_table_stops_at_the_first_gap():
    md = 'intro\n\n| a |\n|---|\n| 1 |\n\ntext\n| b |\n'
    assert sync_docs.first_table(md) == '| a |\n|---|\n| 1 |'


def test_whole_report_from_its_first_table():
    md = '# title\n\nintro\n\n| a |\n|---|\n\n**b**:\n\n| b |\n|---|\n'
    assert sync_docs.from_first_table(md) == (
        '| a |\n|---|\n\n**b**:\n\n| b |\n|---|')
    assert sync_docs.from_first_table('no table') == ''


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



def test_headline_keeps_floors_headline_rows_and_margins():
    md = ('# suite\n\n| method | val |\n|---|---|\n'
          '| floor: raw pixels | 38.0 |\n'
          "| mmselfsup's NPID | 44.0 |\n| + 4 views | 46.0 |\n"
          '| full method | 49.0 |\n\n**Margins**:\n\n'
          '| full method minus | backbone |\n|---|---|\n| NPID | +5.0 |\n'
          '\n**Stand-in**\n\n| method | r@1 |\n|---|---|\n| x | 1 |\n')
    assert sync_docs.headline(md).splitlines() == [
        '| method | val |', '|---|---|', '| floor: raw pixels | 38.0 |',
        "| mmselfsup's NPID | 44.0 |", '| full method | 49.0 |', '',
        '| full method minus | backbone |', '|---|---|', '| NPID | +5.0 |']


def test_links_rebased_from_the_report_to_the_document():
    md = ('[config](../../../configs/a.py) [web](https://x.org/a) '
          '[anchor](#results) [png](knn_curves.png)')
    out = sync_docs.rebase_links(md, '/repo/docs/records/cifar_suite',
                                 '/repo')
    assert out == ('[config](configs/a.py) [web](https://x.org/a) '
                   '[anchor](#results) '
                   '[png](docs/records/cifar_suite/knn_curves.png)')
    assert sync_docs.rebase_links(md, '/repo/docs/records/cifar_suite',
                                  '/repo/docs').startswith(
                                      '[config](../configs/a.py)')


def test_headline_labels_are_the_suite_labels():
    import cifar_suite
    labels = {label for *_, label in cifar_suite.RUNS.values()}
    assert set(sync_docs.HEADLINE) <= labels


def test_every_target_document_has_its_blocks():
    """A document that lost a marker would fail only at the next sync."""
    for path, blocks in sync_docs.targets().items():
        with open(path) as f:
            doc = f.read()
        for name in blocks:
            assert f'<!-- {name} -->' in doc and f'<!-- /{name} -->' in doc, (
                path, name)


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
