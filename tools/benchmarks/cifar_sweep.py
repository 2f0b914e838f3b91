"""What moves the number: one-seed variants of the CPU protocol.

Each variant is a config of the suite (``cifar_suite.py``) plus
``--cfg-options``; it is trained with ``tools/train.py`` and evaluated with
``tools/knn.py`` (k = 200, T = 0.1, full 10,000-image test set) exactly
like the suite's runs, without the kNN monitor (only the final figure is
compared). Finished variants are skipped; the table (``sweep.md``) and all
figures (``sweep.json``) are rewritten after each.

Usage:
    python tools/benchmarks/cifar_sweep.py [--work-dir work_dirs/cifar_sweep]
        [--seed 0] [--only full-lr-0.01 npid-lr-0.01 ...] [--report-only]

The references (``*-lr-0.03``) were the suite's seed-0 runs of the protocol
as it stood before the sweep (lr 0.03, trained with the kNN monitor): their
records were copied in (``copied_from`` in their ``done.json``); running
them here trains them without the monitor.
"""
import argparse
import glob
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from cifar_suite import RUNS, one_run, top1  # noqa: E402

FULL = RUNS['full'][:3]
VIEWS = RUNS['views'][:3]
VANILLA = RUNS['vanilla'][:3]
NPID = RUNS['npid'][:3]
CONS = 'model.head.loss_consistency.'
MERGE = 'custom_hooks.3.'  # the HardNegativeMergeHook of the full config
LR = 'optim_wrapper.optimizer.lr='
FILL = 'model.head.memory_bank.fill_on_first_update=True'

def variant(spec, lr, extra=(), what='', reference=None):
    """A run of ``spec`` at learning rate ``lr`` (named explicitly, so a
    variant means the same whatever the config's default) plus ``extra``
    cfg-options; ``reference`` names the variant it is compared with."""
    return dict(spec=spec, options=[LR + str(lr), *extra], what=what,
                reference=reference)


# in table order; the references are the suite's seed-0 runs of the
# protocol as it stood before this sweep (lr 0.03)
VARIANTS = {
    'npid-lr-0.03': variant(NPID, 0.03, what='reference (lr 0.03)'),
    'npid-lr-0.01': variant(NPID, 0.01, what='lr 0.01',
                            reference='npid-lr-0.03'),
    'full-lr-0.03': variant(FULL, 0.03, what='reference (lr 0.03)'),
    'full-lr-0.12': variant(FULL, 0.12, what='lr 0.12',
                            reference='full-lr-0.03'),
    'full-lr-0.01': variant(FULL, 0.01, what='lr 0.01',
                            reference='full-lr-0.03'),
    'full-lr-0.003': variant(FULL, 0.003, what='lr 0.003',
                             reference='full-lr-0.03'),
    'full-lambda-0.1': variant(FULL, 0.03, [CONS + 'loss_weight=0.1'],
                               'consistency weight 1 -> 0.1',
                               'full-lr-0.03'),
    'full-fill': variant(FULL, 0.03, [FILL],
                         'bank rows filled on their first update',
                         'full-lr-0.03'),
}



def finished(work_dir):
    found = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'done.json'))):
        with open(path) as f:
            result = json.load(f)
        found[result['name']] = result
    return found


def report(work_dir):
    """Table of every finished variant against its reference."""
    results = finished(work_dir)
    lines = [
        '| variant | suite config | change | kNN top-1, backbone | '
        'kNN top-1, embedding | vs. reference (backbone / embedding) |',
        '|---|---|---|---|---|---|'
    ]
    for name, v in VARIANTS.items():
        r = results.get(name)
        if r is None:
            continue
        b, e = top1(r, 'backbone'), top1(r, 'neck')
        ref = results.get(v['reference']) if v['reference'] else None
        delta = ''
        if ref is not None:
            delta = (f"{b - top1(ref, 'backbone'):+.2f} / "
                     f"{e - top1(ref, 'neck'):+.2f} ({v['reference']})")
        config = next(n for n, run in RUNS.items() if run[0] == v['spec'][0])
        what = v['what']
        if r.get('copied_from'):  # a suite run recorded before the sweep
            what += ', the suite\'s run'
        lines.append(f"| {name} | [{config}]({v['spec'][0]}) | {what} "
                     f'| {b:.2f} | {e:.2f} | {delta} |')
    table = '\n'.join(lines)
    with open(osp.join(work_dir, 'sweep.md'), 'w') as f:
        f.write(table + '\n')
    with open(osp.join(work_dir, 'sweep.json'), 'w') as f:
        json.dump(list(results.values()), f, indent=2)
    print(table, flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/cifar_sweep')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--only', nargs='+', choices=list(VARIANTS))
    parser.add_argument('--report-only', action='store_true')
    args = parser.parse_args(argv)
    args.work_dir = osp.abspath(args.work_dir)
    os.makedirs(args.work_dir, exist_ok=True)
    # no kNN monitor: the final tools/knn.py figure is what is compared
    args.val_interval = 1
    if not args.report_only:
        for name in args.only or list(VARIANTS):
            v = VARIANTS[name]
            print(f'== {name}', flush=True)
            one_run(name, args.seed, args, v['spec'],
                    ['train_cfg.val_begin=1000', *v['options']])
            report(args.work_dir)
    report(args.work_dir)
    return 0


if __name__ == '__main__':
    sys.exit(main())
