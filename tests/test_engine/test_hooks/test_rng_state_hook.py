"""RNGStateHook on a toy run whose data pipeline draws from python, numpy
and torch: what each epoch draws, with and without workers, and after a
resume."""
import os.path as osp
import random
import uuid

import numpy as np
import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset

import mmbank  # noqa: F401
from mmbank.engine.hooks import RNGStateHook
from mmbank.utils.rng_state import get_rng_state, set_rng_state


class DrawingDataset(Dataset):
    """Each sample is what its pipeline draws: python, numpy, torch."""

    def __init__(self, num: int = 8) -> None:
        self.num = num
        self.pipeline = self.draw

    @staticmethod
    def draw(idx):
        return dict(inputs=torch.tensor(
            [random.random(), np.random.rand(), float(torch.rand(()))],
            dtype=torch.float64))

    def __len__(self):
        return self.num

    def __getitem__(self, idx):
        return self.pipeline(idx)


class RecordingModel(BaseModel):
    """Records its batches; its loss also draws from torch's generator."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))
        self.seen = []

    def forward(self, inputs, data_samples=None, mode='tensor'):
        self.seen.append(inputs.clone())
        noise = torch.rand(1)  # like negative sampling in the main process
        return dict(loss=(self.w * (inputs.float().mean() + noise)).sum())


def _run(work_dir, max_epochs, num_workers=0, persistent=False, hook=True,
         resume_from=None):
    model = RecordingModel()
    runner = Runner(
        model=model,
        work_dir=str(work_dir),
        experiment_name=f'rng_{uuid.uuid4().hex[:8]}',
        train_dataloader=dict(
            dataset=DrawingDataset(),
            sampler=dict(type='DefaultSampler', shuffle=True),
            batch_size=2,
            num_workers=num_workers,
            persistent_workers=persistent,
            collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1),
            logger=dict(type='LoggerHook', interval=100)),
        custom_hooks=[RNGStateHook()] if hook else [],
        randomness=dict(seed=0),
        resume=resume_from is not None,
        load_from=resume_from,
        default_scope='mmselfsup')
    runner.train()
    iterator = getattr(runner.train_dataloader, '_iterator', None)
    if iterator is not None:  # persistent workers: stop them now (left to
        iterator._shutdown_workers()  # the garbage collector, 10 s each)
    # one tensor per epoch: every sample drawn in it, in batch order
    per_epoch = len(model.seen) // max_epochs if resume_from is None else \
        len(model.seen) // (max_epochs - 1)
    return [torch.cat(model.seen[i:i + per_epoch])
            for i in range(0, len(model.seen), per_epoch)]


def test_workers_without_the_hook_draw_the_same_every_epoch(tmp_path):
    """mmengine seeds a worker once when it starts: non-persistent workers
    start every epoch, so every epoch draws the same values (what the hook
    fixes; only the order differs)."""
    first, second = _run(tmp_path, 2, num_workers=2, hook=False)
    assert torch.equal(first.sort(dim=0)[0], second.sort(dim=0)[0])


@pytest.mark.parametrize('persistent', [False, True])
def test_workers_draw_new_values_every_epoch(tmp_path, persistent):
    first, second = _run(tmp_path, 2, num_workers=2, persistent=persistent)
    # no value of epoch 1 drawn again in epoch 2, by any generator
    for column in range(3):
        assert not set(first[:, column].tolist()) & set(
            second[:, column].tolist())


def test_persistent_workers_draw_what_restarted_ones_do(tmp_path):
    restarted = _run(tmp_path / 'a', 2, num_workers=2, persistent=False)
    persistent = _run(tmp_path / 'b', 2, num_workers=2, persistent=True)
    for a, b in zip(restarted, persistent):
        assert torch.equal(a, b)


@pytest.mark.parametrize('num_workers, persistent', [(0, False), (2, False),
                                                     (2, True)])
def test_resumed_epoch_draws_what_the_uninterrupted_one_did(
        tmp_path, num_workers, persistent):
    straight = _run(tmp_path / 'straight', 2, num_workers, persistent)
    (resumed, ) = _run(
        tmp_path / 'resumed', 2, num_workers, persistent,
        resume_from=str(tmp_path / 'straight' / 'epoch_1.pth'))
    assert torch.equal(resumed, straight[1])
    assert not torch.equal(straight[0], straight[1])


def test_without_the_hook_a_resumed_run_replays_the_first_epoch(tmp_path):
    straight = _run(tmp_path / 'straight', 2, hook=False)
    (resumed, ) = _run(
        tmp_path / 'resumed', 2, hook=False,
        resume_from=str(tmp_path / 'straight' / 'epoch_1.pth'))
    assert not torch.equal(resumed, straight[1])
    assert torch.equal(resumed.sort(dim=0)[0], straight[0].sort(dim=0)[0])


def test_checkpoint_holds_every_rank_state_and_loads_weights_only(tmp_path):
    _run(tmp_path, 1)
    path = osp.join(tmp_path, 'epoch_1.pth')
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    saved = ckpt['rng_states']
    assert (saved['epoch'], saved['iter']) == (1, 4)
    assert len(saved['states']) == 1  # one rank
    assert set(saved['states'][0]) >= {'python', 'numpy', 'torch'}


def test_rng_state_round_trip():
    state = get_rng_state()
    drawn = (random.random(), np.random.rand(), torch.rand(3))
    set_rng_state(state)
    again = (random.random(), np.random.rand(), torch.rand(3))
    assert drawn[:2] == again[:2] and torch.equal(drawn[2], again[2])
