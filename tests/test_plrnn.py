"""Shallow PLRNN: the map, its Jacobian, boundedness of the clipped form, fit/save/load."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from dynlearn import models
from dynlearn.errors import FileFormatError, TrainingError, ValidationError
from dynlearn.models.plrnn import ShallowPLRNN, ShallowPLRNNModule
from dynlearn.training import Recurrent

TINY = {"hidden_dim": 8, "seq_len": 16, "batch_size": 4, "epochs": 2, "batches_per_epoch": 3}


def module(clipped=True, observation="identity", n=3, m=3, h=6, seed=0):
    torch.manual_seed(seed)
    return ShallowPLRNNModule(n, m, h, clipped, observation)


def test_step_matches_the_equations():
    net = module(clipped=False)
    z = torch.randn(5, 3)
    A, W1, W2, h1, h2 = (p.detach() for p in (net.A, net.W1, net.W2, net.h1, net.h2))
    want = A * z + torch.relu(z @ W2.T + h2) @ W1.T + h1
    torch.testing.assert_close(net.step(z), want)
    clipped = module(clipped=True)
    A, W1, W2, h1, h2 = (p.detach() for p in (clipped.A, clipped.W1, clipped.W2, clipped.h1, clipped.h2))
    want = A * z + (torch.relu(z @ W2.T + h2) - torch.relu(z @ W2.T)) @ W1.T + h1
    torch.testing.assert_close(clipped.step(z), want)
    assert isinstance(clipped, Recurrent)


@pytest.mark.parametrize("clipped", [True, False])
def test_analytic_jacobian_matches_autodiff(clipped):
    net = module(clipped=clipped, h=12).double()
    z = torch.randn(7, 3, dtype=torch.float64)
    auto = torch.stack([torch.autograd.functional.jacobian(lambda v: net.step(v[None])[0], zi) for zi in z])
    torch.testing.assert_close(net.jacobian(z), auto)


def test_clipped_orbits_stay_bounded_where_the_plain_one_blows_up():
    # same weights, |A| < 1, hidden units that push outward: the ReLU term of the
    # plain shPLRNN grows with z, the clipped difference is bounded by |h2|
    for clipped, bounded in ((True, True), (False, False)):
        net = module(clipped=clipped)
        with torch.no_grad():
            net.A.fill_(0.9)
            net.W2.copy_(torch.eye(3).repeat(2, 1))
            net.W1.copy_(torch.eye(3).repeat(1, 2))
            net.h2.fill_(0.5)
            z = net.generate(torch.ones(1, 3), 2000)
        assert bool(torch.all(torch.isfinite(z)) and z.abs().max() < 100) == bounded


def test_initialisation_follows_the_authors_code():
    net = module(m=3, h=50)
    assert torch.all(net.A > 0) and torch.all(net.A <= 1)  # diagonal of a PD matrix / its max eigenvalue
    assert net.W1.abs().max() <= 1 / 50**0.5 and net.W2.abs().max() <= 1 / 3**0.5
    assert torch.all(net.h1 == 0)
    assert torch.all(module(clipped=False).h2 == 0)


def test_observation_models():
    ident = module(n=2, m=4)
    x = torch.randn(5, 2)
    assert ident.forced_dim == 2
    torch.testing.assert_close(ident.observe(ident.initial_state(x)), x)
    lin = module(observation="linear", n=2, m=3)
    assert lin.forced_dim == 3
    zhat = lin.forcing_signal(x)
    torch.testing.assert_close(lin.observe(zhat), x, atol=1e-5, rtol=1e-5)  # B B⁺ = I for full row rank B


def test_fit_predict_save_load(lorenz_traj, tmp_path):
    m = models.create("shplrnn", **TINY, latent_dim=5).fit(lorenz_traj[:400])
    assert m.module_.latent_dim == 5 and m.alpha_ == pytest.approx(m.history_.alpha[-1])
    out = m.predict(lorenz_traj.states[399:400], 50)
    assert out.shape == (50, 3) and np.all(np.isfinite(out))
    m.save(tmp_path / "m")
    back = models.load(tmp_path / "m")
    np.testing.assert_array_equal(back.predict(lorenz_traj.states[399:400], 50), out)
    assert (tmp_path / "m" / "state.safetensors").exists()


def test_same_seed_same_weights(lorenz_traj):
    a = models.create("shplrnn", **TINY, seed=4).fit(lorenz_traj[:300])
    b = models.create("shplrnn", **TINY, seed=4).fit(lorenz_traj[:300])
    c = models.create("shplrnn", **TINY, seed=5).fit(lorenz_traj[:300])
    for k, v in a._get_state().items():
        np.testing.assert_array_equal(v, b._get_state()[k])
    assert not np.array_equal(a._get_state()["W1"], c._get_state()["W1"])


@pytest.mark.parametrize("regime", ["gtf", "tf", "bptt"])
def test_every_regime_trains(regime, lorenz_traj):
    cfg = {**TINY, "epochs": 3}
    m = models.create("shplrnn", **cfg, regime=regime, observation="linear", clipped=False).fit(lorenz_traj[:300])
    loss = np.asarray(m.history_.loss)
    assert len(loss) == 3 and loss[-1] < 0.5 * loss[0]  # measured: falls about 9x (gtf, tf) and 4x (bptt)


def test_gtf_learns_better_than_the_mean(lorenz_traj):
    # 240 steps: one-step-ahead error far below the mean forecast's (the variance, 1 after standardising)
    m = models.create("shplrnn", hidden_dim=32, seq_len=25, epochs=6, batches_per_epoch=40, lr=3e-3, lr_end=1e-3)
    m.fit(lorenz_traj[:800])
    x = lorenz_traj.states
    one_step = np.stack([m.predict(x[i : i + 1], 1)[0] for i in range(800, 1000, 10)])
    assert np.mean((one_step - x[801:1001:10]) ** 2) < 0.2


def test_bad_input(lorenz_traj, tmp_path):
    with pytest.raises(ValidationError, match="at least 17 steps"):
        models.create("shplrnn", **TINY).fit(lorenz_traj[:10])
    with pytest.raises(ValidationError, match="latent_dim >= the data dimension"):
        models.create("shplrnn", **TINY, latent_dim=2).fit(lorenz_traj[:100])
    with pytest.raises(ValidationError, match="observation"):
        models.create("shplrnn", observation="poisson")
    with pytest.raises(ValidationError, match="alpha"):
        models.create("shplrnn", alpha=2.0)
    nan = lorenz_traj.states[:100].copy()
    nan[5, 0] = np.nan
    with pytest.raises(ValidationError, match="non-finite"):
        models.create("shplrnn", **TINY).fit(nan)
    with pytest.raises(TrainingError, match="epoch 1.*smaller learning rate"):
        models.create("shplrnn", **{**TINY, "seq_len": 60}, regime="bptt", lr=1e6, lr_end=1e6).fit(
            lorenz_traj[:300].states * 1e3
        )


def test_load_rejects_mismatched_architecture(lorenz_traj, tmp_path):
    d = models.create("shplrnn", **TINY).fit(lorenz_traj[:200]).save(tmp_path / "m")
    header = json.loads((d / "model.json").read_text())
    header["config"]["hidden_dim"] = 9
    (d / "model.json").write_text(json.dumps(header))
    with pytest.raises(FileFormatError, match="does not match shplrnn's architecture"):
        ShallowPLRNN.load(d)


@pytest.mark.parametrize("clipped", [True, False])
@pytest.mark.parametrize("observation", ["identity", "linear"])
@pytest.mark.parametrize("regime", ["gtf", "tf", "bptt"])
def test_fused_window_kernel_matches_autograd(clipped, observation, regime):
    """The compiled forward/backward gives autograd's loss and gradients, in float64."""
    pytest.importorskip("numba")
    from dynlearn.training import make_regime

    net = module(clipped=clipped, observation=observation, n=3, m=5 if observation == "identity" else 4, h=7).double()
    with torch.no_grad():  # a non-zero h1 / h2 / b, so every gradient term is exercised
        net.h1.normal_(0, 0.3)
        net.h2.normal_(0, 0.3)
    x = torch.randn(4, 13, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    grads = {}
    for fused in (True, False):
        net.fused = fused
        net.zero_grad()
        r = make_regime(regime, alpha=0.3, interval=3)
        loss = torch.mean((r.rollout(net, x) - x[:, 1:]) ** 2)
        loss.backward()
        grads[fused] = (
            float(loss.detach()),
            {k: p.grad.clone() for k, p in net.named_parameters() if p.grad is not None},
        )
    assert grads[True][0] == pytest.approx(grads[False][0], rel=1e-12)
    assert grads[True][1].keys() == grads[False][1].keys()
    for k, g in grads[False][1].items():
        torch.testing.assert_close(grads[True][1][k], g, rtol=1e-10, atol=1e-12, msg=k)


def test_fused_training_is_the_same_as_autograd_training(lorenz_traj):
    """A few float32 optimiser steps give the same losses with and without the kernel."""
    pytest.importorskip("numba")
    from dynlearn.training import GeneralizedTeacherForcing, train

    x = ((lorenz_traj.states - lorenz_traj.states.mean(0)) / lorenz_traj.states.std(0))[:400]
    losses = []
    for fused in (True, False):
        net = module(h=16)
        net.fused = fused
        hist = train(net, x, GeneralizedTeacherForcing(), epochs=3, batches_per_epoch=4, batch_size=4, seq_len=30)
        losses.append(hist.loss)
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)


@pytest.mark.parametrize("clipped", [True, False])
def test_compiled_jacobian_norms_match_the_spectral_norm(clipped):
    pytest.importorskip("numba")
    net = module(clipped=clipped, m=5, h=9)
    z = torch.randn(50, 5, generator=torch.Generator().manual_seed(3))
    want = torch.linalg.matrix_norm(net.jacobian(z).double(), ord=2)
    torch.testing.assert_close(net.jacobian_norms(z), want, rtol=1e-6, atol=1e-9)
