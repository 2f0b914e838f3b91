"""MemoryBankHead: losses by hand, merge groups as positives, sampled
negatives, clear errors."""
import pytest
import torch
import torch.nn.functional as F

from mmbank.models import ConsistencyLoss, MemoryBankHead


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


def test_head_instance_loss_equals_hand_computation():
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
    # the head is a loss: the bank is untouched (the algorithm updates it)
    assert torch.equal(head.memory_bank.rows(), bank_before)
    head.memory_bank.update(idx, feats)
    assert torch.allclose(head.memory_bank.rows()[0], new_row)


def test_head_uses_merge_groups_as_positives_and_consistency():
    head = _head(loss_consistency=dict(
        type='ConsistencyLoss', temperature=0.5, loss_weight=1.0))
    head.memory_bank.set_groups(torch.tensor([0, 0, 2]))
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
    assert set(losses) == {'loss_inst', 'loss_cons'}  # only losses


def test_head_with_sampled_negatives_and_clear_errors():
    torch.manual_seed(0)
    head = _head(num_negatives=5)
    sims, targets, pos = head.similarities(torch.randn(2, 2, 2),
                                           torch.tensor([0, 2]))
    assert sims.shape == (2, 2, 7)  # B own rows + 5 drawn
    assert targets.tolist() == [0, 1]  # own rows come first
    assert pos is None  # no merge groups yet
    head.memory_bank.set_groups(torch.tensor([0, 1, 0]))
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
    with pytest.raises(RuntimeError, match='MemoryBankSetupHook'):
        empty.loss(torch.randn(1, 1, 2), torch.tensor([0]))
