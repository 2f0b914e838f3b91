"""The CPU accuracy suite on real CIFAR-10: mmselfsup's NPID against the
mmbank method, component by component.

Runs, each with ``tools/train.py`` then ``tools/knn.py`` (k = 200,
T = 0.1, the NPID protocol, on the full 10,000-image test set against the
training subset):

- ``npid``: mmselfsup's own NPID (its algorithm, same backbone, epochs and
  augmentation), for every seed;
- ``npid-2x``: NPID with twice the epochs, i.e. as many images through the
  network as the 2-view runs (equal compute);
- ``vanilla``, ``views``, ``consistency``, ``merge``: configs/ablations/;
- ``full``: the full method, for every seed.

Then the linear evaluation (``configs/benchmarks/linear/resnet18_linear-
1xb256-coslr-10e_cifar10-5k.py``: frozen backbone, linear head trained on the
same 5,000 images for 10 epochs, top-1 on the 10,000 test images) of the
seeded runs (``npid``, ``full``).

Finished runs and evaluations are skipped, so the suite resumes after an
interruption.
It ends with a markdown table (``results.md``), the kNN-monitor curves of
every run (``knn_curves.png``) and all figures (``results.json``) in the
work directory.

Usage:
    python tools/benchmarks/cifar_suite.py [--work-dir work_dirs/cifar_suite]
        [--seeds 0 1] [--only npid full ...] [--val-interval 2]
        [--no-linear] [--report-only]
"""
import argparse
import glob
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ABL = 'configs/ablations/membank-{}_resnet18-std_1xb64x{}-coslr-10e_cifar10-5k.py'
RUNS = {
    # name: (config, epochs, views, seeded over --seeds); run in this order,
    # all names for the first seed, then the seeded ones for the others
    'npid': ('configs/npid/npid_resnet18-std_1xb128-coslr-10e_cifar10-5k.py',
             10, 1, True),
    'full': (ABL.format('full', 2), 10, 2, True),
    'vanilla': (ABL.format('vanilla', 1), 10, 1, False),
    'views': (ABL.format('views', 2), 10, 2, False),
    'consistency': (ABL.format('consistency', 2), 10, 2, False),
    'merge': (ABL.format('merge', 1), 10, 1, False),
    'npid-2x': (
        'configs/npid/npid_resnet18-std_1xb128-coslr-20e_cifar10-5k.py', 20,
        1, False),
}
LINEAR = ('configs/benchmarks/linear/'
          'resnet18_linear-1xb256-coslr-10e_cifar10-5k.py')
LINEAR_RUNS = ('npid', 'full')
COMMAND = 'python tools/benchmarks/cifar_suite.py'
LABELS = {
    'npid': "mmselfsup's NPID",
    'npid-2x': "mmselfsup's NPID, 2x epochs (equal compute)",
    'vanilla': 'vanilla bank (K=1, full softmax)',
    'views': '+ 2 views',
    'consistency': '+ 2 views + consistency',
    'merge': '+ merging (K=1)',
    'full': 'full method',
}


