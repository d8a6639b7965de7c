"""``check_model``: the conformance kit for dynamics models (as scikit-learn's ``check_estimator``).

Every model in dynlearn, and any model a user writes, is held to one
protocol (:class:`dynlearn.models.Model`). ``check_model(MyModel)`` runs
every check that applies to the class and raises one
:class:`~dynlearn.testing.checks.ConformanceError` that names each failed
check and says what to fix::

    from dynlearn.testing import check_model
    check_model(MyModel)            # -> list of the checks passed

The checks are chosen by the class's capability flags: ``inputs`` models are
fitted and forecast with exogenous inputs, ``probabilistic`` models must draw
reproducible samples, ``continuous_time`` models must expose a vector field
that their forecasts integrate, and a model must refuse what it does not
declare. Beside the protocol itself they cover what scikit-learn checks and
dynamics models easily get wrong: refitting gives the same model, ``fit`` and
``predict`` leave their inputs untouched, read-only and float32 arrays are
accepted, and every config field survives ``get_params``/``set_params`` and
``save``/``load``.

Data: a standardised Lorenz-63 trajectory (1,200 states, 30 per period; the
first 800 train), for ``canonical`` models a pendulum in (q, p) of the same
length, and for ``inputs`` models a damped oscillator driven by a
sum of two sines. A class's :meth:`~dynlearn.models.Model.conformance_config`
supplies small hyper-parameters so the checks stay fast.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from dynlearn.config import ModelConfig, build_config
from dynlearn.data import Trajectory
from dynlearn.errors import FileFormatError, NotFittedError, ValidationError
from dynlearn.models.base import Capabilities, Model
from dynlearn.systems._stepper import rk_step
from dynlearn.testing.checks import BoundCheck, CheckFailed, CheckSuite, expect, expect_raises

MODEL_CHECKS: CheckSuite[ModelCheckContext] = CheckSuite("model")
N_TRAIN = 800  # training states of the Lorenz data; forecasts start from there
HORIZON = 25


@functools.lru_cache(maxsize=1)
def lorenz_data() -> Trajectory:
    """A standardised Lorenz-63 trajectory, 1,200 states at 30 per period (seed 123)."""
    from dynlearn import systems
    from dynlearn.data import Standardizer

    (traj,) = systems.simulate("Lorenz", n_points=1200, points_per_period=30, seed=123)
    return Standardizer().fit_transform(traj)


@functools.lru_cache(maxsize=1)
def pendulum_data() -> Trajectory:
    """For ``canonical`` (Hamiltonian) models: a pendulum (q, p), 1,200 states every 0.15 (about 30
    per period), integrated by the order-4 symplectic method of :mod:`dynlearn.systems.hamiltonian`."""
    from dynlearn.systems import hamiltonian

    (traj,) = hamiltonian.simulate("pendulum", n_traj=1, n_points=1200, dt=0.15, seed=123, substeps=3)
    return Trajectory(traj.times, traj.states)


def _drive(t: np.ndarray) -> np.ndarray:
    return (np.sin(0.7 * t) + 0.5 * np.sin(1.9 * t + 1.0))[..., None]


@functools.lru_cache(maxsize=1)
def driven_data() -> Trajectory:
    """x'' = -x - 0.3 x' + u(t), u = sin(0.7 t) + 0.5 sin(1.9 t + 1): 600 states every 0.05 (RK4, 4 substeps)."""
    dt, n, sub = 0.05, 600, 4

    def f(x, t):
        return np.array([x[1], -x[0] - 0.3 * x[1] + _drive(t)[0]])

    x = np.empty((n, 2))
    x[0] = (1.0, 0.0)
    h = dt / sub
    for k in range(n - 1):
        y, t = x[k], k * dt
        for _ in range(sub):
            y, t = rk_step(f, y, t, h), t + h
        x[k + 1] = y
    times = dt * np.arange(n)
    return Trajectory(times, x, inputs=_drive(times))


