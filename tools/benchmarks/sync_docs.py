"""Copy the campaigns' tables into docs/results.md, the README and the
model zoo (configs/membank/README.md).

Each campaign writes its report to ``docs/records/<campaign>/README.md``
(``--report-only`` rewrites it from the records); docs/results.md and the
README hold copies between ``<!-- NAME -->`` and ``<!-- /NAME -->``
markers, which this script replaces with the report's first table, the
whole report from its first table on, or (README) the headline rows of the
CPU suite and its margins. Relative links are rebased from the report's
directory to the document's. The model zoo's metafile.yml gets the suite
records' test means (and their number of seeds) for the models listed in
``METAFILE_RUNS``.

Usage:
    python tools/benchmarks/sync_docs.py [--check]
"""
import argparse
import os.path as osp
import re
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DOC = osp.join(REPO, 'docs', 'results.md')
README = osp.join(REPO, 'README.md')
MODEL_ZOO = osp.join(REPO, 'configs', 'membank', 'README.md')
METAFILE = osp.join(REPO, 'configs', 'membank', 'metafile.yml')
SUITE_RECORDS = osp.join(REPO, 'docs', 'records', 'cifar_suite')
#: metafile model -> the run of tools/benchmarks/cifar_suite.py that
#: measured it
METAFILE_RUNS = {
    'membank_resnet18-std-w32_1xb128x4-coslr-75e_cifar10-10k': 'full',
    'membank_resnet18-std-w32_1xb32x4-coslr-75e_cifar10-10k': 'full-steps',
    'membank_resnet18-std-w32_1xb64x2-coslr-150e_cifar10-10k':
    'full-k2-steps',
}
#: record key of a metafile task ("Linear Classification ..." or kNN) ->
#: {metric: part of the record's value, or None}
METRICS = {
    'test_top1': {'Top 1 Accuracy (backbone)': 'backbone',
                  'Top 1 Accuracy (embedding)': 'neck'},
    'linear_top1': {'Top 1 Accuracy': None},
}
#: first-cell labels of the CPU suite's rows that the README shows
HEADLINE = ("mmselfsup's NPID", "mmselfsup's NPID, 4x epochs (equal compute)",
            'full method', "mmselfsup's NPID, 32 samples a step",
            'full method, 32 samples x 4 views a step (the '
            'steps of NPID, 4x epochs)',
            'full method, 64 samples x 2 views a step, 150 epochs (the '
            'steps of NPID, 4x epochs)')


def first_table(markdown: str) -> str:
    """The first run of lines starting with ``|``."""
    lines, started = [], False
    for line in markdown.splitlines():
        if line.startswith('|'):
            lines.append(line)
            started = True
        elif started:
            break
    return '\n'.join(lines)


def from_first_table(markdown: str) -> str:
    """Everything from the first line starting with ``|`` to the end
    (several tables and the text between them)."""
    lines = markdown.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('|')),
                 len(lines))
    return '\n'.join(lines[start:]).rstrip('\n')


def headline(markdown: str) -> str:
    """The suite report's floor rows and :data:`HEADLINE` rows of its first
    table, then its second table (the margins)."""
    lines = markdown.splitlines()
    tables, current = [], None
    for line in lines + ['']:
        if line.startswith('|'):
            current = (current or []) + [line]
        elif current:
            tables.append(current)
            current = None
    rows = [row for row in tables[0][2:]
            if row.split('|')[1].strip().startswith('floor:')
            or row.split('|')[1].strip() in HEADLINE]
    out = tables[0][:2] + rows
    if len(tables) > 1:
        out += [''] + tables[1]
    return '\n'.join(out)


def rebase_links(markdown: str, src_dir: str, dst_dir: str) -> str:
    """Relative markdown links ``](path)`` written from ``src_dir``
    rewritten to point to the same files from ``dst_dir``."""
    def rebase(m):
        target = m.group(1)
        if re.match(r'[a-z]+:|#|/', target):
            return m.group(0)
        return '](' + osp.relpath(osp.normpath(osp.join(src_dir, target)),
                                  dst_dir) + ')'
    return re.sub(r'\]\(([^)\s]+)\)', rebase, markdown)


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
    """``key`` (``[part]``) of every committed record of a suite run (in
    ``records``, default :data:`SUITE_RECORDS`), in seed order; records
    without it are left out."""
    import glob
    import json
    records = records or SUITE_RECORDS
    values = []
    for path in sorted(glob.glob(osp.join(records, f'{run}_seed*.json'))):
        with open(path) as f:
            value = json.load(f).get(key)
        if part is not None and value is not None:
            value = value.get(part)
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
    import statistics
    runs = METAFILE_RUNS if runs is None else runs
    out, run, key = [], None, None
    for line in text.splitlines(keepends=True):
        name = re.match(r'\s*- Name: (\S+)', line)
        if name:
            run, key = runs.get(name.group(1)), None
        task = re.match(r'(\s*- Task: .*mean of )(\d+) seeds?(.*\n?)', line)
        metric = re.match(r'(\s*)(Top 1 Accuracy[^:]*): (\S+)(\s*)$', line)
        if run and task:
            key = ('linear_top1' if 'Linear' in task.group(1) else
                   'test_top1')
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


def targets():
    """document -> {marker: (campaign records directory, extractor)}"""
    return {
        DOC: {
            'search': ('protocol_search', first_table),
            'tuning': ('tuning', first_table),
            # run table, margins, stand-in table
            'suite': ('cifar_suite', from_first_table),
        },
        README: {'headline': ('cifar_suite', headline)},
        MODEL_ZOO: {'suite': ('cifar_suite', from_first_table)},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='exit 1 if a document is out of date')
    args = parser.parse_args(argv)
    stale = []
    for path, blocks in targets().items():
        tables = {}
        for name, (campaign, extract) in blocks.items():
            records = osp.join(REPO, 'docs', 'records', campaign)
            with open(osp.join(records, 'README.md')) as f:
                tables[name] = rebase_links(extract(f.read()), records,
                                            osp.dirname(path))
        with open(path) as f:
            doc = f.read()
        new = sync(doc, tables)
        if new != doc:
            stale.append(osp.relpath(path, REPO))
            if not args.check:
                with open(path, 'w') as f:
                    f.write(new)
    if update_metafile(write=not args.check):
        stale.append(osp.relpath(METAFILE, REPO))
    if args.check:
        print('out of date: ' + ', '.join(stale) if stale else 'up to date')
    return int(bool(stale)) if args.check else 0


if __name__ == '__main__':
    sys.exit(main())
