"""Weighted kNN evaluation (Wu et al. 2018) of a trained model.

Usage:
    python tools/knn.py CONFIG CHECKPOINT [--backbone-only]
        [--k 10 20 100 200] [--temperature 0.07] [--batch-size 256]
        [--num-workers N] [--chunk-size 1024] [--device cpu|cuda]
        [--exact] [--queries test|val] [--out results.json] [--no-progress]
        [--cfg-options KEY=VALUE ...]
        [--launcher {none,pytorch,slurm}] [--debug]

Builds the backbone (+ neck) of CONFIG's model, loads CHECKPOINT (a full
training checkpoint, or with --backbone-only a backbone-only one),
extracts features of the train split (the memory) and of the test split
(or, with --queries val, of the validation images) without augmentation, and reports top-1/top-5 weighted kNN accuracy for
every k on the pooled backbone feature and, when the model has a neck, the
L2-normalised neck embedding. T = 0.1 and k = 200 are NPID's protocol.
The neighbour search is float32 (TF32 on CUDA devices that have it);
``--exact`` makes it exact (fixed-point float64: neighbours and accuracies
independent of chunking, BLAS and device, ties by train index), as the
published numbers were computed.

The splits: ``knn_train_dataloader`` / ``knn_test_dataloader`` of the
config if it has them, else derived from its training dataset (CIFAR-like
datasets: the training subset with test_mode=False and the whole test set
with test_mode=True, no augmentation). Override parts with --cfg-options,
e.g. ``knn_test_dataloader.dataset.indices=1000``.
See docs/benchmarks.md.

Multi-process: torchrun --nproc_per_node=N tools/knn.py ... --launcher
pytorch (gloo on CPU, NCCL on GPU); every process extracts a share of the
images, rank 0 gathers them and runs the kNN.

A bad checkpoint, config value or data set (also NaN or infinite features)
ends the tool with ``error: <sentence>`` on stderr and exit status 2;
``--debug`` shows the traceback instead.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmbank  # noqa: E402,F401  (registers components, applies fixes)
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.dist import get_dist_info, init_dist, is_main_process  # noqa
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmbank.evaluation.checkpoint import (  # noqa: E402
    check_checkpoint_file, load_feature_checkpoint)
from mmbank.evaluation.eval_dataloaders import eval_dataloader_cfg  # noqa
from mmbank.evaluation.feature_extraction import (  # noqa: E402
    build_feature_model, extract_features)
from mmbank.evaluation.functional import knn_accuracy  # noqa: E402
from mmbank.evaluation.functional.knn import (  # noqa: E402
    check_finite_features)
from mmbank.utils.cli import (add_debug_argument,  # noqa: E402
                              add_launch_arguments, check_config_file,
                              exit_on_user_error, non_negative_int,
                              positive_float, positive_int, set_local_rank)
from mmbank.utils.upstream_fixes import init_cpu_distributed  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Weighted kNN evaluation of a trained model')
    parser.add_argument('config', help='training config of the model')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--backbone-only',
        action='store_true',
        help='evaluate the backbone feature only (no neck); accepts '
        'backbone-only checkpoints as well as full ones')
    parser.add_argument(
        '--k',
        nargs='+',
        type=positive_int,
        default=[10, 20, 100, 200],
        help='numbers of neighbours (default: 10 20 100 200)')
    parser.add_argument(
        '--temperature',
        type=positive_float,
        default=0.07,
        help='temperature T of the weights exp(sim / T) (default 0.07; '
        'NPID protocol: 0.1)')
    parser.add_argument(
        '--batch-size',
        type=positive_int,
        help='extraction batch size (default: '
        'the kNN dataloaders\', 256 when derived)')
    parser.add_argument(
        '--num-workers',
        type=non_negative_int,
        help='dataloader workers (default: '
        'the kNN dataloaders\', 0 when derived)')
    parser.add_argument(
        '--chunk-size',
        type=positive_int,
        default=1024,
        help='test features per chunk of the neighbour search')
    parser.add_argument(
        '--exact',
        action='store_true',
        help='exact neighbour search (fixed-point float64): results '
        'independent of chunking, BLAS and device, ties by train index; '
        'default: float32, TF32 on CUDA devices that have it')
    parser.add_argument(
        '--device',
        default=None,
        help='device of the extraction and search (default: cuda if '
        'available, else cpu)')
    parser.add_argument(
        '--queries',
        choices=['test', 'val'],
        default='test',
        help='query split: the test set (default) or the validation images '
        '(CIFAR: training images 45,000-49,999, outside the training '
        'subset), for tuning without reading the test set')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument(
        '--no-progress', action='store_true', help='no progress bars')
    add_launch_arguments(
        parser,
        cfg_options_help=', e.g. '
        'knn_test_dataloader.dataset.indices=1000')
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    set_local_rank(args)
    return args


def init_distributed(launcher: str) -> None:
    """Start the process group: NCCL with GPUs, gloo without."""
    if launcher == 'none' or init_cpu_distributed(launcher):
        return
    init_dist(launcher, backend='nccl')


def num_classes_of(dataset, *labels) -> int:
    """Classes from the dataset's metainfo, else the largest label + 1."""
    classes = getattr(dataset, 'metainfo', {}).get('classes')
    if classes:
        return len(classes)
    return int(max(int(x.max()) for x in labels)) + 1


