"""The floors of the retrieval benchmark (Recall@K, NMI) for a retrieval
config's split.

Usage:
    python tools/benchmarks/retrieval_floors.py CONFIG [--ks 1 2 4 8]
        [--split {test,val}] [--seed 0] [--no-network] [--out floors.json]
        [--cfg-options KEY=VALUE ...] [--debug]

Scores, as tools/retrieval.py scores a trained model (every image queries
the others by cosine similarity; NMI of k-means with k = number of
classes), features that involve no training: raw pixels standardised per
channel (the config's preprocessor mean/std), raw pixels centred per image,
and the randomly initialised network (backbone and embedding) built under
``--seed`` as a training run of that seed starts. A trained model is worth
something only above these. ``--split val`` scores the config's
``unseen_val_dataloader``, as ``tools/retrieval.py --split val`` does.
For example, the unseen-category stand-in:

    python tools/benchmarks/retrieval_floors.py \\
        configs/benchmarks/retrieval/resnet18-std-w32_retrieval_cifar10-5to9.py
"""
import argparse
import json
import os
import os.path as osp
import sys

HERE = osp.dirname(osp.abspath(__file__))
sys.path[:0] = [HERE, osp.dirname(HERE)]  # knn_floors.py, tools/retrieval.py

from knn_floors import preprocessor_stats, random_network  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from retrieval import (config_ks, format_results,  # noqa: E402
                       retrieval_dataloader_cfg, score_features)

from mmbank.evaluation.feature_extraction import extract_features  # noqa
from mmbank.evaluation.floors import (PIXEL_NORMALISATIONS,  # noqa: E402
                                      collect_pixels)
from mmbank.utils.cli import (add_debug_argument,  # noqa: E402
                              check_config_file, exit_on_user_error,
                              positive_int)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='retrieval config')
    parser.add_argument('--ks', type=positive_int, nargs='+',
                        help='Recall@K for these K (default: the config\'s)')
    parser.add_argument('--split', choices=('test', 'val'), default='test',
                        help='the config\'s test_dataloader (default) or its '
                        'unseen_val_dataloader, as tools/retrieval.py reads')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the random network and of k-means')
    parser.add_argument('--no-network', action='store_true',
                        help='pixels only')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def retrieval_floors(cfg, ks, seed=0, network=True, split='test') -> dict:
    """``{floor name: {feature: {'recall@K': %, 'nmi': %}}}`` of the
    ``split`` (``'test'`` or ``'val'``) of a retrieval config."""
    init_default_scope(cfg.get('default_scope', 'mmselfsup'))
    loader = Runner.build_dataloader(
        retrieval_dataloader_cfg(cfg, split=split), seed=0)
    pixels = collect_pixels(loader, *preprocessor_stats(cfg))
    out = {}
    for name in PIXEL_NORMALISATIONS:
        out[name] = score_features(
            dict(backbone=pixels[name], labels=pixels['labels']), ks,
            seed=seed)['backbone']
    if network:
        feats = extract_features(random_network(cfg, seed), loader,
                                 progress=False)
        for part, scores in score_features(feats, ks, seed=seed).items():
            out[f'random_{part}'] = scores
    return out


def main(argv=None) -> dict:
    args = parse_args(argv)
    with exit_on_user_error(args.debug):
        check_config_file(args.config)
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        result = retrieval_floors(cfg, args.ks or config_ks(cfg), args.seed,
                                  network=not args.no_network,
                                  split=args.split)
        print(f'Retrieval floors of {args.config}, {args.split} split '
              '(in %):')
        print(format_results(result))
        if args.out:
            os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
            with open(args.out, 'w') as f:
                json.dump(dict(config=args.config, split=args.split,
                               seed=args.seed, floors=result), f, indent=2)
    return result


if __name__ == '__main__':
    main()
