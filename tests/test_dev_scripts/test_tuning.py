"""The tuning campaign's variants and report (the runs themselves are
benchmarks): every variant's options apply to its config and change what
its name says; the report compares each run with NPID of the same length."""
import argparse
import os.path as osp
import sys

import pytest
from mmengine.config import Config, DictAction

REPO = osp.join(osp.dirname(__file__), '..', '..')
sys.path.insert(0, osp.join(REPO, '.dev_scripts'))
import tuning  # noqa: E402


def resolved(run):
    cfg = Config.fromfile(osp.join(REPO, run.config))
    if run.options:  # parsed as tools/train.py's --cfg-options are
        parser = argparse.ArgumentParser()
        parser.add_argument('--options', nargs='+', action=DictAction)
        cfg.merge_from_dict(
            parser.parse_args(['--options', *run.options]).options)
    return cfg


def merge_hook(cfg):
    hooks = [h for h in cfg.custom_hooks
             if h['type'] == 'HardNegativeMergeHook']
    return hooks[0] if hooks else None


def test_variant_names_are_unique():
    names = [v.name for v in tuning.VARIANTS]
    assert len(names) == len(set(names))


def test_short_variant_scales_schedule_and_merge_start():
    run = tuning.variant('full', 'full', 30)
    cfg = resolved(run)
    assert cfg.train_cfg.max_epochs == 30
    assert cfg.param_scheduler[0]['T_max'] == 30
    assert cfg.param_scheduler[0]['end'] == 30
    assert merge_hook(cfg)['start_epoch'] == 15
    # the protocol's own length changes nothing but the seed
    assert tuning.variant('full').options == []


@pytest.mark.parametrize('name, check', [
    ('k4-75e', lambda c: c.model.data_preprocessor.num_views
     == 4),
    ('lr0.06-75e', lambda c: c.optim_wrapper.optimizer.lr == 0.06),
    ('cons-w2-75e',
     lambda c: c.model.head.loss_consistency['loss_weight'] == 2.0),
    ('cons-t0.2-75e',
     lambda c: c.model.head.loss_consistency['temperature'] == 0.2),
    ('cons-detach-75e',
     lambda c: c.model.head.loss_consistency['detach_target'] is True),
    ('merge-sim0.9-75e', lambda c: merge_hook(c)['min_similarity'] == 0.9),
    ('merge-late-75e', lambda c: merge_hook(c)['start_epoch'] == 56),
    ('views-75e', lambda c: merge_hook(c) is None
     and c.model.head.loss_consistency is None),
    ('vanilla-30e', lambda c: c.model.data_preprocessor
     .num_views == 1 and c.train_cfg.max_epochs == 30),
    ('full-150e', lambda c: c.model.data_preprocessor
     .num_views == 2 and c.param_scheduler[0]['T_max'] == 150
     and merge_hook(c)['start_epoch'] == 75),
    ('k2-b64-150e', lambda c: c.model.data_preprocessor
     .num_views == 2 and c.train_dataloader.batch_size == 64
     and c.param_scheduler[0]['T_max'] == 150
     and merge_hook(c)['start_epoch'] == 75),
    ('k4-b32-75e', lambda c: c.model.data_preprocessor
     .num_views == 4 and c.train_dataloader.batch_size == 32
     and c.train_cfg.max_epochs == 75),
])
def test_variant_changes_what_its_name_says(name, check):
    run = next(v for v in tuning.VARIANTS if v.name == name)
    assert check(resolved(run))


def test_merge_hook_key_is_found_by_type(tmp_path):
    cfg = Config.fromfile(osp.join(REPO, tuning.FULL))
    hook = cfg.custom_hooks[int(tuning.MERGE_HOOK.split('.')[1])]
    assert hook['type'] == 'HardNegativeMergeHook'
    # the same hook in another place of another config is found there
    config = tmp_path / 'reordered.py'
    config.write_text(
        "custom_hooks = [dict(type='HardNegativeMergeHook'), "
        "dict(type='RNGStateHook'), dict(type='MemoryBankSetupHook')]\n")
    assert tuning.hook_key(str(config), 'HardNegativeMergeHook') == \
        'custom_hooks.0'
    with pytest.raises(ValueError, match='0 ChannelsLastHooks'):
        tuning.hook_key(str(config), 'ChannelsLastHook')


