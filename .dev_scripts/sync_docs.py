"""Bring the model zoo (configs/membank/) up to the CPU suite's records.

The model zoo is the one home of each config's published results:
``configs/membank/metafile.yml`` (mmselfsup's model-zoo format) and the
results table of ``configs/membank/README.md``, between ``<!-- results -->``
and ``<!-- /results -->``. Both are computed from the committed records of
.dev_scripts/cifar_suite.py (``docs/records/cifar_suite/*.json``) and
the floors it keeps (``docs/records/floors/``):

- metafile.yml: the Results of the models in ``METAFILE_RUNS`` become the
  records' test means, with their number of seeds (:func:`update_metafile`,
  which cifar_suite.py also calls after every finished run);
- README.md: one row per run of ``ZOO_RUNS`` (the method's configs and
  mmselfsup's NPID on the same protocol), mean ± sample std over seeds,
  and the floors of the same memory and queries (:func:`zoo_block`).

Nothing else is copied: the README shows a hand-written headline, and
docs/results.md links here and to the campaigns' own reports
(``docs/records/<campaign>/README.md``).

Usage:
    python .dev_scripts/sync_docs.py [--check]
"""
import argparse
import os.path as osp
import re
import statistics
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from campaign import markdown_table  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
MODEL_ZOO = osp.join(REPO, 'configs', 'membank', 'README.md')
METAFILE = osp.join(REPO, 'configs', 'membank', 'metafile.yml')
SUITE_RECORDS = osp.join(REPO, 'docs', 'records', 'cifar_suite')
FLOORS = osp.join(REPO, 'docs', 'records', 'floors',
                  'npid-std-w32_cifar10-10k_test.json')
NUM_TRAIN = 10000  # the protocol's training images (steps per epoch)
#: the records of the runs trained with the views made per image in the
#: loader, before every config switched to batched views; a run of
#: ``per_image/`` names them (``per_image/full``: its ``full_seed*.json``)
PER_IMAGE = 'per_image'
#: the last commit whose configs made those views per image
PER_IMAGE_COMMIT = '5a6cb19'
#: metafile model -> the run of .dev_scripts/cifar_suite.py that
#: measured it
METAFILE_RUNS = {
    'membank_resnet18-std-w32_1xb128x4-coslr-75e_cifar10-10k':
    f'{PER_IMAGE}/full',
    'membank_resnet18-std-w32_1xb32x4-coslr-75e_cifar10-10k': 'full-steps',
    'membank_resnet18-std-w32_1xb64x2-coslr-150e_cifar10-10k':
    'full-k2-steps',
    'membank_resnet18-std-w32_1xb32x4-coslr-150e_cifar10-20k-0to4':
    'full-20k-0to4-150e',
}
#: record key of a metafile task ("Linear Classification ...", "Image
#: Retrieval ..." or kNN) -> {metric: part of the record's value, a path
#: of keys joined by "/", or None}
METRICS = {
    'test_top1': {'Top 1 Accuracy (backbone)': 'backbone',
                  'Top 1 Accuracy (embedding)': 'neck'},
    'linear_top1': {'Top 1 Accuracy': None},
    'test_retrieval': {
        f'{name} ({label})': f'{part}/{key}'
        for part, label in (('backbone', 'backbone'), ('neck', 'embedding'))
        for name, key in (('Recall@1', 'recall@1'), ('Recall@2', 'recall@2'),
                          ('Recall@4', 'recall@4'), ('Recall@8', 'recall@8'),
                          ('NMI', 'nmi'))
    },
}
#: every metric name of :data:`METRICS`
METRIC_NAMES = {name for names in METRICS.values() for name in names}


def task_key(task: str) -> str:
    """The record key measured by a metafile task's description."""
    if 'Linear' in task:
        return 'linear_top1'
    if 'Retrieval' in task:
        return 'test_retrieval'
    return 'test_top1'

_NPID = 'configs/npid/npid_resnet18-std-w32_1xb{}-coslr-{}e_cifar10-10k.py'
_MEMBANK = ('configs/membank/membank_resnet18-std-w32_1xb{}-coslr-{}e_'
            'cifar10-10k.py')
