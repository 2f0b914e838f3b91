"""The accuracy suite's bookkeeping on made-up records (the runs themselves
are benchmarks, not tests): floors first, means and spreads over seeds,
validation and test columns, one command per row."""
import os.path as osp
import sys

import pytest

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..',
                            '.dev_scripts'))
import cifar_suite  # noqa: E402


def cells(row: str) -> list:
    """The stripped cells of a markdown table row."""
    return [c.strip() for c in row.split('|')[1:-1]]


def rows_by_label(table: str) -> dict:
    """``{(first cell, second cell): cells}`` of a markdown table's body."""
    return {tuple(cells(r)[:2]): cells(r)
            for r in table.splitlines()[2:]}


def _rec(run, seed, val, test=None, linear=None, step=0.5):
    return dict(name=f'{run}_seed{seed}', run=run, seed=seed,
                curve={'knn/backbone_top1_k200': {'5': val - 5, '35': val},
                       'knn/neck_top1_k200': {'35': val - 1}},
                test_top1=None if test is None else dict(backbone=test,
                                                         neck=test - 2),
                linear_top1=linear, mean_step_seconds=step)


def test_suite_table(tmp_path, monkeypatch):
    pytest.importorskip('matplotlib')
    floors = dict(val=dict(top1=dict(pixels_standardised=34.0,
                                     pixels_centred=38.0,
                                     random_backbone=32.0,
                                     random_neck=30.0)),
                  test={})
    monkeypatch.setattr(cifar_suite, 'floors_if_present',
                        lambda q: floors[q])
    recs = [_rec('npid', 0, 48.0, test=47.0, linear=40.0),
            _rec('npid', 1, 50.0, test=49.0, linear=42.0),
            _rec('vanilla', 0, 45.0)]
    per_image = [_rec('npid', 0, 40.0, test=39.0)]
    cifar_suite.report(recs, str(tmp_path), per_image=per_image)
    text = (tmp_path / 'README.md').read_text()
    current, old = text.split('## Per-image views')
    table = [cells(r) for r in current.splitlines() if r.startswith('|')]
    assert table[0][:3] == ['method', 'epochs', 'views']
    # floors come first, the validation floors filled, test ones missing
    assert table[2][0] == 'floor: raw pixels, standardised per channel'
    assert table[2][3:7] == ['34.00', '-', '-', '-']
    assert table[3][0] == 'floor: raw pixels, centred per image'
    assert table[4][3:5] == ['32.00', '30.00']  # random net: backbone, emb.
    npid = next(r for r in table if r[0] == "mmselfsup's NPID")
    # mean ± sample std of the last monitor point (epoch 35), test, linear
    assert npid[3:8] == ['49.00 ± 1.41 (n=2)', '48.00 ± 1.41 (n=2)',
                         '48.00 ± 1.41 (n=2)', '46.00 ± 1.41 (n=2)',
                         '41.00 ± 1.41 (n=2)']
    assert npid[-1] == '`python .dev_scripts/cifar_suite.py --only npid`'
    assert npid[-2].startswith('[config](../../../configs/npid/')
    # 0.5 s a step x 78 steps of 128 in 10,000 samples; x 75 epochs
    assert npid[8:10] == ['39.00', '49']
    vanilla = next(r for r in table if r[0].startswith('vanilla bank'))
    assert vanilla[3:8] == ['45.00', '44.00', '-', '-', '-']
    assert (tmp_path / 'knn_curves.png').exists()
    # the per-image records: their own table, reproduced at their commit
    table = [cells(r) for r in old.splitlines() if r.startswith('|')]
    npid = next(r for r in table if r[0] == "mmselfsup's NPID")
    assert npid[3] == '40.00' and npid[5] == '39.00'
    assert npid[-1] == (f'`git checkout {cifar_suite.PER_IMAGE_COMMIT} && '
                        'python .dev_scripts/cifar_suite.py --only npid`')
    assert npid[-2] == ('`npid_resnet18-std-w32_1xb128-coslr-75e_'
                        'cifar10-10k.py`')
    assert not any(r[0].startswith('vanilla bank') for r in table)
    assert (tmp_path / 'per_image' / 'knn_curves.png').exists()


