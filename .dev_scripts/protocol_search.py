"""Search for a CPU protocol on which mmselfsup's NPID learns.

Each candidate is mmselfsup's NPID (configs/protocol_search/
npid_search_base.py: ResNet-18 standard stem, channels-last, kNN monitor on
the validation queries) with a training-subset size, batch size, learning
rate and number of epochs. Candidates train two at a time with one thread
each (.dev_scripts/campaign.py: finished runs skipped, interrupted ones
resumed, each record written to docs/records/protocol_search/ and
optionally committed as it finishes). The report compares every candidate's
validation kNN top-1 (k = 200, T = 0.1) with the floors of the same memory
and queries (tools/benchmarks/knn_floors.py), against its training minutes.

Usage:
    python .dev_scripts/protocol_search.py [--only NAME ...]
        [--parallel 2] [--work-dir DIR] [--commit] [--report-only]
        [--adopt NAME ...]
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from campaign import (REPO, Run, adopt, floors_record,  # noqa: E402
                      last_monitor_top1, markdown_table, read_records,
                      run_campaign, steps_per_epoch)

CONFIG = 'configs/protocol_search/npid_search_base.py'
RECORDS = osp.join(REPO, 'docs', 'records', 'protocol_search')


#: Backbones: name -> cfg-options (mmcls ResNets, channels-last). 'std':
#: ResNet-18 with the standard stem (7x7/2 conv + max-pool: 8x8 after the
#: stem, 1x1 at the end); 'cifar-s2-w32': the CIFAR stem (3x3/1 conv, no
#: max-pool) with stride 2 in the first stage too (16x16 in stage 1, 2x2 at
#: the end) and half the width (32-64-128-256), which measured 0.75x the
#: standard one's training step here; 'std-w32': the standard stem at half
#: the width (a 0.2x backbone step, 0.68x NPID's whole step at batch 128).
ARCHS = {
    'std': [],
    'std-w32': [
        'model.backbone.base_channels=32', 'model.backbone.stem_channels=32',
        'model.neck.in_channels=256'
    ],
    'cifar-s2-w32': [
        'model.backbone.type=mmcls.ResNet_CIFAR',
        'model.backbone.strides=(2,2,2,2)', 'model.backbone.base_channels=32',
        'model.backbone.stem_channels=32', 'model.backbone.out_indices=[3]',
        'model.neck.in_channels=256'
    ],
}


def npid_candidate(num_train: int, batch: int, lr: float, epochs: int,
                   val_interval: int = 5, extra=(), tag='',
                   arch: str = 'std', test: bool = False) -> Run:
    """mmselfsup's NPID on the first ``num_train`` training images."""
    name = (f'npid-{num_train // 1000}k-b{batch}-lr{lr:g}-{epochs}e'
            f'{"" if arch == "std" else "-" + arch}'
            f'{"-" + tag if tag else ""}')
    options = [
        f'model.memory_bank.length={num_train}',
        f'train_dataloader.dataset.indices={num_train}',
        f'val_cfg.memory_dataloader.dataset.indices={num_train}',
        f'train_dataloader.batch_size={batch}',
        f'optim_wrapper.optimizer.lr={lr:g}',
        f'train_cfg.max_epochs={epochs}',
        f'param_scheduler.0.T_max={epochs}',
        f'param_scheduler.0.end={epochs}',
        f'train_cfg.val_interval={val_interval}',
        *ARCHS[arch],
        *extra,
    ]
    return Run(name, CONFIG, options, seed=0, test=test,
               meta=dict(num_train=num_train, batch=batch, lr=lr,
                         epochs=epochs, tag=tag, arch=arch))


