"""InstanceMemoryBank: update (written once the backward pass has used the
rows), groups, merging, state in checkpoints."""
import pytest
import torch
import torch.nn.functional as F

from mmbank.models import InstanceMemoryBank


def test_bank_init_update_and_sizes():
    bank = InstanceMemoryBank(num_samples=4, feat_dim=2, momentum=0.5)
    assert bank.feats.shape == (4, 2)
    assert torch.allclose(bank.feats.norm(dim=1), torch.ones(4))
    assert bank.group_ids.tolist() == [0, 1, 2, 3]
    bank.feats.copy_(torch.tensor([[1.0, 0], [0, 1], [1, 0], [0, 1]]))
    views = torch.tensor([[[0.0, 1.0]], [[0.0, 1.0]]])  # K=2, B=1
    bank.update(torch.tensor([2]), views)  # no graph: written at once
    rows = bank.rows()
    assert torch.allclose(rows[2], F.normalize(torch.tensor([0.5, 0.5]),
                                               dim=0))
    assert torch.equal(rows[[0, 1, 3]],
                       torch.tensor([[1.0, 0], [0, 1], [0, 1]]))
    assert torch.equal(bank.rows(torch.tensor([2, 0])), rows[[2, 0]])
    bank.set_groups(torch.tensor([0, 0, 0, 3]))
    assert bank.group_sizes().tolist() == [3, 3, 3, 1]
    assert bank.num_merged == 3 and bank.merged_ratio == 0.75


def test_update_waits_for_the_backward_pass_then_writes():
    """With a graph, the rows are written when the backward pass reaches
    the features: the gradient uses the rows the loss read (no copy), and
    the optimiser step after it sees the new rows."""
    bank = InstanceMemoryBank(num_samples=2, feat_dim=2, momentum=0.0)
    bank.feats.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0]]))
    v = torch.tensor([[0.6, 0.8]], requires_grad=True)
    feats = v * 1.0  # (B, d), part of the graph
    sims = feats @ bank.rows().T
    bank.update(torch.tensor([1]), feats)
    # between the loss and its backward pass: the rows the loss read
    assert bank.rows()[1].tolist() == [0.0, 1.0]
    sims[0, 1].backward()
    assert v.grad.tolist() == [[0.0, 1.0]]  # the row as it was read
    assert torch.allclose(bank.rows()[1], torch.tensor([0.6, 0.8]))


def test_an_update_never_backpropagated_is_an_error_not_a_silent_loss():
    bank = InstanceMemoryBank(num_samples=3, feat_dim=2)
    feats = torch.randn(1, 2, requires_grad=True)
    bank.update(torch.tensor([1]), feats * 2)
    with pytest.raises(RuntimeError, match='still waits for the backward'):
        bank.update(torch.tensor([2]), feats * 2)
    # no graph (or no_grad): written at once, nothing waits
    other = InstanceMemoryBank(num_samples=3, feat_dim=2, momentum=0.0)
    with torch.no_grad():
        other.update(torch.tensor([1]), feats * 2)
    other.update(torch.tensor([2]), (feats * 2).detach())
    assert torch.allclose(other.rows()[[1, 2]],
                          F.normalize(feats.detach(), dim=1).repeat(2, 1))


def test_two_updates_equal_two_immediate_ones_and_reach_checkpoints():
    torch.manual_seed(0)
    bank = InstanceMemoryBank(num_samples=5, feat_dim=3, momentum=0.5)
    start = bank.feats.clone()
    a, b = torch.randn(2, 2, 3), torch.randn(2, 2, 3)
    for idx, views in ((torch.tensor([1, 3]), a), (torch.tensor([3, 4]), b)):
        views = views.clone().requires_grad_()
        loss = (views.sum(0) @ bank.rows().T).sum()
        bank.update(idx, views)
        loss.backward()
    expected = start.clone()
    expected[[1, 3]] = F.normalize(0.5 * expected[[1, 3]] +
                                   0.5 * a.mean(0), dim=1)
    expected[[3, 4]] = F.normalize(0.5 * expected[[3, 4]] +
                                   0.5 * b.mean(0), dim=1)
    assert torch.allclose(bank.state_dict()['feats'], expected)


def test_bank_loads_checkpoints_with_the_removed_update_flags():
    """Checkpoints written while ``fill_on_first_update`` existed carry an
    ``updated`` buffer: it is dropped, the rows and groups load as saved."""
    saved = InstanceMemoryBank(4, feat_dim=2)
    saved.group_ids.copy_(torch.tensor([0, 0, 2, 3]))
    old = dict(saved.state_dict(),
               updated=torch.tensor([True, False, True, True]))
    bank = InstanceMemoryBank(None, feat_dim=2)
    bank.load_state_dict(old)  # strict: no unexpected key
    assert torch.equal(bank.rows(), saved.rows())
    assert bank.group_ids.tolist() == [0, 0, 2, 3]
    assert 'updated' not in bank.state_dict()
    with pytest.raises(TypeError, match='fill_on_first_update'):
        InstanceMemoryBank(4, fill_on_first_update=True)


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


def test_group_sizes_follow_every_change_of_the_groups():
    bank = InstanceMemoryBank(4, feat_dim=2)
    assert bank.num_merged == 0
    merged = InstanceMemoryBank(4, feat_dim=2)
    merged.set_groups(torch.tensor([0, 0, 2, 2]))
    bank.load_state_dict(merged.state_dict())  # loading changes groups
    assert bank.num_merged == 4
    bank.reset(4)
    assert bank.num_merged == 0


def test_merge_hard_negatives_on_constructed_pairs():
    """Rows 0/1 and 2/3 are near-duplicates, 4 is alone: merging to 80%
    joins the two pairs and leaves every row as it was."""
    bank = InstanceMemoryBank(5, feat_dim=2, momentum=0.5)
    rows = torch.tensor([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0],
                         [0.14, 0.99], [-1.0, 0.0]])
    bank.feats.copy_(F.normalize(rows, dim=1))
    bank.update(torch.tensor([4]), torch.tensor([[-1.0, 0.0]]))  # pending
    stats = bank.merge_hard_negatives(0.8, min_similarity=0.5)
    assert bank.group_ids.tolist() == [0, 0, 2, 2, 4]
    assert stats['merged'] == 4 and stats['groups'] == 2
    assert stats['largest'] == 2 and bank.merged_ratio == 0.8
    assert torch.equal(bank.feats[:4], F.normalize(rows[:4], dim=1))
    assert torch.allclose(bank.feats[4], torch.tensor([-1.0, 0.0]))


@pytest.mark.parametrize('exact', [False, True])
def test_merge_search_precision_reaches_the_search(monkeypatch, exact):
    """The bank's ``exact`` option reaches the neighbour search; both
    searches merge the constructed pairs."""
    from mmbank.models.memories import instance_memory_bank as module
    seen = []
    real = module.merge_hard_negatives
    monkeypatch.setattr(
        module, 'merge_hard_negatives',
        lambda *args: seen.append(args[-1]) or real(*args))
    bank = InstanceMemoryBank(4, feat_dim=2)
    rows = torch.tensor([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0],
                         [0.14, 0.99]])
    bank.feats.copy_(F.normalize(rows, dim=1))
    bank.merge_hard_negatives(1.0, exact=exact)
    assert seen == [exact]
    assert bank.group_ids.tolist() == [0, 0, 2, 2]
