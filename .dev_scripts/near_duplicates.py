"""The near-duplicate benchmark: does merging find injected copies, and
does it help?

The CPU protocol's training subset (the first 10,000 CIFAR-10 training
images) plus near-duplicates of a ``fraction`` of them
(``mmbank.datasets.NearDuplicates`` through tools/train.py's
``near_duplicates`` switch: a shift of up to 2 pixels, brightness within
5%, JPEG at quality 75; seeded; each copy a sample with its own bank row),
trained by three methods at 32 samples a step for 75 epochs:

- ``npid``: mmselfsup's NPID (its bank sized to the copies too);
- ``nomerge``: the method at 32 x 4 without merging
  (configs/ablations/membank-consistency_..._1xb32x4-...);
- ``full``: the method at 32 x 4 with merging (from epoch 38), whose hook
  logs, beside class purity, the precision (merged pairs that are true
  copies) and recall (true copies merged) of every merge and the copies'
  bank similarity after every epoch, through mmengine's MessageHub;
- ``full-r50``, ``full-r50-sim0.9``: the same, merging up to 50% of the
  samples instead of 10% (the bound that caps the copies merged), and
  that with pairs of cosine >= 0.9 only instead of 0.7; both resume from
  the first 35 epochs of ``nomerge`` (trained once, shared), as they are
  the same run until the first merge.

The kNN monitor's memory is the 10,000 originals only and its queries the
validation images (training images 45,000-49,999), so every number
compares with the natural protocol's (cifar_suite.py); ``--test`` is the
final read, once per setting: kNN on the 10,000 test images and the linear
probe. The copies' bank similarity at the end is also read from the last
checkpoint of runs without merging (``copy_pair_similarity``), so the
arms compare on what the instance loss did to the pairs.

Runs train two at a time with one thread each through campaign.py
(finished runs skipped, interrupted ones resumed; records in
``docs/records/near_duplicates/``, committed with ``--commit``).

Usage:
    python .dev_scripts/near_duplicates.py [--only NAME ...]
        [--fractions 0.1 0.3] [--seeds 0] [--test] [--parallel 2]
        [--commit] [--report-only] [--list]
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from campaign import (REPO, Run, commit, last_checkpoint,  # noqa: E402
                      last_monitor_top1, markdown_table, read_records,
                      run_campaign)

RECORDS = osp.join(REPO, 'docs', 'records', 'near_duplicates')
COMMAND = 'python .dev_scripts/near_duplicates.py'
NUM_TRAIN = 10000
#: method -> (config, label); 32 samples a step, 75 epochs
_FULL = ('configs/membank/membank_resnet18-std-w32_1xb32x4-coslr-75e_'
         'cifar10-10k.py')
METHODS = {
    'npid': ('configs/npid/npid_resnet18-std-w32_1xb32-coslr-75e_'
             'cifar10-10k.py', "mmselfsup's NPID, 32 a step"),
    'nomerge': ('configs/ablations/membank-consistency_resnet18-std-w32_'
                '1xb32x4-coslr-75e_cifar10-10k.py',
                'method, 32 x 4, no merging'),
    'full': (_FULL, 'method, 32 x 4, merging'),
    # the merge bound and criterion (the full method's hook options): at
    # most 10% of the samples merged caps the copies merged at about 650
    # pairs of 3,000 with 30% copies
    'full-r50': (_FULL, 'method, 32 x 4, merging up to 50%'),
    'full-r50-sim0.9': (_FULL, 'method, 32 x 4, merging up to 50%, '
                        'cosine >= 0.9'),
}
#: merge-hook options of the variants of ``full``
MERGE_OPTIONS = {
    'full-r50': dict(final_ratio=0.5),
    'full-r50-sim0.9': dict(final_ratio=0.5, min_similarity=0.9),
}
FRACTIONS = (0.1, 0.3)
#: the copies' settings beside the fraction (NearDuplicates' defaults)
COPIES = dict(max_shift=2, brightness=0.05, jpeg_quality=75, seed=0)


def run_name(method: str, fraction: float, seed: int) -> str:
    return f'{method}-dup{round(100 * fraction)}_seed{seed}'


def make_run(method: str, fraction: float, seed: int = 0,
             test: bool = False) -> Run:
    """One run: ``method`` on the protocol's subset plus copies of
    ``fraction`` of it."""
    config, _ = METHODS[method]
    options = [f'near_duplicates.fraction={fraction:g}'] + [
        f'near_duplicates.{key}={value}' for key, value in COPIES.items()]
    branch = None
    if method in MERGE_OPTIONS:
        from tuning import SHARED_EPOCHS, hook_key
        # identical to the method without merging until the first merge
        # (epoch 38): resumed from its first 35 epochs, trained once
        branch = Run(
            f'nomerge-first{SHARED_EPOCHS}e-dup{round(100 * fraction)}'
            f'_seed{seed}', METHODS['nomerge'][0],
            options + [f'train_cfg.max_epochs={SHARED_EPOCHS}'], seed=seed)
        hook = hook_key(config, 'HardNegativeMergeHook')
        options += [f'{hook}.{key}={value}'
                    for key, value in MERGE_OPTIONS[method].items()]
    if method == 'npid':  # mmselfsup's bank has a fixed length
        num = NUM_TRAIN + int(round(fraction * NUM_TRAIN))
        options.append(f'model.memory_bank.length={num}')
    return Run(run_name(method, fraction, seed), config, options, seed=seed,
               test=test, meta=dict(method=method, fraction=fraction),
               branch_from=branch)


def runs(methods, fractions, seeds, test=False):
    return [make_run(m, f, s, test) for s in seeds for f in fractions
            for m in methods]


def copy_rows_and_pairs(record: dict, work_root: str,
                        data_prefix: str = 'data/cifar10/',
                        num_train: int = NUM_TRAIN):
    """The L2-normalised bank rows of a run's last checkpoint (mmbank's
    ``InstanceMemoryBank`` or NPID's ``SimpleMemory``) and the ``(M, 2)``
    copy pairs, rebuilt by ``NearDuplicates`` from the run's settings."""
    import torch
    from mmengine.registry import init_default_scope

    import mmbank  # noqa: F401
    from mmengine.runner.checkpoint import _load_checkpoint
    from mmselfsup.registry import DATASETS
    state = _load_checkpoint(
        last_checkpoint(osp.join(work_root, record['name'])),
        map_location='cpu')['state_dict']
    rows = state.get('head.memory_bank.feats',
                     state.get('memory_bank.feature_bank'))
    init_default_scope('mmselfsup')
    data = DATASETS.build(dict(
        type='NearDuplicates', fraction=record['fraction'], **COPIES,
        dataset=dict(type='OfflineCIFAR10', data_prefix=data_prefix,
                     test_mode=False, download=False, indices=num_train,
                     pipeline=[])))
    rows = torch.nn.functional.normalize(rows.float(), dim=1)
    return rows, torch.as_tensor(data.pairs)


