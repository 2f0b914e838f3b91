"""The near-duplicate benchmark's bookkeeping (the runs themselves are
experiments, not tests): its runs, the copies' similarity read from a
checkpoint, and its report."""
import json
import math
import os.path as osp
import sys

import pytest
import torch

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..',
                            '.dev_scripts'))
import near_duplicates  # noqa: E402


def test_runs_add_the_copies_and_size_npids_bank():
    runs = near_duplicates.runs(['npid', 'full'], [0.1, 0.3], [0])
    assert [r.name for r in runs] == ['npid-dup10_seed0', 'full-dup10_seed0',
                                      'npid-dup30_seed0', 'full-dup30_seed0']
    npid, full = runs[2], runs[3]
    assert 'near_duplicates.fraction=0.3' in npid.options
    assert 'near_duplicates.jpeg_quality=75' in full.options
    # mmselfsup's SimpleMemory has a fixed length: originals + copies
    assert 'model.memory_bank.length=13000' in npid.options
    assert not any(o.startswith('model.memory_bank') for o in full.options)
    assert npid.meta == dict(method='npid', fraction=0.3)
    for method, (config, _) in near_duplicates.METHODS.items():
        assert osp.exists(osp.join(near_duplicates.REPO, config)), method


def test_merge_variants_set_the_merge_hooks_options():
    from mmengine.config import Config, DictAction
    run = near_duplicates.make_run('full-r50-sim0.9', 0.3)
    assert run.name == 'full-r50-sim0.9-dup30_seed0'
    cfg = Config.fromfile(osp.join(near_duplicates.REPO, run.config))
    cfg.merge_from_dict({
        k: DictAction._parse_iterable(v)
        for k, v in (o.split('=', 1) for o in run.options)
    })
    hooks = [h for h in cfg.custom_hooks
             if h['type'] == 'HardNegativeMergeHook']
    assert len(hooks) == 1
    assert hooks[0]['final_ratio'] == 0.5
    assert hooks[0]['min_similarity'] == 0.9
    assert hooks[0]['start_epoch'] == 38  # the rest as in the config
    assert cfg.near_duplicates.fraction == 0.3
    # the plain method keeps the config's hook and trains from the start
    full = near_duplicates.make_run('full', 0.3)
    assert not any('custom_hooks' in o for o in full.options)
    assert full.branch_from is None
    # the variants resume from the first 35 epochs without merging, with
    # the same copies
    branch = run.branch_from
    assert branch.name == 'nomerge-first35e-dup30_seed0'
    assert branch.config == near_duplicates.METHODS['nomerge'][0]
    assert branch.options == full.options + ['train_cfg.max_epochs=35']
    assert hooks[0]['start_epoch'] > 35


@pytest.mark.parametrize('key, sign', [('head.memory_bank.feats', 1.0),
                                       ('memory_bank.feature_bank', -1.0)])
def test_copy_similarity_from_the_last_checkpoint(tiny_cifar10, tmp_path,
                                                  key, sign):
    """16 originals, 4 copies (fraction 0.25): rows that equal their
    originals' give 100, opposite rows -100."""
    from mmselfsup.registry import DATASETS
    from mmengine.registry import init_default_scope
    init_default_scope('mmselfsup')
    data = DATASETS.build(dict(
        type='NearDuplicates', fraction=0.25, **near_duplicates.COPIES,
        dataset=dict(type='OfflineCIFAR10', data_prefix=tiny_cifar10,
                     test_mode=False, download=False, indices=16,
                     pipeline=[])))
    rows = torch.randn(20, 8)
    for original, copy in data.pairs:
        rows[copy] = sign * 3 * rows[original]  # not normalised
    work = tmp_path / 'full-dup25_seed0'
    work.mkdir()
    torch.save(dict(meta={}, state_dict={key: rows}), work / 'epoch_1.pth')
    (work / 'last_checkpoint').write_text(str(work / 'epoch_1.pth'))
    record = dict(name='full-dup25_seed0', fraction=0.25)
    assert near_duplicates.copy_similarity(
        record, str(tmp_path), tiny_cifar10, 16) == pytest.approx(100 * sign)
    record['config'] = near_duplicates.METHODS['full'][0]  # temperature 0.1
    soft = near_duplicates.copy_softmax(record, str(tmp_path), tiny_cifar10,
                                        16)
    assert soft['temperature'] == 0.1
    if sign > 0:  # the partner's row is the copy's own: equal mass
        assert soft['partner_nearest'] == 1
        assert soft['nll_apart'] - soft['nll_merged'] == \
            pytest.approx(math.log(2), abs=1e-3)
    else:  # opposite rows: the partner is the least similar row
        assert soft['partner_nearest'] == 0
        assert soft['partner_share'] < 1e-6