def neighbours_used(ks, num_memory: int) -> dict:
    """``{k: the neighbours a k-NN over num_memory images uses}``."""
    return {str(k): min(k, num_memory) for k in ks}


def format_table(results: dict, temperature: float) -> str:
    """A plain-text table of ``results['accuracy']``; a ``k`` larger than
    the memory shows the number of neighbours used beside it."""
    search = 'exact' if results.get('exact') else 'float32'
    lines = [
        f'weighted kNN, T = {temperature:g}, {search} search: '
        f'{results["num_train"]} train (memory) / {results["num_test"]} '
        f'test images, {results["num_classes"]} classes',
        f'{"feature":<10}{"dim":>6}{"k":>6}{"top-1":>9}{"top-5":>9}',
    ]
    used = results.get('k_used', {})
    capped = sorted((k for k in used if used[k] != int(k)), key=int)
    for name, per_k in results['accuracy'].items():
        for k, acc in per_k.items():
            shown = f'{k}*' if k in capped else k
            lines.append(f'{name:<10}{results["dims"][name]:>6}{shown:>6}'
                         f'{acc["top1"]:>9.2f}{acc["top5"]:>9.2f}')
    if capped:
        lines.append(f'* k = {", ".join(capped)} exceed the memory of '
                     f'{results["num_train"]} images: all '
                     f'{results["num_train"]} are the neighbours')
    return '\n'.join(lines)


def run_knn(args) -> dict:
    """Extract features and evaluate; the results on rank 0, else None."""
    check_config_file(args.config)
    check_checkpoint_file(args.checkpoint)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmselfsup'))
    init_distributed(args.launcher)
    rank, world_size = get_dist_info()
    if args.device is not None:
        device = torch.device(args.device)
    elif torch.cuda.is_available():
        device = torch.device('cuda', torch.cuda.current_device())
    else:
        device = torch.device('cpu')

    model = build_feature_model(cfg.model, with_neck=not args.backbone_only)
    load_feature_checkpoint(model, args.checkpoint, args.backbone_only)
    model = model.to(device).eval()

    timings = {}
    feats = {}
    sizes = {}
    # the queries are the test set, or with --queries val the validation
    # images (kept out of the training subset); either is 'test' below
    for key, split in (('train', 'train'), ('test', args.queries)):
        loader_cfg = eval_dataloader_cfg(cfg, split, 'knn', args.batch_size,
                                         args.num_workers)
        try:
            loader = Runner.build_dataloader(loader_cfg, seed=0)
        except ValueError as err:
            # mmengine fails to serialise an empty data list like this
            if 'need at least one array' not in str(err):
                raise
            raise ValueError(
                f'The kNN {split} split is empty: check its indices / data '
                'path.') from err
        sizes[key] = len(loader.dataset)
        if sizes[key] == 0:
            raise ValueError(f'The kNN {split} split is empty (dataset of '
                             'length 0): check its indices / data path.')
        if is_main_process() and not args.no_progress:
            print(
                f'extracting {split} features ({sizes[key]} images, '
                f'{world_size} process(es))',
                flush=True)
        start = time.perf_counter()
        feats[key] = extract_features(
            model, loader, progress=not args.no_progress)
        timings[f'extract_{key}_s'] = time.perf_counter() - start
        if key == 'train':
            train_dataset = loader.dataset
    if rank != 0:
        return None
    train, test = feats['train'], feats['test']
    for name, split in (('train', train), ('test', test)):
        if split['labels'] is None:
            raise KeyError(
                f'The {name} split gives no labels: pack gt_label in its '
                'pipeline (PackSelfSupInputs algorithm_keys) or use a '
                'dataset with get_gt_labels().')
    num_classes = num_classes_of(train_dataset, train['labels'],
                                 test['labels'])
    feature_types = ['backbone'
                     ] + (['neck'] if train['neck'] is not None else [])
    for name in feature_types:
        for split in ('train', 'test'):
            check_finite_features(
                feats[split][name],
                f'The {name} features of the {split} split of '
                f'{args.checkpoint}')
    results = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        temperature=args.temperature,
        queries=args.queries,
        exact=args.exact,
        ks=list(args.k),
        k_used=neighbours_used(args.k, int(train['labels'].numel())),
        num_train=int(train['labels'].numel()),
        num_test=int(test['labels'].numel()),
        num_classes=num_classes,
        dims={name: int(train[name].shape[1])
              for name in feature_types},
        accuracy={})
    start = time.perf_counter()
    for name in feature_types:
        acc = knn_accuracy(
            train[name],
            train['labels'],
            test[name],
            test['labels'],
            ks=args.k,
            temperature=args.temperature,
            topk=(1, 5),
            num_classes=num_classes,
            chunk_size=args.chunk_size,
            device=device,
            exact=args.exact)
        results['accuracy'][name] = {
            str(k): dict(top1=v[1], top5=v[5])
            for k, v in acc.items()
        }
    timings['knn_s'] = time.perf_counter() - start
    results['time'] = timings
    return results


def main(argv=None) -> dict:
    args = parse_args(argv)
    with exit_on_user_error(args.debug):
        results = run_knn(args)
        if results is None:
            return None
        print(format_table(results, args.temperature), flush=True)
        if args.out:
            out_dir = osp.dirname(osp.abspath(args.out))
            os.makedirs(out_dir, exist_ok=True)
            with open(args.out, 'w') as f:
                json.dump(results, f, indent=2)
            print(f'results written to {args.out}')
    return results


if __name__ == '__main__':
    main()
