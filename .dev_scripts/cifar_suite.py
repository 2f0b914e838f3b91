"""The CPU accuracy suite on real CIFAR-10: mmselfsup's NPID against the
mmbank method, component by component, beside the floors.

Runs (configs of the CPU protocol, see ``RUNS``): ``npid`` (mmselfsup's own
NPID), ``npid-4x`` (NPID with K = 4 times the epochs: as many images
through the network as the 4-view runs, i.e. equal compute), ``vanilla`` /
``views`` / ``consistency`` / ``merge`` (configs/ablations/), ``full`` (the
full method), ``full-steps`` (the full method with 128 / K samples x K
views a step: the steps and images of ``npid-4x``), ``full-k2-steps``
(K = 2 views of 64 samples for 2x the epochs: the same), ``npid-b32`` (NPID
at full-steps' 32 samples a step, its equal-epochs baseline) and the
unseen-category stand-in ``npid-20k-0to4`` / ``nomerge-20k-0to4`` /
``full-20k-0to4`` (trained on the 10,000 images of classes 0-4 among the
first 20,000, the setting chosen by .dev_scripts/unseen_search.py; seeded;
Recall@K and NMI among the validation images of classes 5-9 after training;
``--test`` reads Recall@K and NMI among the test
images of classes 5-9 with tools/retrieval.py, beside the retrieval floors
of tools/benchmarks/retrieval_floors.py). ``--seeds`` applies to the seeded
runs (``npid``, ``full``, the stand-in's); the others run with the first seed.

Every run trains with the kNN monitor on the validation queries (training
images 45,000-49,999, never in the training subset), two runs side by side
with one thread each, through .dev_scripts/campaign.py: a finished run
(its record in ``docs/records/cifar_suite/``) is skipped, an interrupted
one resumed from its last checkpoint, and with ``--commit`` each record is
committed as it finishes. ``--test`` is the final read, once per chosen
setting: tools/knn.py of each run's last checkpoint on the 10,000 test
images, and the linear probe of the NPID / full-method pairs
(``LINEAR_RUNS``).

The report (``README.md`` and ``knn_curves.png`` beside the records)
shows every run beside the floors of the same memory and queries (raw
pixels standardised / centred, randomly initialised network:
tools/benchmarks/knn_floors.py); it is the one table of every run. The
model zoo (configs/membank/README.md, metafile.yml) shows the method's
configs and NPID from the same records (.dev_scripts/sync_docs.py).

Usage:
    python .dev_scripts/cifar_suite.py [--seeds 0 1 2] [--only npid ...]
        [--test] [--parallel 2] [--work-dir DIR] [--commit] [--report-only]
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from campaign import (REPO, Run, _run, commit, floors_record,  # noqa: E402
                      last_checkpoint, last_monitor_top1, read_records, run_campaign,
                      scalar_records)
from campaign import steps_per_epoch as campaign_steps_per_epoch  # noqa: E402
from campaign import markdown_table  # noqa: E402
from sync_docs import PER_IMAGE, PER_IMAGE_COMMIT  # noqa: E402

RECORDS = osp.join(REPO, 'docs', 'records', 'cifar_suite')
# the records of the runs made with per-image views (sync_docs.py)
PER_IMAGE_RECORDS = osp.join(RECORDS, PER_IMAGE)
FLOORS = osp.join(REPO, 'docs', 'records', 'floors')  # see campaign.py
COMMAND = 'python .dev_scripts/cifar_suite.py'
FROM_RECORDS = '../../../'  # links in the report: from RECORDS to the repo

# the CPU protocol (docs/results.md, "Protocol search")
NUM_TRAIN = 10000
ARCH = 'std-w32'  # floors records: npid-<ARCH>_cifar10-10k_<queries>.json
BATCH = 128
EPOCHS = 75
ABL = ('configs/ablations/membank-{}_resnet18-std-w32_1xb128x{}-coslr-'
       f'{EPOCHS}e_cifar10-{NUM_TRAIN // 1000}k.py')
NPID = ('configs/npid/npid_resnet18-std-w32_1xb128-coslr-{}e_cifar10-'
        f'{NUM_TRAIN // 1000}k.py')
VIEWS = 4  # K, chosen on the validation split (docs/results.md, "Tuning")
# name: (config, epochs, views, seeded, label), in table order
RUNS = {
    'npid': (NPID.format(EPOCHS), EPOCHS, 1, True, "mmselfsup's NPID"),
    'full': (ABL.format('full', VIEWS), EPOCHS, VIEWS, True, 'full method'),
    'vanilla': (ABL.format('vanilla', 1), EPOCHS, 1, False,
                'vanilla bank (K=1, full softmax)'),
    'views': (ABL.format('views', VIEWS), EPOCHS, VIEWS, False,
              f'+ {VIEWS} views'),
    'consistency': (ABL.format('consistency', VIEWS), EPOCHS, VIEWS, False,
                    f'+ {VIEWS} views + consistency'),
    'merge': (ABL.format('merge', 1), EPOCHS, 1, False, '+ merging (K=1)'),
    f'npid-{VIEWS}x': (NPID.format(VIEWS * EPOCHS), VIEWS * EPOCHS, 1, False,
                       f"mmselfsup's NPID, {VIEWS}x epochs (equal compute)"),
    # NPID at full-steps' samples a step: four times the steps of 'npid' in
    # about 1.1x its minutes; the protocol search's best margin over the
    # pixel floors (docs/results.md, "Protocol search")
    'npid-b32': (f'configs/npid/npid_resnet18-std-w32_1xb{BATCH // VIEWS}-'
                 f'coslr-{EPOCHS}e_cifar10-{NUM_TRAIN // 1000}k.py', EPOCHS,
                 1, False, f"mmselfsup's NPID, {BATCH // VIEWS} samples a "
                 'step'),
    # 128 / K samples x K views a step: the images of 'full' in K times its
    # steps, i.e. the steps and images of NPID for K x the epochs
    'full-steps': (f'configs/membank/membank_resnet18-std-w32_1xb'
                   f'{BATCH // VIEWS}x{VIEWS}-coslr-{EPOCHS}e_cifar10-'
                   f'{NUM_TRAIN // 1000}k.py', EPOCHS, VIEWS, False,
                   f'full method, {BATCH // VIEWS} samples x {VIEWS} views '
                   f'a step (the steps of NPID, {VIEWS}x epochs)'),
    # K = 2 views of 64 samples for twice the epochs: the steps and images
    # of NPID for 4x the epochs too, the best equal-compute setting on
    # validation (tuning.py --only k2-b64-150e; the same resolved config)
    'full-k2-steps': ('configs/membank/membank_resnet18-std-w32_1xb64x2-'
                      f'coslr-{2 * EPOCHS}e_cifar10-{NUM_TRAIN // 1000}k.py',
                      2 * EPOCHS, 2, False,
                      f'full method, 64 samples x 2 views a step, '
                      f'{2 * EPOCHS} epochs (the steps of NPID, 4x epochs)'),
}
# the unseen-category stand-in (configs/_base_/unseen_cifar10.py): trained
# on classes 0-4, read once by tools/retrieval.py among the test images of
# classes 5-9; name: (config, label)
UNSEEN_RETRIEVAL = ('configs/benchmarks/retrieval/resnet18-std-w32_'
                    'retrieval_cifar10-5to9.py')
#: the stand-in chosen on validation (.dev_scripts/unseen_search.py): the
#: 10,000 images of classes 0-4 among the first 20,000, 32 samples a step,
#: 75 epochs; seeded (every --seeds seed), validation read after training
UNSEEN_RUNS = {
    'npid-20k-0to4': ('configs/npid/npid_resnet18-std-w32_1xb32-coslr-75e_'
                      'cifar10-20k-0to4.py', "mmselfsup's NPID, 32 a step"),
    'nomerge-20k-0to4': ('configs/ablations/membank-consistency_resnet18-'
                         'std-w32_1xb32x4-coslr-75e_cifar10-20k-0to4.py',
                         'method, 32 x 4, no merging'),
    'full-20k-0to4': ('configs/membank/membank_resnet18-std-w32_1xb32x4-'
                      'coslr-75e_cifar10-20k-0to4.py',
                      'full method, 32 x 4'),
    # 150 epochs: NPID's 75-epoch seeds straddled the pixel floor on
    # validation, its 150-epoch seed 0 ended 4.8 points above it
    # (unseen_search.py, npid-0to4-first20k-b32-150e)
    'npid-20k-0to4-150e': ('configs/npid/npid_resnet18-std-w32_1xb32-'
                           'coslr-150e_cifar10-20k-0to4.py',
                           "mmselfsup's NPID, 32 a step, 150 epochs"),
    'nomerge-20k-0to4-150e': ('configs/ablations/membank-consistency_'
                              'resnet18-std-w32_1xb32x4-coslr-150e_'
                              'cifar10-20k-0to4.py',
                              'method, 32 x 4, no merging, 150 epochs'),
    'full-20k-0to4-150e': ('configs/membank/membank_resnet18-std-w32_'
                           '1xb32x4-coslr-150e_cifar10-20k-0to4.py',
                           'full method, 32 x 4, 150 epochs'),
}
UNSEEN_FLOORS = osp.join(FLOORS, 'retrieval_cifar10-5to9.json')
LINEAR = ('configs/benchmarks/linear/resnet18_linear-1xb256-coslr-10e_'
          f'cifar10-{NUM_TRAIN // 1000}k.py')
# the seeded comparison at 128 samples a step and the protocol's at 32
LINEAR_RUNS = ('npid', 'full', 'npid-b32', 'full-steps')
FLOOR_LABELS = {
    'pixels_standardised': 'floor: raw pixels, standardised per channel',
    'pixels_centred': 'floor: raw pixels, centred per image',
    'random_backbone': 'floor: randomly initialised network',
}


def suite_runs(names, seeds, test=False):
    """The :class:`Run` s of ``names``: seeded ones for every seed, the
    others for the first seed."""
    runs = []
    for i, seed in enumerate(seeds):
        for name in names:
            if name in UNSEEN_RUNS:
                runs.append(Run(f'{name}_seed{seed}', UNSEEN_RUNS[name][0],
                                seed=seed, test=test, meta=dict(run=name),
                                retrieval_config=UNSEEN_RETRIEVAL,
                                val_retrieval=True))
                continue
            config, epochs, views, seeded, _ = RUNS[name]
            if i > 0 and not seeded:
                continue
            runs.append(Run(f'{name}_seed{seed}', config, seed=seed,
                            test=test, meta=dict(run=name, epochs=epochs,
                                                 views=views)))
    return runs


def linear_probe(record: dict, work_root: str, do_commit: bool = False,
                 records_dir: str = RECORDS) -> float:
    """Linear top-1 (test set) of a run's last checkpoint; cached in the
    record as ``linear_top1`` (committed with ``do_commit``)."""
    if record.get('linear_top1') is not None:
        return record['linear_top1']
    work = osp.join(work_root, record['name'])
    linear_work = osp.join(work, 'linear')
    _run([
        'tools/train.py', LINEAR, '--work-dir', linear_work,
        '--cfg-options',
        f'model.backbone.init_cfg.checkpoint={last_checkpoint(work)}',
        f'randomness.seed={record["seed"]}'
    ], osp.join(work, 'linear.out'), {})
    top1s = [r['accuracy/top1'] for r in scalar_records(linear_work)
             if 'accuracy/top1' in r]
    if not top1s:
        raise RuntimeError(f'no accuracy/top1 in {linear_work}')
    record['linear_top1'] = top1s[-1]
    path = osp.join(records_dir, f"{record['name']}.json")
    with open(path, 'w') as f:
        json.dump(record, f, indent=2)
    if do_commit:
        commit([path], f"campaign record: {record['name']} linear probe")
    return record['linear_top1']


def floors(queries: str) -> dict:
    """The floors of the protocol's memory for ``queries`` (computed with
    knn_floors.py once and kept in docs/records/floors/)."""
    path = osp.join(FLOORS, f'npid-{ARCH}_cifar10-{NUM_TRAIN // 1000}k_'
                    f'{queries}.json')
    if not osp.exists(path):
        _run([
            'tools/benchmarks/knn_floors.py', RUNS['npid'][0], '--queries',
            queries, '--exact', '--out', path
        ], osp.join(FLOORS, 'knn_floors.out'), {})
    with open(path) as f:
        return json.load(f)


def test_top1(rec, part='backbone'):
    return (rec.get('test_top1') or {}).get(part)


def fmt(values, missing='-'):
    values = [v for v in values if v is not None]
    if not values:
        return missing
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return (f'{statistics.mean(values):.2f} ± '
            f'{statistics.stdev(values):.2f} (n={len(values)})')


def margin(recs, run, baseline, value):
    """The mean of ``value(record)`` over ``run``'s records minus that over
    ``baseline``'s, and whether the two seed sets are apart (every seed of
    ``run`` above every seed of ``baseline``, or every one below); None
    when either has no value."""
    a = [v for v in (value(r) for r in recs if r.get('run') == run)
         if v is not None]
    b = [v for v in (value(r) for r in recs if r.get('run') == baseline)
         if v is not None]
    if not a or not b:
        return None
    return dict(diff=statistics.mean(a) - statistics.mean(b),
                apart=min(a) > max(b) or max(a) < min(b),
                n=(len(a), len(b)))


def headline(recs) -> str:
    """The full method against NPID at equal epochs and at equal compute
    (``npid-{VIEWS}x``), and its ``full-steps`` variant against the latter
    (same images and steps), kNN top-1 of the backbone and the embedding on
    the validation and (where read) test queries."""
    reads = {
        'val': lambda part: (lambda r: last_monitor_top1(r, part)),
        'test': lambda part: (lambda r: test_top1(r, part)),
    }
    rows = []
    for run, baseline, label in (
            ('full', 'npid', 'NPID, equal epochs'),
            ('full', f'npid-{VIEWS}x', 'NPID, equal compute'),
            ('full-steps', f'npid-{VIEWS}x',
             f'NPID, equal compute and steps ({BATCH // VIEWS} x {VIEWS} '
             'a step)'),
            ('full-k2-steps', f'npid-{VIEWS}x',
             'NPID, equal compute and steps (64 x 2 a step, '
             f'{2 * EPOCHS} epochs)'),
            ('full-steps', 'npid-b32',
             f'NPID at {BATCH // VIEWS} a step, equal epochs and steps '
             f'({BATCH // VIEWS} x {VIEWS} a step)')):
        for queries, read in reads.items():
            cells = []
            for part in ('backbone', 'neck'):
                m = margin(recs, run, baseline, read(part))
                if m is None:
                    cells.append('-')
                    continue
                spread = ('one seed each' if m['n'] == (1, 1) else
                          'seeds apart' if m['apart'] else 'seeds overlap')
                cells.append(f"{m['diff']:+.2f} (n={m['n'][0]} vs "
                             f"{m['n'][1]}; {spread})")
            if any(cell != '-' for cell in cells):
                rows.append([label, queries, *cells])
    return markdown_table(
        ['full method minus', 'queries', 'backbone', 'embedding'], rows)


def runs_table(recs, fl, commit=None) -> str:
    """The floors (``fl``: the floors records of the validation and test
    queries), then one row per run of ``RUNS`` with records (mean ± std
    over seeds): validation and (where read) test kNN top-1, the linear
    probe and the time. With ``commit``, the records were made with that
    commit's configs: the command checks it out first."""
    header = ['method', 'epochs', 'views', 'kNN val, backbone',
              'kNN val, embedding', 'kNN test, backbone',
              'kNN test, embedding', 'linear test', 'time per epoch (s)',
              'training (min)', 'config', 'command']
    rows = []
    for key, label in FLOOR_LABELS.items():
        v = fl['val'].get('top1', {}).get(key)
        t = fl['test'].get('top1', {}).get(key)
        emb = {q: fl[q].get('top1', {}).get('random_neck')
               for q in ('val', 'test')} if key == 'random_backbone' else {}
        rows.append([
            label, '-', '-', fmt([v]), fmt([emb.get('val')]), fmt([t]),
            fmt([emb.get('test')]), '-', '-', '-', '-',
            f'`python tools/benchmarks/knn_floors.py {RUNS["npid"][0]} '
            '--queries val` (or `test`)'])
    checkout = f'git checkout {commit} && ' if commit else ''
    for name, (config, epochs, views, _, label) in RUNS.items():
        rs = [r for r in recs if r.get('run') == name]
        if not rs:
            continue
        per_epoch = [r['mean_step_seconds'] * steps_per_epoch(r)
                     for r in rs if r.get('mean_step_seconds')]
        seconds = statistics.mean(per_epoch) if per_epoch else None
        minutes = f'{seconds * epochs / 60:.0f}' if per_epoch else '-'
        rows.append([
            label, str(epochs), str(views),
            fmt([last_monitor_top1(r) for r in rs]),
            fmt([last_monitor_top1(r, 'neck') for r in rs]),
            fmt([test_top1(r) for r in rs]),
            fmt([test_top1(r, 'neck') for r in rs]),
            fmt([r.get('linear_top1') for r in rs]), fmt([seconds]), minutes,
            f'`{osp.basename(config)}`' if commit else
            f'[config]({FROM_RECORDS}{config})',
            f'`{checkout}{COMMAND} --only {name}`'])
    return markdown_table(header, rows)


