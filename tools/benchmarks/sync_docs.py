"""Copy the campaigns' tables into docs/results.md.

Each campaign writes its table to ``docs/records/<campaign>/README.md``
(``--report-only`` rewrites it from the records); docs/results.md holds a
copy between ``<!-- NAME -->`` and ``<!-- /NAME -->`` markers, which this
script replaces with the first markdown table of the campaign's README.

Usage:
    python tools/benchmarks/sync_docs.py [--check]
"""
import argparse
import os.path as osp
import re
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DOC = osp.join(REPO, 'docs', 'results.md')
#: marker name -> (campaign records directory, whole report or first table)
BLOCKS = {
    'search': ('protocol_search', False),
    'tuning': ('tuning', False),
    'suite': ('cifar_suite', True),  # run table, margins, stand-in table
}


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


def sync(doc: str, tables: dict) -> str:
    """``doc`` with each ``<!-- name -->`` block replaced by
    ``tables[name]``; a missing marker is an error."""
    for name, table in tables.items():
        pattern = re.compile(rf'(<!-- {name} -->\n).*?(<!-- /{name} -->)',
                             re.S)
        if not pattern.search(doc):
            raise ValueError(f'docs/results.md has no <!-- {name} --> '
                             f'... <!-- /{name} --> block')
        doc = pattern.sub(lambda m: m.group(1) + table + '\n' + m.group(2),
                          doc)
    return doc


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='exit 1 if docs/results.md is out of date')
    args = parser.parse_args(argv)
    tables = {}
    for name, (campaign, whole) in BLOCKS.items():
        with open(osp.join(REPO, 'docs', 'records', campaign,
                           'README.md')) as f:
            markdown = f.read()
        tables[name] = (from_first_table(markdown) if whole else
                        first_table(markdown))
    with open(DOC) as f:
        doc = f.read()
    new = sync(doc, tables)
    if args.check:
        print('up to date' if new == doc else 'out of date')
        return int(new != doc)
    with open(DOC, 'w') as f:
        f.write(new)
    return 0


if __name__ == '__main__':
    sys.exit(main())
