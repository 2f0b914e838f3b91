from typing import Any, Dict, List, Optional

from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from mmselfsup.registry import HOOKS
from mmselfsup.utils import get_model
from ...utils.rng_state import (EpochWorkerSeeding, get_rng_state,
                                pipeline_datasets, set_rng_state)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Make a resumed run draw the same random numbers as an uninterrupted
    one, so resuming after epoch ``e`` ends bit for bit like never stopping,
    random augmentation included.

    mmengine seeds every process once at start-up, so a resumed run would
    replay the first epochs' draws, and seeds data-loader workers once per
    worker start, so workers that are not persistent draw the same
    augmentation every epoch, and persistent ones replay epoch 0 after a
    resume. This hook

    - captures the python, numpy and torch (and CUDA) generator states of
      every rank, and those of the model's modules that draw from their own
      generator (e.g. ``BatchedViewsDataPreprocessor``'s views;
      :func:`~mmbank.utils.rng_state.module_generators`), at the end of
      each training epoch, puts them in the
      checkpoint of that epoch (``checkpoint['rng_states']``) and restores
      them at the start of the next epoch: in the uninterrupted run from
      memory, in a resumed run from the checkpoint. What runs between two
      epochs (validation, which draws data-loader seeds, merging, ...) thus
      leaves the training draws alone, in both runs alike;
    - gives the train data loader's workers seeds that fold in the epoch
      (:class:`~mmbank.utils.rng_state.EpochWorkerSeeding`), with and
      without ``persistent_workers``, and persistent loaders their own
      generator for the workers' base seeds (a fresh loader draws one from
      the global generator where a reused one does not).

    For epoch-based training loops (it does nothing in iteration-based
    ones). Checkpoints without RNG states resume with a warning.

    Args:
        seed_workers (bool): Install the epoch-dependent worker seeding.
            Defaults to True.
    """

    # before CheckpointHook (VERY_LOW) saves the epoch's checkpoint
    priority = 'LOW'

    def __init__(self, seed_workers: bool = True) -> None:
        self.seed_workers = seed_workers
        self.worker_seeding: Optional[EpochWorkerSeeding] = None
        # states to restore at the start of epoch ``_pending_epoch``
        self._pending: Optional[Dict[str, Any]] = None
        self._pending_epoch: Optional[int] = None
        # every rank's states captured at the end of the last epoch
        self._captured: Optional[List[Dict[str, Any]]] = None
        self._captured_at: Optional[tuple] = None
        self._active = True

    def before_train(self, runner) -> None:
        if not isinstance(runner.train_loop, EpochBasedTrainLoop):
            self._active = False
            runner.logger.warning(
                'RNGStateHook restores random states between epochs and '
                f'does nothing in a {type(runner.train_loop).__name__}.')
            return
        loader = runner.train_loop.dataloader
        if not self.seed_workers or getattr(loader, 'num_workers', 0) == 0:
            return
        if getattr(loader, '_iterator', None) is not None:
            runner.logger.warning(
                'RNGStateHook: the train data loader already started its '
                'workers; their seeds do not depend on the epoch.')
            return
        rank, _ = get_dist_info()
        self.worker_seeding = EpochWorkerSeeding(
            runner.seed, rank, loader.worker_init_fn, epoch=runner.epoch)
        loader.worker_init_fn = self.worker_seeding
        if loader.persistent_workers:
            import torch
            generator = torch.Generator()
            generator.manual_seed(int(runner.seed) & ((1 << 63) - 1))
            loader.generator = generator
            if not pipeline_datasets(loader.dataset):
                runner.logger.warning(
                    'RNGStateHook: the train dataset has no pipeline, so '
                    'persistent workers cannot be reseeded each epoch; use '
                    'persistent_workers=False for epoch-dependent draws.')

    def before_train_epoch(self, runner) -> None:
        if not self._active:
            return
        if self.worker_seeding is not None:
            self.worker_seeding.set_epoch(runner.epoch)
        if self._pending is not None and self._pending_epoch == runner.epoch:
            missing = set_rng_state(self._pending, get_model(runner.model))
            if missing:
                runner.logger.warning(
                    'The saved random states have none for the generators '
                    f'of {missing} (a checkpoint from before they drew '
                    'from their own): they keep their fresh seeds, so the '
                    'resumed run draws different views from an '
                    'uninterrupted one.')
        self._pending = None
        self._pending_epoch = None

    def after_train_epoch(self, runner) -> None:
        if not self._active:
            return
        state = get_rng_state(get_model(runner.model))
        _, world_size = get_dist_info()
        self._captured = all_gather_object(state) if world_size > 1 \
            else [state]
        # the checkpoint of this epoch has meta epoch + 1 and iter
        self._captured_at = (runner.epoch + 1, runner.iter)
        self._pending = state
        self._pending_epoch = runner.epoch + 1

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        meta = checkpoint.get('meta', {})
        if self._captured is None or \
                (meta.get('epoch'), meta.get('iter')) != self._captured_at:
            return  # not an end-of-epoch checkpoint
        epoch, it = self._captured_at
        checkpoint['rng_states'] = dict(
            epoch=epoch, iter=it, states=list(self._captured))

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if not getattr(runner, '_resume', False):
            return  # load_from: weights only, training starts at epoch 0
        saved = checkpoint.get('rng_states')
        if saved is None:
            runner.logger.warning(
                'The checkpoint holds no random generator states (it was '
                'saved without RNGStateHook, or not at the end of an '
                'epoch): the resumed run draws different random '
                'augmentation from an uninterrupted one.')
            return
        rank, world_size = get_dist_info()
        states = saved['states']
        if len(states) != world_size:
            runner.logger.warning(
                f'The checkpoint holds random generator states of '
                f'{len(states)} processes but this run has {world_size}: '
                'they are not restored, so the resumed run draws different '
                'random augmentation from an uninterrupted one.')
            return
        self._pending = states[rank]
        self._pending_epoch = int(saved['epoch'])
        runner.logger.info(
            f'Random generator states of the end of epoch {saved["epoch"]} '
            'restored for the next epoch.')
