"""The conformance suite: every registered model passes the same checks.

A model joins the registry and is tested here automatically. Models may
define a classmethod ``conformance_config()`` returning small hyper-parameters
so these checks stay fast; capability flags decide which checks apply.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from dynlearn import models
from dynlearn.data import Trajectory
from dynlearn.errors import FileFormatError, NotFittedError, UnknownNameError, ValidationError

NAMES = models.names()


def make(name: str, **overrides):
    cls = models.MODELS.get(name)
    cfg = dict(getattr(cls, "conformance_config", lambda: {})())
    cfg.update(overrides)
    return models.create(name, **cfg)


@pytest.fixture(scope="module")
def fitted(lorenz_traj):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = make(name, seed=7).fit(lorenz_traj[:800])
        return cache[name]

    return get


def test_registry_is_not_empty():
    assert {"persistence", "mean", "linear_ar"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
class TestModelConformance:
    def test_fit_returns_self_and_sets_state(self, name, lorenz_traj):
        m = make(name)
        assert not m.is_fitted
        assert m.fit(lorenz_traj[:800]) is m
        assert m.is_fitted and m.dim_ == 3

    def test_predict_shapes(self, name, fitted, lorenz_traj):
        m = fitted(name)
        n = m.min_context
        ctx = lorenz_traj.states[800 - n : 800]
        assert m.predict(ctx, 25).shape == (25, 3)
        batch = np.stack([lorenz_traj.states[s - n : s] for s in (800, 850, 900)])
        out = m.predict(batch, 25)
        assert out.shape == (3, 25, 3)
        # a batch forecast equals the individual forecasts
        np.testing.assert_allclose(out[1], m.predict(batch[1], 25), rtol=1e-5, atol=1e-6)

    def test_horizon_zero_and_one(self, name, fitted, lorenz_traj):
        m = fitted(name)
        ctx = lorenz_traj.states[800 - m.min_context : 800]
        assert m.predict(ctx, 0).shape == (0, 3)
        one = m.predict(ctx, 1)
        assert one.shape == (1, 3) and np.all(np.isfinite(one))
        np.testing.assert_allclose(m.predict(ctx, 5)[:1], one, rtol=1e-6, atol=1e-8)

    def test_longer_context_is_accepted(self, name, fitted, lorenz_traj):
        m = fitted(name)
        out = m.predict(lorenz_traj.states[:800], 10)
        assert out.shape == (10, 3)

    def test_trajectory_as_context(self, name, fitted, lorenz_traj):
        m = fitted(name)
        ctx = lorenz_traj[800 - m.min_context : 800]
        np.testing.assert_array_equal(m.predict(ctx, 5), m.predict(ctx.states, 5))

    def test_deterministic_with_seed(self, name, lorenz_traj):
        ctx_len = make(name).min_context
        ctx = lorenz_traj.states[800 - ctx_len : 800]
        a = make(name, seed=3).fit(lorenz_traj[:800]).predict(ctx, 30)
        b = make(name, seed=3).fit(lorenz_traj[:800]).predict(ctx, 30)
        np.testing.assert_array_equal(a, b)

    def test_save_load_round_trip(self, name, fitted, lorenz_traj, tmp_path):
        m = fitted(name)
        ctx = lorenz_traj.states[800 - m.min_context : 800]
        m.save(tmp_path / "m")
        for loaded in (models.load(tmp_path / "m"), type(m).load(tmp_path / "m")):
            assert type(loaded) is type(m)
            assert loaded.get_params() == m.get_params()
            np.testing.assert_array_equal(loaded.predict(ctx, 40), m.predict(ctx, 40))
        # saving over an existing directory replaces it
        m.save(tmp_path / "m")
        np.testing.assert_array_equal(models.load(tmp_path / "m").predict(ctx, 5), m.predict(ctx, 5))

    def test_load_rejects_other_model_type(self, name, fitted, tmp_path):
        fitted(name).save(tmp_path / "m")
        other = next(n for n in NAMES if n != name)
        with pytest.raises(FileFormatError, match="holds a"):
            models.MODELS.get(other).load(tmp_path / "m")

    def test_load_rejects_corrupt_directories(self, name, fitted, tmp_path):
        m = fitted(name)
        d = m.save(tmp_path / "m")
        weights = next(d.glob("state.*"))  # state.npz or state.safetensors
        state = weights.read_bytes()
        weights.write_bytes(state[: len(state) // 2])
        with pytest.raises(FileFormatError, match="corrupt|truncated"):
            models.load(d)
        weights.write_bytes(state)
        header = json.loads((d / "model.json").read_text())
        (d / "model.json").write_text("{ not json")
        with pytest.raises(FileFormatError, match="corrupt"):
            models.load(d)
        (d / "model.json").write_text(json.dumps({**header, "format_version": 999}))
        with pytest.raises(FileFormatError, match="version"):
            models.load(d)
        (d / "model.json").unlink()
        with pytest.raises(FileFormatError, match="model.json"):
            models.load(d)
        with pytest.raises(FileFormatError, match="no model directory"):
            models.load(tmp_path / "missing")

    def test_bad_input_errors(self, name, fitted, lorenz_traj):
        m = fitted(name)
        n = m.min_context
        ctx = lorenz_traj.states[800 - n : 800].copy()
        with pytest.raises(ValidationError, match="horizon"):
            m.predict(ctx, -1)
        with pytest.raises(ValidationError, match="horizon"):
            m.predict(ctx, 2.5)
        with pytest.raises(ValidationError, match="dimension"):
            m.predict(ctx[:, :2], 5)
        with pytest.raises(ValidationError, match="rank"):
            m.predict(ctx[0, 0], 5)
        bad = ctx.copy()
        bad[-1, 0] = np.nan
        with pytest.raises(ValidationError, match="non-finite"):
            m.predict(bad, 5)
        if n > 1:
            with pytest.raises(ValidationError, match="context of at least"):
                m.predict(ctx[-(n - 1) :], 5)
        with pytest.raises(ValidationError, match="non-finite"):
            nan_train = lorenz_traj.states[:200].copy()
            nan_train[10, 1] = np.inf
            make(name).fit(nan_train)
        with pytest.raises(ValidationError, match="rank"):
            make(name).fit(np.zeros((2, 3, 4, 5)))

    def test_predict_before_fit(self, name, lorenz_traj):
        with pytest.raises(NotFittedError):
            make(name).predict(lorenz_traj.states[:50], 5)
        with pytest.raises(NotFittedError):
            make(name).save("never-written")

    def test_fit_on_short_series(self, name, lorenz_traj):
        m = make(name)
        short = lorenz_traj[: max(m.min_train_length, 2) + 20]
        m.fit(short)
        assert np.all(np.isfinite(m.predict(short.states[-m.min_context :], 3)))
        too_short = lorenz_traj[: m.min_train_length - 1] if m.min_train_length > 1 else None
        if too_short is not None and len(too_short):
            with pytest.raises(ValidationError, match="at least"):
                make(name).fit(too_short)

    def test_fit_on_several_trajectories_and_arrays(self, name, lorenz_traj):
        m = make(name).fit([lorenz_traj[:400], lorenz_traj[400:800]])
        assert m.dim_ == 3
        m2 = make(name).fit(lorenz_traj.states[:800], dt=lorenz_traj.dt)
        assert m2.dt_ == pytest.approx(lorenz_traj.dt)
        with pytest.raises(ValidationError, match="dimension"):
            make(name).fit([lorenz_traj[:400], Trajectory.from_states(np.zeros((400, 2)) + 1.0)])

    def test_config_is_typed_and_checked(self, name):
        m = make(name)
        params = m.get_params()
        assert "seed" in params
        clone = models.create(name, **params)
        assert clone.get_params() == params
        with pytest.raises(ValidationError, match="has no field"):
            models.create(name, not_a_field=1)
        assert m.set_params(seed="5").get_params()["seed"] == 5

    def test_nonuniform_sampling(self, name, lorenz_traj):
        times = np.cumsum(np.random.default_rng(0).uniform(0.5, 1.5, 300))
        irregular = Trajectory(times, lorenz_traj.states[:300])
        m = make(name)
        if m.capabilities.needs_uniform_sampling:
            with pytest.raises(ValidationError, match="uniformly sampled"):
                m.fit(irregular)
        else:
            m.fit(irregular)


def test_unknown_model_suggests_close_names():
    with pytest.raises(UnknownNameError, match="linear_ar"):
        models.create("linar_ar")