def test_seeded_runs_repeat_and_others_do_not():
    runs = cifar_suite.suite_runs(['npid', 'vanilla'], [0, 1, 2])
    assert [r.name for r in runs] == ['npid_seed0', 'vanilla_seed0',
                                      'npid_seed1', 'npid_seed2']
    assert all(r.seed == int(r.name[-1]) for r in runs)
    assert not any(r.test for r in runs)
    assert all(r.test for r in cifar_suite.suite_runs(['npid'], [0], True))


def test_unseen_stand_in_runs_and_table():
    runs = cifar_suite.suite_runs(['npid', 'full-20k-0to4'], [0, 1],
                                  test=True)
    # the stand-in's runs are seeded and read their validation split
    assert [r.name for r in runs] == ['npid_seed0', 'full-20k-0to4_seed0',
                                      'npid_seed1', 'full-20k-0to4_seed1']
    stand_in = runs[1]
    assert stand_in.retrieval_config == cifar_suite.UNSEEN_RETRIEVAL
    assert stand_in.config.endswith('_cifar10-20k-0to4.py') and stand_in.test
    assert stand_in.val_retrieval and runs[3].seed == 1
    assert runs[0].retrieval_config is None and not runs[0].val_retrieval
    floors = dict(pixels_centred={'recall@1': 55.8, 'recall@8': 92.1,
                                  'nmi': 12.3},
                  random_neck={'recall@1': 41.4, 'recall@8': 88.9,
                               'nmi': 8.0})
    recs = [dict(run='full-20k-0to4', test_retrieval=dict(
        backbone={'recall@1': 60.0, 'recall@8': 95.0, 'nmi': 20.0},
        neck={'recall@1': 58.0, 'recall@8': 94.0, 'nmi': 18.5}))]
    rows = [r for r in cifar_suite.unseen_table(recs, floors).splitlines()
            if r.startswith('|')]
    assert cells(rows[0])[:2] == ['method', 'recall@1, backbone']
    body = [cells(r) for r in rows[2:]]
    assert body[0][:7] == ['floor: raw pixels, centred per image', '55.80',
                           '92.10', '12.30', '-', '-', '-']
    assert body[1][1:7] == ['-', '-', '-', '41.40', '88.90', '8.00']
    assert body[2][1:7] == ['60.00', '95.00', '20.00', '58.00', '94.00',
                            '18.50']
    assert body[2][-1] == ('`python .dev_scripts/cifar_suite.py '
                           '--only full-20k-0to4 --test`')
    # no run of the stand-in: no table
    assert cifar_suite.unseen_table([], floors) == ''


def test_margins_at_equal_epochs_and_compute():
    recs = [_rec('npid', 0, 44.0, test=43.0), _rec('npid', 1, 46.0, test=45.0),
            _rec('full', 0, 50.0, test=49.0), _rec('full', 1, 47.0, test=44.5),
            _rec(f'npid-{cifar_suite.VIEWS}x', 0, 46.5)]
    test = lambda r: cifar_suite.test_top1(r)  # noqa: E731
    m = cifar_suite.margin(recs, 'full', 'npid', test)
    # (49 + 44.5) / 2 - (43 + 45) / 2; 44.5 < 45: the seeds overlap
    assert m == dict(diff=pytest.approx(2.75), apart=False, n=(2, 2))
    val = cifar_suite.margin(recs, 'full', 'npid',
                             cifar_suite.last_monitor_top1)
    assert val == dict(diff=pytest.approx(3.5), apart=True, n=(2, 2))
    # below every seed is apart too: (44 + 46) / 2 - (50 + 47) / 2
    behind = cifar_suite.margin(recs, 'npid', 'full',
                                cifar_suite.last_monitor_top1)
    assert behind == dict(diff=pytest.approx(-3.5), apart=True, n=(2, 2))
    # no test read of the equal-compute run: no margin
    assert cifar_suite.margin(recs, 'full', f'npid-{cifar_suite.VIEWS}x',
                              test) is None
    rows = rows_by_label(cifar_suite.headline(recs))
    assert rows[('NPID, equal epochs', 'val')][2:] == [
        '+3.50 (n=2 vs 2; seeds apart)', '+3.50 (n=2 vs 2; seeds apart)']
    assert rows[('NPID, equal epochs', 'test')][2] == \
        '+2.75 (n=2 vs 2; seeds overlap)'
    assert rows[('NPID, equal compute', 'val')][2] == \
        '+2.00 (n=2 vs 1; seeds apart)'
    # no test read of the equal-compute run, no record of the method at
    # NPID's steps: no row
    assert ('NPID, equal compute', 'test') not in rows
    assert not any(label.startswith('NPID, equal compute and steps')
                   for label, _ in rows)
    steps = recs + [_rec('full-steps', 0, 47.0)]
    rows = rows_by_label(cifar_suite.headline(steps))
    # one seed against one: "apart" would say nothing
    assert rows[('NPID, equal compute and steps (32 x 4 a step)', 'val')][
        2] == '+0.50 (n=1 vs 1; one seed each)'
    # K = 2 at NPID's steps, NPID at 32 samples a step: no records yet
    assert not any('64 x 2' in label or label.startswith('NPID at 32')
                   for label, _ in rows)
    steps.append(_rec('npid-b32', 0, 45.5))
    steps.append(_rec('npid-b32', 1, 46.5))
    rows = rows_by_label(cifar_suite.headline(steps))
    # 47 - (45.5 + 46.5) / 2
    label = 'NPID at 32 a step, equal epochs and steps (32 x 4 a step)'
    assert rows[(label, 'val')][2] == '+1.00 (n=1 vs 2; seeds apart)'


