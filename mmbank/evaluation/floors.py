"""Floors of the kNN benchmark: what a learned feature must beat.

Two references for the same memory and queries as a trained model:

- raw pixels: each image flattened to a ``3 * H * W`` vector, either
  standardised per channel (``(x - mean_c) / std_c`` with the config's data
  preprocessor statistics) or centred by its own mean (``x - mean(x)``);
  cosine similarity, as for learned features;
- the randomly initialised network: the backbone (+ neck) of the config,
  built and initialised under a seed as training would start, never
  trained.

``tools/benchmarks/knn_floors.py`` prints them; the suites and the quick
start show them beside every trained number.
"""
from typing import Dict, Iterable, Optional, Sequence

import torch
from torch import Tensor

from .feature_extraction import _sample_field

#: Pixel normalisations: name -> description.
PIXEL_NORMALISATIONS = {
    'pixels_standardised': 'raw pixels, standardised per channel',
    'pixels_centred': 'raw pixels, each image centred by its own mean',
}


def pixel_features(images: Tensor,
                   normalisation: str,
                   mean: Optional[Sequence[float]] = None,
                   std: Optional[Sequence[float]] = None) -> Tensor:
    """``(B, 3 * H * W)`` float features of ``(B, 3, H, W)`` images.

    Args:
        images (Tensor): ``(B, C, H, W)`` images (any dtype; uint8 pixels).
        normalisation (str): ``'pixels_standardised'`` (needs ``mean`` and
            ``std``, ``(C,)``) or ``'pixels_centred'``.
        mean (Sequence[float], optional): Per-channel means.
        std (Sequence[float], optional): Per-channel standard deviations.

    Returns:
        Tensor: ``(B, C * H * W)`` float32 features.

    Example:
        >>> x = torch.tensor([[[[1., 3.]], [[5., 7.]]]])  # (1, 2, 1, 2)
        >>> pixel_features(x, 'pixels_centred')
        tensor([[-3., -1.,  1.,  3.]])
    """
    x = images.float()
    if normalisation == 'pixels_standardised':
        if mean is None or std is None:
            raise ValueError('pixels_standardised needs mean and std')
        mean_t = torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
        std_t = torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
        x = (x - mean_t) / std_t
    elif normalisation == 'pixels_centred':
        x = x - x.flatten(1).mean(dim=1).view(-1, 1, 1, 1)
    else:
        raise ValueError(f'unknown pixel normalisation {normalisation!r}; '
                         f'expected one of {list(PIXEL_NORMALISATIONS)}')
    return x.flatten(1)


def batch_images(data_batch: dict) -> Tensor:
    """``(B, C, H, W)`` images of a ``PackSelfSupInputs`` batch (first
    view), stacked."""
    inputs = data_batch['inputs']
    if isinstance(inputs, (list, tuple)) and len(inputs) and \
            isinstance(inputs[0], (list, tuple)):
        inputs = inputs[0]
    if isinstance(inputs, (list, tuple)):
        first = inputs[0]
        if first.dim() == 4:  # a list of views of stacked images
            return first
        return torch.stack(list(inputs))
    return inputs


def batch_labels(data_batch: dict) -> Tensor:
    """``(B,)`` labels of a batch packed with ``gt_label``."""
    labels = _sample_field(data_batch['data_samples'], 'gt_label')
    if labels is None:
        raise KeyError('the batches carry no gt_label: pack it with '
                       "PackSelfSupInputs(algorithm_keys=['gt_label'])")
    return labels


def collect_pixels(batches: Iterable[dict],
                   mean: Sequence[float],
                   std: Sequence[float]) -> Dict[str, Tensor]:
    """Pixel features under every normalisation, and labels, of a loader.

    Returns:
        dict: ``{name: (N, D) features for name in PIXEL_NORMALISATIONS,
        'labels': (N,)}``.
    """
    parts: Dict[str, list] = {name: [] for name in PIXEL_NORMALISATIONS}
    parts['labels'] = []
    for data_batch in batches:
        images = batch_images(data_batch)
        for name in PIXEL_NORMALISATIONS:
            parts[name].append(pixel_features(images, name, mean, std))
        parts['labels'].append(batch_labels(data_batch))
    if not parts['labels']:
        raise ValueError('the split yielded no images')
    return {name: torch.cat(v) for name, v in parts.items()}