def copy_similarity(record: dict, work_root: str,
                    data_prefix: str = 'data/cifar10/',
                    num_train: int = NUM_TRAIN) -> float:
    """The copies' mean bank-row cosine (x 100) at the end of a run."""
    from mmbank.models.utils import pair_similarity
    rows, pairs = copy_rows_and_pairs(record, work_root, data_prefix,
                                      num_train)
    return round(100 * pair_similarity(rows, pairs), 1)


def copy_softmax(record: dict, work_root: str,
                 data_prefix: str = 'data/cifar10/',
                 num_train: int = NUM_TRAIN) -> dict:
    """What the instance softmax (the run's temperature) does to the
    copies at the end of a run (``pair_softmax_share`` of the last bank):
    the partner's share of the mass, how often it is the nearest other
    row, and the copies' instance loss with the partner a negative or,
    merged, a positive."""
    from mmengine.config import Config

    from mmbank.models.utils import pair_softmax_share
    rows, pairs = copy_rows_and_pairs(record, work_root, data_prefix,
                                      num_train)
    temperature = Config.fromfile(osp.join(REPO, record['config'])) \
        .model.head.temperature
    share = pair_softmax_share(rows, pairs, temperature)
    return dict(temperature=temperature,
                **{k: round(v, 4) for k, v in share.items()})


def last_value(figure: dict):
    """The value of a ``{epoch: value}`` figure at its last epoch."""
    return figure[max(figure, key=int)] if figure else None


def fmt(values) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return '-'
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'


def loss_cells(recs) -> str:
    """``apart / merged``: the copies' instance loss with the partner a
    negative and a positive (mean ± std over ``recs``), or ``-``."""
    soft = [r['copy_softmax'] for r in recs if r.get('copy_softmax')]
    if not soft:
        return '-'
    return ' / '.join(fmt([s[k] for s in soft])
                      for k in ('nll_apart', 'nll_merged'))


