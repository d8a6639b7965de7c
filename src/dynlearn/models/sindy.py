"""SINDy: sparse identification of nonlinear dynamics (Brunton, Proctor & Kutz 2016, PNAS 113:3932).

SINDy writes the vector field as a sparse combination of candidate functions,

    dx/dt = Ξ Θ(x, u)ᵀ        (continuous time)     x_{k+1} = Ξ Θ(x_k, u_k)ᵀ   (maps),

estimates ``dx/dt`` from the samples (finite differences, optionally after
Savitzky-Golay smoothing), and finds a sparse ``Ξ`` by sequentially
thresholded ridge regression (STLSQ) or SR3. Ensembles (bagging over samples,
library bagging; Fasel et al. 2022) give coefficient uncertainties. Forecasts
integrate the learned ODE with the catalog's batched RK4 (``systems.integrate``)
at the training sampling step, so simulating a model is a few vectorised
numpy operations per stage rather than a Python callback per state.

Libraries and optimisers live in ``_sindy_library`` and ``_sindy_optimizers``;
see those modules for the mathematics. ``model.equations()`` prints the
discovered equations.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from dynlearn._validation import as_rng, check_array
from dynlearn.config import ModelConfig
from dynlearn.errors import DivergenceError, FileFormatError, UnknownNameError, ValidationError
from dynlearn.models import _sindy_optimizers as opt
from dynlearn.models._sindy_library import (
    CustomLibrary,
    Library,
    build_library,
    collinear_terms,
    function_names,
    register_function,
)
from dynlearn.models.base import Capabilities, Model
from dynlearn.models.registry import register
from dynlearn.systems.base import System
from dynlearn.systems.integrate import integrate

_DERIVATIVES = ("fd", "smoothed_fd")
_OPTIMIZERS = ("stlsq", "sr3")
_ENSEMBLES = ("none", "bagging", "library", "both")


@dataclasses.dataclass
class SINDyConfig(ModelConfig):
    """Hyper-parameters of :class:`SINDy`.

    Library: ``library`` spec (``"poly"``, ``"fourier"``, ``"poly+fourier"``,
    ``"poly*fourier"``, registered function names such as ``"poly+exp"``),
    ``degree`` of ``poly``, ``n_frequencies`` of ``fourier``, ``include_bias``
    (the constant term), ``use_inputs`` (library on ``(x, u)``, the
    trajectories' ``inputs``). ``discrete_time``: learn a map
    ``x_{k+1} = f(x_k)`` instead of an ODE.
    Derivatives: ``derivative`` ``"fd"`` (second-order central differences,
    second-order one-sided at the ends) or ``"smoothed_fd"`` (Savitzky-Golay
    smoothing of window ``smoother_window``, cubic, then ``fd``).
    Optimiser: ``"stlsq"`` (``threshold``, ridge ``alpha``, ``max_iter``) or
    ``"sr3"`` (``threshold`` λ, relaxation ``nu``, ``regularizer`` l0/l1);
    ``unbias`` refits the selected terms by least squares;
    ``normalize_columns`` thresholds in units of unit-norm library columns.
    Ensembles: ``ensemble`` none/bagging/library/both, ``n_models``,
    ``n_drop`` terms dropped per library-bagging model, ``aggregate``
    median/mean. ``substeps``: least RK4 steps per sampling step when
    forecasting (more are taken, ``n_substeps_``, when the learned field is stiff:
    ``h L <= 1`` with L its largest Jacobian norm on the training states);
    ``backend``: ``"numpy"``, ``"numba"`` (compiled RK4 for pure polynomial
    libraries, when numba is installed; otherwise numpy) or ``"auto"``
    (compiled for requests of at least ``COMPILE_ABOVE_STEPS`` steps, which
    repay the one-off compilation of about a second).
    ``custom_library``: a :class:`CustomLibrary` of Python functions that
    replaces ``library`` (Python only; such a model cannot be saved).
    """

    library: str = "poly"
    degree: int = 2
    n_frequencies: int = 1
    include_bias: bool = True
    use_inputs: bool = False
    discrete_time: bool = False
    derivative: str = "fd"
    smoother_window: int = 11
    optimizer: str = "stlsq"
    threshold: float = 0.1
    alpha: float = 0.05
    max_iter: int = 20
    nu: float = 1.0
    regularizer: str = "l0"
    normalize_columns: bool = False
    unbias: bool = True
    ensemble: str = "none"
    n_models: int = 20
    n_drop: int = 1
    aggregate: str = "median"
    substeps: int = 1
    backend: str = "auto"
    custom_library: CustomLibrary | None = None

    def validate(self):
        if self.custom_library is not None and not isinstance(self.custom_library, CustomLibrary):
            raise ValidationError(
                f"sindy: custom_library must be a CustomLibrary built in Python, got {self.custom_library!r}; "
                "from the CLI or a suite file, name registered function families in 'library' instead"
            )
        checks = [
            (self.degree >= 1, f"degree must be >= 1, got {self.degree}"),
            (self.n_frequencies >= 1, f"n_frequencies must be >= 1, got {self.n_frequencies}"),
            (self.derivative in _DERIVATIVES, f"derivative must be one of {_DERIVATIVES}, got {self.derivative!r}"),
            (
                self.smoother_window >= 5 and self.smoother_window % 2 == 1,
                f"smoother_window must be odd and >= 5, got {self.smoother_window}",
            ),
            (self.optimizer in _OPTIMIZERS, f"optimizer must be one of {_OPTIMIZERS}, got {self.optimizer!r}"),
            (self.threshold >= 0, f"threshold must be >= 0, got {self.threshold}"),
            (self.alpha >= 0, f"alpha must be >= 0, got {self.alpha}"),
            (self.max_iter >= 1, f"max_iter must be >= 1, got {self.max_iter}"),
            (self.nu > 0, f"nu must be > 0, got {self.nu}"),
            (self.regularizer in ("l0", "l1"), f"regularizer must be 'l0' or 'l1', got {self.regularizer!r}"),
            (self.ensemble in _ENSEMBLES, f"ensemble must be one of {_ENSEMBLES}, got {self.ensemble!r}"),
            (self.n_models >= 2, f"n_models must be >= 2, got {self.n_models}"),
            (self.n_drop >= 1, f"n_drop must be >= 1, got {self.n_drop}"),
            (self.aggregate in ("median", "mean"), f"aggregate must be 'median' or 'mean', got {self.aggregate!r}"),
            (self.substeps >= 1, f"substeps must be >= 1, got {self.substeps}"),
            (self.backend in ("auto", "numpy", "numba"), f"backend must be auto/numpy/numba, got {self.backend!r}"),
        ]
        for ok, msg in checks:
            if not ok:
                raise ValidationError(f"sindy: {msg}")
        # parse the spec once so a typo fails at creation, not after a long fit
        try:
            build_library(self.library, 1, degree=1, n_frequencies=1)
        except UnknownNameError as exc:
            raise ValidationError(f"sindy: library {self.library!r}: {exc}") from None


def fd_derivative(x: np.ndarray, dt: float) -> np.ndarray:
    """Second-order finite differences along axis 0: central inside,
    second-order one-sided ``(-3x₀ + 4x₁ - x₂)/(2dt)`` at both ends."""
    return np.gradient(x, dt, axis=0, edge_order=2)


def smoothed_fd_derivative(x: np.ndarray, dt: float, window: int = 11) -> np.ndarray:
    """Savitzky-Golay smoothing (cubic, ``window`` points; Savitzky & Golay 1964)
    followed by :func:`fd_derivative`."""
    from scipy.signal import savgol_filter

    w = min(window, len(x) - (1 - len(x) % 2))
    smooth = savgol_filter(x, w, min(3, w - 1), axis=0) if w >= 5 else x
    return fd_derivative(smooth, dt)


#: ``backend="auto"`` compiles (numba) a polynomial model when batch x steps x substeps reaches this
COMPILE_ABOVE_STEPS = 20_000


def _poly_rhs(idx: np.ndarray, C: np.ndarray):
    """A numba-compilable right-hand side ``Σ_k C[:, k] Π_d x[idx[k, d]]`` (``idx`` -1 = no factor).

    Used only through ``integrate(..., backend="numba")``: in plain Python its loops would be slow."""

    def rhs(x, t, p):  # pragma: no cover - compiled by numba
        out = np.zeros_like(x)
        for b in range(x.shape[0]):
            for k in range(idx.shape[0]):
                v = 1.0
                for d in range(idx.shape[1]):
                    j = idx[k, d]
                    if j >= 0:
                        v *= x[b, j]
                for i in range(C.shape[0]):
                    out[b, i] += C[i, k] * v
        return out

    return rhs


@register("sindy")
class SINDy(Model):
    """Sparse identification of nonlinear dynamics: a sparse ODE (or map) in a library of candidate terms.

    Brunton, Proctor & Kutz (2016), PNAS 113:3932. ``equations()`` prints the
    learned model; ``predict`` integrates it with RK4 at the training step.
    Pass ``custom_library=CustomLibrary([...])`` to use arbitrary Python
    functions (such a model cannot be saved; register the functions by name
    with ``register_function`` instead).
    """

    Config = SINDyConfig
    capabilities = Capabilities(inputs=True, continuous_time=True)

    @classmethod
    def conformance_config(cls, inputs: bool = False) -> dict[str, Any]:
        return {"use_inputs": True} if inputs else {}

    @property
    def uses_inputs(self) -> bool:
        return self.config.use_inputs

    @property
    def min_train_length(self) -> int:
        if self.config.discrete_time:
            return 2
        return self.config.smoother_window if self.config.derivative == "smoothed_fd" else 3

    # library ------------------------------------------------------------------------
    def _make_library(self, n_vars: int) -> Library:
        c = self.config
        if c.custom_library is not None:
            return c.custom_library.build(n_vars, c.include_bias)
        return build_library(
            c.library, n_vars, degree=c.degree, n_frequencies=c.n_frequencies, include_bias=c.include_bias
        )

    # fitting --------------------------------------------------------------------------
    def _targets(self, tr) -> tuple[np.ndarray, np.ndarray]:
        """(library input z, target) rows of one trajectory."""
        x = tr.states
        z = x
        if self.config.use_inputs:
            z = np.concatenate([x, tr.inputs], axis=1)
        if self.config.discrete_time:
            return z[:-1], x[1:]
        dt = tr.dt
        if self.config.derivative == "fd":
            return z, fd_derivative(x, dt)
        return z, smoothed_fd_derivative(x, dt, self.config.smoother_window)

    def _fit(self, trajectories):
        c = self.config
        self._fit_dt = float(trajectories[0].dt or 1.0)
        if c.use_inputs:
            missing = [i for i, t in enumerate(trajectories) if t.inputs is None]
            if missing:
                raise ValidationError(
                    f"sindy with use_inputs=true needs trajectories with inputs; trajectories {missing} have none"
                )
            widths = {t.inputs.shape[1] for t in trajectories}
            if len(widths) != 1:
                raise ValidationError(f"all trajectories must have the same number of inputs; got {sorted(widths)}")
            self.n_inputs_ = widths.pop()
        else:
            self.n_inputs_ = 0
        dim = trajectories[0].dim
        names = trajectories[0].meta.get("variables")
        if not (isinstance(names, list) and len(names) == dim and all(isinstance(n, str) for n in names)):
            names = [f"x{i}" for i in range(dim)]
        self.variables_ = list(names) + [f"u{i}" for i in range(self.n_inputs_)]
        self.library_ = self._make_library(dim + self.n_inputs_)
        self.feature_names_ = self.library_.names(self.variables_)
        Z, Y = zip(*(self._targets(t) for t in trajectories))
        theta = self.library_.evaluate(np.concatenate(Z))
        Y = np.concatenate(Y)
        if not np.all(np.isfinite(theta)):
            raise ValidationError(
                "the library produced non-finite values on the training data (e.g. exp of large states); "
                "standardise the data or choose other library functions"
            )
        dependent = collinear_terms(theta, self.feature_names_)
        if dependent:
            warnings.warn(
                f"sindy: the library is rank-deficient on the training data ({theta.shape[0]} samples, "
                f"{theta.shape[1]} terms); collinear terms: {'; '.join(dependent)}. Coefficients of these "
                "terms are not identifiable: remove terms, lower the degree or add data",
                UserWarning,
                stacklevel=3,
            )
        solve = self._solver()
        if c.ensemble == "none":
            coef = solve(theta, Y)
            self.coef_samples_ = np.zeros((0, *coef.shape))
        else:
            samples = opt.ensemble(
                theta,
                Y,
                solve,
                n_models=c.n_models,
                bagging=c.ensemble in ("bagging", "both"),
                library_bagging=c.ensemble in ("library", "both"),
                n_drop=c.n_drop,
                rng=as_rng(c.seed),
            )
            coef = np.median(samples, axis=0) if c.aggregate == "median" else samples.mean(axis=0)
            self.coef_samples_ = samples
        if not np.any(coef) and np.any(np.abs(Y - Y.mean(0)) > 0):
            biggest = float(np.max(np.abs(np.linalg.lstsq(theta, Y, rcond=None)[0])))
            raise ValidationError(
                f"sindy: threshold {c.threshold:g} removed every term of every equation (the largest "
                f"least-squares coefficient is {biggest:.3g}); use a smaller threshold, e.g. {biggest / 10:.3g}"
            )
        self.coef_ = coef
        self._compiled_cache = None
        self.n_substeps_ = self._stable_substeps(np.concatenate(Z), Y)

    def _stable_substeps(self, Z: np.ndarray, Y: np.ndarray) -> int:
        """RK4 steps per sampling step: at least ``substeps``, and enough that ``h L <= 1`` with
        ``L`` the largest Jacobian norm of the learned field over the training states, so a stiff
        model learned from little data is integrated stably rather than blowing up numerically."""
        if self.config.discrete_time or self.n_inputs_:
            return self.config.substeps
        d = Y.shape[1]
        x = Z[:, :d]
        rows = x[:: max(1, len(x) // 500)]
        f0 = self.rhs(rows)
        eps = 1e-6 * np.maximum(1.0, np.abs(rows).max(0))
        cols = []
        for j in range(d):
            e = np.zeros(d)
            e[j] = eps[j]
            cols.append((self.rhs(rows + e) - f0) / eps[j])
        with np.errstate(over="ignore", invalid="ignore"):
            L = float(np.max(np.linalg.norm(np.stack(cols, axis=-1), ord=2, axis=(1, 2))))
        if not np.isfinite(L):
            return self.config.substeps
        return int(max(self.config.substeps, min(1000, np.ceil(self._fit_dt * L))))

    def _solver(self):
        c = self.config
        if c.optimizer == "stlsq":
            return lambda th, y: opt.stlsq(
                th,
                y,
                threshold=c.threshold,
                alpha=c.alpha,
                max_iter=c.max_iter,
                unbias=c.unbias,
                normalize_columns=c.normalize_columns,
            )
        return lambda th, y: opt.sr3(
            th,
            y,
            threshold=c.threshold,
            nu=c.nu,
            regularizer=c.regularizer,
            unbias=c.unbias,
            normalize_columns=c.normalize_columns,
        )

    # uncertainty ---------------------------------------------------------------------
    @property
    def coef_std_(self) -> np.ndarray | None:
        """Standard deviation of each coefficient over the ensemble (None without one)."""
        return self.coef_samples_.std(axis=0) if len(self.coef_samples_) else None

    @property
    def inclusion_(self) -> np.ndarray | None:
        """Fraction of ensemble models in which each term is non-zero (None without one)."""
        return (self.coef_samples_ != 0).mean(axis=0) if len(self.coef_samples_) else None

    # the learned vector field ----------------------------------------------------
    def rhs(self, x: np.ndarray, u: np.ndarray | None = None) -> np.ndarray:
        """The learned right-hand side (or map) at states ``(batch, dim)``."""
        z = x if u is None else np.concatenate([x, u], axis=1)
        return self.library_.evaluate(z) @ self.coef_.T

    def as_system(self, inputs: np.ndarray | None = None) -> System:
        """The learned model as a catalog :class:`System` (``kind`` flow or map).

        With control inputs, ``inputs`` ``(n_steps, n_inputs)`` (shared) or
        ``(batch, n_steps, n_inputs)`` are linearly interpolated in time
        between samples (held at the last one beyond the end)."""
        coefT = self.coef_.T
        lib = self.library_
        dt = 1.0 if self.config.discrete_time else float(self.dt_)
        if self.n_inputs_:
            U = np.asarray(inputs, dtype=np.float64)
            n = U.shape[-2]

            def u_at(t):
                s = min(max(t / dt, 0.0), n - 1.0)
                i = min(int(s), n - 2) if n > 1 else 0
                f = s - i if n > 1 else 0.0
                return U[..., i, :] * (1 - f) + U[..., min(i + 1, n - 1), :] * f

            def f(x, t, p):
                u = np.broadcast_to(u_at(t), (len(x), self.n_inputs_))
                return lib.evaluate(np.concatenate([x, u], axis=1)) @ coefT
        else:

            def f(x, t, p):
                return lib.evaluate(x) @ coefT

        kind = "map" if self.config.discrete_time else "flow"
        return System(
            name="SINDy model",
            rhs=f,
            params={},
            x0=tuple(0.0 for _ in range(self.dim_)),
            description="a learned SINDy model",
            reference="Brunton, Proctor & Kutz (2016), PNAS 113:3932",
            kind=kind,
            dt=dt / self.n_substeps_,
            nonautonomous=bool(self.n_inputs_),
        )

    def _compiled_system(self) -> System | None:
        """A numba-compilable copy of the model (pure polynomial libraries only), cached per fit."""
        import importlib.util

        lib = self.library_
        poly = lib.spec is not None and lib.spec.replace(" ", "") == "poly"
        if not poly or self.n_inputs_ or importlib.util.find_spec("numba") is None:
            return None
        if getattr(self, "_compiled_cache", None) is None:
            block = lib.blocks[0]
            combos = ([()] if lib.include_bias else []) + block.combos
            idx = np.full((len(combos), max(1, block.degree)), -1, dtype=np.int64)
            for k, c in enumerate(combos):
                idx[k, : len(c)] = c
            C = np.ascontiguousarray(self.coef_, dtype=np.float64)
            self._compiled_cache = dataclasses.replace(self.as_system(), rhs=_poly_rhs(idx, C))
        return self._compiled_cache

    def simulate(self, x0, n_steps: int, inputs=None) -> np.ndarray:
        """States at the ``n_steps`` sampling times after ``x0`` (``(dim,)`` or ``(batch, dim)``).

        Control models need ``inputs`` ``(n_steps + 1, n_inputs)`` or
        ``(batch, n_steps + 1, n_inputs)``: the input at ``x0``'s time and at
        each step. A trajectory that diverges is NaN from the step it left the
        finite numbers (``|x| > 1e12``) on.
        """
        if not self.is_fitted:
            from dynlearn.errors import NotFittedError

            raise NotFittedError("sindy is not fitted yet; call fit(...) first")
        x = check_array(x0, "x0", ndim=(1, 2))
        single = x.ndim == 1
        x = np.atleast_2d(x)
        if x.shape[1] != self.dim_:
            raise ValidationError(f"x0 has dimension {x.shape[1]} but the model has dimension {self.dim_}")
        if self.n_inputs_:
            if inputs is None:
                raise ValidationError(f"this sindy model has {self.n_inputs_} control input(s); pass inputs=...")
            U = check_array(inputs, "inputs", ndim=(2, 3))
            if U.shape[-1] != self.n_inputs_ or U.shape[-2] < n_steps + 1:
                raise ValidationError(
                    f"inputs must have shape (>= {n_steps + 1}, {self.n_inputs_}) or "
                    f"(batch, >= {n_steps + 1}, {self.n_inputs_}); got {U.shape}"
                )
            if U.ndim == 3 and U.shape[0] != len(x):
                raise ValidationError(f"inputs has batch {U.shape[0]} but x0 has {len(x)}")
        else:
            U = None
        out = self._integrate(x, n_steps, U)
        return out[0] if single else out

    def _integrate(self, x: np.ndarray, n_steps: int, U) -> np.ndarray:
        dt = 1.0 if self.config.discrete_time else float(self.dt_)
        backend = self.config.backend
        work = len(x) * n_steps * self.n_substeps_
        compiled = None
        if backend == "numba" or (backend == "auto" and work >= COMPILE_ABOVE_STEPS):
            compiled = self._compiled_system()
        try:
            if compiled is not None and not self.config.discrete_time:
                return integrate(compiled, x, n_points=n_steps + 1, dt=dt, backend="numba")[:, 1:]
            return integrate(self.as_system(U), x, n_points=n_steps + 1, dt=dt, backend="numpy")[:, 1:]
        except DivergenceError:
            pass
        # some trajectory diverged: integrate each alone and find the last finite step by bisection
        out = np.full((len(x), n_steps, self.dim_), np.nan)
        for b in range(len(x)):
            Ub = U[b] if U is not None and U.ndim == 3 else U
            system = self.as_system(Ub)
            lo, hi, good = 0, n_steps, None
            while lo < hi:
                mid = (lo + hi + 1) // 2
                try:
                    good = integrate(system, x[b], n_points=mid + 1, dt=dt)[0, 1:]
                    lo = mid
                except DivergenceError:
                    hi = mid - 1
            if lo:
                if good is None or len(good) != lo:
                    good = integrate(system, x[b], n_points=lo + 1, dt=dt)[0, 1:]
                out[b, :lo] = good
        return out

    def _predict(self, context, horizon, inputs=None):
        # the inputs from the last context time on drive the forecast
        U = None if inputs is None else inputs[:, context.shape[1] - 1 :]
        return self._integrate(context[:, -1, :], horizon, U)

    def _vector_field(self, states):
        if self.config.discrete_time:
            raise ValidationError("this sindy model was fitted as a map (discrete_time=true); it has no vector field")
        if self.n_inputs_:
            raise ValidationError("this sindy model depends on inputs; evaluate it with model.rhs(x, u)")
        return self.rhs(states)

    # printing ------------------------------------------------------------------------
    def equations(self, precision: int = 3, uncertainty: bool = True) -> str:
        """The learned equations, one per line, e.g. ``x0' = -10.000 x0 + 10.000 x1``.

        With an ensemble and ``uncertainty``, each coefficient is followed by
        its ensemble standard deviation: ``(-10.000 ± 0.012) x0``."""
        std = self.coef_std_ if uncertainty else None
        lines = []
        for i in range(self.dim_):
            lhs = f"{self.variables_[i]}[k+1]" if self.config.discrete_time else f"{self.variables_[i]}'"
            terms = []
            for j in np.flatnonzero(self.coef_[i]):
                v = self.coef_[i, j]
                name = self.feature_names_[j]
                if std is not None:
                    num = f"({v:.{precision}f} ± {std[i, j]:.{precision}f})"
                else:
                    num = f"{v:.{precision}f}"
                terms.append(num if name == "1" else f"{num} {name}")
            rhs = " + ".join(terms).replace("+ -", "- ") if terms else "0"
            lines.append(f"{lhs} = {rhs}")
        return "\n".join(lines)

    # persistence -------------------------------------------------------------------
    def save(self, path, **kwargs):
        if self.is_fitted and self.library_.spec is None:
            raise ValidationError(
                "this sindy model uses a CustomLibrary of Python functions, which cannot be saved without "
                "pickle; register each function with dynlearn.models.sindy.register_function(name, fn, label) "
                "and name it in the 'library' config (e.g. library='poly+name') to make the model saveable"
            )
        return super().save(path, **kwargs)

    def _get_state(self):
        return {"coef": self.coef_, "coef_samples": self.coef_samples_}

    def _get_meta(self):
        return {"variables": self.variables_, "n_inputs": self.n_inputs_, "n_substeps": self.n_substeps_}

    def _set_meta(self, meta):
        self.n_inputs_ = int(meta["n_inputs"])
        self.n_substeps_ = int(meta["n_substeps"])
        self.variables_ = [str(v) for v in meta["variables"]]
        if len(self.variables_) != self.dim_ + self.n_inputs_:
            raise ValueError(f"{len(self.variables_)} variable names for {self.dim_ + self.n_inputs_} variables")

    def _set_state(self, state):
        try:
            self.library_ = self._make_library(self.dim_ + self.n_inputs_)
        except UnknownNameError as exc:
            raise FileFormatError(
                f"the saved sindy library {self.config.library!r} names an unregistered function family ({exc}); "
                "call dynlearn.models.sindy.register_function(...) before loading"
            ) from None
        self.feature_names_ = self.library_.names(self.variables_)
        coef = np.asarray(state["coef"], dtype=np.float64)
        if coef.shape != (self.dim_, self.library_.n_terms):
            raise ValueError(f"coef has shape {coef.shape}, expected {(self.dim_, self.library_.n_terms)}")
        samples = np.asarray(state["coef_samples"], dtype=np.float64)
        if samples.ndim != 3 or samples.shape[1:] != coef.shape:
            raise ValueError(f"coef_samples has shape {samples.shape}, expected (n, {coef.shape[0]}, {coef.shape[1]})")
        self.coef_, self.coef_samples_ = coef, samples
        self._compiled_cache = None


__all__ = ["SINDy", "SINDyConfig", "CustomLibrary", "register_function", "function_names", "fd_derivative"]
