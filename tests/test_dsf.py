"""DSF layers: the parallel and recurrent forms agree, causality, constant-size states, the forecasters."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dynlearn import models
from dynlearn.errors import ValidationError
from dynlearn.models import _dsf_layers as L
from dynlearn.models.dsf import matched_config, parameter_count

D = 6
LAYER_CASES = {
    "softmax": lambda: L.SoftmaxAttention(D),
    "linear": lambda: L.LinearAttention(D),
    "linear_identity": lambda: L.LinearAttention(D, feature="identity", normalize=False),
    "s6": lambda: L.SelectiveSSM(D, state=5),
    "s6_shared": lambda: L.SelectiveSSM(D, state=3, shared_delta=True),
    "qlstm": lambda: L.QLSTM(D),
}


def _layer(name: str, seed: int = 0):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layer = LAYER_CASES[name]().double()
        for p in layer.parameters():  # move away from the initialisation so every weight matters
            p.data += 0.3 * torch.randn_like(p)
    return layer


def _inputs(batch: int, length: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, length, D, generator=g, dtype=torch.float64)


@pytest.mark.parametrize("name", sorted(LAYER_CASES))
@pytest.mark.parametrize("length", [1, 2, 7, 33])
def test_parallel_and_recurrent_forms_agree(name, length):
    layer = _layer(name)
    u = _inputs(3, length, seed=length)
    with torch.no_grad():
        par, rec = layer(u), layer.recurrent(u)
    assert par.shape == rec.shape == u.shape
    np.testing.assert_allclose(par.numpy(), rec.numpy(), rtol=0, atol=1e-5 * max(1.0, par.abs().max().item()))
    assert torch.allclose(par, rec, atol=1e-10)  # in float64 they agree far below the required 1e-5


@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_outputs_never_read_the_future(name):
    layer = _layer(name)
    u = _inputs(2, 12, seed=1)
    v = u.clone()
    v[:, 7:] += torch.randn_like(v[:, 7:])
    with torch.no_grad():
        a, b = layer(u), layer(v)
    assert torch.equal(a[:, :7], b[:, :7])
    assert not torch.allclose(a[:, 7:], b[:, 7:])


@pytest.mark.parametrize("name", sorted(LAYER_CASES))
def test_recurrent_state_size_is_constant_except_softmax(name):
    layer = _layer(name)
    u = _inputs(2, 40, seed=2)
    state, sizes = layer.init_state(2, u), []
    with torch.no_grad():
        for t in range(40):
            state, _ = layer.step(state, u[:, t])
            sizes.append(layer.state_numel(state))
    if name == "softmax":  # the exact state is the key/value cache: 2 d numbers per past step and sequence
        assert sizes == [2 * 2 * D * (t + 1) for t in range(40)]
    else:
        assert len(set(sizes)) == 1 and sizes[0] > 0


def test_linear_scan_matches_the_recurrence_and_differentiates():
    g = torch.Generator().manual_seed(3)
    a = torch.rand(2, 37, 4, generator=g, dtype=torch.float64).requires_grad_()
    b = torch.randn(2, 37, 4, generator=g, dtype=torch.float64)
    h, ref = torch.zeros(2, 4, dtype=torch.float64), []
    for t in range(37):
        h = a[:, t] * h + b[:, t]
        ref.append(h)
    ref = torch.stack(ref, 1)
    out = L.linear_scan(a, b)
    assert torch.allclose(out, ref, atol=1e-12)
    (g1,) = torch.autograd.grad(out.sum(), a)
    (g2,) = torch.autograd.grad(ref.sum(), a)
    assert torch.allclose(g1, g2, atol=1e-12)


def test_selective_ssm_with_no_decay_and_shared_step_is_linear_attention():
    """A = 0 and one Δ_t for all channels: S6 is unnormalised linear attention with q = C_t, k = Δ_t B_t, v = u_t."""
    g = torch.Generator().manual_seed(4)
    B_, T, d, N = 2, 20, 5, 3
    u = torch.randn(B_, T, d, generator=g, dtype=torch.float64)
    Bm, Cm = (torch.randn(B_, T, N, generator=g, dtype=torch.float64) for _ in range(2))
    delta = torch.rand(B_, T, 1, generator=g, dtype=torch.float64) + 0.1
    s6 = L.selective_scan(u, delta, torch.zeros(d, N, dtype=torch.float64), Bm, Cm)
    lin = L.linear_attention(Cm, delta * Bm, u, normalize=False)
    assert torch.allclose(s6, lin, atol=1e-12)
    assert torch.allclose(
        L.selective_scan_recurrent(u, delta, -torch.ones(d, N, dtype=torch.float64), Bm, Cm),
        L.selective_scan(u, delta, -torch.ones(d, N, dtype=torch.float64), Bm, Cm),
        atol=1e-12,
    )
    assert torch.allclose(L.linear_attention_recurrent(Cm, delta * Bm, u, normalize=False), lin, atol=1e-12)


def test_feature_maps_approximate_the_exponential_kernel():
    g = torch.Generator().manual_seed(5)
    q, k = (0.5 * torch.randn(50, 3, generator=g, dtype=torch.float64) for _ in range(2))
    exact = torch.exp((q * k).sum(-1))
    taylor = (L.taylor_features(q, 3) * L.taylor_features(k, 3)).sum(-1)
    series = sum((q * k).sum(-1) ** j / math.factorial(j) for j in range(4))
    assert L.taylor_features(q, 3).shape[-1] == 1 + 3 + 9 + 27
    assert torch.allclose(taylor, series, atol=1e-12)
    W = torch.randn(20000, 3, generator=g, dtype=torch.float64)
    rf = (L.positive_random_features(q, W) * L.positive_random_features(k, W)).sum(-1)
    assert (rf > 0).all() and torch.median(torch.abs(rf / exact - 1)) < 0.05


@pytest.mark.parametrize("name", ["dsf_softmax", "dsf_linear", "dsf_s6", "dsf_qlstm"])
def test_forecaster_networks_run_in_both_forms(name):
    model = models.create(name, hidden=8, layers=2, context=6, seed=1)
    model.dim_ = 3
    net = model._build().core.double()
    z = _inputs(2, 6, seed=6)[..., :3]
    with torch.no_grad():
        assert torch.allclose(net(z), net(z, recurrent=True), atol=1e-10)


@pytest.mark.parametrize("name", ["dsf_softmax", "dsf_linear", "dsf_s6", "dsf_qlstm"])
def test_matched_config_hits_the_parameter_budget(name):
    cfg = matched_config(name, 5000, 3, layers=2)
    assert abs(parameter_count(name, 3, **cfg) - 5000) / 5000 < 0.1


def test_bad_configs_name_the_fix():
    with pytest.raises(ValidationError, match="feature='elu'"):
        models.create("dsf_linear", feature="identity")
    with pytest.raises(ValidationError, match="state must be"):
        models.create("dsf_s6", state=0)
    with pytest.raises(ValidationError, match="n_params"):
        matched_config("dsf_s6", 0, 3)