def report(recs=None, out_dir: str = RECORDS) -> str:
    """``README.md`` beside the records: one row per method and fraction
    (mean ± std over seeds)."""
    recs = read_records(out_dir) if recs is None else recs
    header = ['copies', 'method', 'seeds', 'kNN val, backbone',
              'kNN val, embedding', 'kNN test, backbone',
              'kNN test, embedding', 'linear test',
              'merged pairs that are copies (%)', 'copies merged (%)',
              'merged pairs of the same class (%)',
              "copies' bank similarity (x 100)",
              "partner's share of a copy's softmax (%)",
              "copies' instance loss, partner a negative / merged",
              'command']
    rows = []
    for fraction in sorted({r['fraction'] for r in recs}):
        for method, (_, label) in METHODS.items():
            rs = [r for r in recs
                  if r['method'] == method and r['fraction'] == fraction]
            if not rs:
                continue
            copies = [r.get('merge_copies') or {} for r in rs]
            rows.append([
                f'{round(100 * fraction)}%', label, str(len(rs)),
                fmt([last_monitor_top1(r) for r in rs]),
                fmt([last_monitor_top1(r, 'neck') for r in rs]),
                fmt([(r.get('test_top1') or {}).get('backbone') for r in rs]),
                fmt([(r.get('test_top1') or {}).get('neck') for r in rs]),
                fmt([r.get('linear_top1') for r in rs]),
                fmt([last_value(c.get('merge_copy_precision')) for c in copies]),
                fmt([last_value(c.get('merge_copy_recall')) for c in copies]),
                fmt([last_value(r.get('merge_purity')) for r in rs]),
                fmt([r.get('copy_similarity') for r in rs]),
                fmt([100 * r['copy_softmax']['partner_share'] for r in rs
                     if r.get('copy_softmax')]),
                loss_cells(rs),
                f'`{COMMAND} --only {method} --fractions {fraction:g}`'])
    text = ('# Near-duplicate benchmark records\n\nWritten by `python '
            '.dev_scripts/near_duplicates.py --report-only` from the JSON '
            'records beside this file. Training: the first 10,000 CIFAR-10 '
            'training images plus near-duplicates of a fraction of them; '
            'kNN (k = 200, T = 0.1) memory: the 10,000 originals; '
            'validation queries: training images 45,000-49,999; test: the '
            '10,000 test images. Merge figures at the last merge; the '
            "copies' similarity at the end of training, and what the "
            "instance softmax over the last bank does to them (each copy's "
            "own row as its query, the run's temperature; "
            '`pair_softmax_share`): the mass its partner takes, and its '
            'loss with the partner a negative (apart) or a positive '
            '(merged).\n\n' +
            markdown_table(header, rows) + '\n\n'
            'Per epoch (`copies.png`; solid: 30% copies, dotted: 10%):\n\n'
            '![merge precision, recall and the copies\' cosine per epoch]'
            '(copies.png)\n')
    os.makedirs(out_dir, exist_ok=True)
    if recs:
        plot(recs, osp.join(out_dir, 'copies.png'))
    with open(osp.join(out_dir, 'README.md'), 'w') as f:
        f.write(text)
    print(text, flush=True)
    return text


#: merge figures of a record's ``merge_copies`` plotted by :func:`plot`
PLOTTED = (('merge_copy_precision', 'merged pairs that are copies (%)'),
           ('merge_copy_recall', 'copies merged (%)'),
           ('copy_pair_similarity', "copies' bank cosine (x 100)"))


