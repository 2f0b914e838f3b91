"""Unseen-category retrieval (Ye et al., CVPR 2019): Recall@K and NMI.

Usage:
    python tools/retrieval.py CONFIG CHECKPOINT [--ks K [K ...]] [--out FILE]
        [--no-nmi] [--backbone-only] [--exact] [--split {test,val}]
        [--seed SEED] [--batch-size N]
        [--num-workers N] [--work-dir DIR] [--cfg-options KEY=VALUE ...]
        [--launcher {none,pytorch,slurm}] [--debug]

CONFIG is a retrieval config (configs/benchmarks/retrieval/): its ``model``
is the trained algorithm's and its ``test_dataloader`` the retrieval split
(the images of the classes not seen in training), without augmentation and
packing ``gt_label``; ``--split val`` reads its ``unseen_val_dataloader``
instead (training images of the unseen classes held out for choosing
settings, so the test split is read once). The tool extracts the pooled backbone feature and the
neck embedding of every image, lets every image query all the others by
cosine similarity (itself excluded) and prints Recall@K for each K (default:
the ``ks`` of the config's ``test_evaluator``, else 1 2 4 8) and the NMI of
k-means (k = number of classes, fixed seed), in percent. The results also go
to a JSON file (``--out``, default ``WORK_DIR/retrieval.json``).

The neighbour search is float32 unless ``--exact`` is given or the config's
``test_evaluator`` sets ``exact=True`` (fixed-point float64: Recall@K
independent of chunking, BLAS and machine, ties by index; the CIFAR-10
stand-in's configs do, as its published numbers were computed so).

CHECKPOINT is a training checkpoint (``backbone.*``, ``neck.*``; the rest,
such as the memory bank, is ignored), loaded weights-only; with
``--backbone-only`` a checkpoint without neck (or the backbone's own keys)
evaluates the backbone feature only.

A bad checkpoint, config value or data set (also NaN or infinite features)
ends the tool with ``error: <sentence>`` on stderr and exit status 2;
``--debug`` shows the traceback instead.
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import mmbank  # noqa: E402,F401  (registers components, applies fixes)
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.dist import get_rank, init_dist  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmbank.evaluation.checkpoint import (  # noqa: E402
    check_checkpoint_file, load_feature_checkpoint)
from mmbank.evaluation.feature_extraction import (  # noqa: E402
    build_feature_model, extract_features)
from mmbank.evaluation.functional import retrieval_scores  # noqa: E402
from mmbank.evaluation.functional.knn import (  # noqa: E402
    check_finite_features)
from mmbank.utils.cli import (add_debug_argument,  # noqa: E402
                              add_launch_arguments, check_config_file,
                              exit_on_user_error, non_negative_int,
                              positive_int, set_local_rank)
from mmbank.utils.upstream_fixes import init_cpu_distributed  # noqa: E402

DEFAULT_KS = (1, 2, 4, 8)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Recall@K and NMI of unseen-category retrieval')
    parser.add_argument('config', help='retrieval config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--ks',
        type=positive_int,
        nargs='+',
        help='the K of Recall@K (default: the ks of the config\'s '
        'test_evaluator, else 1 2 4 8)')
    parser.add_argument(
        '--out', help='JSON results file (default: WORK_DIR/retrieval.json)')
    parser.add_argument(
        '--no-nmi', action='store_true', help='skip k-means and the NMI')
    parser.add_argument(
        '--backbone-only',
        action='store_true',
        help='evaluate the backbone feature only (checkpoints without a '
        'neck, or with the backbone\'s own keys)')
    parser.add_argument(
        '--exact',
        action='store_true',
        help='exact neighbour search (fixed-point float64), independent of '
        'chunking and BLAS (default: the config\'s test_evaluator.exact, '
        'else float32)')
    parser.add_argument(
        '--split',
        choices=('test', 'val'),
        default='test',
        help='the retrieval split: the config\'s test_dataloader (default) '
        'or its unseen_val_dataloader, a validation split of the unseen '
        'classes\' training images to choose settings on')
    parser.add_argument('--seed', type=int, default=0, help='k-means seed')
    parser.add_argument('--batch-size', type=positive_int)
    parser.add_argument('--num-workers', type=non_negative_int)
    parser.add_argument('--work-dir', help='where the results file goes')
    add_launch_arguments(parser)
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    set_local_rank(args)
    return args


def retrieval_dataloader_cfg(cfg: Config,
                             batch_size=None,
                             num_workers=None,
                             split: str = 'test') -> dict:
    """The retrieval split: the config's ``test_dataloader``, or with
    ``split='val'`` its ``unseen_val_dataloader``."""
    if split == 'val':
        loader = cfg.get('unseen_val_dataloader', None)
        if not loader or not loader.get('dataset', None):
            raise KeyError(
                'The config has no unseen_val_dataloader, the validation '
                'split of --split val (configs/_base_/unseen_cifar10.py '
                'defines one).')
    else:
        loader = cfg.get('test_dataloader', None)
    if not loader or not loader.get('dataset', None):
        raise KeyError(
            'The config has no test_dataloader: use a retrieval config '
            '(configs/benchmarks/retrieval/), whose test_dataloader is the '
            'retrieval split.')
    loader = copy.deepcopy(
        loader.to_dict() if hasattr(loader, 'to_dict') else dict(loader))
    if batch_size is not None:
        loader['batch_size'] = batch_size
    if num_workers is not None:
        loader['num_workers'] = num_workers
        if num_workers == 0:
            loader['persistent_workers'] = False
    return loader


def config_ks(cfg: Config):
    """The ``ks`` of the config's ``test_evaluator``, if any."""
    evaluator = cfg.get('test_evaluator', None)
    if isinstance(evaluator, dict) and evaluator.get('ks'):
        return list(evaluator['ks'])
    return list(DEFAULT_KS)


