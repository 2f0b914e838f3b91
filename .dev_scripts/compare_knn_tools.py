"""Compare mmbank's kNN tool with mmselfsup 1.0.0's on the same checkpoint.

Usage:
    python .dev_scripts/compare_knn_tools.py CONFIG CHECKPOINT
        [--k 10 20 100 200] [--temperature 0.07] [--batch-size 256]
        [--cfg-options KEY=VALUE ...] [--test-every 1] [--skip-cli]
        [--out compare.json]

Runs, on the same data (the kNN train/test splits ``tools/knn.py`` uses:
see docs/benchmarks.md) and the pooled backbone feature:

1. ``tools/knn.py`` (a subprocess, timed end to end);
2. mmselfsup's CLI ``tools/benchmarks/classification/knn_imagenet/
   test_knn.py`` from the installed wheel (``mmselfsup/.mim/``), a
   subprocess timed end to end, with a dataset config written for it
   (its default is ImageNet's) and ``PYTHONPATH`` set so the config's
   ``custom_imports`` finds mmbank; its log lines give its accuracies;
3. mmselfsup's functions in-process (``Extractor`` + ``knn_eval``, what its
   CLI calls), timed, with its bugs worked around: ``num_classes`` set to
   the dataset's (the CLI uses 1000), and with fewer than 100 test images
   (where its ``N // 100`` chunking raises ``range() arg 3 must not be
   zero``) the test features repeated until there are at least 100, which
   leaves every accuracy unchanged.

It prints the accuracies side by side, their largest differences and the
speed ratios. Top-1 must agree (up to exact similarity ties); top-5 of the
CLI can differ at small k: with 1000 classes of which most get no vote,
its ranking of zero-vote classes is arbitrary.
"""
import argparse
import json
import os
import os.path as osp
import re
import subprocess
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import mmbank  # noqa: E402,F401
import mmselfsup  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner, load_checkpoint  # noqa: E402

from mmbank.evaluation.eval_dataloaders import eval_dataloader_cfg  # noqa
from mmselfsup.registry import DATASETS  # noqa: E402

MMSELFSUP_KNN = osp.join(
    osp.dirname(mmselfsup.__file__), '.mim', 'tools', 'benchmarks',
    'classification', 'knn_imagenet', 'test_knn.py')
# test_knn.py's log line (sic: "Reasults")
LOG_LINE = re.compile(r'Reasults of "(\w+)", (\d+)-NN classifier: '
                      r'Top1 - (\d+(?:\.\d+)?), Top5 - (\d+(?:\.\d+)?)')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Compare tools/knn.py with mmselfsup\'s test_knn.py')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--k', nargs='+', type=int, default=[10, 20, 100, 200])
    parser.add_argument('--temperature', type=float, default=0.07)
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='passed to both tools, e.g. '
        'knn_test_dataloader.dataset.indices=1000')
    parser.add_argument(
        '--test-every',
        type=int,
        default=1,
        help='use every N-th test image (a class-balanced subset of a '
        'class-sorted test set), passed to both tools as '
        'knn_test_dataloader.dataset.indices')
    parser.add_argument(
        '--skip-cli',
        action='store_true',
        help='do not run mmselfsup\'s CLI, only its functions in-process')
    parser.add_argument('--out', help='write all results as JSON here')
    return parser.parse_args(argv)


def cfg_options_argv(options) -> list:
    """``--cfg-options`` back into command-line words."""
    if not options:
        return []
    words = []
    for key, value in options.items():
        if isinstance(value, (list, tuple)):
            value = '[' + ','.join(str(v) for v in value) + ']'
        words.append(f'{key}={value}')
    return ['--cfg-options', *words]


def knn_dataloaders(args) -> dict:
    """The kNN dataloader configs; applies ``--test-every`` to
    ``args.cfg_options``."""
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.test_every > 1:
        init_default_scope(cfg.get('default_scope', 'mmselfsup'))
        test = eval_dataloader_cfg(cfg, 'test', 'knn')['dataset']
        num = len(DATASETS.build(dict(test, indices=None, lazy_init=False)))
        indices = list(range(0, num, args.test_every))
        args.cfg_options = dict(
            args.cfg_options or {},
            **{'knn_test_dataloader.dataset.indices': indices})
        cfg.merge_from_dict(
            {'knn_test_dataloader.dataset.indices': indices})
    return {
        split: eval_dataloader_cfg(cfg, split, 'knn', args.batch_size, 0)
        for split in ('train', 'test')
    }