def section(recs, fl, commit=None) -> str:
    """The runs, their margins and the unseen-category stand-in."""
    unseen = unseen_table(recs, commit=commit)
    return (runs_table(recs, fl, commit) + '\n\n**Margins** (mean over '
            'seeds; "seeds apart": every seed of the full method on the '
            'same side of every seed of NPID):\n\n' + headline(recs) +
            ('\n\n' + unseen if unseen else ''))


def report(recs=None, out_dir=RECORDS, per_image=None) -> str:
    """``README.md`` beside the records: the runs with batched views
    (today's configs), then those made with per-image views
    (``per_image/``, the configs of :data:`PER_IMAGE_COMMIT`); and the
    validation curves of each (``knn_curves.png``)."""
    recs = read_records(RECORDS) if recs is None else recs
    if per_image is None:
        per_image = (read_records(PER_IMAGE_RECORDS)
                     if osp.isdir(PER_IMAGE_RECORDS) else [])
    fl = {q: floors_if_present(q) for q in ('val', 'test')}
    text = section(recs, fl)
    if per_image:
        text += (
            '\n\n## Per-image views\n\nThe same runs with the views made '
            'per image in the loader (`MultiViewWithIndex`), the configs '
            f'of commit {PER_IMAGE_COMMIT} before they switched to batched '
            'views; records and curves in [per_image/](per_image/). The '
            'floors are the same.\n\n' +
            section(per_image, fl, commit=PER_IMAGE_COMMIT))
    with open(osp.join(out_dir, 'README.md'), 'w') as f:
        f.write('# CPU suite records\n\nWritten by `python .dev_scripts/'
                'cifar_suite.py --report-only` from the JSON records beside '
                'this file. Validation queries: training images '
                '45,000-49,999; test: the 10,000 test images; memory: the '
                f'first {NUM_TRAIN} training images. Mean ± sample std '
                'over seeds where n > 1. Views made batched on the model\'s '
                'device (`BatchedViewsDataPreprocessor`), as every config '
                'makes them today.\n\n' + text + '\n')
    plot(recs, fl['val'], osp.join(out_dir, 'knn_curves.png'))
    if per_image:
        os.makedirs(osp.join(out_dir, PER_IMAGE), exist_ok=True)
        plot(per_image, fl['val'],
             osp.join(out_dir, PER_IMAGE, 'knn_curves.png'))
    print(text, flush=True)
    return text


