"""The one way mmbank embeds images: the pooled backbone feature and the
L2-normalised neck embedding (training, ``predict``, feature extraction and
the evaluation tools all use it)."""
from typing import Optional, Sequence, Tuple, Union

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor


def pool_backbone_output(outputs: Union[Tensor, Sequence]) -> Tensor:
    """``(B, C)`` global feature of a backbone's outputs.

    Args:
        outputs (Tensor | Sequence): The backbone's outputs; the last one is
            used. A ``(B, C, H, W)`` map is average-pooled, a ``(B, C)``
            vector is used as it is; a list (e.g. a ViT's ``[patch_token,
            cls_token]``) gives its last element.

    Returns:
        Tensor: ``(B, C)``.
    """
    last = outputs
    while isinstance(last, (list, tuple)):
        if len(last) == 0:
            raise ValueError('The backbone returned no output.')
        last = last[-1]
    if last.dim() == 4:
        return F.adaptive_avg_pool2d(last, 1).flatten(1)
    return last.flatten(1)


def embed_neck_output(outputs: Union[Tensor, Sequence]) -> Tensor:
    """``(B, d)`` L2-normalised embedding from a neck's outputs (first
    output; maps are average-pooled)."""
    first = outputs
    while isinstance(first, (list, tuple)):
        first = first[0]
    if first.dim() == 4:
        first = F.adaptive_avg_pool2d(first, 1)
    return F.normalize(first.flatten(1), dim=1)


def backbone_and_embedding(backbone: nn.Module, neck: Optional[nn.Module],
                           images: Tensor
                           ) -> Tuple[Tensor, Optional[Tensor]]:
    """``(B, C)`` pooled backbone feature and ``(B, d)`` L2-normalised
    embedding (None without a neck) of ``(B, 3, H, W)`` images."""
    outputs = backbone(images)
    pooled = pool_backbone_output(outputs)
    embedding = embed_neck_output(neck(outputs)) if neck is not None \
        else None
    return pooled, embedding
