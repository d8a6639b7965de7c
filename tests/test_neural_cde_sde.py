"""Neural CDE (torchcde) and neural SDE (torchsde): the mathematics, training and sampling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dynlearn import models
from dynlearn.data import Trajectory
from dynlearn.errors import ValidationError

pytest.importorskip("torchcde")
pytest.importorskip("torchsde")


def test_cde_closed_loop_piece_matches_torchcde():
    """Extending h over one linear piece of the path is what cdeint does over that piece."""
    from dynlearn.models.neural_cde import CDENet

    torch.manual_seed(0)
    net = CDENet(3, 8, 16, 1)
    z, s = torch.randn(4, 6, 3), torch.cumsum(torch.rand(4, 6) + 0.2, 1)
    for sub in (1, 3):
        h = net.encode(z, s, sub)
        step, hs = h[:, 0], [h[:, 0]]
        for k in range(5):
            step = net.extend(step, torch.cat([(s[:, k + 1] - s[:, k])[:, None], z[:, k + 1] - z[:, k]], -1), sub)
            hs.append(step)
        torch.testing.assert_close(torch.stack(hs, 1), h, rtol=1e-5, atol=1e-5)


def _irregular(lorenz_traj, n, seed=0):
    rng = np.random.default_rng(seed)
    keep = np.sort(rng.choice(len(lorenz_traj), size=n, replace=False))
    return Trajectory(lorenz_traj.times[keep], lorenz_traj.states[keep])


@pytest.mark.slow
def test_cde_learns_from_irregular_samples(lorenz_traj):
    train = _irregular(lorenz_traj[:900], 450)
    cfg = dict(hidden_state=16, hidden=32, window=8, rollout=2, epochs=6, batch_size=64, forecast_dt=lorenz_traj.dt)
    m = models.create("neural_cde", **cfg, seed=0)
    m.fit(train)
    assert m.history_[-1] < 0.7 * m.history_[0]
    # one step ahead (at the uniform step) on held-out data beats persistence (0.52x of its error when written)
    x = lorenz_traj.states
    pred = m.predict(np.stack([x[i - 8 : i] for i in range(950, 1190, 20)]), 1)[:, 0]
    err, persist = np.mean((pred - x[950:1190:20]) ** 2), np.mean((x[949:1189:20] - x[950:1190:20]) ** 2)
    assert err < 0.75 * persist


def test_cde_config_checks():
    with pytest.raises(ValidationError, match="rollout"):
        models.create("neural_cde", window=4, rollout=4)


def _ou(theta=1.0, sigma=0.5, n=4000, dt=0.05, seed=0):
    """Ornstein–Uhlenbeck dx = -θ x dt + σ dW, exact discretisation, 2 independent coordinates."""
    rng = np.random.default_rng(seed)
    a, s = np.exp(-theta * dt), sigma * np.sqrt((1 - np.exp(-2 * theta * dt)) / (2 * theta))
    x = np.zeros((n, 2))
    for i in range(1, n):
        x[i] = a * x[i - 1] + s * rng.standard_normal(2)
    return Trajectory(np.arange(n) * dt, x)


@pytest.mark.slow
def test_sde_recovers_drift_and_diffusion_of_an_ou_process():
    traj = _ou()
    m = models.create("neural_sde", hidden=32, layers=1, window=4, epochs=15, batch_size=128, lr=1e-2, seed=0)
    m.fit(traj)
    f = m.module_
    std, tau = f.std.double().numpy(), float(f.time_scale[0])
    z = torch.linspace(-1.5, 1.5, 7)[:, None].repeat(1, 2)
    with torch.no_grad():
        drift = f.net(z).double().numpy() * std / tau  # dx/dt in data units
        sigma = f.sigma(z).double().numpy() * std / np.sqrt(tau)
    x = z.double().numpy() * std + f.mean.double().numpy()
    slope = np.polyfit(x[:, 0], drift[:, 0], 1)[0]
    # the diffusion is identified by every transition; the drift (−θ = −1) only slowly, from the
    # mean reversion over 200 time units: 15 epochs get its sign and order (−0.61 when written)
    assert np.median(sigma) == pytest.approx(0.5, rel=0.15)
    assert -1.5 < slope < -0.3


def test_sde_samples_are_seeded_and_spread(lorenz_traj):
    m = models.create("neural_sde", hidden=16, layers=1, window=4, epochs=1, batch_size=128, stride=3, seed=0)
    m.fit(lorenz_traj[:600])
    ctx = lorenz_traj.states[590:600]
    a = m.sample(ctx, 30, n_samples=5, seed=1)
    assert a.shape == (5, 30, 3) and np.all(np.isfinite(a))
    np.testing.assert_array_equal(a, m.sample(ctx, 30, n_samples=5, seed=1))
    assert not np.array_equal(a, m.sample(ctx, 30, n_samples=5, seed=2))
    assert np.all(a.std(axis=0)[-1] > 0)  # the paths differ
    assert m.sample(np.stack([ctx, ctx]), 4, n_samples=3).shape == (2, 3, 4, 3)
    np.testing.assert_allclose(m.vector_field(ctx[-1]) * 0, 0)  # the drift exists and is finite
    with pytest.raises(ValidationError, match="n_samples"):
        m.sample(ctx, 3, n_samples=0)
