"""NPID's augmentation for a whole batch: random parameters drawn per
sample from an explicit generator, applied with batched tensor operations.

The per-image pipeline (``configs/_base_/datasets/npid_views.py``, run K
times per sample by ``MultiViewWithIndex``) is mmselfsup's
``RandomResizedCrop`` (pillow), mmcv's ``RandomGrayscale``, mmselfsup's
``ColorJitter`` (pillow) and mmcv's ``RandomFlip``. Here each draw follows
the same distribution as there:

- crop (:func:`draw_crop_boxes`): up to ``max_attempts`` tries of an area
  fraction ``U(scale)`` and a log aspect ratio ``U(log ratio)``, the crop's
  sides rounded (half to even, like python's ``round``) and kept if they
  fit, at a uniform integer position; if no try fits, the central crop of
  the aspect ratio clamped to ``ratio`` (mmselfsup's fallback);
- grayscale with probability ``p``: the channel-weighted sum (weights
  normalised to sum 1) on every channel;
- colour jitter (:func:`draw_jitter`): a uniformly random order of the four
  operations *per sample* (``np.random.permutation(4)`` per call there) and
  factors brightness, contrast, saturation ``U(max(0, 1 - v), 1 + v)``, hue
  ``U(-v, v)`` as a fraction of the hue circle (0.4: up to 144 degrees
  either way; mmcv shifts PIL's 8-bit hue by ``uint8(255 h)``);
- horizontal flip with probability ``p``.

They are applied (:func:`apply_views`) as PIL applies them on uint8 images,
but in float32 without rounding between steps: the crop's bilinear resize
is PIL's for a crop no larger than the output (each output pixel centre
mapped into the crop and clamped to the crop's outer pixel centres, as
PIL's normalised filter does), done for all samples by one ``grid_sample``
with the flip folded into the grid; brightness blends with black, contrast
with the mean of the luma (PIL's "L": 0.299 R + 0.587 G + 0.114 B),
saturation with the luma of each pixel, hue shifts the HSV hue; every step
clips to [0, 1] like PIL's uint8 results. Crops larger than the output are
resized without PIL's antialiasing (CIFAR's 32 x 32 crops of 32 x 32 images
never are; for larger images crop per image in the loader instead).

The colour operations are plain torch, about twice as fast as kornia's
(``kornia.enhance.adjust_contrast`` as PIL's brightness,
``adjust_contrast_with_mean_subtraction``,
``adjust_saturation_with_gray_subtraction``, ``adjust_hue``; kornia 0.9.0)
for the same results (the tests check the hue against kornia's to 1e-5):
the jitter of ``(256, 3, 32, 32)`` views took 27 us an image against 91 on
one thread, 21 against 60 on two, the hue alone 11 against 64 and 8
against 39 (``tools/analysis_tools/benchmark_views.py``, docs/benchmarks.md).
Kornia's HSV round trip and its grayscale conversion (13-18 us an image in
its contrast and saturation against 1.6 here) make the difference.
"""
import math
import numbers
from typing import NamedTuple, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor

Range = Tuple[float, float]

#: PIL's "L" conversion (ITU-R 601-2), in R, G, B order: the luma that
#: ``ImageEnhance.Contrast`` and ``ImageEnhance.Color`` blend with
PIL_LUMA_RGB = (0.299, 0.587, 0.114)
#: the column of each jitter operation in ``ViewParams.jitter``
JITTER_OPS = ('brightness', 'contrast', 'saturation', 'hue')
_IDENTITY = (1.0, 1.0, 1.0, 0.0)


class ViewParams(NamedTuple):
    """The random parameters of ``N`` views.

    Attributes:
        boxes (Tensor): ``(N, 4)`` int64 crops ``(top, left, height,
            width)`` in input pixels, or None when the loader crops.
        flip (Tensor): ``(N,)`` bool, horizontal flip.
        gray (Tensor): ``(N,)`` bool, converted to grayscale.
        jitter (Tensor): ``(N, 4)`` float factors, columns in
            :data:`JITTER_OPS` order (identity ``1, 1, 1, 0`` for an
            operation that is off).
        order (Tensor): ``(N, 4)`` int64, each row a permutation of
            ``0..3``: the jitter operations in the order they apply.
    """
    boxes: Optional[Tensor]
    flip: Tensor
    gray: Tensor
    jitter: Tensor
    order: Tensor

    def to(self, device: Union[str, torch.device]) -> 'ViewParams':
        return ViewParams(*(None if t is None else t.to(device) for t in self))