def plot(recs, path: str) -> str:
    """``path`` (a PNG): per epoch, the merged pairs that are copies, the
    copies merged and the copies' mean bank cosine, one line per run
    with merging; runs without it (no per-epoch figures) show their
    final cosine as a point at their last epoch."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 5))
    colours = plt.rcParams['axes.prop_cycle'].by_key()['color']
    styles = {0.1: ':', 0.3: '-'}
    labelled = set()
    for i, (method, (_, label)) in enumerate(METHODS.items()):
        colour = colours[i % len(colours)]
        for r in sorted((r for r in recs if r['method'] == method),
                        key=lambda r: (r['fraction'], r['seed'])):
            name = (f"{label}, {round(100 * r['fraction'])}% copies, "
                    f"seed {r['seed']}")
            figures = r.get('merge_copies') or {}
            for ax, (key, _) in zip(axes, PLOTTED):
                curve = figures.get(key) or {}
                epochs = sorted(curve, key=int)
                if epochs:
                    ax.plot([int(e) for e in epochs],
                            [curve[e] for e in epochs], color=colour,
                            ls=styles.get(r['fraction'], '--'), lw=1.2,
                            label=name)
                    labelled.add(name)
            if not figures.get('copy_pair_similarity') and \
                    r.get('copy_similarity') is not None:
                axes[2].plot([r.get('last_epoch') or 75],
                             [r['copy_similarity']], 'o', color=colour,
                             label=None if name in labelled else name)
                labelled.add(name)
    # the cosine from epoch 10 on (the bank starts random, near 0)
    late = [y for line in axes[2].get_lines()
            for x, y in zip(line.get_xdata(), line.get_ydata()) if x >= 10]
    if late:
        axes[2].set_ylim(min(late) - 2, min(100, max(late) + 2))
        axes[2].set_title("copies' bank cosine (x 100), from epoch 10")
    for ax, (_, title) in zip(axes, PLOTTED):
        ax.set_xlabel('epoch')
        if not ax.get_title():
            ax.set_title(title)
        ax.grid(alpha=0.3)
    fig.legend(*axes[2].get_legend_handles_labels(), fontsize=8,
               loc='lower center', ncol=3)
    fig.suptitle('Near-duplicate benchmark: merging against the injected '
                 'copies (validation runs)')
    fig.tight_layout(rect=(0, 0.14, 1, 1))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def refresh_merge_figures(record: dict, work_root: str) -> bool:
    """Re-read a finished run's merge figures (``merge_purity``,
    ``merge_copies``) from its last checkpoint into ``record``; whether
    they changed (records written before the copies' similarity got its
    epochs right for runs resumed from a branch)."""
    from campaign import merge_figures
    figures = merge_figures(osp.join(work_root, record['name']))
    if not figures:
        return False
    old = (record.get('merge_purity'), record.get('merge_copies'))
    purity = figures.pop('merge_same_class', {})
    # JSON keys: the records hold epochs as strings
    record['merge_purity'] = {str(e): v for e, v in purity.items()}
    record['merge_copies'] = {
        name: {str(e): v for e, v in figure.items()}
        for name, figure in figures.items()} or None
    return (record['merge_purity'], record['merge_copies']) != old


def after_record(record: dict, work_root: str, do_commit: bool,
                 test: bool, rewrite: bool = False) -> None:
    """Add the copies' final similarity (and with ``test`` the linear
    probe) to a finished run's record, rewrite the report (committed with
    ``do_commit``); ``rewrite``: write the record even if nothing is
    added."""
    from cifar_suite import linear_probe
    path = osp.join(RECORDS, f"{record['name']}.json")
    if rewrite or record.get('copy_similarity') is None or \
            record.get('copy_softmax') is None:
        record['copy_similarity'] = copy_similarity(record, work_root)
        record['copy_softmax'] = copy_softmax(record, work_root)
        with open(path, 'w') as f:
            json.dump(record, f, indent=2)
        if do_commit:
            commit([path], f"campaign record: {record['name']} copies' "
                   'figures from its last checkpoint')
    if test:
        linear_probe(record, work_root, do_commit, records_dir=RECORDS)
    report()
    if do_commit:
        commit([osp.join(RECORDS, 'README.md'),
                osp.join(RECORDS, 'copies.png')],
               f"near-duplicate report: with {record['name']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--only', nargs='+', choices=list(METHODS),
                        default=list(METHODS))
    parser.add_argument('--fractions', type=float, nargs='+',
                        default=list(FRACTIONS))
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--test', action='store_true',
                        help='final read: kNN on the test set, linear probe')
    parser.add_argument('--parallel', type=int, default=2)
    parser.add_argument('--work-dir', default='work_dirs/near_duplicates')
    parser.add_argument('--commit', action='store_true')
    parser.add_argument('--report-only', action='store_true')
    parser.add_argument('--rescore', action='store_true',
                        help="re-read the merge figures of finished "
                        "records and add the copies' similarity and "
                        'softmax figures where missing or changed (from '
                        'their last checkpoints in --work-dir)')
    parser.add_argument('--list', action='store_true',
                        help='print the runs and their commands')
    args = parser.parse_args(argv)
    todo = runs(args.only, args.fractions, args.seeds, args.test)
    if args.list:
        for run in todo:
            print(f'{run.name}: {run.command()}')
        return 0
    if args.rescore:
        work_root = osp.abspath(args.work_dir)
        for rec in read_records(RECORDS):
            if not osp.isdir(osp.join(work_root, rec['name'])):
                continue
            if refresh_merge_figures(rec, work_root) or \
                    rec.get('copy_softmax') is None:
                after_record(rec, work_root, args.commit, test=False,
                             rewrite=True)
        return 0
    if not args.report_only:
        work_root = osp.abspath(args.work_dir)
        os.makedirs(RECORDS, exist_ok=True)
        run_campaign(todo, work_root, RECORDS, args.parallel, args.commit,
                     on_record=lambda rec: after_record(
                         rec, work_root, args.commit, args.test))
    report()
    return 0


if __name__ == '__main__':
    sys.exit(main())
