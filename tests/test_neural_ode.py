"""The neural ODE and multiple-shooting segments."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from scipy.linalg import expm

from dynlearn import models
from dynlearn.data import Trajectory
from dynlearn.errors import FileFormatError, TrainingError, ValidationError
from dynlearn.models.neural_ode import NeuralODEConfig, VectorField, flow
from dynlearn.training.shooting import segments, shooting_loss

torch.set_num_threads(1)  # 2 shared cores: threads only contend

A = np.array([[-0.1, 1.0], [-1.0, -0.1]])  # a damped rotation: x(t) = expm(A t) x0
TINY = {"hidden": 32, "layers": 1, "window": 4, "epochs": 60, "lr": 1e-2, "batch_size": 32}


def spiral(times: np.ndarray, x0=(2.0, 0.0)) -> np.ndarray:
    return np.stack([expm(A * t) @ np.asarray(x0) for t in times])


@pytest.fixture(scope="module")
def irregular():
    times = np.cumsum(np.random.default_rng(0).uniform(0.05, 0.35, 120))
    return Trajectory(times, spiral(times))


@pytest.fixture(scope="module")
def fitted(irregular):
    return models.create("neural_ode", seed=0, **TINY).fit(irregular)


def test_learns_a_linear_ode_from_irregular_samples(fitted, irregular):
    # forecast at arbitrary times after the data: compare with the exact solution
    t_last = irregular.times[-1]
    times = t_last + np.array([0.03, 0.5, 1.0, 2.0, 3.0])
    exact = np.stack([expm(A * (t - t_last)) @ irregular.states[-1] for t in times])
    got = fitted.predict_at(irregular.times[-3:], irregular.states[-3:], times)
    assert got.shape == (5, 2)
    err = np.abs(got - exact).max()
    assert err < 0.1, f"max error {err:.3f} on states of size ~0.2-0.4"
    # far better than persistence
    assert err < 0.3 * np.abs(irregular.states[-1] - exact).max()


def test_forecast_step_rules(fitted, irregular):
    # irregular data: predict steps by the mean training step
    assert fitted.dt_ is None
    assert fitted.forecast_dt_ == pytest.approx(np.diff(irregular.times).mean())
    ctx = irregular.states[-1:]
    times = irregular.times[-1] + fitted.forecast_dt_ * np.arange(1, 6)
    np.testing.assert_allclose(fitted.predict(ctx, 5), fitted.predict_at(irregular.times[-1:], ctx, times), rtol=1e-5)
    uniform = Trajectory.from_states(spiral(np.arange(40) * 0.2), dt=0.2)
    m = models.create("neural_ode", **{**TINY, "epochs": 1}).fit(uniform)
    assert m.forecast_dt_ == pytest.approx(0.2)
    m = models.create("neural_ode", forecast_dt=0.05, **{**TINY, "epochs": 1}).fit(uniform)
    assert m.forecast_dt_ == 0.05


def test_predict_at_batches_and_checks_times(fitted, irregular):
    ctx = np.stack([irregular.states[-2:], irregular.states[-4:-2]])
    ct = np.array([0.0, 0.1])
    out = fitted.predict_at(ct, ctx, [0.2, 0.7])
    assert out.shape == (2, 2, 2)
    np.testing.assert_allclose(out[1], fitted.predict_at(ct, ctx[1], [0.2, 0.7]), rtol=1e-5, atol=1e-6)
    assert fitted.predict_at(ct, ctx[0], []).shape == (0, 2)
    with pytest.raises(ValidationError, match="strictly increasing"):
        fitted.predict_at(ct, ctx[0], [0.5, 0.3])
    with pytest.raises(ValidationError, match="later than the last context time"):
        fitted.predict_at(ct, ctx[0], [0.05])
    with pytest.raises(ValidationError, match="context_times has 3 entries"):
        fitted.predict_at([0.0, 0.1, 0.2], ctx[0], [0.5])
    with pytest.raises(ValidationError, match="non-finite"):
        fitted.predict_at(ct, ctx[0], [np.nan])


def test_save_load_keeps_forecast_step_and_rejects_other_architectures(fitted, irregular, tmp_path):
    d = fitted.save(tmp_path / "ode")
    back = models.load(d)
    assert back.forecast_dt_ == fitted.forecast_dt_
    np.testing.assert_array_equal(back.predict(irregular.states[-1:], 7), fitted.predict(irregular.states[-1:], 7))
    header = json.loads((d / "model.json").read_text())
    header["config"]["layers"] = 2
    (d / "model.json").write_text(json.dumps(header))
    with pytest.raises(FileFormatError, match="architecture"):
        models.load(d)


def test_adjoint_gradients_match_direct_backprop():
    cfg = NeuralODEConfig(hidden=8, layers=1)
    torch.manual_seed(0)
    field = VectorField(2, 8, 1, "tanh")
    z0 = torch.randn(5, 2)
    gaps = torch.rand(5, 3) + 0.5

    def grads(adjoint):
        field.zero_grad()
        c = NeuralODEConfig(**{**cfg.__dict__, "adjoint": adjoint})
        flow(field, z0, gaps, c).pow(2).sum().backward()
        return torch.cat([p.grad.flatten() for p in field.net.parameters()])

    direct, adjoint = grads(False), grads(True)
    torch.testing.assert_close(adjoint, direct, rtol=1e-3, atol=1e-4)


def test_adaptive_solver_and_adjoint_fit(irregular):
    m = models.create("neural_ode", method="dopri5", adjoint=True, **{**TINY, "epochs": 3}).fit(irregular[:40])
    loss = np.asarray(m.history_)
    assert np.all(np.diff(loss) < 0) and loss[-1] < 0.2 * loss[0]  # measured: 1.20 -> 0.30 -> 0.08
    assert np.all(np.isfinite(m.predict(irregular.states[-1:], 3)))


def test_exploding_loss_names_the_epoch(irregular):
    with pytest.raises(TrainingError, match=r"epoch 1.*lower the learning rate"):
        models.create("neural_ode", **{**TINY, "lr": 1e30, "grad_clip": 0.0, "epochs": 2}).fit(irregular)


def test_too_short_and_nan_data(irregular):
    with pytest.raises(ValidationError, match="at least 4 steps"):
        models.create("neural_ode", **TINY).fit(irregular[:3])
    x = irregular.states.copy()
    x[5, 0] = np.nan
    with pytest.raises(ValidationError, match="non-finite"):
        models.create("neural_ode", **TINY).fit(x)
    with pytest.raises(ValidationError, match="method"):
        models.create("neural_ode", method="rk45")


def test_segments_keep_irregular_times(irregular):
    seg = segments([irregular[:10], irregular[10:20]], 4, stride=2)
    assert seg.states.shape == (8, 4, 2) and seg.times.shape == (8, 4)
    np.testing.assert_array_equal(seg.times[1], irregular.times[2:6])
    np.testing.assert_array_equal(seg.times[4], irregular.times[10:14])
    np.testing.assert_allclose(seg.gaps[1], np.diff(irregular.times[2:6]))
    with pytest.raises(ValidationError, match="fewer than one shooting segment"):
        segments([irregular[:3]], 4)


def test_shooting_loss_is_zero_for_the_true_flow(irregular):
    seg = segments([irregular[:25]], 5)

    def exact(x0, gaps):
        t = torch.cumsum(gaps, dim=1).numpy()
        return torch.tensor(np.stack([[expm(A * tj) @ x for tj in ti] for x, ti in zip(x0.numpy(), t)]))

    loss = shooting_loss(exact, torch.tensor(seg.states), torch.tensor(seg.gaps))
    assert float(loss) < 1e-20