#: rows of the model zoo's table, in order: (method, suite run, config);
#: each method row follows the NPID run it is compared with
ZOO_RUNS = (
    ("mmselfsup's NPID", 'npid', _NPID.format(128, 75)),
    ('mmbank', 'full', _MEMBANK.format('128x4', 75)),
    ("mmselfsup's NPID", 'npid-b32', _NPID.format(32, 75)),
    ('mmbank', 'full-steps', _MEMBANK.format('32x4', 75)),
    ("mmselfsup's NPID", 'npid-4x', _NPID.format(128, 300)),
    ('mmbank', 'full-k2-steps', _MEMBANK.format('64x2', 150)),
)
#: the same rows of the records made with per-image views
PER_IMAGE_ZOO_RUNS = tuple((method, f'{PER_IMAGE}/{run}', config)
                           for method, run, config in ZOO_RUNS)


def sync(doc: str, tables: dict) -> str:
    """``doc`` with each ``<!-- name -->`` block replaced by
    ``tables[name]``; a missing marker is an error."""
    for name, table in tables.items():
        pattern = re.compile(rf'(<!-- {name} -->\n).*?(<!-- /{name} -->)',
                             re.S)
        if not pattern.search(doc):
            raise ValueError(f'the document has no <!-- {name} --> '
                             f'... <!-- /{name} --> block')
        doc = pattern.sub(lambda m: m.group(1) + table + '\n' + m.group(2),
                          doc)
    return doc


def suite_values(run: str, key: str, part=None, records=None):
    """``key`` (``[part]``; a ``part`` of ``"a/b"`` is ``[a][b]``) of every
    committed record of a suite run (in ``records``, default
    :data:`SUITE_RECORDS`), in seed order; records without it are left
    out."""
    import glob
    import json
    records = records or SUITE_RECORDS
    values = []
    for path in sorted(glob.glob(osp.join(records, f'{run}_seed*.json'))):
        with open(path) as f:
            value = json.load(f).get(key)
        for step in part.split('/') if part is not None else ():
            value = value.get(step) if value is not None else None
        if value is not None:
            values.append(value)
    return values


def sync_metafile(text: str, runs=None, values=suite_values) -> str:
    """metafile.yml ``text`` with the Results of each model in ``runs``
    (default :data:`METAFILE_RUNS`) set from its suite records: every
    metric of :data:`METRICS` becomes the mean (2 decimals) of
    ``values(run, key, part)`` and its task's "mean of N seeds" the number
    of values. Other lines, comments included, are kept; a metric with no
    record is an error."""
    runs = METAFILE_RUNS if runs is None else runs
    out, run, key = [], None, None
    for line in text.splitlines(keepends=True):
        name = re.match(r'\s*- Name: (\S+)', line)
        if name:
            run, key = runs.get(name.group(1)), None
        task = re.match(r'(\s*- Task: .*mean of )(\d+) seeds?(.*\n?)', line)
        metric = re.match(r'(\s*)([^:]+): (\S+)(\s*)$', line)
        if metric and metric.group(2).strip() not in METRIC_NAMES:
            metric = None
        if run and task:
            key = task_key(task.group(1))
            count = len(values(run, key))
            line = (f'{task.group(1)}{count} seed{"s" * (count != 1)}'
                    f'{task.group(3)}')
        elif run and key and metric:
            if metric.group(2) not in METRICS[key]:
                raise ValueError(f'{metric.group(2)!r} is not a metric of '
                                 f'{key} (model of suite run {run!r})')
            part = METRICS[key][metric.group(2)]
            found = values(run, key, part)
            if not found:
                raise ValueError(f'no {key} {part or ""} record of suite '
                                 f'run {run!r}')
            line = (f'{metric.group(1)}{metric.group(2)}: '
                    f'{round(statistics.mean(found), 2)}{metric.group(4)}')
        out.append(line)
    return ''.join(out)


def update_metafile(path=None, write: bool = True) -> bool:
    """Whether the Results of ``path`` (default :data:`METAFILE`) differ
    from the suite records; with ``write``, rewrite them
    (:func:`sync_metafile`)."""
    path = path or METAFILE
    with open(path) as f:
        meta = f.read()
    new = sync_metafile(meta)
    if new != meta and write:
        with open(path, 'w') as f:
            f.write(new)
    return new != meta


def fmt(values) -> str:
    """``-`` for none, ``x.xx`` for one, ``mean ± std`` for more."""
    if not values:
        return '-'
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'


