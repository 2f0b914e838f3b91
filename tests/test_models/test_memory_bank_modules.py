import math

import pytest
import torch
import torch.nn.functional as F

from mmbank.models import (ConsistencyLoss, InstanceMemoryBank,
                           MemoryBankHead)


def test_bank_init_update_and_sizes():
    bank = InstanceMemoryBank(num_samples=4, feat_dim=2, momentum=0.5)
    assert bank.feats.shape == (4, 2)
    assert torch.allclose(bank.feats.norm(dim=1), torch.ones(4))
    assert bank.group_ids.tolist() == [0, 1, 2, 3]
    bank.feats.copy_(torch.tensor([[1.0, 0], [0, 1], [1, 0], [0, 1]]))
    views = torch.tensor([[[0.0, 1.0]], [[0.0, 1.0]]])  # K=2, B=1
    bank.update(torch.tensor([2]), views)
    assert torch.allclose(bank.feats[2], F.normalize(
        torch.tensor([0.5, 0.5]), dim=0))
    assert torch.equal(bank.feats[[0, 1, 3]],
                       torch.tensor([[1.0, 0], [0, 1], [0, 1]]))
    bank.group_ids.copy_(torch.tensor([0, 0, 0, 3]))
    assert bank.group_sizes().tolist() == [3, 3, 3, 1]


def test_bank_fills_rows_on_their_first_update_then_mixes():
    bank = InstanceMemoryBank(num_samples=3, feat_dim=2, momentum=0.5,
                              fill_on_first_update=True)
    assert bank.updated.tolist() == [False, False, False]
    bank.feats.copy_(torch.tensor([[1.0, 0], [1.0, 0], [1.0, 0]]))
    # first update of row 1: the views' mean (0, 2) normalised, no mixing
    bank.update(torch.tensor([1]), torch.tensor([[[0.0, 1.0]],
                                                 [[0.0, 3.0]]]))
    assert torch.allclose(bank.feats[1], torch.tensor([0.0, 1.0]))
    assert bank.updated.tolist() == [False, True, False]
    # second update of row 1 and first of row 0 in one batch
    bank.update(torch.tensor([1, 0]), torch.tensor([[1.0, 0.0],
                                                    [0.0, -1.0]]))
    assert torch.allclose(bank.feats[1], F.normalize(
        torch.tensor([0.5, 0.5]), dim=0))
    assert torch.allclose(bank.feats[0], torch.tensor([0.0, -1.0]))
    assert torch.equal(bank.feats[2], torch.tensor([1.0, 0.0]))
    # the flags are state: saved, restored, and cleared by reset
    restored = InstanceMemoryBank(None, feat_dim=2,
                                  fill_on_first_update=True)
    restored.load_state_dict(bank.state_dict())
    assert restored.updated.tolist() == [True, True, False]
    restored.reset(3)
    assert not restored.updated.any()


def test_bank_loads_checkpoints_without_update_flags_as_updated():
    old = InstanceMemoryBank(4, feat_dim=2).state_dict()
    del old['updated']
    bank = InstanceMemoryBank(None, feat_dim=2, fill_on_first_update=True)
    bank.load_state_dict(old)
    assert bank.updated.tolist() == [True] * 4


def test_bank_rejects_bad_arguments_and_adopts_checkpoint_length():
    with pytest.raises(ValueError, match='momentum'):
        InstanceMemoryBank(4, momentum=1.0)
    with pytest.raises(ValueError, match='num_samples'):
        InstanceMemoryBank(0)
    trained = InstanceMemoryBank(6, feat_dim=3)
    unsized = InstanceMemoryBank(None, feat_dim=3)
    assert unsized.num_samples == 0
    unsized.load_state_dict(trained.state_dict())
    assert torch.equal(unsized.feats, trained.feats)
    other = InstanceMemoryBank(5, feat_dim=3)
    with pytest.raises(ValueError, match='6 rows but this model.s has 5'):
        other.load_state_dict(trained.state_dict())


