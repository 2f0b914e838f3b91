"""The device's fast float32 matrix products, inside one block only.

The kNN, retrieval and merge searches run in float32 by default; on CUDA
devices with tensor cores (Ampere and later) float32 products may then use
TF32 (10-bit mantissa inputs, float32 accumulation), several times faster
on data-centre GPUs (H100 SXM: 495 dense TF32 TFLOP/s against 67 in plain
float32). A cosine of unit vectors moves by at most about ``1e-3`` in TF32
(``2 * 2**-11`` relative error per product), by about ``1e-6`` in float32.
"""
from contextlib import contextmanager
from typing import Iterator

import torch


@contextmanager
def fast_matmul(enabled: bool = True) -> Iterator[None]:
    """Allow TF32 in CUDA float32 matrix products inside the block.

    ``torch.backends.cuda.matmul.allow_tf32`` is restored on exit (also on
    an exception), so nothing outside the block changes: training keeps
    whatever its config chose. CPUs are unaffected. The flag is global to
    the process, so another thread's CUDA products made meanwhile use it
    too.

    Args:
        enabled (bool): False: leave the flag as it is (a no-op block).
            Defaults to True.
    """
    if not enabled:
        yield
        return
    previous = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = previous