CANDIDATES = [
    # stopped by hand after epoch 27 (flat below the pixel floor)
    npid_candidate(10000, 64, 0.03, 35),
    # stopped by hand after epoch 15 (its record says so)
    npid_candidate(5000, 64, 0.03, 70, val_interval=10),
    # stopped by hand after epoch 7 (behind batch 64 at equal time)
    npid_candidate(10000, 32, 0.03, 30),
    # stopped by hand after epoch 6 (behind the standard stem at epoch 5)
    npid_candidate(10000, 64, 0.03, 35, arch='cifar-s2-w32'),
    npid_candidate(10000, 128, 0.03, 55),
    # the chosen protocol: its test set is read once (Run.test)
    npid_candidate(10000, 128, 0.03, 75, val_interval=10, arch='std-w32',
                   test=True),
    # the same minutes at twice the learning rate (the lr-0.03 curve was
    # still rising when its lr had decayed)
    npid_candidate(10000, 128, 0.06, 75, val_interval=10, arch='std-w32'),
    # four times the optimiser steps in about the same minutes (the tuning:
    # the method gained 2.2 points from 32 samples a step instead of 128)
    npid_candidate(10000, 32, 0.03, 75, val_interval=10, arch='std-w32',
                   test=True),
]


def floors_of(num_train: int, arch: str = 'std') -> dict:
    """Floors of a memory of ``num_train`` images with the validation
    queries (the pixel floors do not depend on the backbone, the random
    network's do)."""
    return floors_record(num_train, 'val', arch)


def floors_table() -> str:
    """Markdown table of every kNN floors record (docs/records/floors/;
    the retrieval floors there have their own table in the suite)."""
    import glob
    import json
    header = ['backbone', 'memory', 'queries', 'pixels, standardised',
              'pixels, centred', 'random network, backbone',
              'random network, embedding']
    rows = []
    for path in sorted(glob.glob(osp.join(REPO, 'docs', 'records', 'floors',
                                          'npid-*.json'))):
        with open(path) as f:
            fl = json.load(f)
        arch = osp.basename(path).split('_')[0].replace('npid-', '')
        t = fl['top1']
        rnd = [f'{t[k]:.2f}' if k in t else '-'
               for k in ('random_backbone', 'random_neck')]
        rows.append([
            f'ResNet-18 {arch}', f"first {fl['num_memory']:,} training images",
            f"{fl['queries']} ({fl['num_queries']:,})",
            f"{t['pixels_standardised']:.2f}", f"{t['pixels_centred']:.2f}",
            *rnd])
    return markdown_table(header, rows)


