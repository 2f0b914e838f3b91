"""CPUAmpOptimWrapper: bfloat16 autocast on CPU, float32 weights."""
import pytest
import torch
from torch import nn

import mmbank  # noqa: F401
from mmbank.engine.optimizers import CPUAmpOptimWrapper


def test_forward_runs_in_bfloat16_and_weights_stay_float32():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.LazyLinear(2))
    model(torch.zeros(1, 3, 8, 8))
    wrapper = CPUAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    with wrapper.optim_context(model):
        out = model(torch.randn(2, 3, 8, 8))
        assert out.dtype == torch.bfloat16
    wrapper.update_params(out.float().square().mean())
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert all(p.grad is None or p.grad.dtype == torch.float32
               for p in model.parameters())
    with torch.no_grad():  # outside the context: float32 again
        assert model(torch.randn(1, 3, 8, 8)).dtype == torch.float32


def test_float16_is_refused_and_gpu_amp_state_loads():
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match='bfloat16 only'):
        CPUAmpOptimWrapper(
            dtype='float16',
            optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    wrapper = CPUAmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1))
    state = wrapper.state_dict()
    state['loss_scaler'] = {'scale': 65536.0}  # as AmpOptimWrapper saves
    wrapper.load_state_dict(state)
    assert wrapper.param_groups[0]['lr'] == 0.1
