import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData

from mmselfsup.registry import MODELS
from mmselfsup.structures import SelfSupDataSample


def _model(consistency=True):
    return MODELS.build(
        dict(
            type='MultiViewNPID',
            backbone=dict(type='ResNet', depth=18, out_indices=[4]),
            neck=dict(type='LinearNeck', in_channels=512, out_channels=16,
                      with_avg_pool=True),
            head=dict(
                type='MemoryBankHead',
                memory_bank=dict(type='InstanceMemoryBank', num_samples=8,
                                 feat_dim=16),
                temperature=0.1,
                loss_consistency=dict(type='ConsistencyLoss',
                                      temperature=0.1)
                if consistency else None)))


def _samples(indices):
    samples = []
    for i in indices:
        s = SelfSupDataSample()
        s.sample_idx = InstanceData(value=torch.tensor([i]))
        samples.append(s)
    return samples


def test_loss_modes_and_loss_goes_down_on_a_fixed_batch():
    torch.manual_seed(0)
    model = _model()
    views = [torch.randn(4, 3, 32, 32) for _ in range(3)]  # K=3, B=4
    samples = _samples([0, 3, 5, 7])
    optim = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    first = None
    for _ in range(8):
        losses = model(views, samples, mode='loss')
        assert set(losses) == {'loss_inst', 'loss_cons'}
        total = losses['loss_inst'] + losses['loss_cons']
        first = total.item() if first is None else first
        optim.zero_grad()
        total.backward()
        optim.step()
    assert total.item() < first
    feats = model(views, mode='tensor')
    assert feats[0].shape == (4, 512, 1, 1)
    out = model.predict(views, _samples([0, 1, 2, 3]))
    assert out[0].feats.backbone.shape == (1, 512)
    assert torch.allclose(out[0].feats.neck.norm(dim=1), torch.ones(1))


def test_missing_sample_indices_gives_a_clear_error():
    model = _model(consistency=False)
    with pytest.raises(KeyError, match='sample_idx'):
        model([torch.randn(2, 3, 32, 32)], [SelfSupDataSample()] * 2,
              mode='loss')


def test_loss_then_the_bank_moves_to_the_views_mean():
    """The algorithm updates the bank after the head's loss, with the
    views' mean (momentum 0.5), written once the backward pass is done."""
    torch.manual_seed(0)
    model = _model()
    model.eval()  # BatchNorm in eval: embed() below sees the same features
    views = [torch.randn(2, 3, 32, 32) for _ in range(2)]
    bank = model.head.memory_bank
    before = bank.rows().clone()
    losses = model(views, _samples([1, 4]), mode='loss')
    assert torch.equal(bank.rows(), before)  # the rows the loss read
    sum(losses.values()).backward()
    with torch.no_grad():
        feats = torch.stack([model.embed(v) for v in views])  # (K, B, d)
    expected = F.normalize(0.5 * before[[1, 4]] + 0.5 * feats.mean(0),
                           dim=1)
    after = bank.rows()
    assert torch.allclose(after[[1, 4]], expected, atol=1e-6)
    keep = [i for i in range(bank.num_samples) if i not in (1, 4)]
    assert torch.equal(after[keep], before[keep])