def config_exact(cfg: Config) -> bool:
    """The ``exact`` of the config's ``test_evaluator``, False if unset."""
    evaluator = cfg.get('test_evaluator', None)
    return bool(isinstance(evaluator, dict) and evaluator.get('exact'))


def score_features(feats: dict,
                   ks,
                   with_nmi: bool = True,
                   seed: int = 0,
                   exact: bool = False) -> dict:
    """Percent Recall@K (and NMI) of the ``backbone`` and ``neck``
    features of :func:`extract_features`' output; ``exact``: exact
    neighbour search (see :func:`retrieval_scores`)."""
    labels = feats.get('labels', None)
    if labels is None:
        raise ValueError(
            'The retrieval split has no labels: pack them with '
            "dict(type='PackSelfSupInputs', algorithm_keys=['gt_label', "
            "'sample_idx']).")
    results = {}
    for key in ('backbone', 'neck'):
        if feats.get(key, None) is None:
            continue
        check_finite_features(feats[key],
                              f'The {key} features of the retrieval split')
        scores = retrieval_scores(
            feats[key], labels, ks, with_nmi=with_nmi, seed=seed, exact=exact)
        results[key] = {k: 100. * v for k, v in scores.items()}
    return results


def format_results(results: dict) -> str:
    """A plain table: one row per feature, one column per score."""
    names = list(next(iter(results.values())))
    rows = [['feature'] + names]
    for key, scores in results.items():
        rows.append([key] + [f'{scores[n]:.2f}' for n in names])
    widths = [max(len(r[i]) for r in rows) for i in range(len(names) + 1)]
    return '\n'.join('  '.join(c.rjust(w) for c, w in zip(r, widths))
                     for r in rows)


def run_retrieval(args):
    """Extract and score; the results on rank 0, else None."""
    check_config_file(args.config)
    check_checkpoint_file(args.checkpoint)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    ks = args.ks or config_ks(cfg)
    exact = args.exact or config_exact(cfg)
    loader_cfg = retrieval_dataloader_cfg(cfg, args.batch_size,
                                          args.num_workers, args.split)
    init_default_scope(cfg.get('default_scope', 'mmselfsup'))
    if args.launcher != 'none' and not init_cpu_distributed(args.launcher) \
            and not torch.distributed.is_initialized():
        init_dist(args.launcher)  # with a GPU: NCCL

    model = build_feature_model(cfg.model, with_neck=not args.backbone_only)
    load_feature_checkpoint(
        model, args.checkpoint, backbone_only=args.backbone_only)
    if torch.cuda.is_available():
        model = model.cuda()
    dataloader = Runner.build_dataloader(loader_cfg, seed=args.seed)
    if len(dataloader.dataset) < 2:
        raise ValueError(
            f'The retrieval split has {len(dataloader.dataset)} image(s); '
            'each image queries the others, so it needs at least 2.')
    feats = extract_features(model, dataloader)
    if get_rank() != 0:
        return None

    results = score_features(feats, ks, not args.no_nmi, args.seed, exact)
    labels = feats['labels']
    print(f'Retrieval on {labels.numel()} images of '
          f'{len(labels.unique())} classes, '
          f'{"exact" if exact else "float32"} search (Recall@K and NMI in '
          '%):')
    print(format_results(results))

    work_dir = args.work_dir or cfg.get('work_dir', None) or osp.join(
        './work_dirs',
        osp.splitext(osp.basename(args.config))[0])
    out = args.out or osp.join(work_dir, 'retrieval.json')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(
            dict(
                config=args.config,
                checkpoint=args.checkpoint,
                split=args.split,
                num_images=int(labels.numel()),
                num_classes=int(len(labels.unique())),
                ks=list(ks),
                exact=exact,
                nmi_seed=None if args.no_nmi else args.seed,
                results=results),
            f,
            indent=2)
    print(f'Results written to {out}')
    return results


def main(argv=None):
    args = parse_args(argv)
    with exit_on_user_error(args.debug):
        return run_retrieval(args)


if __name__ == '__main__':
    main()
