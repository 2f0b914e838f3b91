"""Exact cosine similarities: the ``exact=True`` mode of the kNN and
retrieval benchmarks (their default is a plain float32 product).

Features are L2-normalised in float64 and rounded to multiples of
``2**-24`` (:func:`fixed_point_rows`); the dot product of two rounded rows
is computed by a float64 matrix product in which every partial sum is
exact (:func:`exact_similarity`), so a similarity does not depend on the
tile it is computed in, on the BLAS or on the machine, and ties are ties
for every chunking. NaN or infinite features are refused
(:func:`check_finite_features`).
"""
from typing import Optional, Tuple

import torch
from torch import Tensor

#: Features are rounded to multiples of ``2**-FIXED_POINT_BITS`` (see
#: :func:`fixed_point_rows`).
FIXED_POINT_BITS = 24
_ROW_BLOCK = 8192  # rows normalised at a time (bounds the float64 copy)


class NonFiniteFeaturesError(ValueError):
    """Features hold NaN or infinite values (e.g. of a diverged model)."""


def check_finite_features(feats: Tensor, name: str = 'feats') -> None:
    """Refuse features with NaN or infinite values.

    The one check shared by the kNN and retrieval functions and tools.

    Args:
        feats (Tensor): ``(N, C)`` features.
        name (str): What they are, to start the message with, e.g.
            ``'The backbone features of the train split'``.

    Raises:
        NonFiniteFeaturesError: naming ``name`` and how many rows are bad.
    """
    finite = torch.isfinite(feats)
    if bool(finite.all()):
        return
    rows = finite.reshape(finite.shape[0], -1).all(dim=1) \
        if feats.dim() > 1 else finite
    bad = int((~rows).sum())
    raise NonFiniteFeaturesError(
        f'{name} contain NaN or infinite values ({bad} of {rows.numel()} '
        'rows); the model that produced them is broken, e.g. its training '
        'diverged.')


def fixed_point_rows(feats: Tensor,
                     normalize: bool = True
                     ) -> Tuple[Tensor, Optional[Tensor]]:
    """Rows rounded to multiples of ``2**-24``, with norm at most 1, so that
    :func:`exact_similarity` can compute their dot products exactly.

    ``normalize=True``: each row is divided by its L2 norm (computed in
    float64; zero rows stay zero). ``normalize=False``: each row is divided
    by the power of two ``2**e`` that brings its norm into ``[0.5, 1)``;
    ``e`` is returned, so the dot product of rows ``i``, ``j`` is
    ``2**(e_i + e_j)`` times that of the rounded rows. A row's result
    depends on that row only, and on a CPU not on its vector width (the
    squares are summed in order); a GPU could round a value within
    ``1e-16`` of a rounding boundary the other way. The rounded values are
    stored exactly in float32.

    Args:
        feats (Tensor): ``(N, C)`` finite features.
        normalize (bool): L2-normalise (cosine similarity), else scale by
            powers of two (dot product). Defaults to True.

    Returns:
        tuple[Tensor, Tensor | None]: ``(N, C)`` float32 rows on
        ``feats``' device and, for ``normalize=False``, the ``(N,)`` int64
        exponents ``e``.
    """
    out = torch.empty(feats.shape, dtype=torch.float32, device=feats.device)
    exps = None if normalize else torch.empty(
        feats.shape[0], dtype=torch.long, device=feats.device)
    scale = float(2**FIXED_POINT_BITS)
    for r0 in range(0, feats.shape[0], _ROW_BLOCK):
        rows = feats[r0:r0 + _ROW_BLOCK].to(torch.float64)
        # squared norm summed in a fixed (sequential) order, unlike
        # ``norm``, whose vectorised order depends on the CPU
        norm = rows.square().cumsum(dim=1)[:, -1:].sqrt()
        if normalize:
            rows = rows / norm.clamp_min(1e-12)
        else:
            exp = torch.frexp(norm)[1].to(torch.long)  # norm < 2**exp
            rows = rows * torch.pow(2.0, -exp.to(torch.float64))
            exps[r0:r0 + _ROW_BLOCK] = exp.flatten()
        out[r0:r0 + _ROW_BLOCK] = torch.round(rows * scale) / scale
    return out, exps


def exact_similarity(a: Tensor,
                     b: Tensor,
                     a_exp: Optional[Tensor] = None,
                     b_exp: Optional[Tensor] = None) -> Tensor:
    """``a @ b.T`` of :func:`fixed_point_rows` rows, computed exactly and
    rounded to float32.

    Each product of two entries is an integer multiple of ``2**-48`` and,
    rows having norm at most 1, every partial sum lies below ``2**5`` in
    magnitude (Cauchy-Schwarz): a float64 matrix product represents all of
    them exactly, whatever its summation order, blocking or use of FMA. The
    result therefore depends only on the two rows, not on the shapes of
    ``a`` and ``b`` nor on the BLAS.

    Args:
        a (Tensor): ``(M, C)`` rounded rows.
        b (Tensor): ``(N, C)`` rounded rows, on ``a``'s device.
        a_exp, b_exp (Tensor, optional): Their exponents (dot product mode).

    Returns:
        Tensor: ``(M, N)`` float32 similarities.
    """
    sims = torch.mm(a.to(torch.float64), b.to(torch.float64).T)
    if a_exp is not None:
        sims *= torch.pow(2.0, (a_exp[:, None] + b_exp[None, :]).to(
            torch.float64))
    return sims.to(torch.float32)
