"""The accuracy suite's bookkeeping on made-up records (the runs themselves
are benchmarks, not tests): floors first, means and spreads over seeds,
validation and test columns, one command per row."""
import os.path as osp
import sys

import pytest

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..',
                            '.dev_scripts'))
import cifar_suite  # noqa: E402


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
    cifar_suite.report(recs, str(tmp_path))
    rows = (tmp_path / 'README.md').read_text().splitlines()
    table = [r for r in rows if r.startswith('|')]
    # floors come first, the validation floors filled, test ones missing
    assert table[2].startswith('| floor: raw pixels, standardised')
    assert '| 34.00 | - | - | - |' in table[2]
    assert table[3].startswith('| floor: raw pixels, centred per image')
    assert '| 32.00 | 30.00 |' in table[4]  # random net: backbone, embedding
    npid = next(r for r in table if r.startswith("| mmselfsup's NPID |"))
    cells = [c.strip() for c in npid.split('|')[1:-1]]
    # mean ± sample std of the last monitor point (epoch 35), test, linear
    assert cells[3:8] == ['49.00 ± 1.41 (n=2)', '48.00 ± 1.41 (n=2)',
                          '48.00 ± 1.41 (n=2)', '46.00 ± 1.41 (n=2)',
                          '41.00 ± 1.41 (n=2)']
    assert cells[-1] == '`python .dev_scripts/cifar_suite.py --only npid`'
    # 0.5 s a step x 78 steps of 128 in 10,000 samples; x 75 epochs
    assert cells[8:10] == ['39.00', '49']
    vanilla = next(r for r in table if r.startswith('| vanilla bank'))
    assert '| 45.00 | 44.00 | - | - | - |' in vanilla
    assert (tmp_path / 'knn_curves.png').exists()


def test_seeded_runs_repeat_and_others_do_not():
    runs = cifar_suite.suite_runs(['npid', 'vanilla'], [0, 1, 2])
    assert [r.name for r in runs] == ['npid_seed0', 'vanilla_seed0',
                                      'npid_seed1', 'npid_seed2']
    assert all(r.seed == int(r.name[-1]) for r in runs)
    assert not any(r.test for r in runs)
    assert all(r.test for r in cifar_suite.suite_runs(['npid'], [0], True))


def test_unseen_stand_in_runs_and_table():
    runs = cifar_suite.suite_runs(['npid', 'full-0to4'], [0, 1], test=True)
    assert [r.name for r in runs] == ['npid_seed0', 'full-0to4_seed0',
                                      'npid_seed1']
    stand_in = runs[1]
    assert stand_in.retrieval_config == cifar_suite.UNSEEN_RETRIEVAL
    assert stand_in.config.endswith('_cifar10-0to4.py') and stand_in.test
    assert runs[0].retrieval_config is None
    floors = dict(pixels_centred={'recall@1': 55.8, 'recall@8': 92.1,
                                  'nmi': 12.3},
                  random_neck={'recall@1': 41.4, 'recall@8': 88.9,
                               'nmi': 8.0})
    recs = [dict(run='full-0to4', test_retrieval=dict(
        backbone={'recall@1': 60.0, 'recall@8': 95.0, 'nmi': 20.0},
        neck={'recall@1': 58.0, 'recall@8': 94.0, 'nmi': 18.5}))]
    rows = [r for r in cifar_suite.unseen_table(recs, floors).splitlines()
            if r.startswith('|')]
    assert rows[0].startswith('| method | recall@1, backbone |')
    cells = [[c.strip() for c in r.split('|')[1:-1]] for r in rows[2:]]
    assert cells[0][:7] == ['floor: raw pixels, centred per image', '55.80',
                            '92.10', '12.30', '-', '-', '-']
    assert cells[1][1:7] == ['-', '-', '-', '41.40', '88.90', '8.00']
    assert cells[2][1:7] == ['60.00', '95.00', '20.00', '58.00', '94.00',
                             '18.50']
    assert cells[2][-1] == ('`python .dev_scripts/cifar_suite.py '
                            '--only full-0to4 --test`')


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
    rows = cifar_suite.headline(recs).splitlines()
    cells = [[c.strip() for c in r.split('|')[1:-1]] for r in rows[2:]]
    assert cells[0] == ['NPID, equal epochs', 'val',
                        '+3.50 (n=2 vs 2; seeds apart)',
                        '+3.50 (n=2 vs 2; seeds apart)']
    assert cells[1][2] == '+2.75 (n=2 vs 2; seeds overlap)'
    assert cells[2][:3] == ['NPID, equal compute', 'val',
                            '+2.00 (n=2 vs 1; seeds apart)']
    assert cells[3][2:] == ['-', '-']
    # the method at NPID's steps, against NPID at equal compute
    assert cells[4][0].startswith('NPID, equal compute and steps')
    assert cells[4][2] == '-'
    steps = recs + [_rec('full-steps', 0, 47.0)]
    cells = [[c.strip() for c in r.split('|')[1:-1]]
             for r in cifar_suite.headline(steps).splitlines()[2:]]
    # one seed against one: "apart" would say nothing
    assert cells[4][2] == '+0.50 (n=1 vs 1; one seed each)'
    # K = 2 at NPID's steps: no record yet
    assert cells[6][0].startswith('NPID, equal compute and steps (64 x 2')
    assert cells[6][2] == '-'
    # ... and 32 x 4 against NPID at its 32 samples a step (equal epochs)
    assert cells[8][0].startswith('NPID at 32 a step')
    assert cells[8][2] == '-'
    steps.append(_rec('npid-b32', 0, 45.5))
    steps.append(_rec('npid-b32', 1, 46.5))
    cells = [[c.strip() for c in r.split('|')[1:-1]]
             for r in cifar_suite.headline(steps).splitlines()[2:]]
    # 47 - (45.5 + 46.5) / 2
    assert cells[8][2] == '+1.00 (n=1 vs 2; seeds apart)'


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