def test_steps_per_epoch_follow_the_config_batch():
    assert cifar_suite.steps_per_epoch(
        dict(config=cifar_suite.RUNS['npid'][0])) == 78
    full_steps = cifar_suite.RUNS['full-steps'][0]
    assert '_1xb32x4-' in full_steps and osp.exists(
        osp.join(osp.dirname(__file__), '..', '..', full_steps))
    assert cifar_suite.steps_per_epoch(dict(config=full_steps)) == 312
    npid_b32 = cifar_suite.RUNS['npid-b32'][0]
    assert osp.exists(osp.join(osp.dirname(__file__), '..', '..', npid_b32))
    assert cifar_suite.steps_per_epoch(dict(config=npid_b32)) == 312


def test_mean_curve_over_the_epochs_every_seed_has():
    recs = [dict(curve={'k': {'10': 30.0, '20': 40.0, '25': 41.0}}),
            dict(curve={'k': {'10': 32.0, '20': 44.0}})]
    assert cifar_suite.mean_curve(recs, 'k') == {10: 31.0, 20: 42.0}


def test_a_finished_run_brings_the_metafile_up_to_its_records(
        tmp_path, monkeypatch):
    import json

    import sync_docs
    records = tmp_path / 'records'
    records.mkdir()
    meta = tmp_path / 'metafile.yml'
    meta.write_text(
        '  - Name: m\n    Results:\n'
        '      - Task: Weighted kNN, test set, mean of 1 seed\n'
        '        Metrics:\n'
        '          Top 1 Accuracy (backbone): 50.0\n')
    for seed, top1 in ((0, 50.0), (1, 52.0)):
        (records / f'run_seed{seed}.json').write_text(
            json.dumps({'test_top1': {'backbone': top1}}))
    monkeypatch.setattr(sync_docs, 'METAFILE_RUNS', {'m': 'run'})
    monkeypatch.setattr(sync_docs, 'SUITE_RECORDS', str(records))
    monkeypatch.setattr(sync_docs, 'METAFILE', str(meta))
    zoo = tmp_path / 'README.md'
    zoo.write_text('# zoo\n<!-- results -->\nold\n<!-- /results -->\n')
    monkeypatch.setattr(sync_docs, 'MODEL_ZOO', str(zoo))
    monkeypatch.setattr(sync_docs, 'zoo_block', lambda: '| new table |')
    monkeypatch.setattr(cifar_suite, 'report', lambda: None)
    commits = []
    monkeypatch.setattr(cifar_suite, 'commit',
                        lambda paths, msg: commits.append((paths, msg)))
    cifar_suite.after_record(dict(name='run_seed1'), do_commit=True)
    assert meta.read_text().splitlines()[2].endswith('mean of 2 seeds')
    assert meta.read_text().splitlines()[4].endswith(': 51.0')
    assert zoo.read_text() == ('# zoo\n<!-- results -->\n| new table |\n'
                               '<!-- /results -->\n')
    assert commits == [([str(zoo), str(meta)],
                        'model zoo: results with run_seed1')]
    # up to date: nothing to commit
    cifar_suite.after_record(dict(name='run_seed1'), do_commit=True)
    assert len(commits) == 1
