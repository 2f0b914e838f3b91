"""Training-step time with K views made per image in the loader
(``MultiViewWithIndex``) against batched on the model's device
(``BatchedViewsDataPreprocessor``), on the CPU protocol's network.

For K = 1, 2, 4 (``--views``), at 1 and 2 threads (``--threads``), both
ways, it runs ``--steps`` training steps (after ``--warmup``) of the
method on the CPU protocol (configs/membank/
membank_resnet18-std-w32_1xb128x2-coslr-75e_cifar10-10k.py: half-width
ResNet-18 with the standard stem, channels-last, full softmax over a bank of
the training subset, consistency loss for K >= 2; K = 1 without it) on
``--batch-size`` samples a step of the CIFAR-10 training subset, with the
protocol's loader (no workers), the two ways' steps interleaved (so that a
busy moment of a shared machine hits both), and prints per step (medians):

- ``load``: the loader's next batch (per image: decoding nothing, the
  K-view augmentation of every sample, collation; batched: collation);
- ``views``: the data preprocessor (per image: uint8 to float and
  normalisation; batched: drawing and making the K views, normalisation);
- ``data``: load + views, and its share of the step;
- ``model``: forward, backward and SGD step; ``step``: all of it;
- images/s: ``batch x K / step``; speed-up: per image / batched step.

Then the colour part alone (the dominant cost of the views) with the
preprocessor's plain torch operations against kornia's equivalents on
``batch x 2`` views. Figures, not a test: nothing is asserted. The machine
may be shared; compare rows of one run rather than runs.

Usage:
    python tools/analysis_tools/benchmark_views.py [--data-root data/cifar10]
        [--num-train 10000] [--batch-size 128] [--views 1 2 4]
        [--threads 1 2] [--steps 10] [--warmup 3] [--batched-workers 0]
        [--out FILE]

Without ``--data-root``'s CIFAR-10 (tools/prepare_cifar.py writes it) the
images are random arrays of the same size (the timings do not depend on
the pixels).
"""
import argparse
import copy
import json
import math
import os.path as osp
import statistics
import sys
import time

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.dataset import Compose  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmbank  # noqa: E402,F401
from mmbank.engine.hooks.channels_last_hook import \
    to_channels_last  # noqa: E402
from mmbank.models.utils import batched_views as bv  # noqa: E402
from mmselfsup.registry import MODELS  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(
    REPO, 'configs/membank/membank_resnet18-std-w32_'
    '1xb128x2-coslr-75e_cifar10-10k.py')


class ArrayDataset(torch.utils.data.Dataset):
    """Random 32 x 32 RGB arrays through a pipeline (no CIFAR-10 at hand)."""

    def __init__(self, num: int, pipeline: list) -> None:
        rng = np.random.RandomState(0)
        self.images = rng.randint(0, 256, (num, 32, 32, 3), dtype=np.uint8)
        self.pipeline = Compose(pipeline)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, idx: int) -> dict:
        return self.pipeline(dict(img=self.images[idx], sample_idx=idx))


def build(cfg: Config, views: int, batched: bool, args) -> tuple:
    """Model, optimiser wrapper and loader of one setting."""
    model_cfg = copy.deepcopy(cfg.model)
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    if views == 1:
        model_cfg.head.loss_consistency = None
    if batched:  # the config's own views
        model_cfg.data_preprocessor.num_views = views
        pipeline = copy.deepcopy(cfg.train_pipeline)
    else:  # the same views made per image in the loader
        prep = model_cfg.data_preprocessor
        model_cfg.data_preprocessor = dict(
            type='SelfSupDataPreprocessor', mean=prep.mean, std=prep.std,
            bgr_to_rgb=prep.bgr_to_rgb)
        pipeline = copy.deepcopy(cfg.per_image_pipeline)
        pipeline[0]['num_views'] = views
    init_default_scope('mmselfsup')
    model = MODELS.build(model_cfg)
    model.head.memory_bank.reset(args.num_train, seed=0)
    model.to(memory_format=torch.channels_last)  # as ChannelsLastHook
    model.train()
    optimizer = torch.optim.SGD(
        model.parameters(), lr=0.03, momentum=0.9, weight_decay=5e-4)
    if args.real:
        dataset = dict(
            loader_cfg.dataset,
            data_prefix=args.data_root,
            indices=args.num_train,
            pipeline=pipeline)
    else:
        dataset = ArrayDataset(args.num_train, pipeline)
    loader = Runner.build_dataloader(
        dict(
            loader_cfg,
            dataset=dataset,
            batch_size=args.batch_size,
            num_workers=args.batched_workers if batched else 0,
            persistent_workers=bool(batched and args.batched_workers)),
        seed=0)
    return model, optimizer, loader


class Stepper:
    """Training steps of one setting, each timed as load / views / model."""

    def __init__(self, model, optimizer, loader) -> None:
        self.model, self.optimizer = model, optimizer
        self.batches = iter(loader)
        self.times = {'load': [], 'views': [], 'model': []}

    def step(self, record: bool) -> None:
        model = self.model
        t0 = time.perf_counter()
        data = next(self.batches)
        t1 = time.perf_counter()
        inputs, samples = model.data_preprocessor(data, True)
        inputs = to_channels_last(inputs)
        t2 = time.perf_counter()
        losses = model(inputs, samples, mode='loss')
        loss, _ = model.parse_losses(losses)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        t3 = time.perf_counter()
        if record:
            self.times['load'].append(t1 - t0)
            self.times['views'].append(t2 - t1)
            self.times['model'].append(t3 - t2)

    def medians(self) -> dict:
        out = {k: statistics.median(v) for k, v in self.times.items()}
        out['data'] = out['load'] + out['views']
        out['step'] = out['data'] + out['model']
        return out


