"""Random number generator states and epoch-dependent worker seeds.

What :class:`mmbank.engine.hooks.RNGStateHook` uses to make a resumed run
draw the same random augmentation as an uninterrupted one:

- :func:`get_rng_state` / :func:`set_rng_state`: the python, numpy and torch
  (CPU and CUDA) generators of this process, and the own generators of a
  model's modules (:func:`module_generators`, e.g. the one
  ``BatchedViewsDataPreprocessor`` draws its views from), as a dict that
  checkpoints can hold and load weights-only (tuples, ints, floats, strings
  and tensors only);
- :func:`derive_seed`: a seed for one stream of one rank, e.g. a module's
  generator, from the run's seed;
- :class:`EpochWorkerSeeding`: a data-loader ``worker_init_fn`` that seeds
  every worker from ``(seed, rank, worker id, epoch)``, and reseeds
  persistent workers when the epoch changes, so each epoch draws new values
  and a fresh loader (a resumed run) draws what the uninterrupted run drew.
"""
import random
from multiprocessing import sharedctypes
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import torch

_MASK64 = (1 << 64) - 1


def derive_seed(seed: int, rank: int, stream: int = 0) -> int:
    """A 63-bit seed for stream ``stream`` of rank ``rank`` of a run seeded
    with ``seed``.

    A numpy ``SeedSequence`` mixes the three numbers, so ranks (which
    mmengine seeds alike by default) and streams get unrelated generators.
    """
    words = np.random.SeedSequence(
        [int(seed) & _MASK64, int(rank), int(stream)]).generate_state(2)
    return (int(words[0]) << 32 | int(words[1])) & ((1 << 63) - 1)


def module_generators(model: Optional[torch.nn.Module]
                      ) -> Dict[str, torch.Generator]:
    """The ``torch.Generator`` of every sub-module of ``model`` that draws
    from its own (a ``generator`` attribute holding one), by module name
    (``''`` for ``model`` itself)."""
    if model is None:
        return {}
    found = {}
    for name, module in model.named_modules():
        generator = getattr(module, 'generator', None)
        if isinstance(generator, torch.Generator):
            found[name] = generator
    return found


def get_rng_state(model: Optional[torch.nn.Module] = None) -> Dict[str, Any]:
    """The states of the python, numpy and torch generators of this process
    and, given ``model``, of its modules' own generators.

    Args:
        model (nn.Module, optional): Whose :func:`module_generators` to
            include. Defaults to None.

    Returns:
        dict: ``python``, ``numpy``, ``torch``, with CUDA ``cuda`` (the
        current device's) and with a model ``generators`` (module name to
        state). Only tuples, ints, floats, strings, None and tensors, so
        weights-only checkpoint loading accepts it.
    """
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    state = dict(
        python=(version, tuple(internal), gauss),
        numpy=(name, torch.from_numpy(keys.astype(np.int64)), int(pos),
               int(has_gauss), float(cached)),
        torch=torch.get_rng_state(),
    )
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state()
    if model is not None:
        state['generators'] = {
            name: generator.get_state()
            for name, generator in module_generators(model).items()
        }
    return state


def set_rng_state(state: Dict[str, Any],
                  model: Optional[torch.nn.Module] = None) -> List[str]:
    """Restore the generators from :func:`get_rng_state`'s dict.

    Args:
        state (dict): From :func:`get_rng_state`.
        model (nn.Module, optional): Whose module generators to restore
            from ``state['generators']``. Defaults to None.

    Returns:
        list[str]: Names of ``model``'s module generators that ``state``
        has no state for (left as they are).
    """
    version, internal, gauss = state['python']
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state['numpy']
    keys = keys.numpy() if torch.is_tensor(keys) else np.asarray(keys)
    np.random.set_state(
        (name, keys.astype(np.uint32), int(pos), int(has_gauss),
         float(cached)))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state['cuda'])
    missing = []
    saved = state.get('generators', {})
    for name, generator in module_generators(model).items():
        if name in saved:
            generator.set_state(saved[name])
        else:
            missing.append(name)
    return missing


def seed_this_process(seed: int, rank: int, worker_id: int,
                      epoch: int) -> None:
    """Seed python, numpy and torch from ``(seed, rank, worker_id, epoch)``.

    A numpy ``SeedSequence`` mixes the four numbers, so neighbouring seeds,
    ranks, workers and epochs give unrelated streams (mmengine's
    ``seed + num_workers * rank + worker_id`` repeats across epochs and
    overlaps across seeds).
    """
    words = np.random.SeedSequence(
        [int(seed) & _MASK64, int(rank), int(worker_id),
         int(epoch)]).generate_state(8)
    np.random.seed(words[:4])
    random.seed(int(words[4]) << 32 | int(words[5]))
    torch.manual_seed(int(words[6]) << 32 | int(words[7]))


