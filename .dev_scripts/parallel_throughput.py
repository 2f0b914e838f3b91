"""Is it faster to train two runs side by side with one thread each, or one
run at a time with every core? (How .dev_scripts/campaign.py runs.)

Trains CONFIG for ``--steps`` steps three times: once alone with
``--threads`` threads, then twice side by side with one thread each, and
prints the images per second of each way (from mmengine's logged step
times, the first ``--warmup`` steps dropped). Run it on an otherwise idle
machine.

Usage:
    python .dev_scripts/parallel_throughput.py
        [CONFIG] [--steps 40] [--threads 2] [--out throughput.json]
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from campaign import REPO, scalar_records  # noqa: E402

DEFAULT = 'configs/npid/npid_resnet18-std-w32_1xb128-coslr-75e_cifar10-10k.py'


def launch(config, work, steps, batch, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    return subprocess.Popen([
        sys.executable, 'tools/train.py', config, '--work-dir', work,
        '--cfg-options', f'train_dataloader.dataset.indices={steps * batch}',
        'train_cfg.max_epochs=1', 'train_cfg.val_begin=1000',
        'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=1000'
    ], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)


def step_times(work, warmup):
    times = [r['time'] for r in scalar_records(work) if 'time' in r]
    if len(times) <= warmup:
        raise RuntimeError(f'no logged steps in {work}')
    return times[warmup:]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', nargs='?', default=DEFAULT)
    parser.add_argument('--steps', type=int, default=40)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--out')
    args = parser.parse_args(argv)
    from mmengine.config import Config
    batch = Config.fromfile(osp.join(REPO, args.config)) \
        .train_dataloader.batch_size
    with tempfile.TemporaryDirectory() as tmp:
        alone = osp.join(tmp, 'alone')
        if launch(args.config, alone, args.steps, batch,
                  args.threads).wait() != 0:
            raise RuntimeError('the single run failed')
        pair = [osp.join(tmp, f'side{i}') for i in range(2)]
        procs = [launch(args.config, w, args.steps, batch, 1) for w in pair]
        if any(p.wait() != 0 for p in procs):
            raise RuntimeError('a side-by-side run failed')
        t_alone = statistics.median(step_times(alone, args.warmup))
        t_pair = [statistics.median(step_times(w, args.warmup))
                  for w in pair]
    result = dict(
        config=args.config, batch=batch, steps=args.steps,
        alone_threads=args.threads, alone_step_s=t_alone,
        alone_images_per_s=batch / t_alone, side_by_side_step_s=t_pair,
        side_by_side_images_per_s=sum(batch / t for t in t_pair))
    result['speedup_side_by_side'] = (result['side_by_side_images_per_s'] /
                                      result['alone_images_per_s'])
    print(f"one run, {args.threads} threads: {t_alone:.3f} s per step of "
          f"{batch} = {result['alone_images_per_s']:.0f} images/s\n"
          f"two runs side by side, 1 thread each: "
          f"{', '.join(f'{t:.3f}' for t in t_pair)} s per step = "
          f"{result['side_by_side_images_per_s']:.0f} images/s in all "
          f"({result['speedup_side_by_side']:.2f}x)")
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
