"""Loading trained weights into a :class:`FeatureModel` for evaluation.

Every problem with a checkpoint file raises a :class:`CheckpointError`
whose message is one sentence naming the file and what is wrong: missing
(:class:`CheckpointNotFoundError`), empty, truncated, not a PyTorch
checkpoint, holding objects weights-only loading refuses
(:class:`UnsafeCheckpointFileError`), or weights that do not fit the model
(:class:`CheckpointKeyError`).
"""
import logging
import os.path as osp
import pickle
import tarfile
import zipfile
from collections import OrderedDict
from typing import Any, Dict, List

import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.runner.checkpoint import _load_checkpoint

from mmbank.utils.upstream_fixes import UnsafeCheckpointError


class CheckpointError(ValueError):
    """A checkpoint file that cannot be used; the message names the file
    and what is wrong."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint file does not exist."""


class UnsafeCheckpointFileError(CheckpointError, UnsafeCheckpointError):
    """The checkpoint holds objects weights-only loading refuses."""


class CheckpointKeyError(CheckpointError, KeyError):
    """A checkpoint does not hold the weights the model needs."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ''


def _preview(keys: List[str], num: int = 5) -> str:
    keys = sorted(keys)
    more = f' ... ({len(keys)} in all)' if len(keys) > num else ''
    return ', '.join(keys[:num]) + more


def compare_state_dicts(expected: Dict, found: Dict) -> Dict[str, List[str]]:
    """Keys of ``expected`` absent from ``found`` (``missing``), keys of
    ``found`` absent from ``expected`` (``unexpected``), and common keys
    whose tensors differ in shape (``misshaped``, described with both
    shapes), each in its dict's order."""
    missing = [k for k in expected if k not in found]
    unexpected = [k for k in found if k not in expected]
    misshaped = [
        f'{k} (checkpoint {tuple(found[k].shape)}, model '
        f'{tuple(expected[k].shape)})' for k in expected
        if k in found and tuple(getattr(found[k], 'shape', ())) != tuple(
            expected[k].shape)]
    return dict(
        missing=missing, unexpected=unexpected, misshaped=misshaped)


def check_checkpoint_file(filename: str) -> None:
    """Refuse a local file that cannot be a PyTorch checkpoint, with a
    :class:`CheckpointError` saying why (torch's own errors say
    ``EOFError``, ``KeyError: 101`` or "failed finding central directory").
    URLs (``://``) pass: they are checked when read. Tools call it first,
    before building anything."""
    if '://' in filename:
        return
    if not osp.exists(filename):
        raise CheckpointNotFoundError(f'Checkpoint not found: {filename}')
    if osp.isdir(filename):
        raise CheckpointError(
            f'Checkpoint {filename} is a directory, not a checkpoint file.')
    if osp.getsize(filename) == 0:
        raise CheckpointError(
            f'Checkpoint {filename} is empty (0 bytes): it was not saved '
            'completely.')
    with open(filename, 'rb') as f:
        head = f.read(4)
    if head.startswith(b'PK'):  # torch.save's zip format
        if not zipfile.is_zipfile(filename):
            raise CheckpointError(
                f'Checkpoint {filename} is truncated or corrupt: its zip '
                'archive is incomplete (was it saved or copied completely?).')
    elif not head.startswith(b'\x80') and not tarfile.is_tarfile(filename):
        # neither a zip archive, a pickle (the legacy format) nor a tar
        # archive (the oldest format)
        raise CheckpointError(
            f'{filename} is not a PyTorch checkpoint: torch.save writes a '
            'zip archive (or a pickle), and this file is neither.')


def read_checkpoint(filename: str) -> Any:
    """Load a checkpoint file weights-only, or raise a
    :class:`CheckpointError` that says what is wrong with it.

    Goes through mmengine's ``CheckpointLoader`` (with mmbank's
    weights-only loading, so a crafted pickle raises
    :class:`UnsafeCheckpointFileError`, an
    :class:`~mmbank.utils.upstream_fixes.UnsafeCheckpointError`).

    Args:
        filename (str): Local path or URL (``http://``, ``s3://`` ...).

    Returns:
        The loaded object (usually a dict with a ``state_dict``).
    """
    check_checkpoint_file(filename)
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)  # not mmengine's 'Loads checkpoint'
    try:
        # through the (quiet) current logger: with none, mmengine print()s
        return _load_checkpoint(filename, map_location='cpu',
                                logger='current')
    except UnsafeCheckpointError as err:
        raise UnsafeCheckpointFileError(str(err)) from err
    except (EOFError, RuntimeError, KeyError, IndexError, ValueError,
            OSError, pickle.UnpicklingError, zipfile.BadZipFile) as err:
        detail = ' '.join(str(err).split())[:200]
        raise CheckpointError(
            f'Checkpoint {filename} cannot be read: it is corrupt or not a '
            f'PyTorch checkpoint ({type(err).__name__}: {detail}).') from err
    finally:
        logger.setLevel(level)


def checkpoint_state_dict(filename: str) -> Dict:
    """The state dict of a checkpoint file, loaded weights-only.

    Reads with :func:`read_checkpoint`; ``module.`` prefixes of wrapped
    models are removed.

    Args:
        filename (str): Local path or URL (``http://``, ``s3://`` ...).

    Returns:
        OrderedDict: Parameter name -> tensor.

    Raises:
        CheckpointError: If the file is missing
            (:class:`CheckpointNotFoundError`, a FileNotFoundError),
            unreadable, or holds no state dict.
    """
    ckpt = read_checkpoint(filename)
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not state:
        raise CheckpointKeyError(
            f'{filename} holds no state dict (got {type(ckpt).__name__}).')
    return OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in state.items())


def _load_part(module: nn.Module, state: Dict, name: str,
               filename: str) -> None:
    diff = compare_state_dicts(module.state_dict(), state)
    missing, unexpected = diff['missing'], diff['unexpected']
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
        CheckpointError: The file is missing or unreadable
            (see :func:`read_checkpoint`); :class:`CheckpointKeyError`: the
            weights do not match the model.
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
