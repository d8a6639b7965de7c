"""The one-step particle trainer and the rollout metrics, on a toy of soft repelling particles."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dynlearn.errors import ValidationError  # noqa: E402
from dynlearn.particles import Particles  # noqa: E402
from dynlearn.particles.metrics import chamfer_distance, mmd, position_mse_per_step, rollout_mse  # noqa: E402
from dynlearn.particles.models import ParticleSpec, build_particle_model  # noqa: E402
from dynlearn.particles.training import ParticleTrainer, TrainConfig, random_walk_noise, rollout, train  # noqa: E402

GNS = {"radius": 0.15, "latent": 16, "layers": 1, "mp_steps": 2, "max_neighbors": 12}


def toy(n_scenes=3, p=40, frames=24, seed=0, k=(0.5, 1.0)):
    """Particles in the unit box under gravity, repelling each other within 0.1 (spring law with a
    per-scene stiffness ``k``) and bouncing off the walls: a small interacting system."""
    rng = np.random.default_rng(seed)
    dt, r0 = 0.01, 0.1
    out, ks = [], []
    for _ in range(n_scenes):
        kk = rng.uniform(*k)
        x = rng.uniform(0.2, 0.8, (p, 2))
        v = rng.normal(0, 0.3, (p, 2))
        traj = []
        for _ in range(frames * 2):
            d = x[:, None] - x[None]
            dist = np.linalg.norm(d, axis=-1) + np.eye(p)
            f = np.where(dist < r0, kk * 400 * (r0 - dist) / dist, 0.0)[..., None] * d
            a = f.sum(1) + np.array([0.0, -3.0]) - 0.5 * v
            v = v + dt * a
            x = x + dt * v
            low, high = x < 0.02, x > 0.98
            v = np.where(low | high, -0.5 * v, v)
            x = np.clip(x, 0.02, 0.98)
            traj.append(x.copy())
        out.append(np.array(traj[::2]))
        ks.append(kk)
    return Particles(
        positions=np.stack(out), times=np.arange(frames) * 2 * dt, domain=((0.0, 0.0), (1.0, 1.0)), params={"k": ks}
    )


@pytest.fixture(scope="module")
def data():
    return toy()


def _model(d, seed=0, **kw):
    spec = ParticleSpec.from_particles(d, history=2)
    return build_particle_model("gns", spec, seed=seed, **{**GNS, **kw})


def test_random_walk_noise_statistics():
    g = torch.Generator().manual_seed(0)
    n = random_walk_noise((64, 6, 50, 2), 0.01, g)
    assert n.shape == (64, 6, 50, 2) and (n[:, 0] == 0).all()
    last_velocity = n[:, -1] - n[:, -2]
    assert abs(float(last_velocity.std()) - 0.01) < 0.0005


@pytest.mark.parametrize("correct_position", [False, True])
def test_noise_target(data, correct_position):
    """With noise on the inputs, the target acceleration integrated from the noisy window gives the
    true next velocity (GNS: the next position shifted by the last input's position noise), or with
    ``correct_position`` the true next position."""
    model = _model(data).double()
    model.fit_normalization(data, noise_std=1e-3)
    trainer = ParticleTrainer(steps=1, noise_std=1e-3, correct_position=correct_position)
    x = torch.as_tensor(data.positions[:1, :4])
    window, target = x[:, :3], x[:, 3]
    captured = {}

    def fake_acceleration(w, kind, params):
        captured["w"] = w
        return torch.zeros_like(w[:, -1])

    model.acceleration = fake_acceleration
    p = torch.zeros(1, 1, dtype=torch.float64)
    loss = trainer.loss(model, window, target, None, p, torch.Generator().manual_seed(1))
    w = captured["w"]
    assert not torch.equal(w, window) and torch.equal(w[:, 0], window[:, 0])
    shift = torch.zeros_like(target) if correct_position else w[:, -1] - window[:, -1]
    acc_n = (target + shift - 2 * w[:, -1] + w[:, -2] - model.acc_mean) / model.acc_std
    assert torch.allclose(loss, (acc_n**2).mean())
    nxt = w[:, -1] + (w[:, -1] - w[:, -2]) + acc_n * model.acc_std + model.acc_mean
    if correct_position:
        assert torch.allclose(nxt, target)
    else:  # the velocity is the true one: next - last noisy = true next - true last
        assert torch.allclose(nxt - w[:, -1], target - window[:, -1])


def test_training_lowers_the_loss_and_is_deterministic(data):
    cfg = {"steps": 60, "batch_size": 2, "lr": 3e-3, "noise_std": 1e-4, "log_every": 20, "seed": 3}
    a, b = _model(data), _model(data)
    ra = train(a, data, **cfg)
    rb = train(b, data, **cfg)
    assert ra.history[-1]["loss"] < 0.85 * ra.history[0]["loss"]
    assert [r["loss"] for r in ra.history] == [r["loss"] for r in rb.history]
    for (ka, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(va, vb), ka
    assert ra.history[-1]["lr"] == pytest.approx(3e-3 * 0.1, rel=1e-6)


def test_validation_keeps_the_best_and_rollout_shapes(data):
    model = _model(data)
    messages = []
    res = ParticleTrainer(steps=30, eval_every=10, val_steps=5, lr=3e-3).fit(
        model, data.subset([0, 1]), val=data.subset([2]), progress=messages.append
    )
    vals = [r["val_mse"] for r in res.history if "val_mse" in r]
    assert len(vals) == 3 and res.best_val == min(vals) and res.best_step in (10, 20, 30)
    assert any("validation rollout MSE" in m for m in messages)
    pred = rollout(model, data.subset([2]), steps=6)
    assert pred.shape == (1, 6, 40, 2) and np.isfinite(pred).all()
    assert rollout(model, data, start=2).shape == (3, 24 - 2 - 3, 40, 2)


def test_datasets_with_different_particle_counts(data):
    small = toy(n_scenes=2, p=25, seed=1)
    model = _model(data)
    res = train(model, [data, small], steps=12, log_every=4)
    assert len(res.history) == 3 and all(np.isfinite(r["loss"]) for r in res.history)


def test_bad_training_input_is_refused(data):
    model = _model(data)
    with pytest.raises(ValidationError, match="frames"):
        train(model, data.frames(0, 3), steps=1)
    with pytest.raises(ValidationError, match="parameters"):
        train(model, Particles(positions=data.positions, times=data.times, domain=data.domain), steps=1)
    with pytest.raises(ValidationError, match="kind"):
        bad = Particles(
            positions=data.positions, times=data.times, domain=data.domain, kind=np.full(40, 3), params=data.params
        )
        train(model, bad, steps=1)
    with pytest.raises(ValidationError, match="trainable"):
        train(build_particle_model("constant_velocity", model.spec), data, steps=1)
    with pytest.raises(ValidationError, match="unknown training setting"):
        ParticleTrainer({"epochs": 3})
    with pytest.raises(ValidationError, match="lr_final"):
        TrainConfig(lr_final=0.0)
    with pytest.raises(ValidationError, match="predict"):
        rollout(model, data, steps=100)


@pytest.mark.slow
def test_gns_beats_constant_velocity_on_the_toy():
    """A short fit of GNS beats the constant-velocity baseline over a 10-step rollout of unseen scenes."""
    torch.set_num_threads(1)
    tr, te = toy(n_scenes=6, seed=0), toy(n_scenes=2, seed=9)
    model = _model(tr, latent=32, mp_steps=3)
    train(model, tr, steps=400, lr=3e-3, noise_std=3e-4, batch_size=2)
    true = te.positions[:, 3:13]
    ours = rollout_mse(rollout(model, te, steps=10), true)
    base = build_particle_model("constant_velocity", model.spec)
    base.fit_normalization(tr)
    cv = rollout_mse(rollout(base, te, steps=10), true)
    assert ours < 0.5 * cv, (ours, cv)


def test_position_metrics():
    g = np.random.default_rng(0)
    true = g.random((2, 5, 30, 2))
    pred = true + 0.1
    per = position_mse_per_step(pred, true)
    assert per.shape == (5,) and np.allclose(per, 0.01)
    assert rollout_mse(pred[0], true[0]) == pytest.approx(0.01)
    with pytest.raises(ValidationError, match="share a shape"):
        rollout_mse(pred[:, :3], true)
    with pytest.raises(ValidationError, match="NaN"):
        rollout_mse(np.full_like(true, np.nan), true)


def test_chamfer_and_mmd_ignore_identity_and_counts():
    g = np.random.default_rng(1)
    a = g.random((3, 200, 2))
    perm = a[:, g.permutation(200)]
    assert chamfer_distance(a, perm) == 0.0 and mmd(a, perm) == pytest.approx(0.0, abs=1e-12)
    shifted = a + np.array([0.05, 0.0])
    assert chamfer_distance(a, shifted) > 0 and mmd(a, shifted) > 0
    # against brute force, different counts
    b = g.random((3, 150, 2))
    d2 = ((a[:, :, None] - b[:, None]) ** 2).sum(-1)
    expect = np.mean(0.5 * d2.min(2).mean(1) + 0.5 * d2.min(1).mean(1))
    assert chamfer_distance(a, b) == pytest.approx(expect, rel=1e-10)
    far = g.random((3, 150, 2)) + 3.0
    assert mmd(a, far) > mmd(a, b)
    with pytest.raises(ValidationError, match="point clouds"):
        chamfer_distance(a, b[..., :1])