def test_consistency_loss_on_a_pair_and_on_stacked_views():
    loss = ConsistencyLoss(temperature=0.5, loss_weight=2.0)
    a = torch.tensor([[0.0, 1.0]])
    b = torch.tensor([[1.0, 0.0]])
    p = torch.softmax(a / 0.5, 1)[0].tolist()
    q = torch.softmax(b / 0.5, 1)[0].tolist()
    kl_pq = sum(x * math.log(x / y) for x, y in zip(p, q))
    kl_qp = sum(y * math.log(y / x) for x, y in zip(p, q))
    expected = 2.0 * (kl_pq + kl_qp) / 2
    assert loss(a, b).item() == pytest.approx(expected, rel=1e-5)
    assert loss(torch.stack([a, b])).item() == pytest.approx(expected,
                                                             rel=1e-5)
    with pytest.raises(ValueError, match='two views'):
        loss(a)
    with pytest.raises(ValueError, match='temperature'):
        ConsistencyLoss(temperature=0)


def _head(**kwargs):
    head = MemoryBankHead(
        memory_bank=dict(type='InstanceMemoryBank', num_samples=3,
                         feat_dim=2, momentum=0.5),
        temperature=0.5,
        **kwargs)
    head.memory_bank.feats.copy_(
        F.normalize(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]),
                    dim=1))
    return head


def test_head_instance_loss_equals_hand_computation_and_updates_bank():
    head = _head()
    bank_before = head.memory_bank.feats.clone()
    feats = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]])  # K=2 views of B=1
    idx = torch.tensor([0])
    losses = head.loss(feats, idx)
    sims = feats[:, 0] @ bank_before.T  # (K, N)
    expected = -torch.log_softmax(sims / 0.5, dim=1)[:, 0].mean()
    assert losses['loss_inst'].item() == pytest.approx(expected.item())
    assert 'loss_cons' not in losses
    new_row = F.normalize(0.5 * bank_before[0] + 0.5 * feats.mean(0)[0],
                          dim=0)
    assert torch.allclose(head.memory_bank.feats[0], new_row)
    assert torch.equal(head.memory_bank.feats[1:], bank_before[1:])
    assert losses['merged_ratio'].item() == 0


def test_head_uses_merge_groups_as_positives_and_consistency():
    head = _head(loss_consistency=dict(
        type='ConsistencyLoss', temperature=0.5, loss_weight=1.0))
    head.memory_bank.group_ids.copy_(torch.tensor([0, 0, 2]))
    bank = head.memory_bank.feats.clone()
    feats = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]])
    losses = head.loss(feats, torch.tensor([1]))
    logp = torch.log_softmax(feats[:, 0] @ bank.T / 0.5, dim=1)
    expected = -torch.logsumexp(logp[:, :2], dim=1).mean()
    assert losses['loss_inst'].item() == pytest.approx(expected.item(),
                                                       rel=1e-5)
    expected_cons = ConsistencyLoss(temperature=0.5)(
        (feats[:, 0] @ bank.T).unsqueeze(1))
    assert losses['loss_cons'].item() == pytest.approx(
        expected_cons.item(), rel=1e-5)
    assert losses['merged_ratio'].item() == pytest.approx(2 / 3)


def test_head_with_sampled_negatives_and_clear_errors():
    torch.manual_seed(0)
    head = _head(num_negatives=5)
    sims, targets, pos = head.similarities(torch.randn(2, 2, 2),
                                           torch.tensor([0, 2]))
    assert sims.shape == (2, 2, 7)  # B own rows + 5 drawn
    assert targets.tolist() == [0, 1]  # own rows come first
    assert pos is None  # no merge groups yet
    head.memory_bank.group_ids.copy_(torch.tensor([0, 1, 0]))
    sims, targets, pos = head.similarities(torch.randn(2, 2, 2),
                                           torch.tensor([0, 2]))
    assert pos.shape == (2, 7)
    assert pos[0, 0] and pos[1, 1] and pos[0, 1] and pos[1, 0]
    loss = head.loss(torch.randn(2, 2, 2), torch.tensor([0, 2]))
    assert torch.isfinite(loss['loss_inst'])
    with pytest.raises(ValueError, match='K >= 2'):
        _head(loss_consistency=dict(type='ConsistencyLoss')).loss(
            torch.randn(1, 1, 2), torch.tensor([0]))
    with pytest.raises(IndexError, match='outside the memory bank'):
        _head().loss(torch.randn(1, 1, 2), torch.tensor([3]))
    empty = MemoryBankHead(memory_bank=dict(type='InstanceMemoryBank',
                                            feat_dim=2))
    with pytest.raises(RuntimeError, match='MemoryBankCheckHook'):
        empty.loss(torch.randn(1, 1, 2), torch.tensor([0]))
