"""Fitting a neural law through the MPM simulator (dynlearn.particles.fit) on a tiny scene."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from dynlearn.errors import ValidationError  # noqa: E402
from dynlearn.particles.fit import fit_law, observed_state, record, window_loss  # noqa: E402
from dynlearn.particles.materials import DruckerPrager, FixedCorotated  # noqa: E402
from dynlearn.particles.mpm import MPM  # noqa: E402
from dynlearn.particles.nclaw import NCLaw  # noqa: E402


def _truth():
    """A fixed-corotated jelly (E = 2e4 Pa, nu = 0.3)."""
    return FixedCorotated(E=2e4, nu=0.3)


@pytest.fixture(scope="module")
def scene():
    torch.manual_seed(0)
    sim = MPM(grid=16, domain=1.0, dt=2e-3)
    n = 8
    side = torch.linspace(0.35, 0.6, n)
    xs = torch.stack(torch.meshgrid(side, side, indexing="ij"), -1).reshape(1, -1, 2)
    state = sim.init(xs, velocities=torch.tensor([1.5, -2.0]))
    return sim, state, record(sim, _truth(), state, frames=16, every=5)


def _loss(sim, law, data, **kw):
    with torch.no_grad():
        return sum(float(window_loss(sim, law, data, s, 3, **kw)) for s in (4, 8, 11))


def test_record_keeps_the_full_state(scene):
    sim, state, traj = scene
    assert traj.x.shape == (1, 16, 64, 2) and traj.F.shape == (1, 16, 64, 2, 2)
    assert torch.equal(traj.x[:, 0], state.x)
    assert float(window_loss(sim, _truth(), traj, 4, 3)) < 1e-10  # the truth reproduces itself
    assert traj.to_particles().positions.shape == (1, 16, 64, 2)


def test_a_few_steps_lower_the_trajectory_loss(scene):
    sim, _, traj = scene
    law = NCLaw(seed=0, width=16, depth=2, stress_scale=1e3)
    before = _loss(sim, law, traj)
    result = fit_law(sim, law, traj, window=3, steps=12, lr=3e-2, seed=0)
    after = _loss(sim, law, traj)
    assert result.skipped == 0 and len(result.history) == 12
    assert after < 0.7 * before, (before, after)


def test_same_seed_same_fit(scene):
    sim, _, traj = scene
    runs = []
    for _ in range(2):
        law = NCLaw(seed=1, width=8, depth=1, stress_scale=1e3)
        fit_law(sim, law, traj, window=2, steps=3, lr=1e-2, seed=4)
        runs.append(torch.cat([p.detach().reshape(-1) for p in law.parameters()]))
    assert torch.equal(runs[0], runs[1])


def test_positions_only(scene):
    sim, _, traj = scene
    est = observed_state(traj.x, 0, traj.frame_dt, traj.mass, traj.volume)
    assert torch.allclose(est.F, torch.eye(2).expand_as(est.F), atol=1e-4)  # frame 0 is the rest shape
    est = observed_state(traj.x, 9, traj.frame_dt, traj.mass, traj.volume)
    inner = (traj.x[0, 0] - traj.x[0, 0].mean(0)).abs().max(-1).values < 0.08  # away from the free surface
    assert float((est.F - traj.F[:, 9])[:, inner].abs().max()) < 0.05
    law = NCLaw(seed=0, width=16, depth=2, stress_scale=1e3)
    before = _loss(sim, law, traj.x, every=traj.every)
    fit_law(sim, law, traj.x, window=3, steps=12, lr=1e-2, every=traj.every)
    assert _loss(sim, law, traj.x, every=traj.every) < before


def test_bad_input(scene):
    sim, _, traj = scene
    law = NCLaw(width=4, depth=1)
    with pytest.raises(ValidationError, match="no trainable parameters"):
        fit_law(sim, _truth(), traj)
    with pytest.raises(ValidationError, match="every="):
        fit_law(sim, law, traj.x)
    with pytest.raises(ValidationError, match="frames"):
        fit_law(sim, law, traj, window=20)
    with pytest.raises(ValidationError, match="dt"):
        fit_law(MPM(grid=16, dt=1e-3), law, traj)
    with pytest.raises(ValidationError, match="needs frames up to 17"):
        window_loss(sim, law, traj, 14, 3)
    with pytest.raises(ValidationError, match="Trajectory"):
        fit_law(sim, law, [1, 2, 3])


def test_the_plastic_network_learns_through_the_simulator():
    """Sand (Drucker-Prager) observed; nclaw with a learned return mapping: the gradient reaches
    ``project`` through the MPM steps, and a few steps lower the loss."""
    sim = MPM(grid=16, domain=1.0, dt=2e-3)
    side = torch.linspace(0.3, 0.55, 8)
    xs = torch.stack(torch.meshgrid(side, side, indexing="ij"), -1).reshape(1, -1, 2)
    state = sim.init(xs, velocities=torch.tensor([1.0, -2.0]))
    traj = record(sim, DruckerPrager(E=2e4, nu=0.3, friction_angle=35.0), state, frames=15, every=5)
    law = NCLaw(seed=0, width=16, depth=2, stress_scale=1e3, plastic=True, alpha=0.05)
    w0 = law.plastic_net.layers[-1].weight.detach().clone()
    before = _loss(sim, law, traj)
    result = fit_law(sim, law, traj, window=3, steps=10, lr=3e-2, seed=0)
    assert result.skipped == 0
    assert float((law.plastic_net.layers[-1].weight.detach() - w0).abs().max()) > 1e-3
    assert _loss(sim, law, traj) < 0.8 * before