def test_report_rows_per_fraction_and_method(tmp_path):
    def rec(method, fraction, seed, val, copies=None, purity=None):
        return dict(
            name=near_duplicates.run_name(method, fraction, seed),
            method=method, fraction=fraction, seed=seed,
            curve={'knn/backbone_top1_k200': {'70': 1.0, '75': val},
                   'knn/neck_top1_k200': {'75': val + 1}},
            test_top1=dict(backbone=val - 1, neck=val), merge_copies=copies,
            merge_purity=purity, copy_similarity=90.0 + seed,
            copy_softmax=dict(partner_share=0.1 * (seed + 1),
                              nll_apart=3.0 + seed, nll_merged=2.0))

    recs = [rec('npid', 0.1, 0, 48.0),
            rec('full', 0.1, 0, 52.0,
                copies=dict(merge_copy_precision={'38': 10.0, '75': 40.0},
                            merge_copy_recall={'75': 60.0}),
                purity={'75': 80.0}),
            rec('full', 0.1, 1, 54.0,
                copies=dict(merge_copy_precision={'75': 50.0},
                            merge_copy_recall={'75': 70.0}),
                purity={'75': 82.0})]
    text = near_duplicates.report(recs, str(tmp_path))
    assert (tmp_path / 'README.md').read_text() == text
    body = [[c.strip() for c in r.split('|')[1:-1]]
            for r in text.splitlines() if r.startswith('|')][2:]
    assert [r[:3] for r in body] == [
        ['10%', "mmselfsup's NPID, 32 a step", '1'],
        ['10%', 'method, 32 x 4, merging', '2']]
    assert body[0][3:8] == ['48.00', '49.00', '47.00', '48.00', '-']
    assert body[0][8:11] == ['-', '-', '-']
    assert body[0][12:14] == ['10.00', '3.00 / 2.00']
    # mean ± std over seeds; merge figures at the last merge
    assert body[1][3] == '53.00 ± 1.41'
    assert body[1][8:12] == ['45.00 ± 7.07', '65.00 ± 7.07', '81.00 ± 1.41',
                             '90.50 ± 0.71']
    assert body[1][12:14] == ['15.00 ± 7.07', '3.50 ± 0.71 / 2.00 ± 0.00']
    assert body[1][14] == ('`python .dev_scripts/near_duplicates.py --only '
                           'full --fractions 0.1`')
    json.dumps(recs)  # records stay plain JSON
    # the per-epoch figure beside the table
    png = (tmp_path / 'copies.png').read_bytes()
    assert png[:8] == b'\x89PNG\r\n\x1a\n'
    assert '](copies.png)' in text


def test_plot_draws_each_runs_merge_curves(tmp_path, monkeypatch):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    drawn = {}
    savefig = matplotlib.figure.Figure.savefig

    def keep(fig, path, **kwargs):
        drawn['axes'] = [[(tuple(line.get_xdata()), tuple(line.get_ydata()))
                          for line in ax.get_lines()] for ax in fig.axes]
        return savefig(fig, path, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, 'savefig', keep)
    recs = [dict(method='full', fraction=0.3, seed=0, last_epoch=75,
                 copy_similarity=93.5,
                 merge_copies=dict(merge_copy_precision={'40': 96.0,
                                                         '38': 94.0},
                                   merge_copy_recall={'38': 0.5, '40': 1.6},
                                   copy_pair_similarity={'1': 50.0,
                                                         '2': 60.0})),
            dict(method='npid', fraction=0.3, seed=0, last_epoch=75,
                 copy_similarity=85.9, merge_copies=None)]
    near_duplicates.plot(recs, str(tmp_path / 'p.png'))
    precision, recall, cosine = drawn['axes']
    # epochs in order, one line per merging run
    assert precision == [((38, 40), (94.0, 96.0))]
    assert recall == [((38, 40), (0.5, 1.6))]
    # NPID has no per-epoch cosine: its final value at its last epoch
    assert sorted(cosine) == [((1, 2), (50.0, 60.0)), ((75,), (85.9,))]
    assert (tmp_path / 'p.png').exists()
    plt.close('all')


def test_loss_cells_without_softmax_figures():
    assert near_duplicates.loss_cells([{}, dict(copy_softmax=None)]) == '-'
    assert near_duplicates.loss_cells([
        dict(copy_softmax=dict(nll_apart=2.0, nll_merged=1.0)),
        dict(copy_softmax=None)]) == '2.00 / 1.00'


def test_refresh_merge_figures_from_the_last_checkpoint(tmp_path):
    """A record whose copies' similarity was numbered from epoch 1 though
    the run resumed at 35 gets the checkpoint's epochs; a second refresh
    changes nothing."""
    from mmengine.logging import MessageHub
    work = tmp_path / 'full-r50-dup30_seed0'
    work.mkdir()
    hub = MessageHub('refresh-test')
    for epoch in (36, 37, 38):
        hub.update_scalar('train/copy_pair_similarity', 0.9)
    hub.update_scalar('train/merge_epoch', 38)
    hub.update_scalar('train/merge_same_class', 1.0)
    hub.update_scalar('train/merge_copy_precision', 0.5)
    hub.update_scalar('train/merge_copy_recall', 0.25)
    torch.save(dict(meta=dict(epoch=38), state_dict={},
                    message_hub=hub.state_dict()), work / 'epoch_38.pth')
    (work / 'last_checkpoint').write_text(str(work / 'epoch_38.pth'))
    record = dict(name=work.name, merge_purity={'38': 100.0},
                  merge_copies=dict(copy_pair_similarity={
                      '1': 90.0, '2': 90.0, '3': 90.0}))
    assert near_duplicates.refresh_merge_figures(record, str(tmp_path))
    assert record['merge_copies'] == dict(
        merge_copy_precision={'38': 50.0}, merge_copy_recall={'38': 25.0},
        copy_pair_similarity={'36': 90.0, '37': 90.0, '38': 90.0})
    assert record['merge_purity'] == {'38': 100.0}
    assert not near_duplicates.refresh_merge_figures(record, str(tmp_path))
    # no checkpoint: nothing to re-read, the record is kept
    assert not near_duplicates.refresh_merge_figures(
        dict(name='missing'), str(tmp_path))
