"""Tune the method's open choices on the validation split.

Every variant is the full method of the CPU protocol
(configs/membank/membank_resnet18-std-w32_1xb128x2-coslr-75e_cifar10-10k.py,
or an ablation of it) with ``--cfg-options``: views K, the consistency
weight / temperature / ``detach_target``, the merge schedule and criterion,
the learning rate. Tuning runs may be shorter than the protocol
(``epochs``: the cosine schedule and the merge start scale with it); the
ranking of the short runs is checked by full-length runs of the leaders.

Scores are the kNN monitor's top-1 on the validation queries (training
images 45,000-49,999); the test set is never read here. Runs train two at
a time with one thread each through .dev_scripts/campaign.py (finished
runs skipped, interrupted ones resumed, records written to
``docs/records/tuning/`` and with ``--commit`` committed as they finish).
The report (``README.md`` and ``curves.png`` beside the records) lists each
variant's settings, validation top-1 against the reference of the same
length, the merges' class purity and the time per epoch.

Usage:
    python .dev_scripts/tuning.py [--only NAME ...] [--parallel 2]
        [--work-dir DIR] [--commit] [--report-only] [--list]
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from campaign import (REPO, Run, floors_record, last_monitor_top1,  # noqa
                      markdown_table, read_records, run_campaign,
                      steps_per_epoch)

RECORDS = osp.join(REPO, 'docs', 'records', 'tuning')
COMMAND = 'python .dev_scripts/tuning.py --only'
FULL = 'configs/membank/membank_resnet18-std-w32_1xb128x2-coslr-75e_cifar10-10k.py'
ABL = ('configs/ablations/membank-{}_resnet18-std-w32_1xb128x{}-coslr-75e_'
       'cifar10-10k.py')
NPID = 'configs/npid/npid_resnet18-std-w32_1xb128-coslr-75e_cifar10-10k.py'
CONFIGS = {
    'full': FULL,
    'vanilla': ABL.format('vanilla', 1),
    'views': ABL.format('views', 2),
    'consistency': ABL.format('consistency', 2),
    'merge': ABL.format('merge', 1),
    'npid': NPID,
}
HAS_MERGE = ('full', 'merge')


def hook_key(config: str, hook_type: str) -> str:
    """``custom_hooks.<i>``, the ``--cfg-options`` key of ``config``'s one
    hook of ``hook_type``: found by its type, so a config that reorders
    its hooks still gets the options meant for that hook."""
    from mmengine.config import Config
    hooks = Config.fromfile(osp.join(REPO, config)).get('custom_hooks', [])
    found = [i for i, h in enumerate(hooks) if h.get('type') == hook_type]
    if len(found) != 1:
        raise ValueError(f'{config} has {len(found)} {hook_type}s, not one')
    return f'custom_hooks.{found[0]}'


MERGE_HOOK = hook_key(FULL, 'HardNegativeMergeHook')
PROTOCOL_EPOCHS = 75
SEARCH_NPID = osp.join(REPO, 'docs', 'records', 'protocol_search',
                       'npid-10k-b128-lr0.03-75e-std-w32.json')


# The full method's first 35 epochs, shared by the variants of options
# that act only once merging starts (epoch 38): the consistency ablation is
# the full method without the merge hook, identical to it until the first
# merge (same kNN monitor points to epoch 30 in the records), and its
# cosine schedule is over 75 epochs whatever ``max_epochs``.
SHARED_EPOCHS = 35
BEFORE_MERGING = Run(f'full-first{SHARED_EPOCHS}e', CONFIGS['consistency'],
                     [f'train_cfg.max_epochs={SHARED_EPOCHS}'], seed=0)


def variant(name: str, base: str = 'full', epochs: int = PROTOCOL_EPOCHS,
            views: int = None, merge_start: float = 0.5, lr: float = None,
            options=(), note: str = '', branch: bool = False) -> Run:
    """A tuning run: ``base`` (a key of ``CONFIGS``) trained for ``epochs``
    (cosine over ``epochs``; merging from ``merge_start`` of them) with
    ``views`` views per sample, learning rate ``lr`` and further
    ``options``. ``note`` says what the variant tests. ``branch``: a merge
    option's variant of the full method, resumed from the shared
    ``BEFORE_MERGING`` checkpoint instead of training its first
    ``SHARED_EPOCHS`` again."""
    if branch and not (base == 'full' and epochs == PROTOCOL_EPOCHS
                       and views is None and lr is None
                       and round(merge_start * epochs) > SHARED_EPOCHS):
        raise ValueError(f'{name}: only variants of the full method that '
                         f'differ from it after epoch {SHARED_EPOCHS} can '
                         'branch')
    opts = []
    if epochs != PROTOCOL_EPOCHS:
        opts += [
            f'train_cfg.max_epochs={epochs}',
            f'param_scheduler.0.T_max={epochs}',
            f'param_scheduler.0.end={epochs}',
            f'train_cfg.val_interval={max(5, epochs // 6)}',
        ]
    if base in HAS_MERGE and (epochs != PROTOCOL_EPOCHS
                              or merge_start != 0.5):
        opts.append(f'{MERGE_HOOK}.start_epoch='
                    f'{max(1, round(merge_start * epochs))}')
    if views is not None:
        opts.append(f'model.data_preprocessor.num_views={views}')
    if lr is not None:
        opts.append(f'optim_wrapper.optimizer.lr={lr:g}')
    opts += list(options)
    return Run(f'{name}-{epochs}e', CONFIGS[base], opts, seed=0,
               meta=dict(variant=name, base=base, epochs=epochs,
                         views=views, lr=lr, note=note),
               branch_from=BEFORE_MERGING if branch else None)


def ladder(epochs: int) -> list:
    """The components one by one at ``epochs``: which one moves the
    number (carry-over settings)."""
    return [
        variant('npid', 'npid', epochs, note="mmselfsup's NPID (reference)"),
        variant('vanilla', 'vanilla', epochs, note='K=1, full softmax'),
        variant('views', 'views', epochs,
                note='K=2, no consistency, no merging'),
        variant('full', 'full', epochs, note='carry-over settings'),
        variant('consistency', 'consistency', epochs,
                note='K=2 + consistency'),
        variant('merge', 'merge', epochs, note='K=1 + merging'),
    ]


# 30-epoch runs (a K=2 run: ~15 min beside another) end at the pixel
# floor, so the tuning runs at the protocol's length (~35-40 min); the
# short ladder is kept to see whether short runs rank like long ones.
CONS = 'model.head.loss_consistency.'
MERGE = MERGE_HOOK + '.'
# one choice at a time around the full method's carry-over settings
# (K = 2, lr 0.03, consistency weight 1 at T = 0.1 on both sides, merging
# from epoch 38 to 10% of the samples, pairs of cosine >= 0.7, mutual
# nearest neighbours, groups of at most 4, rows not averaged)
ONE_AT_A_TIME = [
    variant('k4', views=4, note='K=4 views (B x K = 512 images a step)'),
    variant('lr0.06', lr=0.06, note='lr grows with the B x K batch'),
    variant('cons-w0.5', options=[CONS + 'loss_weight=0.5'],
            note='consistency weight 0.5'),
    variant('cons-w2', options=[CONS + 'loss_weight=2.0'],
            note='consistency weight 2'),
    variant('cons-t0.2', options=[CONS + 'temperature=0.2'],
            note='softer distributions in the consistency'),
    variant('cons-detach', options=[CONS + 'detach_target=True'],
            note='no gradient through the KL target'),
    variant('merge-sim0.9', options=[MERGE + 'min_similarity=0.9'],
            note='merge only pairs of cosine >= 0.9'),
    variant('merge-ratio0.03', options=[MERGE + 'final_ratio=0.03'],
            note='merge at most 3% of the samples', branch=True),
    variant('merge-late', merge_start=0.75, note='merging from epoch 56',
            branch=True),
    # merge-nonmutual (mutual=False) and merge-avg (average_rows=True) were
    # measured (records kept) and their options removed after
    # (CHANGELOG.md, "Removed options"): neither moved the number
]
#: hook options removed after their tuning runs (HardNegativeMergeHook's
#: REMOVED_OPTIONS); records that set them are marked in the table
REMOVED_OPTIONS = ('mutual', 'average_rows')
# the vanilla bank (full softmax) ended 2 points under mmselfsup's NPID
# (4,096 sampled negatives): is it the negatives?
NEGATIVES = [
    variant('vanilla-neg4096', 'vanilla',
            options=['model.head.num_negatives=4096'],
            note="K=1 with NPID's 4,096 sampled negatives"),
    variant('views-neg4096', 'views',
            options=['model.head.num_negatives=4096'],
            note='K=2 with 4,096 sampled negatives'),
    variant('consistency-neg4096', 'consistency',
            options=['model.head.num_negatives=4096'],
            note='K=2 + consistency with 4,096 sampled negatives'),
    variant('full-neg4096', options=['model.head.num_negatives=4096'],
            note='the full method with 4,096 sampled negatives'),
]
# K at equal compute: K = 4 won at equal epochs with twice the images per
# epoch; K = 2 for twice the epochs sees as many (decides the GPU configs' K)
EQUAL_IMAGES = [
    variant('full', 'full', 2 * PROTOCOL_EPOCHS,
            note='K=2 for 150 epochs: the images of K=4 for 75'),
    # NPID for 300 epochs (its equal-compute run) overtook K = 4 for 75 on
    # validation: K = 4 has as many images but a quarter of NPID's steps.
    # 32 samples x 4 views a step: NPID's steps and images, views kept
    variant('k4-b32', views=4, options=['train_dataloader.batch_size=32'],
            note='K=4, 32 samples a step (128 images): the steps and '
            'images of NPID for 300 epochs'),
    # both levers at once: K = 2 for 150 epochs came within a point of
    # NPID-300 with half its steps; 64 samples x 2 views has all of them
    variant('k2-b64', 'full', 2 * PROTOCOL_EPOCHS,
            options=['train_dataloader.batch_size=64'],
            note='K=2, 64 samples a step (128 images), 150 epochs: the '
            'steps and images of NPID for 300 epochs'),
]
VARIANTS = (ladder(30) + ladder(PROTOCOL_EPOCHS) + NEGATIVES + ONE_AT_A_TIME
            + EQUAL_IMAGES)


def report(recs=None, out_dir: str = RECORDS) -> str:
    """Markdown table of the tuning records (validation top-1 against
    the NPID reference of the same length and the floors)."""
    recs = read_records(RECORDS) if recs is None else recs
    floors = floors_record(10000, 'val', 'std-w32').get('top1', {})
    pix = max(floors.get('pixels_standardised', 0),
              floors.get('pixels_centred', 0))
    refs = {r['epochs']: last_monitor_top1(r) for r in recs
            if r.get('variant') == 'npid'}
    if PROTOCOL_EPOCHS not in refs and osp.exists(SEARCH_NPID):
        # the protocol search's NPID run: the same config and seed, without
        # RNGStateHook (which only matters after a resume)
        with open(SEARCH_NPID) as f:
            refs[PROTOCOL_EPOCHS] = last_monitor_top1(json.load(f))
    header = ['variant', 'base', 'epochs', 'options', 'kNN val backbone',
              'embedding', 'vs NPID same epochs', 'over pixels',
              'merge purity (last)', 's / epoch', 'what it tests']
    rows = []
    for r in sorted(recs, key=lambda r: (r['epochs'], r['name'])):
        b, e = last_monitor_top1(r), last_monitor_top1(r, 'neck')
        ref = refs.get(r['epochs'])
        purity = r.get('merge_purity') or {}
        last_p = (f'{purity[max(purity, key=int)]:.1f}%' if purity else '-')
        spe = (r['mean_step_seconds'] * steps_per_epoch(r)
               if r.get('mean_step_seconds') else None)
        own = [o for o in r['options'] if not o.startswith(
            ('train_cfg.', 'param_scheduler.'))]
        rows.append([
            r['variant'], r['base'], str(r['epochs']),
            ' '.join(f'`{o}`' for o in own) or '-', f'{b:.2f}', f'{e:.2f}',
            f'{b - ref:+.2f}' if ref is not None else '-', f'{b - pix:+.2f}',
            last_p, f'{spe:.0f}' if spe else '-',
            f"{r.get('note', '')}{branch_note(r)}{removed_note(r)}"])
    table = (f'Floors (validation): best raw-pixel kNN {pix:.2f}, randomly '
             f"initialised backbone {floors.get('random_backbone', 0):.2f}."
             '\n\n' + markdown_table(header, rows))
    with open(osp.join(out_dir, 'README.md'), 'w') as f:
        f.write('# Tuning records (validation split only)\n\nWritten by '
                '`python .dev_scripts/tuning.py --report-only` from the '
                'JSON records beside this file. kNN top-1 (k = 200, '
                'T = 0.1), memory: the first 10,000 training images, '
                'queries: training images 45,000-49,999. Seed 0.\n\n' +
                table + '\n')
    plot(recs, pix, osp.join(out_dir, 'curves.png'))
    print(table, flush=True)
    return table


def removed_note(record: dict) -> str:
    """'; option removed since' for a record that set a removed option."""
    removed = [o for o in record.get('options', []) if o.split('=')[0]
               .rsplit('.', 1)[-1] in REMOVED_OPTIONS]
    return ('; option removed since (CHANGELOG.md, "Removed options")'
            if removed else '')


def branch_note(record: dict) -> str:
    """', epochs 1-35 shared with <run>' for a branched run's record."""
    branch = record.get('branched_from')
    if not branch:
        return ''
    epoch = branch['checkpoint'].split('_')[-1].split('.')[0]
    return f"; epochs 1-{epoch} shared with `{branch['name']}`"


