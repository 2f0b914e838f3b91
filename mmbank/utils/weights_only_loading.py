"""Weights-only checkpoint loading for mmengine's loaders.

torch >= 2.6 loads checkpoints weights-only, which refuses mmengine's own
checkpoints; mmengine 0.10.7 calls ``torch.load`` without ``weights_only``,
so ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` would turn it off. This allows
exactly what mmengine's checkpoints need and forces ``weights_only=True``
(applied by :func:`mmbank.utils.upstream_fixes.apply_upstream_fixes`).
"""
import pickle
from typing import Any, List

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds objects that weights-only loading refuses."""


def history_buffer_getattr(obj: Any, name: str) -> Any:
    """The one use of ``getattr`` mmengine's checkpoints make, and no other.

    A ``HistoryBuffer`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``. Allowing the builtin ``getattr``
    would let a crafted checkpoint reach any attribute (and from there run
    code), so checkpoints get this restricted stand-in instead.
    """
    allowed = {'min', 'max', 'current', 'mean',
               *HistoryBuffer._statistics_methods}
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'checkpoint asks for getattr({obj!r}, {name!r}), which mmbank does '
        'not allow')


def checkpoint_safe_globals() -> List[Any]:
    """The classes and functions mmengine's checkpoints need to unpickle.

    mmengine 0.10.7 pickles its ``HistoryBuffer`` (the message hub's logs)
    and numpy arrays and scalars (runtime info). Allowing exactly these keeps
    torch's weights-only loading, which refuses anything that could run code.
    """
    dtype_classes = [
        type(np.dtype(t)) for t in (np.float16, np.float32, np.float64,
                                    np.int8, np.int16, np.int32, np.int64,
                                    np.uint8, np.bool_)
    ]
    return [
        HistoryBuffer,
        (history_buffer_getattr, 'builtins.getattr'),
        np.core.multiarray._reconstruct,
        np.core.multiarray.scalar,
        np.ndarray,
        np.dtype,
        *dtype_classes,
    ]


def drop_executable_config(checkpoint: Any) -> Any:
    """Remove ``meta['config']`` from a loaded checkpoint, in place.

    mmengine's ``Runner.resume`` (and ``FlexibleRunner``'s) passes that
    string, when present, to ``Config.fromstring``, which executes it as
    Python: a checkpoint that passes weights-only loading could still run
    code on ``--resume``. mmengine >= 0.7 never writes the key (it saves the
    config as ``meta['cfg']``, which nothing on the training path executes);
    only mmcv 1.x checkpoints had it, for a ``gpu_ids`` check that does not
    apply to mmengine configs. Returns ``checkpoint``.
    """
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    if isinstance(meta, dict):
        meta.pop('config', None)
    return checkpoint


def _refuse_unsafe_checkpoints(load_checkpoint):
    """Wrap ``CheckpointLoader.load_checkpoint`` to explain refusals and to
    drop what a runner would execute (:func:`drop_executable_config`)."""

    def load(cls, filename, map_location=None, logger='current'):
        try:
            return drop_executable_config(load_checkpoint.__func__(
                cls, filename, map_location, logger))
        except pickle.UnpicklingError as err:
            if isinstance(err, UnsafeCheckpointError):
                raise
            raise UnsafeCheckpointError(
                f'Refusing to load checkpoint {filename}: it contains '
                'objects other than tensors and the few mmengine/numpy '
                'classes mmbank allows, and unpickling them could run code. '
                'Only load checkpoints you trust; to convert one you trust, '
                'load it with torch.load(..., weights_only=False) and save '
                f'its state_dict again. (torch said: {str(err)[:300]})'
            ) from err

    load._mmbank_wrapped = True
    return classmethod(load)


class _WeightsOnlyTorch:
    """``torch`` as mmengine's checkpoint module sees it: ``torch.load``
    always loads weights-only, everything else is torch itself.

    mmengine calls ``torch.load`` without ``weights_only``, so torch's
    default applies, and ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` (which people
    set to load old checkpoints) turns that default off: a crafted
    checkpoint would then run code. An explicit ``weights_only=True`` is
    what that variable cannot override.
    """

    _mmbank_weights_only = True

    def __getattr__(self, name: str) -> Any:
        return getattr(torch, name)

    @staticmethod
    def load(*args, **kwargs) -> Any:
        kwargs['weights_only'] = True
        return torch.load(*args, **kwargs)


def _weights_only_load_url(load_url):
    """``load_url`` (torch.hub's, which defaults to ``weights_only=False``)
    that always loads weights-only."""

    def load(*args, **kwargs):
        kwargs['weights_only'] = True
        return load_url(*args, **kwargs)

    load._mmbank_weights_only = True
    return load


def force_weights_only_in_mmengine() -> None:
    """Make every ``torch.load`` of mmengine's checkpoint loaders (local
    files, URLs, ``torchvision://`` ...) pass ``weights_only=True``, so no
    environment variable or default can turn it off (idempotent)."""
    import mmengine.runner.checkpoint as ckpt_module
    if not getattr(ckpt_module.torch, '_mmbank_weights_only', False):
        ckpt_module.torch = _WeightsOnlyTorch()
    if not getattr(ckpt_module.load_url, '_mmbank_weights_only', False):
        ckpt_module.load_url = _weights_only_load_url(ckpt_module.load_url)


def keep_weights_only_checkpoint_loading() -> None:
    """Make mmengine's checkpoints load with ``weights_only=True``.

    torch >= 2.6 loads checkpoints weights-only; mmengine's own checkpoints
    then fail to load. This allows exactly :func:`checkpoint_safe_globals`
    and turns torch's refusal of anything else into
    :class:`UnsafeCheckpointError`, and drops the one string of a checkpoint
    that mmengine would execute (:func:`drop_executable_config`), for every
    path that goes through
    mmengine's ``CheckpointLoader`` (resume, ``load_from``,
    ``init_cfg=dict(type='Pretrained')`` and mmbank's tools).
    """
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    force_weights_only_in_mmengine()
    current = CheckpointLoader.__dict__['load_checkpoint']
    if not getattr(current.__func__, '_mmbank_wrapped', False):
        CheckpointLoader.load_checkpoint = _refuse_unsafe_checkpoints(current)