def after_record(record: dict, do_commit: bool = False) -> None:
    """After each finished run: rewrite the report, and bring the model
    zoo (its results table and metafile.yml, ``sync_docs.py``) up to the
    records, committed with ``do_commit``, so a committed record never
    leaves the zoo stale (its test would fail)."""
    import sync_docs
    report()
    stale = sync_docs.main(['--check'])
    sync_docs.main([])
    if stale and do_commit:
        commit([sync_docs.MODEL_ZOO, sync_docs.METAFILE],
               f"model zoo: results with {record['name']}")


def unseen_floors() -> dict:
    """The retrieval floors of the stand-in's split
    (tools/benchmarks/retrieval_floors.py, computed once and kept)."""
    if not osp.exists(UNSEEN_FLOORS):
        os.makedirs(FLOORS, exist_ok=True)
        _run(['tools/benchmarks/retrieval_floors.py', UNSEEN_RETRIEVAL,
              '--out', UNSEEN_FLOORS], osp.join(FLOORS, 'retrieval.out'),
             {})
    with open(UNSEEN_FLOORS) as f:
        return json.load(f)['floors']


def unseen_table(recs, floors=None, commit=None) -> str:
    """The stand-in's table: floors, then each run's test Recall@1/8 and
    NMI of the backbone and the embedding (in %); with ``commit``, the
    records were made with that commit's configs."""
    if floors is None:
        floors = unseen_floors() if osp.exists(UNSEEN_FLOORS) else {}
    cols = ('recall@1', 'recall@8', 'nmi')
    header = ['method', *(f'{c}, {p}' for p in ('backbone', 'embedding')
                          for c in cols), 'command']
    rows = []
    labels = dict(FLOOR_LABELS, random_neck='floor: randomly initialised '
                  'network, embedding')
    for key, scores in floors.items():
        parts = [None, scores] if key == 'random_neck' else [scores, None]
        rows.append([labels[key], *(fmt([(part or {}).get(c)])
                                    for part in parts for c in cols),
                     '`python tools/benchmarks/retrieval_floors.py '
                     f'{UNSEEN_RETRIEVAL}`'])
    checkout = f'git checkout {commit} && ' if commit else ''
    for name, (config, label) in UNSEEN_RUNS.items():
        rs = [r for r in recs if r.get('run') == name]
        if not rs:
            continue
        cells = [fmt([(r.get('test_retrieval') or {}).get(p, {}).get(c)
                      for r in rs])
                 for p in ('backbone', 'neck') for c in cols]
        where = (f'`{osp.basename(config)}`' if commit else
                 f'[config]({FROM_RECORDS}{config})')
        rows.append([f'{label} ({where})', *cells,
                     f'`{checkout}{COMMAND} --only {name} --test`'])
    if len(rows) == len(floors):
        return ''  # no run of the stand-in in these records
    return ('**Unseen-category stand-in**: trained on the 10,000 images of '
            'CIFAR-10 classes 0-4 among the first 20,000, retrieval among the 5,000 test images of classes 5-9.\n\n' +
            markdown_table(header, rows))


