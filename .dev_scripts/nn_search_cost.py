"""Time and peak memory of HardNegativeMergeHook's neighbour search.

For each bank size N (d = 128 by default) and each precision (``float32``,
the default search, and ``exact``, the fixed-point float64 one), one
subprocess builds a random unit-norm bank, runs ``nearest_other_group`` and
reports wall time and the peak resident memory above the bank itself.
Banks whose full search would take too long here are timed on a search of
their first rows (at most ``--max-tiles`` tiles) and an argmax pass over as
many rows, and projected (the tile pass is a sum of like tiles, the argmax
pass linear in the rows), and marked as such. The GFLOP/s column counts
the tile pass's N^2 d FLOPs (N^2 d / 2 multiply-adds, the upper
triangle), not the argmax pass's (at most 2 N chunk_size d more).
GPU times are projected, not measured: the search's FLOPs (tile and
argmax passes) divided by the peak rate of the precision the search runs
in on that GPU (:data:`GPU_PEAK_TFLOPS`): the exact search's float64, the
default's TF32 (plain float32 shown for GPUs without tensor cores). Real
matrix products reach some 60-90% of peak, so these are lower bounds.

Usage:
    python .dev_scripts/nn_search_cost.py
        [--sizes 10000 50000 200000 1281167] [--dim 128] [--chunk-size 4096]
        [--max-tiles 400] [--precisions float32 exact] [--out FILE]
"""
import argparse
import json
import math
import os.path as osp
import resource
import subprocess
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath((
    __file__)))))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from campaign import markdown_table  # noqa: E402

#: Dense peak TFLOP/s by precision. H100 SXM: NVIDIA's H100 datasheet (FP64
#: 34, FP64 tensor core 67, which cuBLAS's float64 GEMM uses; FP32 67; TF32
#: tensor core 989 with 2:4 sparsity, 494.7 dense). RTX 4090: NVIDIA's Ada
#: Lovelace architecture whitepaper, appendix A (FP32 82.6; FP64 1/64 of
#: it, 1.29; TF32 tensor core 82.6 dense, 165.2 sparse).
GPU_PEAK_TFLOPS = {
    'H100 SXM': dict(fp64=67.0, fp32=67.0, tf32=494.7),
    'RTX 4090': dict(fp64=1.29, fp32=82.6, tf32=82.6),
}


def search_flops(num: int, dim: int, chunk: int) -> float:
    """FLOPs of one search: the tile pass's upper triangle (``N^2 d``, a
    multiply-add counting two) and the argmax pass (``2 N chunk d`` at
    most)."""
    return float(num) * num * dim + 2.0 * num * min(chunk, num) * dim


def gpu_projection(num: int, dim: int, chunk: int) -> dict:
    """Projected seconds per GPU and precision (:data:`GPU_PEAK_TFLOPS`)."""
    flops = search_flops(num, dim, chunk)
    return {
        gpu: {prec: flops / (tflops * 1e12)
              for prec, tflops in rates.items()}
        for gpu, rates in GPU_PEAK_TFLOPS.items()
    }


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(num: int, dim: int, chunk: int, max_tiles: int,
            exact: bool = False) -> dict:
    """Run in a fresh process: search a bank of ``num`` rows, exactly or
    in float32."""
    import torch
    import torch.nn.functional as F

    from mmbank.models.utils.nn_search import (argmax_in_blocks,
                                               best_block_per_row,
                                               nearest_other_group)
    torch.manual_seed(0)
    # warm up the kernels on a tiny bank first
    nearest_other_group(F.normalize(torch.randn(64, dim), dim=1),
                        torch.arange(64), 32, exact)
    bank = F.normalize(torch.randn(num, dim), dim=1)
    groups = torch.arange(num)
    groups[1:num // 10:2] = groups[0:num // 10 - 1:2]  # 10% in pairs
    base_mb = _maxrss_mb()
    tiles_per_side = math.ceil(num / chunk)
    total_tiles = tiles_per_side * (tiles_per_side + 1) // 2
    flops = 2.0 * dim * num * num / 2  # upper triangle
    if total_tiles <= max_tiles:
        start = time.perf_counter()
        nearest_other_group(bank, groups, chunk, exact)
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
        best_block_per_row(bank[:rows], groups[:rows], chunk, exact)
        timed_tiles = side * (side + 1) // 2
        seconds = (time.perf_counter() - start) * total_tiles / timed_tiles
        some = torch.full((num, ), -1, dtype=torch.long)
        some[:rows] = torch.randint(tiles_per_side, (rows, ))
        start = time.perf_counter()
        argmax_in_blocks(bank, groups, some, chunk, exact)
        seconds += (time.perf_counter() - start) * num / rows
        projected = True
    return dict(
        num=num,
        dim=dim,
        chunk_size=chunk,
        precision='exact' if exact else 'float32',
        threads=torch.get_num_threads(),
        seconds=seconds,
        projected=projected,
        gflop=flops / 1e9,
        gflops_per_s=flops / seconds / 1e9,
        peak_extra_mb=_maxrss_mb() - base_mb,
        tile_mb=chunk * chunk * (8 if exact else 4) / 2**20,
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
    parser.add_argument('--precisions', nargs='+',
                        choices=['float32', 'exact'],
                        default=['float32', 'exact'],
                        help='searches to time (default: both)')
    parser.add_argument('--out', help='write the rows as JSON here')
    parser.add_argument('--child', type=int, help=argparse.SUPPRESS)
    parser.add_argument('--exact', action='store_true',
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(measure(args.child, args.dim, args.chunk_size,
                                 args.max_tiles, args.exact)))
        return 0
    rows, table = [], []
    for num in args.sizes:
        for precision in args.precisions:
            out = subprocess.run([
                sys.executable, __file__, '--child', str(num), '--dim',
                str(args.dim), '--chunk-size', str(args.chunk_size),
                '--max-tiles', str(args.max_tiles)
            ] + (['--exact'] if precision == 'exact' else []),
                                 capture_output=True, text=True, check=True)
            row = json.loads(out.stdout.strip().splitlines()[-1])
            row['gpu_projection_s'] = gpu_projection(num, args.dim,
                                                     args.chunk_size)
            rows.append(row)
            note = ' (projected)' if row['projected'] else ''
            table.append([f'{num:,}', precision,
                          f"{row['seconds']:.1f}{note}",
                          f"{row['gflops_per_s']:.0f}",
                          f"{row['peak_extra_mb']:.0f}",
                          f"{row['tile_mb']:.0f}", f"{row['bank_mb']:.0f}"])
            print(f'N = {num:,}, {precision}: {row["seconds"]:.1f} s{note}',
                  file=sys.stderr, flush=True)  # progress
    print(markdown_table(['N', 'search', 'time here (s)', 'GFLOP/s',
                          'peak extra memory (MB)', 'one tile (MB)',
                          'bank (MB)'], table))
    print('\nGPU projection (s; FLOPs / dense peak, not measured): the '
          'exact search runs at the fp64 rate, the default at the TF32 one')
    gpus = list(GPU_PEAK_TFLOPS)
    projections = []
    for num in args.sizes:
        proj = gpu_projection(num, args.dim, args.chunk_size)
        projections.append([f'{num:,}', *(f'{proj[g][p]:.3g}' for g in gpus
                                          for p in ('fp64', 'fp32', 'tf32'))])
    print(markdown_table(['N', *(f'{g} {p}' for g in gpus
                                 for p in ('fp64', 'fp32', 'tf32'))],
                         projections))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
