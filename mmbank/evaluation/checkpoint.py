"""Loading trained weights into a :class:`FeatureModel` for evaluation."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List

import torch.nn as nn
from mmengine.runner.checkpoint import _load_checkpoint


class CheckpointKeyError(KeyError):
    """A checkpoint does not hold the weights the model needs."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ''


def _preview(keys: List[str], num: int = 5) -> str:
    keys = sorted(keys)
    more = f' ... ({len(keys)} in all)' if len(keys) > num else ''
    return ', '.join(keys[:num]) + more


def checkpoint_state_dict(filename: str) -> Dict:
    """The state dict of a checkpoint file, loaded weights-only.

    Goes through mmengine's ``CheckpointLoader`` (with mmbank's weights-only
    loading, so a crafted pickle raises
    :class:`mmbank.utils.upstream_fixes.UnsafeCheckpointError`); ``module.``
    prefixes of wrapped models are removed.

    Args:
        filename (str): Local path or URL (``http://``, ``s3://`` ...).

    Returns:
        OrderedDict: Parameter name -> tensor.

    Raises:
        FileNotFoundError: If a local file does not exist.
    """
    if '://' not in filename and not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint not found: {filename}')
    ckpt = _load_checkpoint(filename, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not state:
        raise CheckpointKeyError(
            f'{filename} holds no state dict (got {type(ckpt).__name__}).')
    return OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in state.items())


def _load_part(module: nn.Module, state: Dict, name: str,
               filename: str) -> None:
    expected = set(module.state_dict())
    missing = expected - set(state)
    unexpected = set(state) - expected
    if missing or unexpected:
        raise CheckpointKeyError(
            f'The {name} weights of {filename} do not match the config\'s '
            f'{name} ({type(module).__name__}): missing {_preview(missing)}'
            f'; unexpected {_preview(unexpected)}. Check that the config is '
            'the one the checkpoint was trained with.')
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise CheckpointKeyError(
            f'The {name} weights of {filename} do not fit the config\'s '
            f'{name}: {err}') from None


def load_feature_checkpoint(model: nn.Module,
                            filename: str,
                            backbone_only: bool = False) -> str:
    """Load a checkpoint into a model's backbone (and neck).

    Two kinds of checkpoint are accepted:

    - a full algorithm checkpoint (keys ``backbone.*``, ``neck.*``,
      ``head.*`` ...), e.g. ``epoch_10.pth`` of a training run: the backbone
      and, unless ``backbone_only``, the neck are loaded, the rest ignored;
    - a backbone-only checkpoint (the backbone's own keys, as mmselfsup's
      ``extract_backbone_weights.py`` writes), with ``backbone_only``.

    Args:
        model (nn.Module): Model with ``backbone`` and optional ``neck``.
        filename (str): The checkpoint.
        backbone_only (bool): Load the backbone only. Defaults to False.

    Returns:
        str: ``'full'`` or ``'backbone'``, the kind of checkpoint found.

    Raises:
        FileNotFoundError: The file does not exist.
        CheckpointKeyError: The weights do not match the model.
    """
    state = checkpoint_state_dict(filename)
    parts = {}
    for key, value in state.items():
        prefix, _, rest = key.partition('.')
        parts.setdefault(prefix, OrderedDict())[rest] = value
    if 'backbone' in parts:
        kind = 'full'
        _load_part(model.backbone, parts['backbone'], 'backbone', filename)
    elif backbone_only:
        kind = 'backbone'
        _load_part(model.backbone, state, 'backbone', filename)
    else:
        raise CheckpointKeyError(
            f'{filename} has no backbone.* weights (its keys start with '
            f'{_preview(list(parts))}). If it is a backbone-only checkpoint, '
            'pass --backbone-only (backbone_only=True).')
    neck = getattr(model, 'neck', None)
    if not backbone_only and neck is not None:
        if 'neck' not in parts:
            raise CheckpointKeyError(
                f'{filename} has no neck.* weights but the config has a '
                'neck; pass --backbone-only to evaluate the backbone '
                'feature only.')
        _load_part(neck, parts['neck'], 'neck', filename)
    return kind