def floors_if_present(queries):
    return floors_record(NUM_TRAIN, queries, ARCH)


def steps_per_epoch(rec) -> int:
    """Optimiser steps per epoch of a suite record's run."""
    return campaign_steps_per_epoch(rec, NUM_TRAIN, BATCH)


def mean_curve(recs, key):
    """``{epoch: mean}`` over the records' curves of ``key``, at the epochs
    every record has."""
    curves = [r['curve'].get(key) or {} for r in recs]
    common = set.intersection(*(set(map(int, c)) for c in curves))
    return {e: statistics.mean(c[str(e)] for c in curves)
            for e in sorted(common)}


def plot(recs, val_floors, path):
    """Validation kNN curves, one colour per method (thin: each seed, thick:
    their mean), against epochs (top) and against images through the
    network, in passes over the training subset: epochs x views (middle,
    equal compute), and against minutes of training from the logged step
    times (bottom, equal wall-clock time on the machine that ran them)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(3, 2, figsize=(12, 12.5), sharey=True)
    colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
    for col, part in enumerate(('backbone', 'neck')):
        key = f'knn/{part}_top1_k200'
        for i, (name, (_, _, views, _, label)) in enumerate(RUNS.items()):
            rs = [r for r in recs if r.get('run') == name and r['curve']]
            if not rs:
                continue
            colour = colours[i % len(colours)]
            timed = [r['mean_step_seconds'] * steps_per_epoch(r) / 60
                     for r in rs if r.get('mean_step_seconds')]
            minutes = statistics.mean(timed) if timed else None
            for row, scale in enumerate((1, views, minutes)):
                if scale is None:
                    continue
                ax = axes[row, col]
                for r in rs:
                    curve = r['curve'].get(key) or {}
                    epochs = sorted(curve, key=int)
                    ax.plot([int(e) * scale for e in epochs],
                            [curve[e] for e in epochs], color=colour,
                            lw=0.8, alpha=0.4)
                mean = mean_curve(rs, key)
                ax.plot([e * scale for e in mean], list(mean.values()),
                        color=colour, lw=2, marker='o', ms=3,
                        label=f'{label} (n={len(rs)})')
        for row in range(3):
            ax = axes[row, col]
            for fkey, style in (('pixels_centred', '--'),
                                ('pixels_standardised', ':'),
                                (f'random_{part}', '-.')):
                v = val_floors.get('top1', {}).get(fkey)
                if v is not None:
                    ax.axhline(v, color='grey', ls=style, lw=1,
                               label=FLOOR_LABELS.get(fkey, 'floor: randomly '
                                                      'initialised network'))
            ax.grid(alpha=0.3)
        name = 'embedding' if part == 'neck' else part
        axes[0, col].set_title(f'kNN top-1 on validation queries, {name}')
        axes[0, col].set_xlabel('epoch (equal epochs)')
        axes[1, col].set_xlabel('epochs x views (equal compute)')
        axes[2, col].set_xlabel('minutes of training, from the logged step '
                                'times (one thread beside another run)')
    for row in range(3):
        axes[row, 0].set_ylabel('top-1 (%)')
    axes[0, 1].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/cifar_suite')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--only', nargs='+',
                        choices=list(RUNS) + list(UNSEEN_RUNS))
    parser.add_argument('--test', action='store_true',
                        help='final read: kNN on the test set and the '
                        'linear probe of the LINEAR_RUNS')
    parser.add_argument('--parallel', type=int, default=2)
    parser.add_argument('--commit', action='store_true',
                        help='git-commit each record as it finishes')
    parser.add_argument('--report-only', action='store_true')
    args = parser.parse_args(argv)
    os.makedirs(RECORDS, exist_ok=True)
    work_root = osp.abspath(args.work_dir)
    if not args.report_only:
        floors('val')
        if args.test:
            floors('test')
            unseen_floors()
        names = args.only or list(RUNS) + list(UNSEEN_RUNS)
        recs = run_campaign(suite_runs(names, args.seeds, args.test),
                            work_root, RECORDS, args.parallel, args.commit,
                            on_record=lambda rec: after_record(
                                rec, args.commit))
        if args.test:
            for rec in recs:
                if rec is not None and rec['run'] in LINEAR_RUNS:
                    linear_probe(rec, work_root, args.commit)
    report()
    return 0


if __name__ == '__main__':
    sys.exit(main())