def _datasets(dataset, seen=None) -> List[Any]:
    """``dataset`` and the datasets it wraps (``dataset``, ``_dataset``,
    ``datasets`` attributes), each once."""
    seen = set() if seen is None else seen
    if dataset is None or id(dataset) in seen:
        return []
    seen.add(id(dataset))
    found = [dataset]
    for name in ('dataset', '_dataset'):
        inner = getattr(dataset, name, None)
        if inner is not None and not isinstance(inner, (str, dict)):
            found += _datasets(inner, seen)
    for inner in getattr(dataset, 'datasets', None) or []:
        found += _datasets(inner, seen)
    return found


def pipeline_datasets(dataset) -> List[Any]:
    """The datasets, among ``dataset`` and those it wraps, that run a
    ``pipeline`` (where a persistent worker can notice a new epoch)."""
    return [d for d in _datasets(dataset) if callable(getattr(d, 'pipeline',
                                                              None))]


class _ReseedingPipeline:
    """A dataset pipeline that reseeds its worker when the epoch changes.

    Persistent workers are started once, so their ``worker_init_fn`` cannot
    see later epochs; before each sample the wrapper compares the epoch the
    main process published with the one the worker is seeded for.
    """

    def __init__(self, pipeline: Callable, seeding: 'EpochWorkerSeeding',
                 worker_id: int) -> None:
        self.pipeline = pipeline
        self.seeding = seeding
        self.worker_id = worker_id

    def __call__(self, results):
        self.seeding.reseed_if_new_epoch(self.worker_id)
        return self.pipeline(results)

    def __getattr__(self, name):
        # transforms, __repr__ helpers, ... of the wrapped Compose
        pipeline = self.__dict__.get('pipeline')
        if pipeline is None:
            raise AttributeError(name)
        return getattr(pipeline, name)


class EpochWorkerSeeding:
    """A data-loader ``worker_init_fn`` with epoch-dependent seeds.

    Seeds each worker's python, numpy and torch generators from
    ``(seed, rank, worker_id, epoch)`` (:func:`seed_this_process`), where the
    epoch is what :meth:`set_epoch` last published in shared memory. A
    non-persistent worker is started for every epoch and seeded then; a
    persistent one is reseeded before its first sample of every new epoch
    (the pipelines of its dataset copy are wrapped). Either way the draws of
    epoch ``e`` depend only on ``e``, not on what the worker did before, so
    a resumed run draws exactly what an uninterrupted one did.

    Args:
        seed (int): The run's seed (``runner.seed``).
        rank (int): This process's rank.
        worker_init_fn (callable, optional): The loader's previous
            ``worker_init_fn`` (mmengine's), called first; its seeding is
            then overridden.
        epoch (int): The first epoch. Defaults to 0.
    """

    def __init__(self,
                 seed: int,
                 rank: int,
                 worker_init_fn: Optional[Callable] = None,
                 epoch: int = 0) -> None:
        self.seed = int(seed)
        self.rank = int(rank)
        self.worker_init_fn = worker_init_fn
        # shared with the workers (inherited when they start)
        self._epoch = sharedctypes.RawValue('q', int(epoch))
        self._seeded_epoch: Optional[int] = None  # per worker process

    @property
    def epoch(self) -> int:
        return int(self._epoch.value)

    def set_epoch(self, epoch: int) -> None:
        """Publish the epoch the next samples belong to (main process)."""
        self._epoch.value = int(epoch)

    def seed_worker(self, worker_id: int, epoch: int) -> None:
        seed_this_process(self.seed, self.rank, worker_id, epoch)
        self._seeded_epoch = epoch

    def reseed_if_new_epoch(self, worker_id: int) -> None:
        epoch = self.epoch
        if epoch != self._seeded_epoch:
            self.seed_worker(worker_id, epoch)

    def __call__(self, worker_id: int) -> None:
        if self.worker_init_fn is not None:
            self.worker_init_fn(worker_id)
        self.seed_worker(worker_id, self.epoch)
        info = torch.utils.data.get_worker_info()
        if info is None:
            return
        for dataset in pipeline_datasets(info.dataset):
            if not isinstance(dataset.pipeline, _ReseedingPipeline):
                dataset.pipeline = _ReseedingPipeline(dataset.pipeline, self,
                                                      worker_id)
