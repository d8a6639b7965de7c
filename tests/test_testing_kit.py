"""The conformance kit itself: it passes correct models and names exactly what a broken one gets wrong."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from dynlearn.config import ModelConfig
from dynlearn.errors import ValidationError
from dynlearn.models import Capabilities, Model
from dynlearn.models.baselines import LinearAR
from dynlearn.testing import CheckSuite, ConformanceError, check_model, expect, model_checks
from dynlearn.testing.checks import CheckFailed


class Damped(Model):
    """x̂_{t+1} = ρ x_t with ρ fitted by least squares (one scalar)."""

    name = "kit_damped"

    def _fit(self, trajectories):
        x = np.concatenate([t.states[:-1] for t in trajectories])
        y = np.concatenate([t.states[1:] for t in trajectories])
        self.rho_ = float(np.sum(x * y) / np.sum(x * x))

    def _predict(self, context, horizon):
        return context[:, -1:, :] * self.rho_ ** np.arange(1, horizon + 1)[None, :, None]

    def _get_state(self):
        return {"rho": np.array([self.rho_])}

    def _set_state(self, state):
        self.rho_ = float(np.asarray(state["rho"]).reshape(1)[0])


def failures(cls, **kw) -> dict[str, str]:
    with pytest.raises(ConformanceError) as info:
        check_model(cls, **kw)
    return dict(info.value.failures)


def test_a_correct_model_passes_every_applicable_check():
    ran = check_model(Damped)
    assert "check_save_load_round_trip" in ran and "check_refit_is_identical" in ran
    assert "check_samples" not in ran and "check_vector_field" not in ran  # not declared


def test_a_model_that_mutates_its_inputs_is_named():
    class MutatingFit(Damped):
        def _fit(self, trajectories):
            super()._fit(trajectories)
            trajectories[0].states[0] += 1.0  # training states reach _fit read-only: this raises

    class MutatingPredict(Damped):
        def _predict(self, context, horizon):
            out = super()._predict(context, horizon)
            context *= 2.0  # the caller's array
            return out

    fit_error = failures(MutatingFit)["check_fit_returns_self"]
    assert "read-only" in fit_error and "trajectories[0].states[0] += 1.0" in fit_error
    assert "predict changed the caller's context" in failures(MutatingPredict)["check_inputs_not_mutated"]


def test_global_randomness_and_leaky_refits_are_named():
    rng = np.random.default_rng(0)  # shared state: the next fit draws different numbers

    class Noisy(Damped):
        def _fit(self, trajectories):
            super()._fit(trajectories)
            self.rho_ += 1e-3 * rng.standard_normal()

    class Leaky(Damped):
        def _fit(self, trajectories):
            old = getattr(self, "rho_", None)
            super()._fit(trajectories)
            if old is not None:  # continues from the last fit
                self.rho_ = 0.5 * (self.rho_ + old)

    noisy = failures(Noisy)
    assert "config.seed" in noisy["check_same_seed_same_forecast"]
    assert "check_refit_is_identical" in failures(Leaky)


def test_batch_coupling_and_unsaved_state_are_named():
    class Coupled(Damped):
        def _predict(self, context, horizon):
            out = super()._predict(context, horizon)
            return out + 1e-3 * out.mean(axis=0, keepdims=True)  # members influence each other

    class Forgetful(Damped):
        def _get_state(self):
            return {}

        def _set_state(self, state):
            self.rho_ = 1.0

    assert "batch members" in failures(Coupled)["check_predict_shapes"]
    assert "forecasts differently" in failures(Forgetful)["check_save_load_round_trip"]


def test_config_fields_that_do_not_round_trip_are_named():
    @dataclasses.dataclass
    class Cfg(ModelConfig):
        gain: float = 1.0

        def __post_init__(self):
            self.gain = round(self.gain, 1)  # a field that is not what it was set to

    class Lossy(Damped):
        Config = Cfg

    class Hidden(Damped):  # a hyper-parameter outside the config (SINDy's custom_library was one)
        def __init__(self, config=None, *, scale: float = 1.0, **overrides):
            super().__init__(config, **overrides)
            self.scale = scale

    @dataclasses.dataclass
    class ComplexCfg(ModelConfig):
        gain: complex = 1j

    class NotJSON(Damped):
        Config = ComplexCfg

    assert "gain" in failures(Lossy, config={"gain": 0.25})["check_params_round_trip"]
    assert "__init__ takes ['scale']" in failures(Hidden)["check_params_round_trip"]
    assert "not JSON" in failures(NotJSON)["check_params_round_trip"]


def test_undeclared_capabilities_are_named():
    class SecretSampler(Damped):
        def _sample(self, context, horizon, n_samples, seed):
            return np.zeros((len(context), n_samples, horizon, context.shape[-1]))

    assert "probabilistic" in failures(SecretSampler)["check_declarations"]


class NoisyAR1(Damped):
    """x_{t+1} = ρ x_t + σ ε: probabilistic, with σ the residual std."""

    name = "kit_noisy_ar1"
    capabilities = Capabilities(probabilistic=True)

    def _fit(self, trajectories):
        super()._fit(trajectories)
        res = np.concatenate([t.states[1:] - self.rho_ * t.states[:-1] for t in trajectories])
        self.sigma_ = float(res.std())

    def _sample(self, context, horizon, n_samples, seed):
        eps = np.random.default_rng(seed).standard_normal((len(context), n_samples, horizon, context.shape[-1]))
        out, x = np.empty_like(eps), np.repeat(context[:, None, -1, :], n_samples, axis=1)
        for k in range(horizon):
            x = self.rho_ * x + self.sigma_ * eps[:, :, k]
            out[:, :, k] = x
        return out

    def _get_state(self):
        return {"rho": np.array([self.rho_]), "sigma": np.array([self.sigma_])}

    def _set_state(self, state):
        super()._set_state(state)
        self.sigma_ = float(np.asarray(state["sigma"]).reshape(1)[0])


def test_probabilistic_checks_pass_and_catch_an_ignored_seed():
    assert "check_samples" in check_model(NoisyAR1)
    m = NoisyAR1().fit(np.random.default_rng(1).standard_normal((100, 2)))
    assert m.sample(np.ones((3, 2)), 4, 5, seed=0).shape == (5, 4, 2)
    with pytest.raises(ValidationError, match="n_samples"):
        m.sample(np.ones((3, 2)), 4, 0)

    class SeedBlind(NoisyAR1):
        def _sample(self, context, horizon, n_samples, seed):
            return super()._sample(context, horizon, n_samples, 0)

    assert "seed is ignored" in failures(SeedBlind)["check_samples"]


class Linear(Damped):
    """dx/dt = -x / 2 solved exactly: a continuous-time model with a vector field."""

    name = "kit_linear_ode"
    capabilities = Capabilities(continuous_time=True)

    def _fit(self, trajectories):
        self.rho_ = 0.5

    def _predict(self, context, horizon):
        steps = np.arange(1, horizon + 1)[None, :, None] * self.dt_
        return context[:, -1:, :] * np.exp(-self.rho_ * steps)

    def _vector_field(self, states):
        return -self.rho_ * states


def test_continuous_time_checks_pass_and_catch_a_field_that_predict_does_not_integrate():
    assert "check_vector_field" in check_model(Linear)

    class WrongField(Linear):
        def _vector_field(self, states):
            return -2 * self.rho_ * states

    assert "not the solution of vector_field" in failures(WrongField)["check_vector_field"]


def test_checks_are_selectable_and_runnable_one_by_one():
    checks = model_checks(LinearAR, select=["check_predict_shapes", "check_horizon_zero_and_one"])
    assert [c.name for c in checks] == ["check_predict_shapes", "check_horizon_zero_and_one"]
    for c in checks:
        c()
    with pytest.raises(ValueError, match="unknown model checks"):
        model_checks(LinearAR, select=["check_nothing"])
    with pytest.raises(TypeError, match="Model subclass"):
        check_model(object)


def test_the_runner_serves_other_protocols():
    """The pattern later packages reuse: a suite of checks over a context, chosen by `when`."""
    suite: CheckSuite = CheckSuite("gadget")

    @suite.check
    def check_positive(ctx):
        """The value is positive."""
        expect(ctx.value > 0, f"value is {ctx.value}; make it positive")

    @suite.check(when=lambda ctx: ctx.value > 10)
    def check_big(ctx):
        """Big gadgets are even."""
        expect(ctx.value % 2 == 0, "a big gadget must be even")

    ctx = type("Ctx", (), {"label": "gadget g", "value": 3})()
    assert suite.run(ctx) == ["check_positive"]
    ctx.value = -1
    with pytest.raises(ConformanceError, match="gadget g failed 1 of 1 conformance checks") as info:
        suite.run(ctx)
    assert "make it positive" in str(info.value)
    ctx.value = 11
    with pytest.raises(CheckFailed, match=r"check_big \(Big gadgets are even\): a big gadget must be even"):
        suite.bind(ctx)[1]()