def run(cmd, log_path):
    with open(log_path, 'w') as log:
        proc = subprocess.run([sys.executable, *cmd], cwd=REPO, stdout=log,
                              stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise RuntimeError(f'{cmd} failed, see {log_path}')


def scalar_records(work_dir):
    """Every record of mmengine's vis_data/scalars.json files under
    ``work_dir``, in path order."""
    found = []
    for root, _, files in os.walk(work_dir):
        if 'scalars.json' in files:
            found.append(osp.join(root, 'scalars.json'))
    records = []
    for path in sorted(found):
        with open(path) as f:
            records += [json.loads(line) for line in f]
    return records


def scalars(work_dir):
    """Logged iteration times per epoch, the kNN-monitor curve and the
    iterations per epoch, from mmengine's vis_data/scalars.json."""
    iter_time, curve, last_iter = {}, {}, {}
    for rec in scalar_records(work_dir):
        if 'loss' in rec and 'time' in rec:
            iter_time.setdefault(rec['epoch'], []).append(rec['time'])
            last_iter[rec['epoch']] = rec['iter']
        for key, value in rec.items():
            if key.startswith('knn/') and 'top1' in key:
                curve.setdefault(key, {})[rec['step']] = value
    epochs = sorted(last_iter)
    # the logger writes every few iterations: per-epoch counts from the
    # last logged iteration of consecutive epochs (the last of the first)
    steps = [b - a for a, b in zip([0] + [last_iter[e] for e in epochs],
                                   [last_iter[e] for e in epochs])]
    iters_per_epoch = max(steps) if steps else None
    return iter_time, curve, iters_per_epoch


def one_run(name, seed, args, spec=None, options=()):
    """Train one run (``spec = (config, epochs, views)``, default
    ``RUNS[name]``) with extra ``--cfg-options``, then kNN-evaluate it;
    skipped when its ``done.json`` exists."""
    config, epochs, views = spec or RUNS[name][:3]
    tag = f'{name}_seed{seed}'
    work = osp.join(args.work_dir, tag)
    done = osp.join(work, 'done.json')
    if osp.exists(done):
        with open(done) as f:
            return json.load(f)
    os.makedirs(work, exist_ok=True)
    start = time.time()
    run([
        'tools/train.py', config, '--work-dir', work, '--cfg-options',
        f'randomness.seed={seed}',
        f'train_cfg.val_interval={args.val_interval}', *options
    ], osp.join(work, 'train.out'))
    train_seconds = time.time() - start
    with open(osp.join(work, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    run([
        'tools/knn.py', config, ckpt, '--k', '200', '--temperature', '0.1',
        '--no-progress', '--out', osp.join(work, 'knn.json')
    ], osp.join(work, 'knn.out'))
    with open(osp.join(work, 'knn.json')) as f:
        knn = json.load(f)
    iter_time, curve, iters_per_epoch = scalars(work)
    # the logger records a time every logger interval: scale to the epoch
    per_epoch = [statistics.mean(t) for t in iter_time.values()]
    result = dict(
        name=name, seed=seed, config=config, epochs=epochs, views=views,
        options=list(options), knn=knn, curve=curve,
        train_seconds=train_seconds,
        mean_iter_seconds=statistics.mean(per_epoch) if per_epoch else None,
        iters_per_epoch=iters_per_epoch)
    with open(done, 'w') as f:
        json.dump(result, f, indent=2)
    return result


def linear_eval(name, seed, args):
    """Linear top-1 of a finished run's last checkpoint (cached in its
    ``linear.json``)."""
    work = osp.join(args.work_dir, f'{name}_seed{seed}')
    out = osp.join(work, 'linear.json')
    if osp.exists(out):
        with open(out) as f:
            return json.load(f)
    with open(osp.join(work, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    linear_work = osp.join(work, 'linear')
    run([
        'tools/train.py', LINEAR, '--work-dir', linear_work, '--cfg-options',
        f'model.backbone.init_cfg.checkpoint={ckpt}',
        f'randomness.seed={seed}'
    ], osp.join(work, 'linear.out'))
    top1s = [rec['accuracy/top1'] for rec in scalar_records(linear_work)
             if 'accuracy/top1' in rec]
    if not top1s:
        raise RuntimeError(f'no accuracy/top1 in {linear_work}')
    result = dict(config=LINEAR, checkpoint=ckpt, top1=top1s[-1])
    with open(out, 'w') as f:
        json.dump(result, f, indent=2)
    return result


def linear_top1(result, work_dir):
    path = osp.join(work_dir, f"{result['name']}_seed{result['seed']}",
                    'linear.json')
    if not osp.exists(path):
        return None
    with open(path) as f:
        return json.load(f)['top1']


def top1(result, feature):
    """kNN top-1 (k = 200) of one feature type from tools/knn.py's JSON."""
    per_k = result['knn']['accuracy'].get(feature)
    return per_k['200']['top1'] if per_k else None


def fmt(values, missing='n/a'):
    values = [v for v in values if v is not None]
    if not values:
        return missing
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return (f'{statistics.mean(values):.2f} ± '
            f'{statistics.stdev(values):.2f} (n={len(values)})')


def finished_runs(work_dir):
    """Every finished run of the work directory (from earlier invocations
    too), in the order of RUNS then seed."""
    found = []
    for name in RUNS:
        for path in sorted(glob.glob(osp.join(work_dir, f'{name}_seed*',
                                              'done.json'))):
            with open(path) as f:
                found.append(json.load(f))
    return found


def epoch_seconds(result, work_dir):
    """Training time per epoch: the mean logged iteration time (forward,
    backward, step, data) times the iterations per epoch; no kNN monitor,
    no checkpointing."""
    per_epoch = result.get('iters_per_epoch')
    if per_epoch is None:  # runs recorded before the field existed
        tag = f"{result['name']}_seed{result['seed']}"
        per_epoch = scalars(osp.join(work_dir, tag))[2]
    if per_epoch is None or result.get('mean_iter_seconds') is None:
        return None
    return result['mean_iter_seconds'] * per_epoch


def report(args):
    results = finished_runs(args.work_dir)
    lines = [
        '| method | backbone | epochs | views | kNN top-1, backbone | '
        'kNN top-1, embedding | linear top-1 | time per epoch (s) | '
        'wall time (min) | config | command |',
        '|---|---|---|---|---|---|---|---|---|---|---|'
    ]
    for name in RUNS:
        rs = [r for r in results if r['name'] == name]
        if not rs:
            continue
        minutes = statistics.mean(r['train_seconds'] for r in rs) / 60
        per_epoch = [epoch_seconds(r, args.work_dir) for r in rs]
        per_epoch = [t for t in per_epoch if t is not None]
        per_epoch = f'{statistics.mean(per_epoch):.0f}' if per_epoch \
            else 'n/a'
        lines.append(
            f"| {LABELS[name]} | ResNet-18 (std stem) | {rs[0]['epochs']} | "
            f"{rs[0]['views']} | {fmt([top1(r, 'backbone') for r in rs])} | "
            f"{fmt([top1(r, 'neck') for r in rs])} | "
            f"{fmt([linear_top1(r, args.work_dir) for r in rs], '-')} | "
            f"{per_epoch} | "
            f"{minutes:.1f} | [config]({rs[0]['config']}) | "
            f"`{COMMAND} --only {name}` |")
    table = '\n'.join(lines)
    with open(osp.join(args.work_dir, 'results.md'), 'w') as f:
        f.write(table + '\n')
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)
    print(table)
    plot(results, osp.join(args.work_dir, 'knn_curves.png'))


def plot(results, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for ax, feature in zip(axes, ('backbone', 'neck')):
        for r in results:
            key = next((k for k in r['curve'] if f'/{feature}_top1' in k),
                       None)
            if key is None:
                continue
            steps = sorted(r['curve'][key], key=int)
            ax.plot([int(s) for s in steps],
                    [r['curve'][key][s] for s in steps],
                    marker='o',
                    label=f"{LABELS[r['name']]} (seed {r['seed']})")
        ax.set_title(f'kNN top-1 (k=200, T=0.1), {feature} feature')
        ax.set_xlabel('epoch')
        ax.grid(alpha=0.3)
    axes[0].set_ylabel('top-1 (%)')
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/cifar_suite')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--only', nargs='+', choices=list(RUNS),
                        help='run these only (default: all)')
    parser.add_argument('--val-interval', type=int, default=2,
                        help='epochs between kNN-monitor points')
    parser.add_argument('--no-linear', action='store_true',
                        help='skip the linear evaluations')
    parser.add_argument('--report-only', action='store_true',
                        help='only rebuild the table and plot from the '
                        'finished runs')
    args = parser.parse_args(argv)
    args.work_dir = osp.abspath(args.work_dir)
    os.makedirs(args.work_dir, exist_ok=True)
    if args.report_only:
        report(args)
        return 0
    for i, seed in enumerate(args.seeds):
        for name in args.only or list(RUNS):
            if i > 0 and not RUNS[name][3]:
                continue
            print(f'== {name} seed {seed}', flush=True)
            one_run(name, seed, args)
            report(args)
    if not args.no_linear:
        for seed in args.seeds:
            for name in args.only or list(RUNS):
                if name in LINEAR_RUNS:
                    print(f'== linear evaluation of {name} seed {seed}',
                          flush=True)
                    linear_eval(name, seed, args)
        report(args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
