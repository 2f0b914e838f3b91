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
