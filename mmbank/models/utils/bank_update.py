"""Updates of the memory bank's rows as pure functions of tensors."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor


def random_unit_rows(num_rows: int,
                     dim: int,
                     seed: Optional[int] = None) -> Tensor:
    """``(num_rows, dim)`` L2-normalised Gaussian rows, from torch's global
    generator or, with ``seed``, from a generator of their own."""
    gen = None
    if seed is not None:
        gen = torch.Generator().manual_seed(seed)
    return F.normalize(torch.randn(num_rows, dim, generator=gen), dim=1)


def momentum_update(rows: Tensor,
                    view_feats: Tensor,
                    momentum: float) -> Tensor:
    """``normalise(momentum * rows + (1 - momentum) * mean_k view_feats)``.

    Args:
        rows (Tensor): ``(B, d)`` current bank rows.
        view_feats (Tensor): ``(K, B, d)`` or ``(B, d)`` new features.
        momentum (float): Weight of the old row, in ``[0, 1)``.

    Returns:
        Tensor: ``(B, d)`` new, L2-normalised rows.
    """
    if view_feats.dim() == 3:
        view_feats = view_feats.mean(dim=0)
    return F.normalize(momentum * rows + (1 - momentum) * view_feats, dim=1)
