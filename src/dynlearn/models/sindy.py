"""SINDy: sparse identification of nonlinear dynamics (Brunton, Proctor & Kutz 2016, PNAS 113:3932).

SINDy writes the vector field as a sparse combination of candidate functions,

    dx/dt = Ξ Θ(x, u)ᵀ        (continuous time)     x_{k+1} = Ξ Θ(x_k, u_k)ᵀ   (maps),

builds regression rows from the samples (derivative estimates of several
orders, or the weak form, which needs none), and finds a sparse ``Ξ`` by
sequentially thresholded ridge regression (STLSQ) or SR3. Ensembles (bagging
over samples, library bagging; Fasel et al. 2022) give coefficient
uncertainties. Forecasts integrate the learned ODE by RK4 at the training
sampling step: polynomial models by their equations written out as Python
(no compiler: fast in a fresh process) or in one compiled loop (numba, cached
on disk), whichever is cheaper for the request; others with the catalog's
batched numpy integrator.

A single observed variable can be delay-embedded (``embed`` coordinates
``x(t), x(t - τ), ...``, Takens 1981): a scalar autonomous ODE ``x' = f(x)``
cannot oscillate, a system in the embedded coordinates can.

The parts live in their own modules, each a registry users can extend: the config
(``_sindy_config``),
libraries (``_sindy_library``), derivative methods (``_sindy_derivatives``),
optimisers (``_sindy_optimizers``); compiled simulation in
``_sindy_compiled``. ``model.equations()`` prints the discovered equations.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np

from dynlearn._validation import as_rng, check_array
from dynlearn.errors import DivergenceError, FileFormatError, UnknownNameError, ValidationError
from dynlearn.models import _sindy_compiled
from dynlearn.models import _sindy_optimizers as opt
from dynlearn.models._sindy_config import SINDyConfig, delay_embed
from dynlearn.models._sindy_derivatives import DERIVATIVES, fd_derivative
from dynlearn.models._sindy_library import (
    CustomLibrary,
    Library,
    build_library,
    collinear_terms,
    function_names,
    register_function,
)
from dynlearn.models._sindy_optimizers import OPTIMIZERS
from dynlearn.models.base import Capabilities, Model
from dynlearn.models.registry import register
from dynlearn.systems.base import System
from dynlearn.systems.integrate import integrate


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
    def _span(self) -> int:
        """Samples of history one embedded state needs (1 without embedding)."""
        return (self.config.embed - 1) * self.config.embed_lag + 1

    @property
    def min_context(self) -> int:
        return self._span

    @property
    def min_train_length(self) -> int:
        if self.config.discrete_time:
            return self._span + 1
        return self._span - 1 + DERIVATIVES.get(self.config.derivative).min_length(self.config)

    # library ------------------------------------------------------------------------
    def _make_library(self, n_vars: int) -> Library:
        c = self.config
        if c.custom_library is not None:
            return c.custom_library.build(n_vars, c.include_bias)
        return build_library(
            c.library, n_vars, degree=c.degree, n_frequencies=c.n_frequencies, include_bias=c.include_bias
        )

    # fitting --------------------------------------------------------------------------
    def _states(self, tr) -> np.ndarray:
        """The state the model evolves: the observations, delay-embedded when ``embed > 1``."""
        c = self.config
        return delay_embed(tr.states, c.embed, c.embed_lag) if c.embed > 1 else tr.states

    def _rows(self, tr) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(library rows Θ, targets, states) of one trajectory."""
        x = self._states(tr)
        z = x
        if self.config.use_inputs:
            z = np.concatenate([x, tr.inputs], axis=1)
        if self.config.discrete_time:
            return self.library_.evaluate(z[:-1]), x[1:], x
        method = DERIVATIVES.get(self.config.derivative)
        theta, y = method.design(self.library_, z, x, float(tr.dt), self.config)
        return theta, y, x

    def _check_inputs(self, trajectories) -> None:
        c = self.config
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

    def _variable_names(self, tr) -> list[str]:
        dim, c = tr.dim, self.config
        names = tr.meta.get("variables")
        if not (isinstance(names, list) and len(names) == dim and all(isinstance(n, str) for n in names)):
            names = [f"x{i}" for i in range(dim)]
        if c.embed > 1:
            names = list(names) + [f"{n}(t-{j * c.embed_lag})" for j in range(1, c.embed) for n in names]
        return list(names) + [f"u{i}" for i in range(self.n_inputs_)]

    def _fit(self, trajectories):
        c = self.config
        self._fit_dt = float(trajectories[0].dt or 1.0)
        self._check_inputs(trajectories)
        dim = trajectories[0].dim
        if dim == 1 and c.embed == 1 and not c.discrete_time and not c.use_inputs:
            warnings.warn(
                "sindy on one variable: a scalar autonomous ODE x' = f(x) cannot oscillate (its solutions "
                "move monotonically to a fixed point or to infinity), so it can only learn growth or decay; "
                "for oscillating data use delay embedding, e.g. embed=3 (CLI: --set embed=3)",
                UserWarning,
                stacklevel=3,
            )
        self.n_state_ = dim * c.embed
        self.variables_ = self._variable_names(trajectories[0])
        self.library_ = self._make_library(self.n_state_ + self.n_inputs_)
        self.feature_names_ = self.library_.names(self.variables_)
        theta, Y, X = (np.concatenate(parts) for parts in zip(*(self._rows(t) for t in trajectories)))
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
        coef = self._solve(theta, Y)
        if not np.any(coef) and np.any(np.abs(Y - Y.mean(0)) > 0):
            raise ValidationError(self._threshold_advice(theta, Y))
        self.coef_ = coef
        self.n_substeps_ = self._stable_substeps(X)

    def _solve(self, theta: np.ndarray, Y: np.ndarray, config: SINDyConfig | None = None) -> np.ndarray:
        """Ξ from the registered optimiser, over an ensemble when one is configured."""
        c = config or self.config
        fn = opt.OPTIMIZERS.get(c.optimizer)

        def solve(th, y):
            return fn(th, y, c)

        if c.ensemble == "none":
            coef = solve(theta, Y)
            self.coef_samples_ = np.zeros((0, *coef.shape))
            return coef
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
        self.coef_samples_ = samples
        return np.median(samples, axis=0) if c.aggregate == "median" else samples.mean(axis=0)

    def _threshold_advice(self, theta: np.ndarray, Y: np.ndarray) -> str:
        """The error for a threshold that removed every term, with a smaller threshold that was
        checked to keep at least one (the largest such value found by halving, rounded down)."""
        c = self.config
        biggest = float(np.max(np.abs(np.linalg.lstsq(theta, Y, rcond=None)[0])))
        head = (
            f"sindy: threshold {c.threshold:g} removed every term of every equation (the largest "
            f"least-squares coefficient is {biggest:.3g})"
        )
        t = min(c.threshold, biggest)
        samples = self.coef_samples_
        for _ in range(60):
            t /= 2.0
            if t <= 0:
                break
            exp = np.floor(np.log10(t)) - 1  # round down to two significant digits
            cand = float(np.floor(t / 10.0**exp) * 10.0**exp)
            if 0 < cand < c.threshold and np.any(self._solve(theta, Y, dataclasses.replace(c, threshold=cand))):
                self.coef_samples_ = samples
                return f"{head}; use a smaller threshold: {cand:.2g} keeps at least one term (checked)"
        self.coef_samples_ = samples
        return f"{head}; no smaller threshold keeps a term: check that the data vary and the library fits them"

    def _stable_substeps(self, X: np.ndarray) -> int:
        """RK4 steps per sampling step: at least ``substeps``, and enough that ``h L <= 1`` with
        ``L`` the largest Jacobian norm of the learned field over the training states, so a stiff
        model learned from little data is integrated stably rather than blowing up numerically."""
        if self.config.discrete_time or self.n_inputs_:
            return self.config.substeps
        d = X.shape[1]
        rows = X[:: max(1, len(X) // 500)]
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
            x0=tuple(0.0 for _ in range(self.n_state_)),
            description="a learned SINDy model",
            reference="Brunton, Proctor & Kutz (2016), PNAS 113:3932",
            kind=kind,
            dt=dt / self.n_substeps_,
            nonautonomous=bool(self.n_inputs_),
        )

    def _poly_arrays(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(idx, C)`` of a pure polynomial model for the compiled kernel (None otherwise)."""
        lib = self.library_
        poly = lib.spec is not None and lib.spec.replace(" ", "") == "poly"
        if not poly or self.n_inputs_:
            return None
        block = lib.blocks[0]
        combos = ([()] if lib.include_bias else []) + block.combos
        idx = np.full((len(combos), max(1, block.degree)), -1, dtype=np.int64)
        for k, combo in enumerate(combos):
            idx[k, : len(combo)] = combo
        return idx, np.ascontiguousarray(self.coef_, dtype=np.float64)

    def simulate(self, x0, n_steps: int, inputs=None) -> np.ndarray:
        """States at the ``n_steps`` sampling times after ``x0`` (``(n, )`` or ``(batch, n)``, n the
        model's state dimension: the data's, times ``embed`` with delay embedding).

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
        if x.shape[1] != self.n_state_:
            raise ValidationError(f"x0 has dimension {x.shape[1]} but the model has dimension {self.n_state_}")
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
        c = self.config
        dt = 1.0 if c.discrete_time else float(self.dt_)
        poly = self._poly_arrays()
        if poly is not None and np.isfinite(poly[1]).all():
            args = (x, *poly, dt, n_steps, self.n_substeps_, c.discrete_time)
            way = {"numpy": "python", "numba": "numba"}.get(c.backend) or _sindy_compiled.choose(
                len(x), n_steps, self.n_substeps_, *poly, c.discrete_time
            )
            if way == "numba" and not _sindy_compiled.available():
                way = "python"
            with np.errstate(over="ignore", invalid="ignore"):
                if way == "numba":
                    return _sindy_compiled.simulate_poly(*args)
                return _sindy_compiled.simulate_python(*args)
        try:
            return integrate(self.as_system(U), x, n_points=n_steps + 1, dt=dt, backend="numpy")[:, 1:]
        except DivergenceError:
            pass
        # some trajectory diverged: integrate each alone and find the last finite step by bisection
        out = np.full((len(x), n_steps, self.n_state_), np.nan)
        for b in range(len(x)):
            Ub = U[b] if U is not None and U.ndim == 3 else U
            system = self.as_system(Ub)
            lo, hi, good = 0, n_steps, None
            while lo < hi:
                mid = (lo + hi + 1) // 2
                try:
                    good = integrate(system, x[b], n_points=mid + 1, dt=dt, backend="numpy")[0, 1:]
                    lo = mid
                except DivergenceError:
                    hi = mid - 1
            if lo:
                if good is None or len(good) != lo:
                    good = integrate(system, x[b], n_points=lo + 1, dt=dt, backend="numpy")[0, 1:]
                out[b, :lo] = good
        return out

    def _predict(self, context, horizon, inputs=None):
        c = self.config
        if c.embed > 1:
            lags = [context[:, -1 - j * c.embed_lag, :] for j in range(c.embed)]
            return self._integrate(np.concatenate(lags, axis=1), horizon, None)[..., : self.dim_]
        # the inputs from the last context time on drive the forecast
        U = None if inputs is None else inputs[:, context.shape[1] - 1 :]
        return self._integrate(context[:, -1, :], horizon, U)

    def _vector_field(self, states):
        if self.config.discrete_time:
            raise ValidationError("this sindy model was fitted as a map (discrete_time=true); it has no vector field")
        if self.n_inputs_:
            raise ValidationError("this sindy model depends on inputs; evaluate it with model.rhs(x, u)")
        if self.config.embed > 1:
            raise ValidationError(
                "this sindy model is delay-embedded (embed > 1): its field acts on embedded states; use model.rhs"
            )
        return self.rhs(states)

    # printing ------------------------------------------------------------------------
    def equations(self, precision: int = 3, uncertainty: bool = True) -> str:
        """The learned equations, one per line, e.g. ``x0' = -10.000 x0 + 10.000 x1``.

        With an ensemble and ``uncertainty``, each coefficient is followed by
        its ensemble standard deviation: ``(-10.000 ± 0.012) x0``."""
        std = self.coef_std_ if uncertainty else None
        lines = []
        for i in range(self.n_state_):
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
        self.n_state_ = self.dim_ * self.config.embed
        self.variables_ = [str(v) for v in meta["variables"]]
        if len(self.variables_) != self.n_state_ + self.n_inputs_:
            raise ValueError(f"{len(self.variables_)} variable names for {self.n_state_ + self.n_inputs_} variables")

    def _set_state(self, state):
        try:
            self.library_ = self._make_library(self.n_state_ + self.n_inputs_)
        except UnknownNameError as exc:
            raise FileFormatError(
                f"the saved sindy library {self.config.library!r} names an unregistered function family ({exc}); "
                "call dynlearn.models.sindy.register_function(...) before loading"
            ) from None
        self.feature_names_ = self.library_.names(self.variables_)
        coef = np.asarray(state["coef"], dtype=np.float64)
        if coef.shape != (self.n_state_, self.library_.n_terms):
            raise ValueError(f"coef has shape {coef.shape}, expected {(self.n_state_, self.library_.n_terms)}")
        samples = np.asarray(state["coef_samples"], dtype=np.float64)
        if samples.ndim != 3 or samples.shape[1:] != coef.shape:
            raise ValueError(f"coef_samples has shape {samples.shape}, expected (n, {coef.shape[0]}, {coef.shape[1]})")
        self.coef_, self.coef_samples_ = coef, samples


__all__ = [
    "DERIVATIVES",
    "OPTIMIZERS",
    "SINDy",
    "SINDyConfig",
    "CustomLibrary",
    "delay_embed",
    "register_function",
    "function_names",
    "fd_derivative",
]