def run_mmbank(args, workdir: str) -> dict:
    out = osp.join(workdir, 'mmbank_knn.json')
    cmd = [
        sys.executable,
        osp.join(REPO, 'tools', 'knn.py'), args.config, args.checkpoint,
        '--backbone-only', '--k', *map(str, args.k), '--temperature',
        str(args.temperature), '--batch-size',
        str(args.batch_size), '--num-workers', '0', '--no-progress', '--out',
        out, *cfg_options_argv(args.cfg_options)
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError('tools/knn.py failed:\n' + proc.stderr[-3000:])
    with open(out) as f:
        res = json.load(f)
    acc = {
        int(k): (v['top1'], v['top5'])
        for k, v in res['accuracy']['backbone'].items()
    }
    return dict(
        wall_s=wall,
        accuracy=acc,
        time=res['time'],
        num_classes=res['num_classes'],
        num_train=res['num_train'],
        num_test=res['num_test'])


def run_mmselfsup_cli(args, loaders: dict, workdir: str) -> dict:
    """mmselfsup's test_knn.py as a user runs it; None if it fails."""
    dataset_cfg = osp.join(workdir, 'knn_dataset.py')
    Config(
        dict(
            train_dataloader=loaders['train'],
            val_dataloader=loaders['test'],
            pool_cfg=dict(type='AvgPool2d'))).dump(dataset_cfg)
    cmd = [
        sys.executable, MMSELFSUP_KNN, args.config, '--checkpoint',
        args.checkpoint, '--dataset-config', dataset_cfg, '--work-dir',
        osp.join(workdir,
                 'mmselfsup'), '--num-knn', *map(str, args.k), '--temperature',
        str(args.temperature), *cfg_options_argv(args.cfg_options)
    ]
    env = dict(
        os.environ,
        PYTHONPATH=REPO + os.pathsep + os.environ.get('PYTHONPATH', ''))
    start = time.perf_counter()
    proc = subprocess.run(
        cmd, cwd=REPO, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1:] or ['?']
        return dict(ok=False, error=last[0], wall_s=wall)
    acc = {
        int(m.group(2)): (float(m.group(3)), float(m.group(4)))
        for m in LOG_LINE.finditer(proc.stdout + proc.stderr)
    }
    return dict(ok=True, wall_s=wall, accuracy=acc)


def run_mmselfsup_inprocess(args, loaders: dict, num_classes: int) -> dict:
    """mmselfsup's Extractor + knn_eval, with its bugs worked around."""
    from mmselfsup.evaluation.functional import knn_eval
    from mmselfsup.models.utils import Extractor
    from mmselfsup.registry import MODELS

    start = time.perf_counter()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmselfsup'))
    model = MODELS.build(cfg.model)
    load_checkpoint(model, args.checkpoint, map_location='cpu')
    feats, labels = {}, {}
    t_extract = time.perf_counter()
    for split, loader_cfg in loaders.items():
        loader = Runner.build_dataloader(loader_cfg, seed=0)
        extractor = Extractor(
            extract_dataloader=loader, pool_cfg=dict(type='AvgPool2d'))
        out = extractor(model)
        feats[split] = next(iter(out.values()))
        labels[split] = torch.LongTensor(loader.dataset.get_gt_labels())
    t_extract = time.perf_counter() - t_extract
    test_feats, test_labels = feats['test'], labels['test']
    repeat = -(-100 // test_feats.shape[0])  # its N // 100 chunking bug
    if repeat > 1:
        test_feats = test_feats.repeat(repeat, 1)
        test_labels = test_labels.repeat(repeat)
    t_knn = time.perf_counter()
    acc = {
        k:
        knn_eval(feats['train'], labels['train'], test_feats, test_labels, k,
                 args.temperature, num_classes)
        for k in args.k
    }
    t_knn = time.perf_counter() - t_knn
    return dict(
        wall_s=time.perf_counter() - start,
        accuracy=acc,
        time=dict(extract_s=t_extract, knn_s=t_knn),
        test_repeats=repeat)


def max_diff(a: dict, b: dict, i: int) -> float:
    return max(abs(a[k][i] - b[k][i]) for k in a)


def main(argv=None) -> dict:
    args = parse_args(argv)
    loaders = knn_dataloaders(args)
    with tempfile.TemporaryDirectory() as workdir:
        ours = run_mmbank(args, workdir)
        cli = None if args.skip_cli else run_mmselfsup_cli(
            args, loaders, workdir)
    inproc = run_mmselfsup_inprocess(args, loaders, ours['num_classes'])

    print(f'\nweighted kNN on the pooled backbone feature, T = '
          f'{args.temperature:g}: {ours["num_train"]} train / '
          f'{ours["num_test"]} test images, {ours["num_classes"]} classes')
    head = f'{"k":>5} | {"mmbank top-1/top-5":>20} | ' \
           f'{"mmselfsup fn top-1/top-5":>25}'
    if cli and cli['ok']:
        head += f' | {"mmselfsup CLI top-1/top-5":>26}'
    print(head)
    for k in args.k:
        line = (f'{k:>5} | {ours["accuracy"][k][0]:>9.2f} /'
                f'{ours["accuracy"][k][1]:>8.2f} | '
                f'{inproc["accuracy"][k][0]:>13.2f} /'
                f'{inproc["accuracy"][k][1]:>9.2f}')
        if cli and cli['ok']:
            line += (f' | {cli["accuracy"][k][0]:>14.2f} /'
                     f'{cli["accuracy"][k][1]:>9.2f}')
        print(line)
    summary = dict(
        top1_max_diff_vs_functions=max_diff(ours['accuracy'],
                                            inproc['accuracy'], 0),
        top5_max_diff_vs_functions=max_diff(ours['accuracy'],
                                            inproc['accuracy'], 1))
    print(f'\nmax |difference| vs mmselfsup functions: top-1 '
          f'{summary["top1_max_diff_vs_functions"]:.3f}, top-5 '
          f'{summary["top5_max_diff_vs_functions"]:.3f} points')
    if inproc['test_repeats'] > 1:
        print(f'(mmselfsup functions: test features repeated '
              f'{inproc["test_repeats"]}x to reach 100, its minimum)')
    if cli is not None:
        if cli['ok'] and len(cli['accuracy']) == len(args.k):
            summary['top1_max_diff_vs_cli'] = max_diff(ours['accuracy'],
                                                       cli['accuracy'], 0)
            summary['top5_max_diff_vs_cli'] = max_diff(ours['accuracy'],
                                                       cli['accuracy'], 1)
            print(f'max |difference| vs mmselfsup CLI: top-1 '
                  f'{summary["top1_max_diff_vs_cli"]:.3f}, top-5 '
                  f'{summary["top5_max_diff_vs_cli"]:.3f} points '
                  '(it scores 1000 classes)')
        else:
            print(f'mmselfsup CLI failed: {cli.get("error")}')

    print('\ntimes (s)            end-to-end  extract  kNN')
    ot = ours['time']
    print(f'mmbank tools/knn.py  {ours["wall_s"]:>10.1f} '
          f'{ot["extract_train_s"] + ot["extract_test_s"]:>8.1f} '
          f'{ot["knn_s"]:>5.2f}')
    it = inproc['time']
    print(f'mmselfsup functions  {"-":>10} {it["extract_s"]:>8.1f} '
          f'{it["knn_s"]:>5.2f}')
    if cli is not None:
        print(f'mmselfsup CLI        {cli["wall_s"]:>10.1f}')
    summary['knn_speedup_vs_functions'] = it['knn_s'] / max(ot['knn_s'], 1e-9)
    print(f'kNN step: mmbank is {summary["knn_speedup_vs_functions"]:.2f}x '
          'the speed of mmselfsup\'s knn_eval (one search for all k vs '
          'one per k)')
    if cli is not None and cli['ok']:
        summary['end_to_end_speedup_vs_cli'] = cli['wall_s'] / ours['wall_s']
        print(f'end to end: mmbank is '
              f'{summary["end_to_end_speedup_vs_cli"]:.2f}x the speed of '
              'mmselfsup\'s CLI')
    results = dict(
        mmbank=ours,
        mmselfsup_functions=inproc,
        mmselfsup_cli=cli,
        summary=summary)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=2, default=str)
    return results


if __name__ == '__main__':
    main()
