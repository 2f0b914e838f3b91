"""The unseen-category stand-in search: its candidates' resolved training
sets, and the report's margins over the floors of the validation split
(the runs themselves are benchmarks)."""
import os.path as osp
import sys

from mmengine.config import Config, DictAction

sys.path.insert(0, osp.join(osp.dirname(__file__), '..', '..',
                            '.dev_scripts'))
import unseen_search  # noqa: E402


def _resolved(run):
    cfg = Config.fromfile(osp.join(unseen_search.REPO, run.config))
    cfg.merge_from_dict({
        k: DictAction._parse_iterable(v)
        for k, v in (o.split('=', 1) for o in run.options)
    })
    return cfg


def test_candidates_train_on_seen_classes_with_a_bank_of_their_size():
    names = [c.name for c in unseen_search.CANDIDATES]
    assert len(set(names)) == len(names)
    for run in unseen_search.CANDIDATES:
        cfg = _resolved(run)
        subset = cfg.train_dataloader.dataset
        assert subset.type == 'ClassSubset'
        assert list(subset.classes) == [0, 1, 2, 3, 4]
        # never the validation images (45,000-49,999) of the unseen classes
        assert subset.dataset.indices == run.meta['first_n'] <= 45000
        assert cfg.model.memory_bank.length == \
            unseen_search.SEEN_IMAGES[run.meta['first_n']]
        assert cfg.train_dataloader.batch_size == run.meta['batch']
        assert cfg.train_cfg.max_epochs == run.meta['epochs'] == \
            cfg.param_scheduler[0].T_max
        assert run.val_retrieval and not run.test
        assert run.retrieval_config == unseen_search.RETRIEVAL
        assert osp.exists(osp.join(unseen_search.REPO, run.retrieval_config))


def test_report_gives_margins_over_the_best_floor():
    floors = dict(
        pixels_centred={'recall@1': 54.5, 'nmi': 13.8},
        random_backbone={'recall@1': 41.6, 'nmi': 14.0})
    rec = dict(name='npid-0to4-first20k-b128-75e', num_train=10000,
               batch=128, epochs=75, train_minutes=30.2,
               val_retrieval=dict(
                   backbone={'recall@1': 58.0, 'recall@8': 94.0,
                             'nmi': 15.0},
                   neck={'recall@1': 53.0, 'nmi': 12.5}))
    lines = unseen_search.report_text([rec], floors).splitlines()
    rows = [[c.strip() for c in line.split('|')[1:-1]] for line in lines
            if line.startswith('|')]
    header, body = rows[0], rows[2:]
    col = {name: i for i, name in enumerate(header)}
    assert [r[0] for r in body] == [
        'floor: raw pixels, centred per image',
        'floor: randomly initialised network, backbone',
        'npid-0to4-first20k-b128-75e, backbone',
        'npid-0to4-first20k-b128-75e, embedding']
    backbone, neck = body[2], body[3]
    assert backbone[col['steps']] == str(75 * 78)
    assert backbone[col['recall@1']] == '58.00'
    assert backbone[col['recall@2']] == '-'
    # best floors: Recall@1 54.5 (pixels), NMI 14.0 (random network)
    assert backbone[col['R@1 over best floor']] == '+3.50'
    assert backbone[col['NMI over best floor']] == '+1.00'
    assert neck[col['R@1 over best floor']] == '-1.50'
    assert neck[col['NMI over best floor']] == '-1.50'


def test_report_reads_the_runs_beside_the_floors_file(tmp_path, monkeypatch):
    import json
    floors = dict(pixels_centred={'recall@1': 54.5, 'nmi': 13.8})
    (tmp_path / 'floors_val.json').write_text(json.dumps(dict(floors=floors)))
    rec = dict(name='npid-0to4-first20k-b32-75e', num_train=10000, batch=32,
               epochs=75, train_minutes=30.0,
               val_retrieval=dict(backbone={'recall@1': 56.7, 'nmi': 13.5}))
    (tmp_path / f"{rec['name']}.json").write_text(json.dumps(rec))
    monkeypatch.setattr(unseen_search, 'RECORDS', str(tmp_path))
    monkeypatch.setattr(unseen_search, 'FLOORS',
                        str(tmp_path / 'floors_val.json'))
    text = unseen_search.report()
    assert '| npid-0to4-first20k-b32-75e, backbone' in text
    assert '+2.20' in text and '-0.30' in text
    assert (tmp_path / 'README.md').read_text() == text


def test_chosen_stand_in_configs_train_on_the_chosen_candidate_set():
    """cifar_suite's stand-in configs are the search's chosen candidate
    (classes 0-4 of the first 20,000 images, 32 a step), for 75 epochs or,
    the ``-150e`` runs, 150 with the cosine schedule over all of them."""
    import cifar_suite
    (chosen, ) = [c for c in unseen_search.CANDIDATES
                  if c.name == 'npid-0to4-first20k-b32-75e']
    want = _resolved(chosen)
    for name, (config, _) in cifar_suite.UNSEEN_RUNS.items():
        cfg = Config.fromfile(osp.join(unseen_search.REPO, config))
        data = cfg.train_dataloader
        assert data.dataset.to_dict() == want.train_dataloader.dataset.\
            to_dict(), name
        assert data.batch_size == 32
        epochs = 150 if name.endswith('-150e') else 75
        assert cfg.train_cfg.max_epochs == epochs, name
        (cosine, ) = cfg.param_scheduler
        assert (cosine.T_max, cosine.end) == (epochs, epochs), name
        assert cfg.optim_wrapper.optimizer.lr == \
            want.optim_wrapper.optimizer.lr
        hooks = [h['type'] for h in cfg.custom_hooks]
        assert ('HardNegativeMergeHook' in hooks) == name.startswith('full')
    npid = Config.fromfile(osp.join(unseen_search.REPO,
                                    cifar_suite.UNSEEN_RUNS[
                                        'npid-20k-0to4'][0]))
    assert npid.model == want.model


def test_npid_150e_config_resolves_to_the_search_candidate():
    """The stand-in's 150-epoch NPID config trains exactly what the search's
    ``npid-0to4-first20k-b32-150e`` trained (its work directory is reused
    as the suite's seed 0): every key equal but the base's unused top-level
    ``max_epochs``."""
    import cifar_suite
    (searched, ) = [c for c in unseen_search.CANDIDATES
                    if c.name == 'npid-0to4-first20k-b32-150e']
    want = _resolved(searched).to_dict()
    got = Config.fromfile(osp.join(
        unseen_search.REPO,
        cifar_suite.UNSEEN_RUNS['npid-20k-0to4-150e'][0])).to_dict()
    assert (want.pop('max_epochs'), got.pop('max_epochs')) == (75, 150)
    assert got == want