class ModelCheckContext:
    """What the model checks share for one class: its test config, data, and one fitted instance."""

    def __init__(self, cls: type[Model], config: dict[str, Any] | None = None):
        if not (isinstance(cls, type) and issubclass(cls, Model)):
            raise TypeError(f"check_model needs a Model subclass, got {cls!r}")
        self.cls = cls
        self.label = f"model {cls.__name__} ({cls.name!r})"
        self.config = dict(cls.conformance_config() if config is None else config)
        self._fitted: Model | None = None
        self._fit_error: Exception | None = None

    @property
    def caps(self) -> Capabilities:
        return self.cls.capabilities

    @property
    def data(self) -> Trajectory:
        return pendulum_data() if self.caps.canonical else lorenz_data()

    @property
    def dim(self) -> int:
        return self.data.dim

    @property
    def train(self) -> Trajectory:
        return self.data[:N_TRAIN]

    def make(self, **overrides: Any) -> Model:
        """A new, unfitted instance with the test config and ``overrides``."""
        return self.cls(**{**self.config, **overrides})

    def fitted(self) -> Model:
        """One instance (seed 7) fitted on the training data, shared by the checks that only read it."""
        if self._fit_error is not None:  # a failed fit fails every check that needs it, without refitting
            raise self._fit_error
        if self._fitted is None:
            try:
                self._fitted = self.make(seed=7).fit(self.train)
            except Exception as exc:
                self._fit_error = exc
                raise
        return self._fitted

    def context(self, model: Model, end: int = N_TRAIN, extra: int = 0) -> np.ndarray:
        """The ``min_context + extra`` states before ``end`` (a fresh, writable copy)."""
        n = model.min_context + extra
        return self.data.states[end - n : end].copy()

    def batch_context(self, model: Model) -> np.ndarray:
        return np.stack([self.context(model, end) for end in (N_TRAIN, N_TRAIN + 50, N_TRAIN + 100)])


def model_checks(cls: type[Model], *, config: dict[str, Any] | None = None, select: Iterable[str] | None = None):
    """The checks that apply to ``cls``, each callable on its own (they share one context).

    ``config``: overrides for the test instances (default: ``cls.conformance_config()``);
    ``select``: only these check names. For pytest::

        @pytest.mark.parametrize("check", model_checks(MyModel), ids=lambda c: c.name)
        def test_my_model(check):
            check()
    """
    return MODEL_CHECKS.bind(ModelCheckContext(cls, config), select)


def check_model(cls: type[Model], *, config: dict[str, Any] | None = None, select: Iterable[str] | None = None):
    """Run every applicable conformance check on the model class ``cls``.

    Returns the names of the checks run; raises :class:`~dynlearn.testing.checks.ConformanceError`
    listing each failed check and what to fix. Arguments as in :func:`model_checks`."""
    return MODEL_CHECKS.run(ModelCheckContext(cls, config), select)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