def _rec(variant, epochs, val, base='full', options=()):
    return dict(name=f'{variant}-{epochs}e', variant=variant, base=base,
                epochs=epochs, options=list(options), note='',
                curve={'knn/backbone_top1_k200': {'10': 30.0,
                                                  str(epochs): val},
                       'knn/neck_top1_k200': {str(epochs): val + 1}},
                merge_purity={'20': 25.0, str(epochs): 31.5},
                mean_step_seconds=0.5)


def test_report_against_npid_of_the_same_length(tmp_path, monkeypatch):
    pytest.importorskip('matplotlib')
    # NPID of the protocol's length comes from these records only
    monkeypatch.setattr(tuning, 'SEARCH_NPID', str(tmp_path / 'missing'))
    monkeypatch.setattr(
        tuning, 'floors_record', lambda *a: dict(top1=dict(
            pixels_standardised=35.0, pixels_centred=38.5,
            random_backbone=28.0)))
    recs = [_rec('npid', 30, 37.0, base='npid'), _rec('full', 30, 38.0),
            _rec('npid', 75, 44.0, base='npid'),
            _rec('k4', 75, 43.25, options=['a.b=4', 'train_cfg.x=1']),
            dict(_rec('merge-avg', 75, 44.5),
                 branched_from=dict(name='full-first35e',
                                    checkpoint='epoch_35.pth'))]
    tuning.report(recs, str(tmp_path))
    rows = [r for r in (tmp_path / 'README.md').read_text().splitlines()
            if r.startswith('| ')]
    cells = {r.split('|')[1].strip() + r.split('|')[3].strip():
             [c.strip() for c in r.split('|')[1:-1]] for r in rows[1:]}
    full = cells['full30']
    assert full[4:9] == ['38.00', '39.00', '+1.00', '-0.50', '31.5%']
    k4 = cells['k475']
    assert k4[3] == '`a.b=4`'  # schedule options are not repeated
    assert k4[6:8] == ['-0.75', '+4.75']
    assert k4[-1] == ''  # trained from scratch: no branch note
    assert cells['merge-avg75'][-1] == (
        '; epochs 1-35 shared with `full-first35e`')
    assert (tmp_path / 'curves.png').exists()


def test_merge_variants_branch_off_the_full_method_before_merging():
    """The shared first 35 epochs are the full method's: its config without
    the merge hook (which acts from epoch 38), the cosine schedule still
    over 75 epochs, and every branching variant merges after epoch 35."""
    first = resolved(tuning.BEFORE_MERGING)
    full = Config.fromfile(osp.join(REPO, tuning.FULL))
    assert first.train_cfg.max_epochs == tuning.SHARED_EPOCHS == 35
    assert first.param_scheduler == full.param_scheduler
    assert first.param_scheduler[0]['T_max'] == 75
    assert first.custom_hooks == [h for h in full.custom_hooks
                                  if h['type'] != 'HardNegativeMergeHook']
    for key in ('model', 'train_dataloader', 'optim_wrapper', 'randomness'):
        assert first[key] == full[key], key
    branched = [v for v in tuning.VARIANTS if v.branch_from is not None]
    assert {v.name for v in branched} == {
        'merge-ratio0.03-75e', 'merge-late-75e'}
    for run in branched:
        cfg = resolved(run)
        assert run.config == tuning.FULL and cfg.train_cfg.max_epochs == 75
        assert merge_hook(cfg)['start_epoch'] > tuning.SHARED_EPOCHS
    with pytest.raises(ValueError, match='branch'):
        tuning.variant('x', 'vanilla', branch=True)
    with pytest.raises(ValueError, match='branch'):
        tuning.variant('x', merge_start=0.4, branch=True)


def test_records_of_removed_options_are_marked():
    from mmbank.engine.hooks.hard_negative_merge_hook import REMOVED_OPTIONS
    assert set(tuning.REMOVED_OPTIONS) == set(REMOVED_OPTIONS)
    marked = dict(options=[tuning.MERGE + 'mutual=False'])
    assert 'removed' in tuning.removed_note(marked)
    assert tuning.removed_note(
        dict(options=[tuning.MERGE + 'min_similarity=0.9'])) == ''
    assert tuning.removed_note(dict(options=[])) == ''
