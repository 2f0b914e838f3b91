"""The floors of the kNN benchmark for a config's memory and queries.

Usage:
    python tools/benchmarks/knn_floors.py CONFIG [--queries val|test]
        [--k 200] [--temperature 0.1] [--seed 0] [--no-network] [--exact]
        [--out floors.json] [--trained knn.json]
        [--cfg-options KEY=VALUE ...] [--debug]

Weighted kNN (NPID's protocol: k = 200, T = 0.1, cosine similarity) of the
queries against the memory (the config's training subset, no
augmentation), on features that involve no training:

- raw pixels standardised per channel (the config's preprocessor mean/std);
- raw pixels, each image centred by its own mean;
- the randomly initialised network (backbone and, if the config has a
  neck, the embedding), built and initialised under ``--seed`` as a
  training run of that seed starts.

A trained model is worth something only above the better of these: with
``--trained`` (a ``tools/knn.py --out`` JSON of the same config and
queries) its top-1 is printed beside the floors with its margin over the
better pixel floor. The
queries are the validation split (training images 45,000-49,999, never in
a training subset below 45,000) or the test set; the memory and the query
loaders are the ones tools/knn.py uses.
"""
import argparse
import json
import logging
import os
import os.path as osp
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

import mmbank  # noqa: E402,F401
import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmbank.evaluation.eval_dataloaders import eval_dataloader_cfg  # noqa
from mmbank.evaluation.feature_extraction import (  # noqa: E402
    build_feature_model, extract_features)
from mmbank.evaluation.floors import (PIXEL_NORMALISATIONS,  # noqa: E402
                                      collect_pixels)
from mmbank.evaluation.functional import knn_accuracy  # noqa: E402
from mmbank.utils.cli import (add_debug_argument,  # noqa: E402
                              check_config_file, exit_on_user_error,
                              positive_float, positive_int)

LABELS = dict(
    PIXEL_NORMALISATIONS,
    random_backbone='randomly initialised network, backbone',
    random_neck='randomly initialised network, embedding')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='training config (memory = its '
                        'training subset)')
    parser.add_argument('--queries', choices=['val', 'test'], default='val',
                        help='query split (default: val)')
    parser.add_argument('--k', type=positive_int, default=200)
    parser.add_argument('--temperature', type=positive_float, default=0.1)
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the random initialisation')
    parser.add_argument('--no-network', action='store_true',
                        help='pixel floors only')
    parser.add_argument('--exact', action='store_true',
                        help='exact neighbour search (fixed-point float64, '
                        'as the published floors); default float32')
    parser.add_argument('--out', help='write the results as JSON here')
    parser.add_argument('--trained', help='tools/knn.py JSON of a trained '
                        'model (same config and queries) to print beside '
                        'the floors')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def preprocessor_stats(cfg):
    pre = cfg.model.get('data_preprocessor') or {}
    mean, std = pre.get('mean'), pre.get('std')
    if mean is None or std is None:
        raise ValueError('the config\'s model.data_preprocessor has no '
                         'mean/std to standardise pixels with')
    return list(mean), list(std)


def random_network(cfg, seed: int = 0):
    """The config's backbone (+ neck), initialised under ``seed`` as a
    training run of that seed starts."""
    torch.manual_seed(seed)
    model = build_feature_model(cfg.model)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # init_weights logs every tensor
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    return model