def report(out_dir: str = RECORDS) -> str:
    recs = read_records(RECORDS)
    header = ['candidate', 'images', 'batch', 'lr', 'epochs', 'steps',
              'minutes', 'kNN top-1 val, backbone', 'embedding',
              'best pixel floor', 'random net (backbone)',
              'margin over pixels', 'test read (backbone / embedding)',
              'kNN per epoch (backbone)']
    rows = []
    for r in sorted(recs, key=lambda r: r['train_minutes'] or 1e9):
        fl = floors_of(r['num_train'], r.get('arch', 'std'))
        # the pixel floors do not depend on the backbone
        pix = floors_of(r['num_train']).get('best_pixel_floor')
        b, e = last_monitor_top1(r, 'backbone'), last_monitor_top1(r, 'neck')
        curve = r['curve'].get('knn/backbone_top1_k200', {})
        per_epoch = ', '.join(f'{k}: {v:.1f}'
                              for k, v in sorted(curve.items(),
                                                 key=lambda x: int(x[0])))
        steps = r['epochs'] * (r['num_train'] // r['batch'])
        margin = f'{b - pix:+.2f}' if pix is not None and b is not None \
            else 'n/a'
        minutes = f"{r['train_minutes']:.0f}" if r['train_minutes'] \
            else f"stopped after epoch {r['last_epoch']}"
        rnd = fl.get('top1', {}).get('random_backbone')
        rnd = f'{rnd:.2f}' if rnd is not None else 'n/a'
        t = r.get('test_top1') or {}
        test = (f"{t['backbone']:.2f} / {t.get('neck', float('nan')):.2f}"
                if t else '-')
        rows.append([
            r['name'], str(r['num_train']), str(r['batch']), f"{r['lr']:g}",
            str(r['epochs']), str(steps), minutes, f'{b:.2f}', f'{e:.2f}',
            f'{pix:.2f}', rnd, margin, test, per_epoch])
    table = markdown_table(header, rows)
    text = ('# Protocol search records\n\nWritten by '
            '`python .dev_scripts/protocol_search.py --report-only`'
            ' from the JSON records beside this file (validation '
            'queries: training images 45,000-49,999).\n\n' + table +
            '\n\n## Floors\n\n' + floors_table() + '\n')
    with open(osp.join(out_dir, 'README.md'), 'w') as f:
        f.write(text)
    plot(recs, osp.join(out_dir, 'frontier.png'))
    print(table, flush=True)
    return table


#: The comparison's NPID runs on the chosen protocol (10,000 images,
#: half-width standard stem; batch 128 or 32): more points of the frontier.
SUITE = osp.join(REPO, 'docs', 'records', 'cifar_suite')


def suite_points(suite_dir: str = SUITE) -> list:
    """``(label, minutes, val top-1)`` of the suite's NPID runs on the
    chosen protocol, minutes from the logged step times (the records'
    ``train_minutes`` count only the part after a resume)."""
    points = []
    for r in read_records(suite_dir):
        if r.get('run', '').startswith('npid') and 'cifar10-10k' in \
                r['config'] and r.get('mean_step_seconds'):
            steps = steps_per_epoch(r)
            minutes = r['mean_step_seconds'] * steps * r['epochs'] / 60
            points.append((f"NPID b{10000 // steps} {r['epochs']}e, seed "
                           f"{r['seed']}", minutes, last_monitor_top1(r)))
    return points


def plot(recs, path, suite=None):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    pix = floors_of(10000).get('best_pixel_floor')
    for label, minutes, top1 in (suite_points() if suite is None
                                 else suite):
        if pix is not None and top1 is not None:
            axes[0].scatter(minutes, top1 - pix, marker='x', color='k')
            axes[0].annotate(label, (minutes, top1 - pix), fontsize=6)
    for r in recs:
        pix = floors_of(r['num_train']).get('best_pixel_floor')
        b = last_monitor_top1(r)
        if pix is None or b is None:
            continue
        if r['train_minutes']:  # finished runs only
            axes[0].scatter(r['train_minutes'], b - pix)
            axes[0].annotate(r['name'], (r['train_minutes'], b - pix),
                             fontsize=6)
        curve = r['curve'].get('knn/backbone_top1_k200', {})
        epochs = sorted(curve, key=int)
        axes[1].plot([int(e) for e in epochs],
                     [curve[e] - pix for e in epochs], marker='o',
                     ls='-' if r['train_minutes'] else ':',
                     label=r['name'] + ('' if r['train_minutes']
                                        else ' (stopped)'))
    for ax in axes:
        ax.axhline(10, color='g', ls='--', lw=0.8)
        ax.axhline(0, color='k', lw=0.8)
        ax.grid(alpha=0.3)
        ax.set_ylabel('kNN top-1 minus best pixel floor (val, points)')
    axes[0].set_xlabel('training minutes (1 thread, 2 runs side by side; '
                       'x: the comparison\'s NPID runs)')
    axes[1].set_xlabel('epoch')
    axes[1].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', nargs='+',
                        choices=[c.name for c in CANDIDATES])
    parser.add_argument('--parallel', type=int, default=2)
    parser.add_argument('--work-dir', default='work_dirs/protocol_search')
    parser.add_argument('--commit', action='store_true',
                        help='git-commit each record as it finishes')
    parser.add_argument('--report-only', action='store_true')
    parser.add_argument(
        '--adopt', nargs='+', default=[], metavar='NAME',
        help='record these candidates, trained by hand with their command '
        'into the work dir (train.out), without training them again')
    args = parser.parse_args(argv)
    os.makedirs(RECORDS, exist_ok=True)
    for c in CANDIDATES:
        if c.name in args.adopt:
            adopt(c, osp.abspath(args.work_dir))
    if not args.report_only:
        runs = [c for c in CANDIDATES if not args.only or c.name in args.only]
        run_campaign(runs, osp.abspath(args.work_dir), RECORDS,
                     args.parallel, args.commit,
                     on_record=lambda rec: report())
    report()
    return 0


if __name__ == '__main__':
    sys.exit(main())
