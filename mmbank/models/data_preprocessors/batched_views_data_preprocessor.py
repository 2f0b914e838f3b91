from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.dist import get_dist_info
from mmengine.structures import BaseDataElement
from torch import Tensor

from mmselfsup.models.utils import SelfSupDataPreprocessor
from mmselfsup.registry import MODELS
from ...utils.rng_state import derive_seed
from ..utils.batched_views import (ViewParams, apply_views, draw_views,
                                   jitter_range)

#: the stream of :func:`~mmbank.utils.rng_state.derive_seed` the views use
VIEWS_STREAM = 1


@MODELS.register_module()
class BatchedViewsDataPreprocessor(SelfSupDataPreprocessor):
    """K augmented views of every sample, made for the whole batch on the
    model's device: NPID's augmentation without per-image work.

    In training it takes the batch of uint8 images the loader packed (the
    dataset's pipeline only packs the image and ``sample_idx``) and returns
    ``num_views`` tensors ``(B, 3, H, W)``, normalised: view ``k`` of every
    sample is ``inputs[k]``, as ``MultiViewWithIndex`` and
    ``PackSelfSupInputs`` give them to mmbank's ``MultiViewNPID`` and
    mmselfsup's ``NPID`` (``num_views=1``).
    Each view's parameters are drawn per sample from the distributions of
    the per-image pipeline (``configs/_base_/datasets/npid_views.py``):
    random resized crop, grayscale, colour jitter in a random order per
    sample, horizontal flip (:mod:`mmbank.models.utils.batched_views` says how
    each matches mmselfsup's and mmcv's transforms). Outside training it
    only normalises, like ``SelfSupDataPreprocessor``.

    What runs where:

    - ``geometric=True`` (images of one size, e.g. CIFAR's 32 x 32 arrays):
      the loader packs the image as is; crop, resize, flip (one
      ``grid_sample``), grayscale and jitter all run here, batched;
    - ``geometric=False`` (images of varying size: ImageNet, CUB, Cars,
      SOP, or crops larger than the output): the loader decodes and crops
      each view (``MultiViewWithIndex`` with ``RandomResizedCrop`` alone,
      ``num_views`` times); flip, grayscale and jitter run here.

    The views are drawn from this module's own ``torch.Generator`` on the
    CPU (the parameters are a few numbers per view; the images never leave
    the device), seeded at the first draw from the run's seed
    (``torch.initial_seed()``, which mmengine sets, or ``seed``) with the
    rank folded in, so the ranks of a distributed run draw different views.
    ``RNGStateHook`` keeps its state in the checkpoints, so a resumed run
    draws what an uninterrupted one does. The loader's workers draw
    nothing for the views.

    The input channel order is BGR with ``bgr_to_rgb=True`` and RGB
    otherwise; the colour operations run in RGB and ``gray_weights`` are in
    the input's order, like ``RandomGrayscale``'s ``channel_weights``.

    Args:
        num_views (int): ``K >= 1``, views per sample. Defaults to 2.
        crop_size (int | tuple): ``RandomResizedCrop``'s ``size`` (``(h, w)``
            or one side). Defaults to 224.
        crop_scale (tuple): Its ``scale``. Defaults to (0.2, 1.0) (NPID's).
        crop_ratio (tuple): Its ``ratio``. Defaults to (3/4, 4/3).
        crop_attempts (int): Its ``max_attempts``. Defaults to 10.
        gray_prob (float): ``RandomGrayscale``'s ``prob``. Defaults to 0.2.
        gray_weights (tuple): Its ``channel_weights`` (normalised to sum 1).
            Defaults to (0.299, 0.587, 0.114) (RGB images).
        brightness (float | tuple): ``ColorJitter``'s. Defaults to 0.4.
        contrast (float | tuple): ``ColorJitter``'s. Defaults to 0.4.
        saturation (float | tuple): ``ColorJitter``'s. Defaults to 0.4.
        hue (float | tuple): ``ColorJitter``'s (a fraction of the hue
            circle, at most 0.5). Defaults to 0.4.
        flip_prob (float): ``RandomFlip``'s ``prob`` (horizontal). Defaults
            to 0.5.
        geometric (bool): Crop and resize here (True) or take the loader's
            ``num_views`` crops (False). Defaults to True.
        seed (int, optional): Seed of the views instead of the run's.
            Defaults to None.
        **kwargs: ``SelfSupDataPreprocessor``'s (``mean``, ``std``,
            ``bgr_to_rgb``, ...).

    Example:
        >>> model = dict(
        ...     type='MultiViewNPID',
        ...     data_preprocessor=dict(
        ...         type='BatchedViewsDataPreprocessor', num_views=2,
        ...         crop_size=32, mean=(125.3, 123.0, 113.9),
        ...         std=(51.6, 50.8, 51.3)),
        ...     ...)
    """

    def __init__(self,
                 num_views: int = 2,
                 crop_size: Union[int, Sequence[int]] = 224,
                 crop_scale: Tuple[float, float] = (0.2, 1.0),
                 crop_ratio: Tuple[float, float] = (3. / 4., 4. / 3.),
                 crop_attempts: int = 10,
                 gray_prob: float = 0.2,
                 gray_weights: Sequence[float] = (0.299, 0.587, 0.114),
                 brightness: Union[float, Sequence[float]] = 0.4,
                 contrast: Union[float, Sequence[float]] = 0.4,
                 saturation: Union[float, Sequence[float]] = 0.4,
                 hue: Union[float, Sequence[float]] = 0.4,
                 flip_prob: float = 0.5,
                 geometric: bool = True,
                 seed: Optional[int] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if not isinstance(num_views, int) or num_views < 1:
            raise ValueError(
                f'num_views must be an int >= 1, got {num_views!r}.')
        size = (crop_size, crop_size) if isinstance(crop_size, int) \
            else tuple(crop_size)
        if len(size) != 2 or not all(
                isinstance(s, int) and s > 0 for s in size):
            raise ValueError(
                'crop_size must be a positive int or an (h, w) pair, got '
                f'{crop_size!r}.')
        if not 0 < crop_scale[0] <= crop_scale[1]:
            raise ValueError(
                f'crop_scale must be (min, max) with 0 < min <= max, got '
                f'{tuple(crop_scale)}.')
        if not 0 < crop_ratio[0] <= crop_ratio[1]:
            raise ValueError(
                f'crop_ratio must be (min, max) with 0 < min <= max, got '
                f'{tuple(crop_ratio)}.')
        if not isinstance(crop_attempts, int) or crop_attempts < 0:
            raise ValueError(
                f'crop_attempts must be an int >= 0, got {crop_attempts!r}.')
        for name, prob in (('gray_prob', gray_prob), ('flip_prob', flip_prob)):
            if not 0 <= prob <= 1:
                raise ValueError(f'{name} must be in [0, 1], got {prob}.')
        if len(gray_weights) != 3 or min(gray_weights) < 0 or \
                sum(gray_weights) <= 0:
            raise ValueError(
                'gray_weights must be 3 non-negative weights with a '
                f'positive sum, got {tuple(gray_weights)}.')
        self.num_views = num_views
        self.crop_size = size
        self.crop = dict(
            scale=tuple(float(s) for s in crop_scale),
            ratio=tuple(float(r) for r in crop_ratio),
            max_attempts=crop_attempts)
        self.gray_prob = float(gray_prob)
        self.flip_prob = float(flip_prob)
        total = float(sum(gray_weights))
        weights = [w / total for w in gray_weights]
        self._input_bgr = bool(kwargs.get('bgr_to_rgb', False))
        # the colour operations run in R, G, B order
        self.gray_weights_rgb = tuple(
            weights[::-1] if self._input_bgr else weights)
        self.jitter = (
            jitter_range(brightness, 'brightness'),
            jitter_range(contrast, 'contrast'),
            jitter_range(saturation, 'saturation'),
            jitter_range(
                hue,
                'hue',
                center=0,
                bound=(-0.5, 0.5),
                clip_first_on_zero=False),
        )
        self.geometric = geometric
        self.seed = seed
        self._generator: Optional[torch.Generator] = None

    @property
    def generator(self) -> torch.Generator:
        """The CPU generator the views are drawn from, created and seeded
        at the first use from ``(seed or torch.initial_seed(), rank)``."""
        if self._generator is None:
            seed = torch.initial_seed() if self.seed is None else self.seed
            rank, _ = get_dist_info()
            self._generator = torch.Generator()
            self._generator.manual_seed(derive_seed(seed, rank, VIEWS_STREAM))
        return self._generator

    def draw(self, batch_size: int, height: int, width: int) -> ViewParams:
        """The parameters of ``num_views x batch_size`` views (view-major:
        row ``k * B + b`` is view ``k`` of sample ``b``), on the CPU."""
        return draw_views(
            self.num_views * batch_size,
            height,
            width,
            crop=self.crop if self.geometric else None,
            flip_prob=self.flip_prob,
            gray_prob=self.gray_prob,
            jitter=self.jitter,
            generator=self.generator)

    def cast_data(self, data):
        """mmengine's ``cast_data``, except that a list of data samples is
        passed on as it is when the device is the CPU, where the loader
        made them: casting copies every sample (2.6 of the 10 ms this module
        took per 128 x 2 step at two threads, CIFAR-10, a 2-core VM)."""
        if self.device.type == 'cpu' and isinstance(data, list) and data \
                and all(isinstance(d, BaseDataElement) for d in data):
            return data
        return super().cast_data(data)

    def forward(self,
                data: dict,
                training: bool = False) -> Tuple[List[Tensor], list]:
        """Views of the batch (training) or the normalised images.

        Args:
            data (dict): ``inputs``: a list of uint8 ``(B, 3, H, W)``
                tensors, one (``geometric=True``) or ``num_views`` (the
                loader's crops); ``data_samples``.
            training (bool): Make random views. Defaults to False.

        Returns:
            tuple[list[Tensor], list]: ``num_views`` float ``(B, 3, h, w)``
            normalised views (training) and the data samples.
        """
        if not training:
            return super().forward(data, training)
        assert isinstance(data, dict), 'Use default_collate in the loader.'
        inputs, data_samples = self.cast_data(
            [data['inputs'], data.get('data_samples')])
        if torch.is_tensor(inputs):
            inputs = [inputs]
        expected = 1 if self.geometric else self.num_views
        if len(inputs) != expected:
            where = 'the images as they are (crops are made here)' \
                if self.geometric else f'{self.num_views} crops of each ' \
                "sample (MultiViewWithIndex with RandomResizedCrop)"
            raise ValueError(
                f'BatchedViewsDataPreprocessor(geometric={self.geometric}) '
                f'got {len(inputs)} images per sample; the loader must '
                f'pack {where}.')
        images = torch.cat(inputs) if len(inputs) > 1 else inputs[0]
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(
                'BatchedViewsDataPreprocessor needs (B, 3, H, W) color '
                f'images, got {tuple(images.shape)}.')
        batch = inputs[0].shape[0]
        height, width = images.shape[-2:]
        params = self.draw(batch, height, width).to(images.device)
        if self._input_bgr:
            images = images[:, [2, 1, 0]]
        if self.geometric and self.num_views > 1:  # repeated as uint8
            images = images.repeat(self.num_views, 1, 1, 1)
        images = images.float().div_(255)  # the only conversion
        views = apply_views(images, params, self.gray_weights_rgb,
                            self.crop_size)  # RGB in [0, 1]
        views = self._to_output(views)
        return list(views.split(batch)), data_samples

    def _to_output(self, views: Tensor) -> Tensor:
        """``[0, 1]`` RGB views in the output's channel order, normalised
        with ``mean`` and ``std`` (given for 0-255 values)."""
        if self._channel_conversion and not self._input_bgr:
            views = views[:, [2, 1, 0]]  # rgb_to_bgr
        if self._enable_normalize:  # (255 x - mean) / std, in place
            std = self.std.view(1, -1, 1, 1)
            return views.mul_(255 / std).sub_(
                self.mean.view(1, -1, 1, 1) / std)
        return views.mul_(255)
