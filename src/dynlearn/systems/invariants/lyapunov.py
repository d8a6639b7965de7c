"""Lyapunov exponents: the QR method for flows and maps, twin trajectories for delay equations.

* :func:`estimate_lyapunov` / :func:`lyapunov_spectrum`: the QR method of
  Benettin et al. (1980) and Shimada & Nagashima (1979). A frame ``Q`` of
  ``dim`` tangent vectors follows the variational equation ``dQ/dt = J(x) Q``
  (flows) or the tangent map ``Q_{n+1} = J(x_n) Q_n`` (maps), advancing in the
  same batched Runge–Kutta step as the state ``x``; after every step ``Q R = Z`` and
  ``λ_i = <log |R_ii|> / Δt``. Several trajectories on the attractor run as
  one batch; the spread of their estimates gives a standard error.
* :func:`max_lyapunov_delay`: delay equations are infinite-dimensional; only
  ``λ_max`` is estimated, with two nearby trajectories whose whole history
  segment is renormalised to the initial separation after each interval
  (Benettin et al. 1976; Farmer 1982, Physica D 4, 366).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dynlearn._validation import check_positive
from dynlearn.errors import DivergenceError, ValidationError
from dynlearn.systems._checks import BLOWUP
from dynlearn.systems._stepper import DelayStepper, first_bad, rk_step
from dynlearn.systems._tableau import RK4
from dynlearn.systems.base import Params, System
from dynlearn.systems.delay import delay_stepper
from dynlearn.systems.integrate import integrate

#: the numpy path: compiling each right-hand side would cost more than it saves here
_NUMPY = {"backend": "numpy"}


@dataclass(frozen=True)
class LyapunovEstimate:
    """Result of :func:`estimate_lyapunov`: the spectrum (descending), the
    standard error of each exponent over the batch of trajectories (NaN for
    one trajectory), and the settings used."""

    spectrum: np.ndarray
    stderr: np.ndarray
    dt: float
    n_steps: int
    transient: int
    n_trajectories: int


def _tangent(system: System, x: np.ndarray, Q: np.ndarray, t: float, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """``(f(x), J(x) Q)`` for a batch ``x (B, d)`` and frames ``Q (B, d, d)``.

    Without an analytic Jacobian both come from one complex-step call on the
    ``B * d`` points ``x + i h q_k``: ``Re f = f(x)``, ``Im f / h = J q_k``
    (Squire & Trapp 1998), exact to rounding for analytic right-hand sides."""
    B, d = x.shape
    if system.jacobian in (None, "complex"):
        h = 1e-30
        y = (x[:, None, :] + 1j * h * np.swapaxes(Q, 1, 2)).reshape(B * d, d)
        fy = system.rhs(y, t, p).reshape(B, d, d)
        return fy[:, 0, :].real, np.swapaxes(fy.imag / h, 1, 2)
    return system.rhs(x, t, p), system.jac(x, t, p) @ Q


def _check_finite(system: System, x: np.ndarray, t: float) -> None:
    j = first_bad(x, BLOWUP)
    if j >= 0:
        raise DivergenceError(
            f"{system.name}: trajectory {j} diverged at t={t:.6g} while estimating Lyapunov "
            "exponents; use a smaller dt or check the parameters and initial condition"
        )


def _start_states(system: System, n: int, seed: int, x0) -> np.ndarray:
    """``n`` initial conditions: ``x0`` (default: the system's) plus a seeded 1% offset."""
    base = np.asarray(system.x0 if x0 is None else x0, dtype=np.float64)
    if base.ndim == 2:
        return base
    noise = np.random.default_rng(seed).standard_normal((n, system.dim))
    noise[0] = 0.0
    return base + 0.01 * np.maximum(np.abs(base), 1.0) * noise


def estimate_lyapunov(
    system: System,
    *,
    n_steps: int = 20_000,
    dt: float | None = None,
    transient: int = 2_000,
    n_trajectories: int = 1,
    x0=None,
    seed: int = 0,
    params=None,
) -> LyapunovEstimate:
    """Full Lyapunov spectrum of a flow or map by the QR method (see module doc).

    ``n_trajectories`` trajectories (``x0``, default the system's initial
    condition, plus seeded 1% offsets; or ``x0`` of shape ``(batch, dim)``)
    first run ``transient`` steps of size ``dt`` (default ``system.dt``; maps:
    iterations) to reach the attractor, then ``transient`` more steps with the
    frame to align it with the Lyapunov vectors, then ``n_steps`` measured
    steps. Exponents are per time unit (per iteration for maps)."""
    if system.kind == "delay":
        raise ValidationError(
            f"{system.name} is a delay equation (infinite-dimensional): use max_lyapunov_delay for λ_max"
        )
    n_steps = check_positive(n_steps, "n_steps", integer=True)
    transient = check_positive(transient, "transient", integer=True, allow_zero=True)
    is_map = system.kind == "map"
    h = 1.0 if is_map else check_positive(dt if dt is not None else system.dt, "dt")
    p = system.make_params(params)
    x = _start_states(system, check_positive(n_trajectories, "n_trajectories", integer=True), seed, x0)
    B, d = x.shape
    if transient:
        x = integrate(system, x, n_points=transient + 1, dt=h, params=p, max_step=h, **_NUMPY)[:, -1]
    Q = np.broadcast_to(np.eye(d), (B, d, d)).copy()
    logs = np.zeros((B, d))
    t = transient * h
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for i in range(transient + n_steps):
            if is_map:
                x, Q = _tangent(system, x, Q, t, p)
            else:
                x, Q = rk_step(lambda y, tt: _tangent(system, y[0], y[1], tt, p), (x, Q), t, h, RK4)
            t += h
            Q, R = np.linalg.qr(Q)
            if i >= transient:
                logs += np.log(np.abs(np.diagonal(R, axis1=1, axis2=2)))
            if i % 200 == 0 or i == transient + n_steps - 1:
                _check_finite(system, x, t)
                if not np.all(np.isfinite(logs)):
                    raise DivergenceError(f"{system.name}: the tangent frame degenerated (log 0) at t={t:.6g}")
    per = logs / (n_steps * h)
    mean = per.mean(axis=0)
    order = np.argsort(mean)[::-1]
    err = per.std(axis=0, ddof=1) / math.sqrt(B) if B > 1 else np.full(d, np.nan)
    return LyapunovEstimate(mean[order], err[order], h, n_steps, transient, B)


def lyapunov_spectrum(
    system: System, *, n_steps: int = 20_000, dt: float | None = None, transient: int = 2_000, x0=None, **kwargs
) -> np.ndarray:
    """Lyapunov exponents sorted descending (see :func:`estimate_lyapunov`)."""
    return estimate_lyapunov(system, n_steps=n_steps, dt=dt, transient=transient, x0=x0, **kwargs).spectrum


def delay_record(system: System, run: DelayStepper, n_points: int, every: int) -> np.ndarray:
    """States ``(batch, n_points, dim)`` of a delay stepper sampled every ``every`` steps (advancing it)."""
    out = np.empty((len(run.x), n_points, run.x.shape[1]))
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(n_points):
            out[:, i] = run.x
            for _ in range(every if i < n_points - 1 else 0):
                run.step()
            _check_finite(system, run.x, run.t)
    return out


def max_lyapunov_delay(
    system: System,
    *,
    n_steps: int = 20_000,
    dt: float | None = None,
    transient: int = 2_000,
    n_trajectories: int = 1,
    renorm_every: int = 10,
    x0=None,
    seed: int = 0,
    params=None,
) -> LyapunovEstimate:
    """λ_max of a delay equation from two nearby trajectories (see module doc).

    The state of a delay equation is the whole segment ``x[t-τ, t]``; each
    reference trajectory has a twin whose segment differs by ``δ0`` (Euclidean
    norm over the discretised segment). Every ``renorm_every`` steps the
    separation ``δ`` is measured, ``log(δ/δ0)`` accumulated and the twin's
    segment pulled back to distance ``δ0`` along the same direction."""
    if system.kind != "delay":
        raise ValidationError(f"{system.name} is a {system.kind}, not a delay equation: use estimate_lyapunov")
    n_steps = check_positive(n_steps, "n_steps", integer=True)
    p = system.make_params(params)
    x = _start_states(system, check_positive(n_trajectories, "n_trajectories", integer=True), seed, x0)
    B = len(x)
    run, _ = delay_stepper(system, x, p, check_positive(dt if dt is not None else system.dt, "dt"))
    delay_record(system, run, 2, max(1, transient))
    rng = np.random.default_rng(seed + 1)
    delta0 = 1e-8 * max(1.0, float(np.abs(run.x).max()))
    # the state is the segment of the m + 1 stored grid states (the ring, current state included)
    u = rng.standard_normal((run.size, B, x.shape[1]))
    u *= delta0 / np.sqrt((u**2).sum(axis=(0, 2)))[None, :, None]
    both, _ = delay_stepper(system, np.concatenate([run.x, run.x]), p, run.h)
    if both.m != run.m:  # pragma: no cover - the same tau and step give the same grid
        raise AssertionError("twin delay grid differs")
    both.n, both.t0 = run.n, run.t0
    both.start = np.concatenate([run.start, run.start])
    both.X = np.concatenate([run.X, run.X + u], axis=1)
    both.F = np.concatenate([run.F, run.F], axis=1)
    slot = both.n % both.size
    both.x = both.X[slot].copy()
    both.fx = both.f(both.x, both._delayed(both.n - both.m, 0.0), both.t)
    both.F[slot] = both.fx
    logs = np.zeros(B)
    n_blocks = max(1, n_steps // renorm_every)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(n_blocks):
            for _ in range(renorm_every):
                both.step()
            _check_finite(system, both.x, both.t)
            dX, dF = both.X[:, B:] - both.X[:, :B], both.F[:, B:] - both.F[:, :B]
            dist = np.sqrt((dX**2).sum(axis=(0, 2)))
            logs += np.log(dist / delta0)
            scale = (delta0 / dist)[None, :, None]
            both.X[:, B:] = both.X[:, :B] + scale * dX
            both.F[:, B:] = both.F[:, :B] + scale * dF
            slot = both.n % both.size
            both.x, both.fx = both.X[slot].copy(), both.F[slot].copy()
    per = logs / (n_blocks * renorm_every * run.h)
    err = per.std(ddof=1) / math.sqrt(B) if B > 1 else np.nan
    return LyapunovEstimate(np.array([per.mean()]), np.array([err]), run.h, n_blocks * renorm_every, transient, B)
