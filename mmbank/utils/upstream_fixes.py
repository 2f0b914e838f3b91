"""Workarounds for upstream bugs of the frozen mmselfsup 1.0.0 stack.

Each one is applied once, by ``import mmbank``, and has a test that fails
without it (``tests/test_utils/test_upstream_fixes.py``).
"""
import os
import os.path as osp
import pickle
import uuid
from typing import Any, List

import numpy as np
import torch
from mmengine.fileio.backends import LocalBackend
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

# mmselfsup 1.0.0's wheel lists a module it does not ship
# (mmselfsup.engine.runner, upstream issue #745) as a location of these
# registries, so building a runner fails with ModuleNotFoundError.
_MISSING_MODULE = 'mmselfsup.engine.runner'
_REGISTRIES_WITH_MISSING_MODULE = ('RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS')


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds objects that weights-only loading refuses."""


def fix_runner_registry_locations() -> List[str]:
    """Drop the missing ``mmselfsup.engine.runner`` from registry locations.

    Returns:
        list[str]: Names of the registries that were changed.
    """
    import mmselfsup.registry as registry
    changed = []
    for name in _REGISTRIES_WITH_MISSING_MODULE:
        reg = getattr(registry, name)
        if _MISSING_MODULE in reg._locations:
            reg._locations = [
                loc for loc in reg._locations if loc != _MISSING_MODULE
            ]
            changed.append(name)
    return changed


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


def _refuse_unsafe_checkpoints(load_checkpoint):
    """Wrap ``CheckpointLoader.load_checkpoint`` to explain refusals."""

    def load(cls, filename, map_location=None, logger='current'):
        try:
            return load_checkpoint.__func__(cls, filename, map_location,
                                            logger)
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
    :class:`UnsafeCheckpointError`, for every path that goes through
    mmengine's ``CheckpointLoader`` (resume, ``load_from``,
    ``init_cfg=dict(type='Pretrained')`` and mmbank's tools).
    """
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    force_weights_only_in_mmengine()
    current = CheckpointLoader.__dict__['load_checkpoint']
    if not getattr(current.__func__, '_mmbank_wrapped', False):
        CheckpointLoader.load_checkpoint = _refuse_unsafe_checkpoints(current)


def atomic_put(obj: bytes, filepath) -> None:
    """Write ``obj`` to ``filepath`` all or nothing.

    The bytes go to a temporary file in the same directory, are flushed to
    disk, and the file is renamed to ``filepath`` (``os.replace``, atomic on
    one file system). A failed write (a full disk, ...) leaves the previous
    ``filepath``, if any, untouched and no partial file behind.
    """
    filepath = osp.realpath(os.fspath(filepath))  # write through symlinks
    directory, name = osp.split(filepath)
    os.makedirs(directory, exist_ok=True)
    tmp = osp.join(directory, f'.{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}'
                   '.tmp')
    try:
        with open(tmp, 'xb') as f:
            f.write(obj)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def _atomic_local_put(self, obj: bytes, filepath) -> None:
    atomic_put(obj, filepath)


_atomic_local_put._mmbank_wrapped = True


def write_local_files_atomically() -> None:
    """Make mmengine's local file writes (checkpoints) atomic.

    mmengine 0.10.7 writes a checkpoint with ``LocalBackend.put``, which
    opens the final name and writes into it: a failure mid-write (a full
    disk, a killed job) leaves a truncated checkpoint under that name, which
    ``--resume`` then picks. This routes ``put`` through :func:`atomic_put`.
    """
    if not getattr(LocalBackend.put, '_mmbank_wrapped', False):
        LocalBackend.put = _atomic_local_put


def apply_upstream_fixes() -> None:
    """Apply every workaround of this module (idempotent)."""
    fix_runner_registry_locations()
    keep_weights_only_checkpoint_loading()
    write_local_files_atomically()


def init_cpu_distributed(launcher: str) -> bool:
    """Start torch.distributed with gloo for CPU-only multi-process runs.

    mmengine 0.10.7's ``init_dist('pytorch')`` calls
    ``torch.cuda.set_device`` unconditionally, so it fails on machines
    without a GPU. Runners skip ``init_dist`` when a process group already
    exists, so tools call this first. It does nothing with a GPU, with
    ``launcher='none'`` or when a group exists.

    Args:
        launcher (str): The tool's ``--launcher`` value.

    Returns:
        bool: Whether it started a process group.
    """
    import torch.distributed as torch_dist
    if launcher == 'none' or torch.cuda.is_available() or \
            torch_dist.is_initialized():
        return False
    if launcher != 'pytorch':
        raise ValueError(
            f'CPU-only distributed runs support --launcher pytorch (torchrun)'
            f', not {launcher!r}.')
    torch_dist.init_process_group(backend='gloo')
    return True


def use_cpu_distributed_config(cfg, launcher: str) -> None:
    """Point a config at CPU-only distributed running, in place: the gloo
    backend and DDP without device ids (mmengine's defaults assume NCCL and
    a GPU per process). Nothing changes with a GPU or ``launcher='none'``.

    Args:
        cfg (mmengine.Config): The run's config.
        launcher (str): The tool's ``--launcher`` value.
    """
    if launcher == 'none' or torch.cuda.is_available():
        return
    env_cfg = cfg.get('env_cfg', None) or {}
    dist_cfg = dict(env_cfg.get('dist_cfg', None) or {}, backend='gloo')
    cfg.env_cfg = dict(env_cfg, dist_cfg=dist_cfg)
    wrapper_cfg = cfg.get('model_wrapper_cfg', None) or dict(
        type='MMDistributedDataParallel', broadcast_buffers=False)
    wrapper_cfg['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper_cfg