def jitter_range(value: Union[float, Sequence[float]],
                 name: str,
                 center: float = 1.0,
                 bound: Range = (0.0, float('inf')),
                 clip_first_on_zero: bool = True) -> Optional[Range]:
    """A colour-jitter strength as mmselfsup's ``ColorJitter`` reads it.

    A number ``v`` means ``[center - v, center + v]`` (the lower end clipped
    at 0 for brightness, contrast and saturation); a pair is taken as is.

    Returns:
        tuple | None: ``(low, high)``, or None when the operation is off.

    Raises:
        ValueError: for a negative number or a range outside ``bound``
            (mmselfsup checks pairs only; a hue of 0.6 fails there at the
            first image).
    """
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(
                f'{name} must be non-negative when a single number, got '
                f'{value}.')
        low, high = center - value, center + value
        if clip_first_on_zero:
            low = max(low, 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        low, high = float(value[0]), float(value[1])
    else:
        raise ValueError(
            f'{name} must be a number or a (min, max) pair, got {value!r}.')
    if not bound[0] <= low <= high <= bound[1]:
        raise ValueError(
            f'{name} must give a (min, max) range within {bound}, got '
            f'{value!r} ({low}, {high}).')
    if low == high == center:
        return None
    return float(low), float(high)


def _uniform(low: float, high: float, shape: Tuple[int, ...],
             generator: torch.Generator) -> Tensor:
    """``low + (high - low) * U[0, 1)`` in float64, python's
    ``random.uniform``."""
    u = torch.rand(shape, generator=generator, dtype=torch.float64)
    return low + (high - low) * u


def draw_crop_boxes(num: int,
                    height: int,
                    width: int,
                    scale: Range = (0.08, 1.0),
                    ratio: Range = (3. / 4., 4. / 3.),
                    max_attempts: int = 10,
                    generator: Optional[torch.Generator] = None) -> Tensor:
    """Random resized crops of ``num`` images of ``height x width``,
    distributed as mmselfsup's ``RandomResizedCrop.get_params``.

    Args:
        num (int): Crops to draw.
        height (int): Input height.
        width (int): Input width.
        scale (tuple): Range of the crop's area fraction.
        ratio (tuple): Range of the crop's aspect ratio (width / height).
        max_attempts (int): Tries before the central fallback crop.
        generator (torch.Generator, optional): Source of the draws.

    Returns:
        Tensor: ``(num, 4)`` int64 ``(top, left, crop_height, crop_width)``.
    """
    area = height * width
    # every attempt's area and aspect ratio at once: (num, max_attempts)
    target_area = _uniform(scale[0], scale[1],
                           (num, max_attempts), generator) * area
    aspect = torch.exp(
        _uniform(
            math.log(ratio[0]), math.log(ratio[1]), (num, max_attempts),
            generator))
    crop_w = torch.round(torch.sqrt(target_area * aspect)).long()
    crop_h = torch.round(torch.sqrt(target_area / aspect)).long()
    fits = (crop_w > 0) & (crop_w <= width) & (crop_h > 0) & \
        (crop_h <= height)
    found = fits.any(dim=1)
    if max_attempts:
        first = fits.long().argmax(dim=1, keepdim=True)  # the first fit
        crop_h = crop_h.gather(1, first).squeeze(1)
        crop_w = crop_w.gather(1, first).squeeze(1)
    else:
        crop_h = crop_w = torch.ones(num, dtype=torch.long)
    # a uniform integer position (random.randint(0, size - crop))
    pos = torch.rand((num, 2), generator=generator, dtype=torch.float64)
    top = torch.floor(pos[:, 0] * (height - crop_h + 1)).long()
    left = torch.floor(pos[:, 1] * (width - crop_w + 1)).long()
    # the fallback: a central crop of the clamped aspect ratio
    in_ratio = width / height
    if in_ratio < min(ratio):
        fall_w, fall_h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        fall_w, fall_h = int(round(height * max(ratio))), height
    else:
        fall_w, fall_h = width, height
    top = torch.where(found, top, (height - fall_h) // 2)
    left = torch.where(found, left, (width - fall_w) // 2)
    crop_h = torch.where(found, crop_h, fall_h)
    crop_w = torch.where(found, crop_w, fall_w)
    return torch.stack([top, left, crop_h, crop_w], dim=1)


def draw_jitter(
        num: int,
        brightness: Optional[Range],
        contrast: Optional[Range],
        saturation: Optional[Range],
        hue: Optional[Range],
        generator: Optional[torch.Generator] = None) -> Tuple[Tensor, Tensor]:
    """Colour-jitter factors and orders of ``num`` views, as mmselfsup's
    ``ColorJitter.get_params`` draws them once per call.

    Args:
        num (int): Views.
        brightness, contrast, saturation, hue (tuple | None): Ranges from
            :func:`jitter_range` (None: off).
        generator (torch.Generator, optional): Source of the draws.

    Returns:
        tuple[Tensor, Tensor]: ``(num, 4)`` float32 factors (columns in
        :data:`JITTER_OPS` order) and ``(num, 4)`` int64 orders, each row a
        uniformly random permutation of ``0..3``.
    """
    order = torch.rand((num, 4), generator=generator).argsort(dim=1)
    columns = []
    for value, identity in zip((brightness, contrast, saturation, hue),
                               _IDENTITY):
        column = torch.full((num, ), identity, dtype=torch.float64) \
            if value is None else _uniform(value[0], value[1], (num, ),
                                           generator)
        columns.append(column)
    return torch.stack(columns, dim=1).float(), order


def draw_views(num: int,
               height: int,
               width: int,
               crop: Optional[dict],
               flip_prob: float,
               gray_prob: float,
               jitter: Sequence[Optional[Range]],
               generator: Optional[torch.Generator] = None) -> ViewParams:
    """Every random parameter of ``num`` views.

    Args:
        num (int): Views.
        height (int): Input height.
        width (int): Input width.
        crop (dict, optional): ``scale``, ``ratio`` and ``max_attempts`` of
            :func:`draw_crop_boxes`; None when the loader crops.
        flip_prob (float): Horizontal flip probability.
        gray_prob (float): Grayscale probability.
        jitter (sequence): Brightness, contrast, saturation and hue ranges.
        generator (torch.Generator, optional): Source of the draws.

    Returns:
        ViewParams: On the CPU.
    """
    boxes = None if crop is None else draw_crop_boxes(
        num, height, width, generator=generator, **crop)
    gray = torch.rand(num, generator=generator) < gray_prob
    factors, order = draw_jitter(num, *jitter, generator=generator)
    flip = torch.rand(num, generator=generator) < flip_prob
    return ViewParams(boxes, flip, gray, factors, order)


def crop_grid(boxes: Tensor, flip: Tensor, out_size: Tuple[int, int],
              in_size: Tuple[int, int]) -> Tensor:
    """The ``grid_sample`` grid of crops resized to ``out_size`` as PIL's
    bilinear resize does it when upsampling, optionally flipped.

    Output pixel ``i`` (of ``S``) of a crop of ``c`` pixels from ``x0``
    samples ``x0 + clamp((i + 0.5) c / S - 0.5, 0, c - 1)``: PIL's
    triangle filter normalised over the crop's pixels, i.e. edge pixels
    clamped to the crop (not blended with pixels outside it).

    Args:
        boxes (Tensor): ``(N, 4)`` ``(top, left, height, width)``.
        flip (Tensor): ``(N,)`` bool, mirror the output horizontally.
        out_size (tuple): ``(H_out, W_out)``.
        in_size (tuple): ``(H_in, W_in)``.

    Returns:
        Tensor: ``(N, H_out, W_out, 2)`` normalised ``(x, y)``
        (``align_corners=False``).
    """
    out_h, out_w = out_size
    in_h, in_w = in_size
    boxes = boxes.to(torch.float32)
    top, left, crop_h, crop_w = (b.view(-1, 1) for b in boxes.unbind(1))
    device = boxes.device
    cols = torch.arange(out_w, device=device, dtype=torch.float32)
    cols = torch.where(flip.view(-1, 1), out_w - 1 - cols, cols)  # (N, W)
    rows = torch.arange(out_h, device=device, dtype=torch.float32)
    x = left + torch.minimum(
        ((cols + 0.5) * crop_w / out_w - 0.5).clamp_min(0), crop_w - 1)
    y = top + torch.minimum(
        ((rows + 0.5) * crop_h / out_h - 0.5).clamp_min(0), crop_h - 1)
    # pixel centre j is at (2 j + 1) / size - 1 with align_corners=False
    gx = ((2 * x + 1) / in_w - 1).view(-1, 1, out_w).expand(-1, out_h, -1)
    gy = ((2 * y + 1) / in_h - 1).view(-1, out_h, 1).expand(-1, -1, out_w)
    return torch.stack([gx, gy], dim=-1)


def luma(images: Tensor, weights: Sequence[float] = PIL_LUMA_RGB) -> Tensor:
    """``(N, 1, H, W)`` channel-weighted sum of ``(N, 3, H, W)`` images
    (elementwise, no matrix product)."""
    r, g, b = images.unbind(1)
    return (weights[0] * r + weights[1] * g + weights[2] * b).unsqueeze(1)


def _per_sample(factor: Tensor) -> Tensor:
    return factor.view(-1, 1, 1, 1).to(torch.float32)


def adjust_brightness(images: Tensor, factor: Tensor) -> Tensor:
    """PIL's ``ImageEnhance.Brightness``: blend with black, clipped.

    Args:
        images (Tensor): ``(N, 3, H, W)`` RGB in [0, 1].
        factor (Tensor): ``(N,)``.
    """
    return (images * _per_sample(factor)).clamp_(0, 1)


def adjust_contrast(images: Tensor, factor: Tensor) -> Tensor:
    """PIL's ``ImageEnhance.Contrast``: blend with the image's mean luma.

    Args:
        images (Tensor): ``(N, 3, H, W)`` RGB in [0, 1].
        factor (Tensor): ``(N,)``.
    """
    mean = luma(images).mean(dim=(2, 3), keepdim=True)
    return (images - mean).mul_(_per_sample(factor)).add_(mean).clamp_(0, 1)


def adjust_saturation(images: Tensor, factor: Tensor) -> Tensor:
    """PIL's ``ImageEnhance.Color``: blend with each pixel's luma.

    Args:
        images (Tensor): ``(N, 3, H, W)`` RGB in [0, 1].
        factor (Tensor): ``(N,)``.
    """
    return torch.lerp(luma(images), images,
                      _per_sample(factor)).clamp_(0, 1)


def adjust_hue(images: Tensor, factor: Tensor) -> Tensor:
    """Shift the HSV hue by ``factor`` of the circle (mmcv's
    ``adjust_hue``; gray pixels are left alone).

    With ``M``, ``m`` the largest and smallest channel and ``C = M - m``, the
    hue in sextants is ``h = (G - B) / C``, ``(B - R) / C + 2`` or
    ``(R - G) / C + 4`` for a largest R, G or B; after the shift, channel
    ``n`` (R: 5, G: 3, B: 1) is ``M - C clamp(min(k, 4 - k), 0, 1)`` with
    ``k = (n + h) mod 6`` (the standard HSV to RGB).

    Written with in-place arithmetic only: ``torch.where``, ``fmod`` and
    ``minimum`` are several times slower per element on the CPU here
    (0/1 masks blend the sextants; ``min(k, 4 - k) = 2 - |k - 2|``; the
    modulo is ``k - 6 floor(k / 6)``): about 1.5x cheaper than with them.

    Args:
        images (Tensor): ``(N, 3, H, W)`` RGB in [0, 1].
        factor (Tensor): ``(N,)`` in [-0.5, 0.5].
    """
    r, g, b = images.unbind(1)
    maxc, minc = images.amax(dim=1), images.amin(dim=1)
    chroma = maxc - minc
    # the sextant of the first largest channel (R, then G, then B) as 0/1
    # weights; gray pixels have zero numerators, so any positive divisor
    # gives hue 0
    is_r = (maxc == r).to(images.dtype)
    is_g = (maxc == g).to(images.dtype).mul_(1 - is_r)
    hue = (r - g).add_(chroma, alpha=4)  # largest B
    hue.add_((b - r).add_(chroma, alpha=2).sub_(hue).mul_(is_g))
    hue.add_((g - b).sub_(hue).mul_(is_r))
    hue.div_(chroma.clamp_min(1e-12))
    # hue in [-1, 5) plus a shift in [0, 6), plus the offsets 5, 3, 1 made
    # 11, 9, 7 (the same modulo 6): k in [6, 22)
    hue.add_(6 * factor.remainder(1).view(-1, 1, 1).to(hue.dtype))
    offsets = torch.tensor([11., 9., 7.],
                           device=images.device,
                           dtype=images.dtype).view(1, 3, 1, 1)
    k = hue.unsqueeze(1) + offsets
    k.sub_(k.div(6).floor_().mul_(6))  # k mod 6
    k.sub_(2).abs_().neg_().add_(2).clamp_(0, 1)  # min(k, 4 - k) in [0, 1]
    return k.mul_(chroma.unsqueeze(1)).neg_().add_(maxc.unsqueeze(1))


_JITTER_FNS = (adjust_brightness, adjust_contrast, adjust_saturation,
               adjust_hue)


def color_jitter(images: Tensor,
                 factors: Tensor,
                 order: Tensor,
                 inplace: bool = False) -> Tensor:
    """The four jitter operations, in each sample's own order.

    At each of the 4 steps every operation runs once on the samples whose
    step it is, so the cost is one pass of each operation over the batch;
    samples whose factor is the identity skip it (it would change nothing).

    Args:
        images (Tensor): ``(N, 3, H, W)`` RGB in [0, 1].
        factors (Tensor): ``(N, 4)`` from :func:`draw_jitter`.
        order (Tensor): ``(N, 4)`` permutations from :func:`draw_jitter`.
        inplace (bool): Write the result into ``images``. Defaults to
            False.

    Returns:
        Tensor: ``(N, 3, H, W)``, ``images`` itself with ``inplace``.
    """
    out = images if inplace else images.clone()
    for step in range(4):
        for op, fn in enumerate(_JITTER_FNS):
            chosen = (order[:, step] == op) & (factors[:, op] != _IDENTITY[op])
            idx = chosen.nonzero().squeeze(1)
            if idx.numel():  # index_select / index_copy_: 5x x[idx] here
                out.index_copy_(0, idx,
                                fn(out.index_select(0, idx), factors[idx, op]))
    return out


def apply_views(images: Tensor,
                params: ViewParams,
                gray_weights: Sequence[float],
                out_size: Optional[Tuple[int, int]] = None) -> Tensor:
    """Make the views: crop, resize and flip, grayscale, colour jitter.

    Args:
        images (Tensor): ``(N, 3, H, W)`` RGB in [0, 1], one per view
            (with crops, the same image may appear several times: pass it
            repeated).
        params (ViewParams): ``N`` views' parameters, on ``images``'s
            device.
        gray_weights (sequence): Grayscale weights in R, G, B order, summing
            to 1.
        out_size (tuple, optional): ``(H, W)`` of the crops; required with
            ``params.boxes``.

    Returns:
        Tensor: ``(N, 3, H_out, W_out)`` float32 in [0, 1].
    """
    if params.boxes is not None:  # a new tensor: changed in place below
        grid = crop_grid(params.boxes, params.flip, out_size,
                         images.shape[-2:])
        views = F.grid_sample(
            images,
            grid,
            mode='bilinear',
            padding_mode='border',
            align_corners=False)
    else:  # cropped in the loader: flip only (a new tensor as well)
        views = torch.where(
            params.flip.view(-1, 1, 1, 1), images.flip(-1), images)
    idx = params.gray.nonzero().squeeze(1)
    if idx.numel():
        gray = luma(views.index_select(0, idx), gray_weights)
        views.index_copy_(0, idx, gray.expand(-1, 3, -1, -1))
    return color_jitter(views, params.jitter, params.order, inplace=True)
