"""What moves the number: one-seed variants of the CPU protocol.

Each variant is a config of the suite (``cifar_suite.py``) plus
``--cfg-options``; it is trained with ``tools/train.py`` and evaluated with
``tools/knn.py`` (k = 200, T = 0.1, full 10,000-image test set) exactly
like the suite's runs, without the kNN monitor (only the final figure is
compared). Finished variants are skipped; the table (``sweep.md``) and all
figures (``sweep.json``) are rewritten after each.

Usage:
    python tools/benchmarks/cifar_sweep.py [--work-dir work_dirs/cifar_sweep]
        [--seed 0] [--only lr-0.12 npid-lr-0.12 ...] [--report-only]
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

# name: (suite run it varies, cfg-options, what it tests)
VARIANTS = {
    'full-lambda-0.1': (FULL, [CONS + 'loss_weight=0.1'],
                        'consistency weight 1 -> 0.1'),
    'full-detach': (FULL, [CONS + 'detach_target=True'],
                    'consistency target side detached'),
    'full-lr-0.12': (FULL, [LR + '0.12'], 'lr 0.03 -> 0.12'),
    'full-lr-0.01': (FULL, [LR + '0.01'], 'lr 0.03 -> 0.01'),
    'full-momentum-0': (FULL, ['model.head.memory_bank.momentum=0.0'],
                        'bank momentum 0.5 -> 0 (rows replaced)'),
    'npid-lr-0.12': (NPID, [LR + '0.12'], 'lr 0.03 -> 0.12'),
    'vanilla-lr-0.12': (VANILLA, [LR + '0.12'], 'lr 0.03 -> 0.12'),
    'views-lr-0.12': (VIEWS, [LR + '0.12'], 'lr 0.03 -> 0.12'),
    'full-merge-late': (FULL, [MERGE + 'start_epoch=8',
                               MERGE + 'min_similarity=0.9'],
                        'merging from epoch 8 with a 0.9 similarity floor'),
    'vanilla-fill': (VANILLA, [FILL], 'bank rows filled on first update'),
    'full-fill': (FULL, [FILL], 'bank rows filled on first update'),
    'full-cons-T-0.5': (FULL, [CONS + 'temperature=0.5'],
                        'consistency temperature 0.1 -> 0.5'),
}


def finished(work_dir):
    found = {}
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'done.json'))):
        with open(path) as f:
            result = json.load(f)
        found[result['name']] = result
    return found


def report(work_dir, baselines):
    """Table of every finished variant against the suite's run it varies
    (``baselines``: the suite's results.json, seed 0)."""
    results = finished(work_dir)
    lines = [
        '| variant | changes | of | kNN top-1, backbone | '
        'kNN top-1, embedding | vs. suite run (backbone / embedding) |',
        '|---|---|---|---|---|---|'
    ]
    for name, (spec, _, what) in VARIANTS.items():
        r = results.get(name)
        if r is None:
            continue
        base_name = next(n for n, v in RUNS.items() if v[0] == spec[0])
        base = baselines.get(base_name)
        b, e = top1(r, 'backbone'), top1(r, 'neck')
        delta = 'n/a'
        if base is not None:
            delta = (f"{b - top1(base, 'backbone'):+.2f} / "
                     f"{e - top1(base, 'neck'):+.2f}")
        lines.append(f'| {name} | {what} | {base_name} | {b:.2f} | {e:.2f} '
                     f'| {delta} |')
    table = '\n'.join(lines)
    with open(osp.join(work_dir, 'sweep.md'), 'w') as f:
        f.write(table + '\n')
    with open(osp.join(work_dir, 'sweep.json'), 'w') as f:
        json.dump(list(results.values()), f, indent=2)
    print(table, flush=True)


def suite_baselines(suite_dir, seed):
    path = osp.join(suite_dir, 'results.json')
    if not osp.exists(path):
        return {}
    with open(path) as f:
        return {r['name']: r for r in json.load(f) if r['seed'] == seed}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/cifar_sweep')
    parser.add_argument('--suite-dir', default='work_dirs/cifar_suite',
                        help='the suite whose runs the variants change')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--only', nargs='+', choices=list(VARIANTS))
    parser.add_argument('--report-only', action='store_true')
    args = parser.parse_args(argv)
    args.work_dir = osp.abspath(args.work_dir)
    os.makedirs(args.work_dir, exist_ok=True)
    # no kNN monitor: the final tools/knn.py figure is what is compared
    args.val_interval = 1
    baselines = suite_baselines(args.suite_dir, args.seed)
    if not args.report_only:
        for name in args.only or list(VARIANTS):
            spec, options, _ = VARIANTS[name]
            print(f'== {name}', flush=True)
            one_run(name, args.seed, args, spec,
                    ['train_cfg.val_begin=1000', *options])
            report(args.work_dir, baselines)
    report(args.work_dir, baselines)
    return 0


if __name__ == '__main__':
    sys.exit(main())
