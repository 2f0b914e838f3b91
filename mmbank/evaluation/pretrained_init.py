"""``init_cfg=dict(type='StrictPretrained', ...)``: load pretrained weights
into a module and refuse a checkpoint that does not fit it.

mmengine's ``Pretrained`` initializer loads with ``strict=False``: a
checkpoint of another architecture (another stem, another depth) loads
partly, logs one line, and the rest of the module keeps its random weights.
For evaluating frozen features (the linear probe) that silently measures a
partly random backbone, so mmbank's linear configs use this one instead.
"""
import logging
from collections import OrderedDict
from typing import Dict, Optional

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule
from mmengine.model.weight_init import update_init_info
from mmengine.registry import WEIGHT_INITIALIZERS

from .checkpoint import (CheckpointKeyError, _preview, checkpoint_state_dict,
                         compare_state_dicts)


_LABELS = dict(
    missing='missing', unexpected='unexpected', misshaped='of another shape')


@WEIGHT_INITIALIZERS.register_module(name='StrictPretrained')
class StrictPretrainedInit:
    """Initialise a module from a checkpoint, all of it or refuse.

    Like mmengine's ``Pretrained``, but every tensor of the module must come
    from the checkpoint: a missing key, an unexpected key or a tensor of
    another shape raises :class:`~mmbank.evaluation.checkpoint.
    CheckpointKeyError` naming them, before anything is loaded. The
    checkpoint is read with mmbank's weights-only loading; ``module.``
    prefixes of wrapped models are ignored.

    The module's sub-modules count as initialised by the checkpoint (their
    own ``init_weights`` no longer runs after it), and ``zero_init_residual``
    of ResNets is turned off, as mmcls does for ``Pretrained``.

    Args:
        checkpoint (str): Path or URL of the checkpoint.
        prefix (str, optional): Load the checkpoint's keys that start with
            this prefix, stripped of it, e.g. ``'backbone.'`` for the
            backbone of a training checkpoint. Defaults to None (all keys).
        map_location (str): Kept for ``Pretrained`` compatibility; tensors
            are read to the CPU and copied into the module. Defaults to
            'cpu'.
        strict (bool): Refuse any mismatch. ``False`` loads the tensors
            whose names and shapes match, logs a warning listing the rest
            and leaves those at their current values: for deliberate partial
            loading only. Defaults to True.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: Optional[str] = None,
                 map_location: str = 'cpu',
                 strict: bool = True) -> None:
        if not isinstance(strict, bool):
            raise TypeError(f'StrictPretrained: strict must be True or '
                            f'False, got {strict!r}')
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.map_location = map_location
        self.strict = strict

    def _state_dict(self) -> Dict:
        state = checkpoint_state_dict(self.checkpoint)
        if not self.prefix:
            return state
        part = OrderedDict((k[len(self.prefix):], v)
                           for k, v in state.items()
                           if k.startswith(self.prefix))
        if not part:
            heads = sorted({k.split('.', 1)[0] + '.' for k in state})
            raise CheckpointKeyError(
                f'{self.checkpoint} has no weights under {self.prefix!r} '
                f'(its keys start with {_preview(heads)}); set init_cfg\'s '
                'prefix to the part to load, or None for a checkpoint of '
                'the module itself.')
        return part

    def __call__(self, module: nn.Module) -> None:
        state = self._state_dict()
        expected = module.state_dict()
        diff = compare_state_dicts(expected, state)
        what = f'{self.prefix}* of ' if self.prefix else ''
        problems = '; '.join(f'{_LABELS[name]}: {_preview(keys)}'
                             for name, keys in diff.items() if keys)
        if problems and self.strict:
            raise CheckpointKeyError(
                f'The weights {what}{self.checkpoint} do not fit the '
                f'model\'s {type(module).__name__}: {problems}. Loading them '
                'would leave part of it at random weights; use the config '
                'the checkpoint was trained with, or set init_cfg\'s '
                'strict=False to load the matching part on purpose.')
        bad_shape = {d.split(' ', 1)[0] for d in diff['misshaped']}
        loadable = OrderedDict((k, v) for k, v in state.items()
                               if k in expected and k not in bad_shape)
        module.load_state_dict(loadable, strict=False)
        print_log(
            f'StrictPretrained: loaded {len(loadable)} of {len(expected)} '
            f'tensors of {type(module).__name__} from {what}'
            f'{self.checkpoint}.',
            logger='current')
        if problems:
            print_log(
                f'StrictPretrained (strict=False): {problems}; those keep '
                'their current values.',
                logger='current',
                level=logging.WARNING)
        # Nothing may overwrite the loaded weights: sub-modules' own
        # init_weights (which mmengine runs after a non-'Pretrained'
        # init_cfg), and the zero-initialised last BN of residual blocks.
        for sub in module.modules():
            if sub is not module and isinstance(sub, BaseModule):
                sub._is_init = True
            if getattr(sub, 'zero_init_residual', False):
                sub.zero_init_residual = False
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint}'
