"""Time and peak memory of HardNegativeMergeHook's exact neighbour search.

For each bank size N (d = 128 by default), one subprocess builds a random
unit-norm bank, runs ``nearest_other_group`` and reports wall time and the
peak resident memory above the bank itself. Banks whose full search would
take too long here are timed on a search of their first rows (at most
``--max-tiles`` tiles) and an argmax pass over as many rows, and projected
(the tile pass is a sum of like tiles, the argmax pass linear in the rows),
and marked as such. The
GFLOP/s column counts the tile pass's products (N^2 d multiply-adds), not
the argmax pass's (at most N x chunk_size x d more).
A GPU projection divides the search's FLOPs by ``--gpu-tflops``.

Usage:
    python tools/benchmarks/nn_search_cost.py
        [--sizes 10000 50000 200000 1281167] [--dim 128] [--chunk-size 4096]
        [--max-tiles 400] [--gpu-tflops 50] [--out FILE]
"""
import argparse
import json
import math
import os.path as osp
import resource
import subprocess
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(num: int, dim: int, chunk: int, max_tiles: int) -> dict:
    """Run in a fresh process: search a bank of ``num`` rows."""
    import torch
    import torch.nn.functional as F

    from mmbank.models.utils.nn_search import (argmax_in_blocks,
                                               best_block_per_row,
                                               nearest_other_group)
    torch.manual_seed(0)
    # warm up the kernels on a tiny bank first
    nearest_other_group(F.normalize(torch.randn(64, dim), dim=1),
                        torch.arange(64), 32)
    bank = F.normalize(torch.randn(num, dim), dim=1)
    groups = torch.arange(num)
    groups[1:num // 10:2] = groups[0:num // 10 - 1:2]  # 10% in pairs
    base_mb = _maxrss_mb()
    tiles_per_side = math.ceil(num / chunk)
    total_tiles = tiles_per_side * (tiles_per_side + 1) // 2
    flops = 2.0 * dim * num * num / 2  # upper triangle
    if total_tiles <= max_tiles:
        start = time.perf_counter()
        nearest_other_group(bank, groups, chunk)
        seconds = time.perf_counter() - start
        projected = False
    else:
        # the tile pass of the bank's first rows alone, s tiles a side
        # (s (s + 1) / 2 <= max_tiles; the tile pass is a sum of like
        # tiles), then the argmax pass on as many rows (it is linear in the
        # rows), each scaled to the whole search
        side = max(1, int((math.sqrt(8 * max_tiles + 1) - 1) / 2))
        rows = side * chunk
        start = time.perf_counter()
        best_block_per_row(bank[:rows], groups[:rows], chunk)
        timed_tiles = side * (side + 1) // 2
        seconds = (time.perf_counter() - start) * total_tiles / timed_tiles
        some = torch.full((num, ), -1, dtype=torch.long)
        some[:rows] = torch.randint(tiles_per_side, (rows, ))
        start = time.perf_counter()
        argmax_in_blocks(bank, groups, some, chunk)
        seconds += (time.perf_counter() - start) * num / rows
        projected = True
    return dict(
        num=num,
        dim=dim,
        chunk_size=chunk,
        seconds=seconds,
        projected=projected,
        gflop=flops / 1e9,
        gflops_per_s=flops / seconds / 1e9,
        peak_extra_mb=_maxrss_mb() - base_mb,
        tile_mb=chunk * chunk * 4 / 2**20,
        bank_mb=num * dim * 4 / 2**20,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+',
                        default=[10000, 50000, 200000, 1281167])
    parser.add_argument('--dim', type=int, default=128)
    parser.add_argument('--chunk-size', type=int, default=4096)
    parser.add_argument('--max-tiles', type=int, default=400,
                        help='time larger searches on this many tiles and '
                        'project')
    parser.add_argument('--gpu-tflops', type=float, default=50.0,
                        help='sustained fp32 TFLOP/s assumed for the GPU '
                        'projection (H100 SXM: about 51 without TF32)')
    parser.add_argument('--out', help='write the rows as JSON here')
    parser.add_argument('--child', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure(args.child, args.dim, args.chunk_size,
                                 args.max_tiles)))
        return 0
    rows = []
    print('| N | time here (s) | GFLOP/s | peak extra memory (MB) | one tile '
          '(MB) | bank (MB) | GPU projection (s) |')
    print('|---|---|---|---|---|---|---|')
    for num in args.sizes:
        out = subprocess.run([
            sys.executable, __file__, '--child', str(num), '--dim',
            str(args.dim), '--chunk-size', str(args.chunk_size),
            '--max-tiles', str(args.max_tiles)
        ], capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row['gpu_seconds'] = row['gflop'] / (args.gpu_tflops * 1e3)
        rows.append(row)
        note = ' (projected)' if row['projected'] else ''
        print(f"| {num:,} | {row['seconds']:.1f}{note} | "
              f"{row['gflops_per_s']:.0f} | {row['peak_extra_mb']:.0f} | "
              f"{row['tile_mb']:.0f} | {row['bank_mb']:.0f} | "
              f"{row['gpu_seconds']:.2f} |", flush=True)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