def floors(cfg, queries='val', k=200, temperature=0.1, seed=0,
           network=True, exact=False) -> dict:
    """kNN top-1 of every floor (see the module docstring); ``exact``:
    exact neighbour search (see :func:`knn_accuracy`)."""
    init_default_scope(cfg.get('default_scope', 'mmselfsup'))
    loaders = {
        split: Runner.build_dataloader(
            eval_dataloader_cfg(cfg, split, 'knn'), seed=0)
        for split in ('train', queries)
    }
    mean, std = preprocessor_stats(cfg)
    pixels = {s: collect_pixels(loader, mean, std)
              for s, loader in loaders.items()}
    memory, query = pixels['train'], pixels[queries]
    num_classes = len(loaders['train'].dataset.metainfo.get('classes', ())) \
        or None
    out = dict(queries=queries, k=k, temperature=temperature, seed=seed,
               exact=exact, k_used=min(k, int(memory['labels'].numel())),
               num_memory=int(memory['labels'].numel()),
               num_queries=int(query['labels'].numel()), top1={})

    def top1(train_feats, train_labels, test_feats, test_labels):
        acc = knn_accuracy(train_feats, train_labels, test_feats,
                           test_labels, ks=[k], temperature=temperature,
                           topk=(1, ), num_classes=num_classes,
                           exact=exact)
        return acc[k][1]

    for name in PIXEL_NORMALISATIONS:
        out['top1'][name] = top1(memory[name], memory['labels'],
                                 query[name], query['labels'])
    if network:
        model = random_network(cfg, seed)
        feats = {s: extract_features(model, loader, progress=False)
                 for s, loader in loaders.items()}
        for part in ('backbone', 'neck'):
            if feats['train'][part] is None:
                continue
            out['top1'][f'random_{part}'] = top1(
                feats['train'][part], feats['train']['labels'],
                feats[queries][part], feats[queries]['labels'])
    best = max(out['top1'][n] for n in PIXEL_NORMALISATIONS)
    out['best_pixel_floor'] = best
    return out


def trained_top1(knn: dict, k: int) -> dict:
    """``{'trained_backbone': top-1, 'trained_neck': top-1}`` of a
    tools/knn.py results dict at ``k``."""
    accuracy = knn.get('accuracy') if isinstance(knn, dict) else None
    if not isinstance(accuracy, dict) or not all(
            isinstance(per_k, dict) for per_k in accuracy.values()):
        raise ValueError(
            'the trained results are not a tools/knn.py --out JSON (an '
            "object with 'accuracy': {feature: {k: {'top1': ...}}})")
    out = {}
    for part, per_k in accuracy.items():
        if str(k) not in per_k:
            raise ValueError(f'the trained results have no k = {k} '
                             f'(they have k = {sorted(per_k, key=int)})')
        top1 = per_k[str(k)].get('top1') if isinstance(
            per_k[str(k)], dict) else None
        if not isinstance(top1, (int, float)):
            raise ValueError(f'the trained results have no top-1 of the '
                             f'{part} feature at k = {k}')
        out[f'trained_{part}'] = top1
    return out


def _k(result: dict) -> str:
    """``k``, and the neighbours used when the memory is smaller."""
    used = result.get('k_used', result['k'])
    return str(result['k']) if used == result['k'] else \
        f"{result['k']}, more than the memory: all {used} images used"


def format_table(result: dict, trained: dict = None) -> str:
    lines = [
        f"kNN floors (k = {_k(result)}, T = {result['temperature']:g}): "
        f"{result['num_memory']} memory images, {result['num_queries']} "
        f"{result['queries']} queries",
        f'{"floor":<48}{"top-1":>8}'
    ]
    for name, acc in result['top1'].items():
        lines.append(f'{LABELS[name]:<48}{acc:>8.2f}')
    for name, acc in (trained or {}).items():
        label = 'trained network, ' + ('backbone' if name.endswith(
            'backbone') else 'embedding')
        margin = acc - result['best_pixel_floor']
        lines.append(f'{label:<48}{acc:>8.2f}   ({margin:+.2f} over the '
                     'better pixel floor)')
    return '\n'.join(lines)


def main(argv=None) -> dict:
    args = parse_args(argv)
    with exit_on_user_error(args.debug):
        check_config_file(args.config)
        knn = None
        if args.trained:  # read it before the minutes of extraction
            with open(args.trained) as f:
                try:
                    knn = json.load(f)
                except json.JSONDecodeError as err:
                    raise ValueError(f'{args.trained} is not JSON: '
                                     f'{err}') from None
            trained = trained_top1(knn, args.k)
        cfg = Config.fromfile(args.config)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        start = time.perf_counter()
        result = floors(cfg, args.queries, args.k, args.temperature,
                        args.seed, network=not args.no_network,
                        exact=args.exact)
        result['config'] = args.config
        result['seconds'] = time.perf_counter() - start
        if knn is not None:
            if knn.get('num_test') != result['num_queries']:
                raise ValueError(
                    f'{args.trained} was measured on {knn.get("num_test")} '
                    f'queries, the floors on {result["num_queries"]}: use '
                    'the same queries')
            result['trained'] = trained
        print(format_table(result, result.get('trained')), flush=True)
        if args.out:
            os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
            with open(args.out, 'w') as f:
                json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