def _close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def _max_diff(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape:
        return f"shapes {a.shape} and {b.shape}"
    with np.errstate(invalid="ignore"):
        return f"max difference {float(np.nanmax(np.abs(a - b))) if a.size else 0.0:.3g}"


def _other_model_dir(ctx: ModelCheckContext, where: Path) -> Path:
    """A saved model of another class (persistence, or mean when testing persistence itself)."""
    from dynlearn.models.baselines import Mean, Persistence

    other = Mean if issubclass(ctx.cls, Persistence) else Persistence
    return other().fit(ctx.train).save(where)


# --- declarations ---------------------------------------------------------------------------------
@MODEL_CHECKS.check
def check_declarations(ctx: ModelCheckContext) -> None:
    """Config, capabilities and the capability hooks are declared consistently."""
    cls = ctx.cls
    expect(
        dataclasses.is_dataclass(cls.Config) and issubclass(cls.Config, ModelConfig),
        f"{cls.__name__}.Config must be a @dataclasses.dataclass subclassing dynlearn.models.ModelConfig",
    )
    expect(
        isinstance(cls.capabilities, Capabilities),
        f"{cls.__name__}.capabilities must be a dynlearn.models.Capabilities(...), got {cls.capabilities!r}",
    )
    for hook, flag in (("_sample", "probabilistic"), ("_vector_field", "continuous_time")):
        overridden = getattr(cls, hook) is not getattr(Model, hook)
        declared = getattr(cls.capabilities, flag)
        expect(
            overridden == declared,
            f"{cls.__name__} {'implements' if overridden else 'does not implement'} {hook} but declares "
            f"{flag}={declared}; implement {hook} and set capabilities = Capabilities({flag}=True), or neither",
        )
    if not cls.capabilities.inputs:
        expect(
            cls.uses_inputs is Model.uses_inputs,
            f"{cls.__name__} overrides uses_inputs without declaring Capabilities(inputs=True)",
        )
    try:
        build_config(cls.Config, ctx.config)
    except ValidationError as exc:
        raise CheckFailed(f"conformance_config() returns overrides its Config rejects: {exc}") from None


# --- fit and predict ------------------------------------------------------------------------------
@MODEL_CHECKS.check
def check_fit_returns_self(ctx: ModelCheckContext) -> None:
    """fit returns the model itself, sets dim_ and dt_, and leaves the config as it was."""
    m = ctx.make()
    expect(not m.is_fitted, "a new model must not be fitted: leave dim_ None until fit (do no work in __init__)")
    params = m.get_params()
    out = m.fit(ctx.train)
    after = m.get_params()
    changed = sorted(k for k in params if not (after[k] is params[k] or after[k] == params[k]))
    expect(not changed, f"fit changed the config fields {changed}; keep learned values in attributes ending in _")
    expect(out is m, f"fit must return self, got {type(out).__name__}")
    D = ctx.dim
    expect(m.is_fitted and m.dim_ == D, f"after fit on {D}-D data dim_ must be {D}, got {m.dim_!r}")
    expect(
        m.dt_ == ctx.train.dt or abs(m.dt_ - ctx.train.dt) < 1e-9,
        f"dt_ is {m.dt_!r}, the data's step is {ctx.train.dt}",
    )


@MODEL_CHECKS.check
def check_predict_shapes(ctx: ModelCheckContext) -> None:
    """predict returns (horizon, dim) or (batch, horizon, dim), repeatably; a batch forecast equals the single ones."""
    m = ctx.fitted()
    single = m.predict(ctx.context(m), HORIZON)
    D = ctx.dim
    expect(single.shape == (HORIZON, D), f"predict on a (time, {D}) context returned shape {single.shape}")
    expect(single.dtype == np.float64, f"predict must return float64, got {single.dtype}")
    batch = ctx.batch_context(m)
    out = m.predict(batch, HORIZON)
    expect(out.shape == (3, HORIZON, D), f"predict on a (3, time, {D}) context returned shape {out.shape}")
    again = m.predict(ctx.context(m), HORIZON)
    expect(
        _same(single, again),
        f"two identical predict calls differ ({_max_diff(single, again)}); predict must not change the model",
    )
    alone = m.predict(batch[1], HORIZON)
    expect(
        _close(out[1], alone),
        f"the batch forecast of member 1 differs from its own forecast ({_max_diff(out[1], alone)}); "
        "batch members must not influence each other",
    )


@MODEL_CHECKS.check
def check_horizon_zero_and_one(ctx: ModelCheckContext) -> None:
    """horizon 0 gives an empty forecast; horizon 1 is the first step of a longer forecast."""
    m = ctx.fitted()
    c = ctx.context(m)
    expect(m.predict(c, 0).shape == (0, ctx.dim), "predict(context, 0) must return shape (0, dim)")
    one = m.predict(c, 1)
    expect(one.shape == (1, ctx.dim) and np.all(np.isfinite(one)), f"predict(context, 1) returned {one!r}")
    five = m.predict(c, 5)
    expect(
        _close(five[:1], one, 1e-6, 1e-8),
        f"the first of 5 forecast steps differs from a 1-step forecast ({_max_diff(five[:1], one)})",
    )


@MODEL_CHECKS.check
def check_longer_context(ctx: ModelCheckContext) -> None:
    """A context longer than min_context is accepted (the model uses its tail)."""
    m = ctx.fitted()
    out = m.predict(ctx.data.states[:N_TRAIN], 10)
    expect(out.shape == (10, ctx.dim), f"predict on an 800-state context returned shape {out.shape}")


@MODEL_CHECKS.check
def check_trajectory_as_context(ctx: ModelCheckContext) -> None:
    """A Trajectory as context forecasts as its states do."""
    m = ctx.fitted()
    tr = ctx.data[N_TRAIN - m.min_context : N_TRAIN]
    a, b = m.predict(tr, 5), m.predict(tr.states, 5)
    expect(_same(a, b), f"predict(Trajectory) and predict(Trajectory.states) differ ({_max_diff(a, b)})")


@MODEL_CHECKS.check
def check_same_seed_same_forecast(ctx: ModelCheckContext) -> None:
    """Two models with the same seed, fitted on the same data, forecast identically."""
    m = ctx.fitted()
    c = ctx.context(m)
    a = m.predict(c, 30)
    b = ctx.make(seed=7).fit(ctx.train).predict(c, 30)
    expect(
        _same(a, b),
        f"two fits with seed 7 forecast differently ({_max_diff(a, b)}); draw all randomness from config.seed "
        "through a private generator (numpy.random.default_rng(seed), torch.Generator), never global state",
    )


@MODEL_CHECKS.check
def check_refit_is_identical(ctx: ModelCheckContext) -> None:
    """Refitting a fitted model forgets the earlier fit: fit(B) then fit(A) equals a fresh fit(A)."""
    m = ctx.make(seed=7)
    m.fit(ctx.data[300:1100])
    m.fit(ctx.train)
    ref = ctx.fitted()
    c = ctx.context(ref)
    a, b = m.predict(c, 30), ref.predict(c, 30)
    expect(
        _same(a, b),
        f"after fitting other data first, fit(train) forecasts differently from a fresh fit ({_max_diff(a, b)}); "
        "_fit must rebuild every learned attribute (and reseed) rather than continue from the last fit",
    )


@MODEL_CHECKS.check
def check_inputs_not_mutated(ctx: ModelCheckContext) -> None:
    """fit and predict leave the caller's arrays unchanged."""
    tr = ctx.train
    times, states = tr.times.copy(), tr.states.copy()
    arr = tr.states.copy()
    m = ctx.make(seed=7).fit(Trajectory(times, states, meta=dict(tr.meta)))
    expect(_same(times, tr.times) and _same(states, tr.states), "fit(Trajectory) changed the trajectory's arrays")
    m2 = ctx.make(seed=7).fit(arr, dt=tr.dt)
    expect(_same(arr, tr.states), "fit(array) changed the caller's array; work on a copy")
    c = ctx.context(m)
    before = c.copy()
    m.predict(c, 10)
    m2.predict(c[None], 10)
    expect(_same(c, before), "predict changed the caller's context array; work on a copy")


@MODEL_CHECKS.check
def check_read_only_and_float32_data(ctx: ModelCheckContext) -> None:
    """Read-only and float32 arrays are accepted by fit and predict; forecasts are float64."""
    x = ctx.train.states.astype(np.float32)
    x.flags.writeable = False
    m = ctx.make(seed=7).fit(x, dt=ctx.train.dt)
    c = ctx.context(m).astype(np.float32)
    c.flags.writeable = False
    out = m.predict(c, 10)
    expect(
        out.shape == (10, ctx.dim) and out.dtype == np.float64, f"predict on float32 returned {out.shape} {out.dtype}"
    )
    c64 = ctx.fitted().predict(c, 10)  # a float64 model on a read-only float32 context
    expect(c64.shape == (10, ctx.dim), f"predict on a read-only float32 context returned shape {c64.shape}")


@MODEL_CHECKS.check
def check_short_series(ctx: ModelCheckContext) -> None:
    """fit accepts series just over min_train_length and refuses shorter ones with a clear error."""
    m = ctx.make()
    n = m.min_train_length
    short = ctx.data[: max(n, 2) + 20]
    m.fit(short)
    out = m.predict(short.states[-m.min_context :], 3)
    expect(np.all(np.isfinite(out)), f"a model fitted on {len(short)} states forecast non-finite values")
    if n > 1:
        expect_raises(ValidationError, lambda: ctx.make().fit(ctx.data[: n - 1]), f"fit on {n - 1} states", "at least")


@MODEL_CHECKS.check
def check_several_trajectories_and_arrays(ctx: ModelCheckContext) -> None:
    """fit takes a list of trajectories and a bare array with dt; mixed dimensions are refused."""
    m = ctx.make().fit([ctx.data[:400], ctx.data[400:N_TRAIN]])
    expect(m.dim_ == ctx.dim, f"fit on two {ctx.dim}-D trajectories set dim_ = {m.dim_!r}")
    m2 = ctx.make().fit(ctx.train.states, dt=ctx.train.dt)
    expect(m2.dt_ is not None and abs(m2.dt_ - ctx.train.dt) < 1e-9, f"fit(array, dt=...) set dt_ = {m2.dt_!r}")
    other = 2 if ctx.dim != 2 else 4
    mixed = [ctx.data[:400], Trajectory.from_states(np.zeros((400, other)) + 1.0)]
    expect_raises(
        ValidationError,
        lambda: ctx.make().fit(mixed),
        f"fit on trajectories of dimensions {ctx.dim} and {other}",
        "dimension",
    )


@MODEL_CHECKS.check
def check_sampling_requirement(ctx: ModelCheckContext) -> None:
    """Irregular sampling is refused exactly when the model declares needs_uniform_sampling."""
    times = np.cumsum(np.random.default_rng(0).uniform(0.5, 1.5, 300))
    irregular = Trajectory(times, ctx.data.states[:300])
    if ctx.caps.needs_uniform_sampling:
        expect_raises(ValidationError, lambda: ctx.make().fit(irregular), "fit on irregular times", "uniformly sampled")
    else:
        ctx.make().fit(irregular)


@MODEL_CHECKS.check
def check_bad_input_errors(ctx: ModelCheckContext) -> None:
    """Bad horizons, contexts and training data raise ValidationError naming the problem."""
    m = ctx.fitted()
    n = m.min_context
    c = ctx.context(m)
    expect_raises(ValidationError, lambda: m.predict(c, -1), "predict(context, -1)", "horizon")
    expect_raises(ValidationError, lambda: m.predict(c, 2.5), "predict(context, 2.5)", "horizon")
    expect_raises(
        ValidationError, lambda: m.predict(c[:, :-1], 5), "predict on a context of one dimension too few", "dimension"
    )
    expect_raises(ValidationError, lambda: m.predict(c[0, 0], 5), "predict on a scalar context", "rank")
    bad = c.copy()
    bad[-1, 0] = np.nan
    expect_raises(ValidationError, lambda: m.predict(bad, 5), "predict on a context with NaN", "non-finite")
    if n > 1:
        expect_raises(
            ValidationError, lambda: m.predict(c[1:], 5), f"predict on {n - 1} context states", "context of at least"
        )
    nan_train = ctx.data.states[:200].copy()
    nan_train[10, 1] = np.inf
    expect_raises(ValidationError, lambda: ctx.make().fit(nan_train), "fit on data with inf", "non-finite")
    expect_raises(ValidationError, lambda: ctx.make().fit(np.zeros((2, 3, 4, 5))), "fit on a 4-D array", "rank")


@MODEL_CHECKS.check
def check_unfitted_use(ctx: ModelCheckContext) -> None:
    """predict and save before fit raise NotFittedError."""
    m = ctx.make()
    expect_raises(NotFittedError, lambda: m.predict(ctx.data.states[:50], 5), "predict before fit")
    with tempfile.TemporaryDirectory() as tmp:
        expect_raises(NotFittedError, lambda: m.save(Path(tmp) / "m"), "save before fit")


# --- configuration and persistence ----------------------------------------------------------------
@MODEL_CHECKS.check
def check_params_round_trip(ctx: ModelCheckContext) -> None:
    """Every config field survives get_params/set_params, the constructor, and JSON (suite files, --set)."""
    m = ctx.make()
    params = m.get_params()
    fields = [f.name for f in dataclasses.fields(ctx.cls.Config)]
    expect(list(params) == fields, f"get_params() keys {list(params)} differ from the Config fields {fields}")
    expect("seed" in params, "the config has no 'seed' field; subclass ModelConfig")
    init = inspect.signature(ctx.cls.__init__).parameters
    hidden = [p for p, v in init.items() if p not in ("self", "config") and v.kind is not v.VAR_KEYWORD]
    expect(
        not hidden,
        f"__init__ takes {hidden}, which get_params() does not return (so clones, suite files and save/load "
        "lose them); make each a field of the Config and take only (config=None, **overrides)",
    )
    for name, value in ctx.config.items():
        expect(
            params[name] == value, f"config field {name!r} was set to {value!r} but get_params() gives {params[name]!r}"
        )
    params["seed"] = -12345
    expect(m.get_params()["seed"] != -12345, "changing the dict get_params() returned changed the model; return a copy")
    params = m.get_params()
    clone = ctx.cls(**params)
    for name, value in params.items():
        got = clone.get_params()[name]
        expect(
            got is value or got == value,
            f"config field {name!r} is {value!r} but {ctx.cls.__name__}(**get_params()) has {got!r}",
        )
        again = ctx.make().set_params(**{name: value}).get_params()[name]
        expect(again is value or again == value, f"set_params({name}={value!r}) left {name!r} = {again!r}")
    try:
        text = json.dumps(params)
    except TypeError as exc:
        raise CheckFailed(f"the default config is not JSON ({exc}); save and suite files need JSON values") from None
    back = ctx.cls(**json.loads(text)).get_params()
    for name, value in params.items():
        expect(
            back[name] == value,
            f"config field {name!r} = {value!r} comes back from JSON as {back[name]!r}; coerce it in the Config",
        )
    expect(m.set_params(seed="5").get_params()["seed"] == 5, "set_params(seed='5') must coerce to 5")
    expect_raises(
        ValidationError, lambda: ctx.cls(not_a_field=1), "creating the model with an unknown field", "has no field"
    )


@MODEL_CHECKS.check
def check_save_load_round_trip(ctx: ModelCheckContext) -> None:
    """save/load restores the class, every config field and the forecasts; saving again replaces the directory."""
    m = ctx.fitted()
    c = ctx.context(m)
    want = m.predict(c, 40)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m"
        m.save(path)
        loaders = [ctx.cls.load]
        from dynlearn.models import MODELS

        if ctx.cls.name in MODELS and MODELS.get(ctx.cls.name) is ctx.cls:
            loaders.append(Model.load)
        for load in loaders:
            loaded = load(path)
            expect(type(loaded) is ctx.cls, f"loading gave a {type(loaded).__name__}, not a {ctx.cls.__name__}")
            for name, value in m.get_params().items():
                got = loaded.get_params()[name]
                expect(got == value, f"config field {name!r} is {value!r} but {got!r} after save/load")
            expect((loaded.dim_, loaded.dt_) == (m.dim_, m.dt_), "dim_/dt_ changed through save/load")
            got = loaded.predict(c, 40)
            expect(
                _same(got, want),
                f"the loaded model forecasts differently ({_max_diff(got, want)}); save everything _predict needs",
            )
        m.save(path)
        got = ctx.cls.load(path).predict(c, 5)
        expect(_same(got, want[:5]), "saving over an existing model directory did not replace it")


@MODEL_CHECKS.check
def check_load_refuses_other_and_corrupt(ctx: ModelCheckContext) -> None:
    """load refuses another model's directory and corrupt or truncated files with FileFormatError."""
    with tempfile.TemporaryDirectory() as tmp:
        other = _other_model_dir(ctx, Path(tmp) / "other")
        expect_raises(
            FileFormatError,
            lambda: ctx.cls.load(other),
            f"{ctx.cls.__name__}.load on another model's directory",
            "holds a",
        )
        d = ctx.fitted().save(Path(tmp) / "m")
        weights = next(d.glob("state.*"))
        blob = weights.read_bytes()
        weights.write_bytes(blob[: len(blob) // 2])
        expect_raises(FileFormatError, lambda: ctx.cls.load(d), "load with a truncated state file")
        weights.write_bytes(blob)
        header = json.loads((d / "model.json").read_text())
        (d / "model.json").write_text("{ not json")
        expect_raises(FileFormatError, lambda: ctx.cls.load(d), "load with a corrupt model.json", "corrupt")
        (d / "model.json").write_text(json.dumps({**header, "format_version": 999}))
        expect_raises(FileFormatError, lambda: ctx.cls.load(d), "load of another format version", "version")


# --- capabilities ---------------------------------------------------------------------------------
def _inputs_model(ctx: ModelCheckContext) -> Model:
    m = ctx.cls(**{**ctx.config, **ctx.cls.conformance_config(inputs=True)})
    expect(
        m.uses_inputs,
        f"{ctx.cls.__name__} declares Capabilities(inputs=True), but under conformance_config(inputs=True) "
        "uses_inputs is False; return the config that switches inputs on",
    )
    return m


@MODEL_CHECKS.check(when=lambda ctx: ctx.caps.inputs)
def check_inputs_drive_forecasts(ctx: ModelCheckContext) -> None:
    """An inputs model fits driven data, needs inputs to forecast, uses them, and saves them."""
    data = driven_data()
    train = data[:400]
    m = _inputs_model(ctx).fit(train)
    expect(m.n_inputs_ == 1, f"after fit on data with 1 input n_inputs_ is {m.n_inputs_}")
    T, h = m.min_context, 20
    c = data.states[400 - T : 400]
    u = data.inputs[400 - T : 400 + h]
    expect_raises(
        ValidationError, lambda: m.predict(c, h), "predict without inputs on a model fitted with inputs", "inputs"
    )
    expect_raises(
        ValidationError, lambda: m.predict(c, h, inputs=u[:-1]), "predict with one input row too few", "inputs"
    )
    out = m.predict(c, h, inputs=u)
    expect(out.shape == (h, 2) and np.all(np.isfinite(out)), f"predict with inputs returned shape {out.shape}")
    other = m.predict(c, h, inputs=u + 1.0)
    expect(
        not _close(other, out, 1e-9, 1e-12),
        "shifting the inputs by 1 did not change the forecast; the inputs are ignored",
    )
    batch = m.predict(np.stack([c, c]), h, inputs=np.stack([u, u + 1.0]))
    expect(
        batch.shape == (2, h, 2) and _close(batch[0], out) and _close(batch[1], other),
        "a batch of contexts with their own inputs differs from the single forecasts",
    )
    with tempfile.TemporaryDirectory() as tmp:
        loaded = ctx.cls.load(m.save(Path(tmp) / "m"))
        expect(loaded.n_inputs_ == 1, f"n_inputs_ is {loaded.n_inputs_} after save/load")
        got = loaded.predict(c, h, inputs=u)
        expect(_same(got, out), f"the loaded model forecasts differently with the same inputs ({_max_diff(got, out)})")


@MODEL_CHECKS.check
def check_undeclared_capabilities_refused(ctx: ModelCheckContext) -> None:
    """What a model does not declare (inputs, sampling, a vector field) is refused with a clear error."""
    m = ctx.fitted()
    c = ctx.context(m)
    expect_raises(
        ValidationError,
        lambda: m.predict(c, 3, inputs=np.zeros((len(c) + 3, 1))),
        "predict(..., inputs=...) on a model fitted without inputs",
        "inputs",
    )
    if not ctx.caps.inputs:
        expect(not m.uses_inputs, "uses_inputs is True on a model without Capabilities(inputs=True)")
    if not ctx.caps.probabilistic:
        expect_raises(
            ValidationError, lambda: m.sample(c, 3, 2), "sample(...) on a deterministic model", "not probabilistic"
        )
    if not ctx.caps.continuous_time:
        expect_raises(
            ValidationError, lambda: m.vector_field(c[-1]), "vector_field(...) on a discrete-time model", "vector field"
        )


@MODEL_CHECKS.check(when=lambda ctx: ctx.caps.probabilistic)
def check_samples(ctx: ModelCheckContext) -> None:
    """A probabilistic model draws samples of the right shape that depend on the seed alone."""
    m = ctx.fitted()
    c = ctx.context(m)
    s = m.sample(c, 10, 4, seed=1)
    expect(s.shape == (4, 10, ctx.dim), f"sample(context, 10, 4) returned shape {s.shape}, expected (4, 10, dim)")
    expect(np.all(np.isfinite(s)), "samples contain non-finite values")
    expect(_same(s, m.sample(c, 10, 4, seed=1)), "two draws with seed 1 differ; draw from a generator seeded by `seed`")
    expect(not _same(s, m.sample(c, 10, 4, seed=2)), "draws with seeds 1 and 2 are identical; the seed is ignored")
    expect(float(np.std(s[:, -1], axis=0).max()) > 0, "all samples are equal; a probabilistic model must spread")
    b = m.sample(ctx.batch_context(m), 10, 4, seed=1)
    expect(
        b.shape == (3, 4, 10, ctx.dim),
        f"sample on a batch of 3 contexts returned shape {b.shape}, expected (3, 4, 10, dim)",
    )
    expect(
        _same(m.predict(c, 10), m.predict(c, 10)),
        "predict of a probabilistic model must be deterministic (e.g. the mean)",
    )
    expect_raises(ValidationError, lambda: m.sample(c, 10, 0), "sample with n_samples=0", "n_samples")


@MODEL_CHECKS.check(when=lambda ctx: ctx.caps.canonical)
def check_canonical_state(ctx: ModelCheckContext) -> None:
    """A canonical (Hamiltonian) model refuses a state of odd dimension, which has no (q, p) split."""
    odd = Trajectory.from_states(np.random.default_rng(0).normal(size=(60, 3)))
    expect_raises(ValidationError, lambda: ctx.make().fit(odd), "fit on 3-D (odd) data", "even dimension")


def _rk4(field, x: np.ndarray, h: float, n: int) -> np.ndarray:
    for _ in range(n):
        x = rk_step(lambda y, _t: field(y), x, 0.0, h)
    return x


@MODEL_CHECKS.check(when=lambda ctx: ctx.caps.continuous_time)
def check_vector_field(ctx: ModelCheckContext) -> None:
    """A continuous-time model's vector field has the state's shape, and a one-step forecast integrates it over dt_."""
    m = ctx.fitted()
    x = ctx.data.states[N_TRAIN : N_TRAIN + 200 : 40]  # 5 states on the attractor
    f = m.vector_field(x)
    expect(f.shape == x.shape and np.all(np.isfinite(f)), f"vector_field on (5, dim) states returned shape {f.shape}")
    expect(_close(m.vector_field(x[0]), f[0]), "vector_field of one state differs from the batch's first row")
    h = float(m.dt_)
    want = _rk4(m.vector_field, x, h / 32, 32)
    got = m.predict(x[:, None, :], 1)[:, 0]
    step = np.linalg.norm(want - x, axis=1)
    gap = np.linalg.norm(got - want, axis=1)
    expect(
        np.all(gap <= 0.02 * step + 1e-5),
        f"predict(context, 1) is not the solution of vector_field over dt_={h:g}: |forecast - RK4 solution| "
        f"{gap.max():.3g} against a step of {step.max():.3g}; predict must integrate the same field",
    )


__all__ = ["MODEL_CHECKS", "ModelCheckContext", "check_model", "model_checks", "BoundCheck"]