def plot(recs, pix, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    lengths = sorted({r['epochs'] for r in recs})
    if not lengths:
        return
    fig, axes = plt.subplots(1, len(lengths), figsize=(6 * len(lengths), 4.5),
                             squeeze=False)
    for ax, length in zip(axes[0], lengths):
        for r in recs:
            if r['epochs'] != length:
                continue
            curve = r['curve'].get('knn/backbone_top1_k200') or {}
            epochs = sorted(curve, key=int)
            ax.plot([int(x) for x in epochs], [curve[x] for x in epochs],
                    marker='o', label=r['variant'])
        ax.axhline(pix, color='grey', ls='--', lw=1, label='best pixel floor')
        ax.set_title(f'{length}-epoch runs: kNN top-1 (val, backbone)')
        ax.set_xlabel('epoch')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', nargs='+',
                        choices=[v.name for v in VARIANTS])
    parser.add_argument('--parallel', type=int, default=2)
    parser.add_argument('--work-dir', default='work_dirs/tuning')
    parser.add_argument('--commit', action='store_true',
                        help='git-commit each record as it finishes')
    parser.add_argument('--report-only', action='store_true')
    parser.add_argument('--list', action='store_true',
                        help='print the variants and their commands')
    args = parser.parse_args(argv)
    if args.list:
        for v in VARIANTS:
            print(f'{v.name}: {v.command()}')
        return 0
    os.makedirs(RECORDS, exist_ok=True)
    work_root = osp.abspath(args.work_dir)
    if not args.report_only:
        runs = [v for v in VARIANTS if not args.only or v.name in args.only]
        run_campaign(runs, work_root, RECORDS, args.parallel, args.commit,
                     on_record=lambda rec: report())
    report()
    return 0


if __name__ == '__main__':
    sys.exit(main())