def step_shape(config: str):
    """``(epochs, 'B x K')`` from a config's name
    (``..._1xb32x4-coslr-75e_...``: 32 samples x 4 views, 75 epochs)."""
    name = osp.basename(config)
    batch = re.search(r'_\d+xb(\d+)(?:x(\d+))?-', name)
    epochs = re.search(r'-(\d+)e_', name)
    return int(epochs.group(1)), f'{batch.group(1)} x {batch.group(2) or 1}'


def zoo_table(rows=ZOO_RUNS, values=suite_values, floors=None) -> str:
    """The model zoo's results: the floors of the protocol's memory and
    test queries (``floors``: knn_floors.py's ``top1`` dict), then a table
    with one row per ``(method, run, config)`` of ``rows`` that has
    records: test kNN top-1 of the backbone and the embedding and the
    linear probe, mean ± sample std over the ``values(run, ...)`` of its
    seeds (the probe's count beside it when fewer seeds have one), the
    training minutes from the logged step times (one thread
    beside another run) and the run to reproduce it. Links are relative to
    configs/membank/."""
    out = []
    if floors:
        out += [
            'Floors of the same memory and test queries (no training; '
            '`python tools/benchmarks/knn_floors.py '
            f'{ZOO_RUNS[0][2]} --queries test --exact`): raw pixels '
            f"centred per image {floors['pixels_centred']:.2f}, "
            'standardised per channel '
            f"{floors['pixels_standardised']:.2f}; randomly initialised "
            f"network {floors['random_backbone']:.2f} / "
            f"{floors['random_neck']:.2f} (backbone / embedding).", ''
        ]
    header = ['method', 'config', 'epochs', 'samples x views a step',
              'kNN top-1, backbone', 'kNN top-1, embedding', 'linear top-1',
              'seeds', 'training (min)', 'suite run']
    table = []
    records = osp.relpath(SUITE_RECORDS, osp.dirname(MODEL_ZOO))
    for method, run, config in rows:
        backbone = values(run, 'test_top1', 'backbone')
        if not backbone:
            continue
        epochs, shape = step_shape(config)
        step_seconds = values(run, 'mean_step_seconds')
        steps = NUM_TRAIN // int(shape.split(' x ')[0]) * epochs
        minutes = (f'{statistics.mean(step_seconds) * steps / 60:.0f}'
                   if step_seconds else '-')
        link = osp.relpath(osp.join(REPO, config), osp.dirname(MODEL_ZOO))
        linear = values(run, 'linear_top1')
        linear_cell = fmt(linear) + (f' (n={len(linear)})' if linear and
                                     len(linear) != len(backbone) else '')
        table.append([
            method, f'[{osp.splitext(osp.basename(config))[0]}]({link})',
            str(epochs), shape, fmt(backbone),
            fmt(values(run, 'test_top1', 'neck')),
            linear_cell, str(len(backbone)), minutes,
            f'[`{osp.basename(run)}`]({records}/{run}_seed0.json)'])
    return '\n'.join(out + [markdown_table(header, table)])


def zoo_block() -> str:
    """:func:`zoo_table` of the committed records and floors: the runs
    with batched views (today's configs), then those with per-image
    views."""
    import json
    floors = None
    if osp.exists(FLOORS):
        with open(FLOORS) as f:
            floors = json.load(f)['top1']
    return (zoo_table(floors=floors) + '\n\n' +
            f'Measured with the views made per image in the loader (the '
            f'configs of commit {PER_IMAGE_COMMIT}, before they switched to '
            'batched views; `git checkout '
            f'{PER_IMAGE_COMMIT}` reproduces them):\n\n' +
            zoo_table(PER_IMAGE_ZOO_RUNS))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='exit 1 if the model zoo is out of date')
    args = parser.parse_args(argv)
    stale = []
    with open(MODEL_ZOO) as f:
        doc = f.read()
    new = sync(doc, {'results': zoo_block()})
    if new != doc:
        stale.append(osp.relpath(MODEL_ZOO, REPO))
        if not args.check:
            with open(MODEL_ZOO, 'w') as f:
                f.write(new)
    if update_metafile(write=not args.check):
        stale.append(osp.relpath(METAFILE, REPO))
    if args.check:
        print('out of date: ' + ', '.join(stale) if stale else 'up to date')
    return int(bool(stale)) if args.check else 0


if __name__ == '__main__':
    sys.exit(main())