def time_steps(steppers: list, steps: int, warmup: int) -> list:
    """Median seconds of load / views / model of each setting, their steps
    interleaved (so that a busy moment of a shared machine hits all)."""
    for i in range(warmup + steps):
        for stepper in steppers:
            stepper.step(record=i >= warmup)
    return [stepper.medians() for stepper in steppers]


def kornia_jitter(images, factors, order):
    """The colour jitter with kornia's operations (PIL's semantics):
    brightness = kornia's multiplicative ``adjust_contrast``."""
    from kornia import enhance
    ops = (lambda x, f: enhance.adjust_contrast(x, f),
           enhance.adjust_contrast_with_mean_subtraction,
           enhance.adjust_saturation_with_gray_subtraction,
           lambda x, f: enhance.adjust_hue(x, f * 2 * math.pi))
    out = images.clone()
    for step in range(4):
        for op, fn in enumerate(ops):
            idx = (order[:, step] == op).nonzero().squeeze(1)
            if idx.numel():
                out[idx] = fn(out[idx], factors[idx, op])
    return out


def time_colour(num: int, repeats: int = 20) -> dict:
    """Microseconds an image of the colour jitter, torch against kornia."""
    g = torch.Generator().manual_seed(0)
    images = torch.rand((num, 3, 32, 32), generator=g)
    factors, order = bv.draw_jitter(
        num, (0.6, 1.4), (0.6, 1.4), (0.6, 1.4), (-0.4, 0.4), generator=g)
    hue = factors[:, 3].contiguous()
    from kornia import enhance
    cases = {
        'jitter, torch (mmbank)':
        lambda: bv.color_jitter(images, factors, order),
        'jitter, kornia': lambda: kornia_jitter(images, factors, order),
        'hue alone, torch (mmbank)': lambda: bv.adjust_hue(images, hue),
        'hue alone, kornia':
        lambda: enhance.adjust_hue(images, hue * 2 * math.pi),
    }
    runs = {name: [] for name in cases}
    for fn in cases.values():
        fn()
    for _ in range(repeats):  # interleaved, like the steps
        for name, fn in cases.items():
            start = time.perf_counter()
            fn()
            runs[name].append(time.perf_counter() - start)
    return {
        name: statistics.median(times) / num * 1e6
        for name, times in runs.items()
    }


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', default='data/cifar10')
    parser.add_argument('--num-train', type=int, default=10000)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--views', type=int, nargs='+', default=[1, 2, 4])
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument(
        '--batched-workers',
        type=int,
        default=0,
        help='loader workers (persistent) of the batched way; the per-image '
        'way keeps the protocol\'s 0')
    parser.add_argument('--out', help='also write the figures as JSON')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    args.real = osp.isdir(osp.join(args.data_root, 'cifar-10-batches-py'))
    cfg = Config.fromfile(CONFIG)
    print(f'CIFAR-10: {"the first %d training images of " % args.num_train}'
          f'{args.data_root}' if args.real else
          f'CIFAR-10 not found in {args.data_root}: {args.num_train} random '
          '32 x 32 arrays')
    print(f'{args.batch_size} samples a step, median of {args.steps} '
          f'steps after {args.warmup} (interleaved); times in ms a step\n')
    header = (f'{"threads":>7} {"K":>2} {"views made":<10} {"load":>7} '
              f'{"views":>7} {"data":>7} {"data %":>6} {"model":>7} '
              f'{"step":>7} {"img/s":>7} {"speed-up":>8}')
    print(header)
    print('-' * len(header))
    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        for views in args.views:
            torch.manual_seed(0)
            steppers = [
                Stepper(*build(cfg, views, batched, args))
                for batched in (False, True)
            ]
            per_image, batched = time_steps(steppers, args.steps, args.warmup)
            for name, t in (('per image', per_image), ('batched', batched)):
                speedup = '' if t is per_image else \
                    f'{per_image["step"] / t["step"]:.2f}x'
                rate = args.batch_size * views / t['step']
                print(
                    f'{threads:>7} {views:>2} {name:<10} '
                    f'{t["load"] * 1e3:7.1f} {t["views"] * 1e3:7.1f} '
                    f'{t["data"] * 1e3:7.1f} '
                    f'{100 * t["data"] / t["step"]:5.1f}% '
                    f'{t["model"] * 1e3:7.1f} {t["step"] * 1e3:7.1f} '
                    f'{rate:7.0f} {speedup:>8}',
                    flush=True)
                rows.append(
                    dict(
                        threads=threads,
                        num_views=views,
                        batched=t is batched,
                        images_per_s=rate,
                        **t))
    colour = {}
    print(f'\ncolour jitter alone on {args.batch_size * 2} views of 32 x 32 '
          '(us an image, median of 20)')
    for threads in args.threads:
        torch.set_num_threads(threads)
        colour[threads] = time_colour(args.batch_size * 2)
        for name, us in colour[threads].items():
            print(f'{threads} thread{"s" if threads > 1 else " "}  '
                  f'{name:<27} {us:7.1f}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(
                dict(args=vars(args), steps=rows, colour=colour), f, indent=1)


if __name__ == '__main__':
    main()
