"""Batched integration for the catalog: fixed-step RK4 and adaptive Dormand–Prince.

All trajectories of a batch advance together, one vectorised call of the
right-hand side per stage, so 1,000 initial conditions cost little more than
one. Two methods:

* ``method="rk4"`` — classical fourth-order Runge–Kutta with
  ``ceil(dt / max_step)`` equal substeps per output step (``max_step``
  defaulting to the system's integration step). With numba installed and a
  large enough request it runs compiled (:mod:`dynlearn.systems._compiled`).
* ``method="dopri5"`` — Dormand & Prince (1980) 5(4) pair with error control
  *per trajectory* (``rtol``, ``atol``) and Shampine's dense output to sample
  the output grid exactly (:mod:`dynlearn.systems._adaptive`).

Maps iterate their ``rhs``; delay equations go to
``dynlearn.systems.delay.integrate_delay``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from dynlearn._validation import check_positive
from dynlearn.errors import DivergenceError, ValidationError
from dynlearn.systems import _adaptive, _compiled
from dynlearn.systems.base import Params, System

#: states beyond this magnitude count as a blow-up
BLOWUP = 1e12
#: refuse requests whose output would exceed this many bytes
MAX_BYTES = 4 * 2**30
#: ``backend="auto"`` compiles (numba) when the numpy path is estimated to take longer than this (s)
COMPILE_ABOVE_SECONDS = 1.0

METHODS = ("rk4", "dopri5")


def check_initial_conditions(system: System, x0) -> np.ndarray:
    """``x0`` as a float ``(batch, dim)`` array; ValidationError for a wrong shape or a non-finite entry."""
    x = np.array(x0, dtype=np.float64, ndmin=2)
    if x.ndim != 2 or x.shape[1] != system.dim:
        raise ValidationError(
            f"{system.name} has dimension {system.dim}; initial conditions must have shape "
            f"({system.dim},) or (batch, {system.dim}), got {np.shape(x0)}"
        )
    if not np.isfinite(x).all():
        j = int(np.argmax(~np.isfinite(x).all(axis=1)))
        raise ValidationError(f"{system.name}: initial condition {j} is not finite: {x[j].tolist()}")
    return x


def rk4_step(system: System, x: np.ndarray, t: float, h: float, p: Params) -> np.ndarray:
    """One classical Runge–Kutta step of size ``h`` for the batch ``x`` ``(batch, dim)``."""
    f = system.rhs
    k1 = f(x, t, p)
    k2 = f(x + 0.5 * h * k1, t + 0.5 * h, p)
    k3 = f(x + 0.5 * h * k2, t + 0.5 * h, p)
    k4 = f(x + h * k3, t + h, p)
    return x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


def integrate(
    system: System,
    x0,
    *,
    n_points: int,
    dt: float,
    t0: float = 0.0,
    params: Mapping[str, Any] | None = None,
    max_step: float | None = None,
    method: Literal["rk4", "dopri5"] = "rk4",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    backend: Literal["auto", "numpy", "numba"] = "auto",
    threads: int | None = None,
) -> np.ndarray:
    """Integrate a batch of initial conditions and return states ``(batch, n_points, dim)``.

    Output is sampled every ``dt`` starting at ``t0`` (the first point is
    ``x0``). ``params`` overrides the system's parameters; each value is a
    float or a ``(batch,)`` array (one parameter set per trajectory).

    ``method="rk4"`` takes ``ceil(dt / max_step)`` equal substeps per output
    step, ``max_step`` defaulting to the system's integration step.
    ``method="dopri5"`` chooses its own steps per trajectory so that the
    local error stays below ``atol + rtol |x|`` (``max_step`` caps them) and
    evaluates the output times by dense output; non-autonomous right-hand
    sides then receive ``t`` as a ``(batch,)`` array, each trajectory's own
    time. ``backend``: ``"numpy"``, ``"numba"`` (compiled RK4; falls back to
    numpy when numba is missing or the right-hand side does not compile) or
    ``"auto"`` (compiled only when the request is large enough to repay the
    compilation, so small calls give the numpy path's numbers). ``threads``
    bounds the compiled path's thread pool (default: all cores).

    For maps ``dt`` is ignored and each output point is one iteration; delay
    equations are integrated by :func:`dynlearn.systems.delay.integrate_delay`.

    Raises :class:`DivergenceError` naming the system, the trajectory and the
    time if any state becomes non-finite or exceeds ``BLOWUP`` in magnitude
    (for ``dopri5`` also when the step size collapses), and
    :class:`ValidationError` for bad arguments or a request whose output would
    exceed ``MAX_BYTES``.
    """
    n_points = check_positive(n_points, "n_points", integer=True)
    dt = check_positive(dt, "dt")
    if method not in METHODS:
        raise ValidationError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if backend not in ("auto", "numpy", "numba"):
        raise ValidationError(f"backend must be 'auto', 'numpy' or 'numba'; got {backend!r}")
    rtol = check_positive(rtol, "rtol")
    atol = check_positive(atol, "atol")
    x = check_initial_conditions(system, x0)
    B = x.shape[0]
    nbytes = B * n_points * system.dim * 8
    if nbytes > MAX_BYTES:
        raise ValidationError(
            f"this request needs {nbytes / 2**30:.1f} GiB for the output ({B} trajectories x "
            f"{n_points} points x {system.dim} dims); the limit is {MAX_BYTES / 2**30:.0f} GiB: "
            "ask for fewer points or trajectories"
        )
    p = _batch_params(system, params, B)
    if system.kind == "delay":
        from dynlearn.systems.delay import integrate_delay

        return integrate_delay(system, x, n_points=n_points, dt=dt, t0=t0, params=p, max_step=max_step)
    if system.kind == "map":
        return _iterate_map(system, x, n_points, t0, p)
    if method == "dopri5":
        return _integrate_adaptive(system, x, n_points, dt, t0, p, max_step, rtol, atol)
    return _integrate_rk4(system, x, n_points, dt, t0, p, max_step, backend, threads)


def _batch_params(system: System, params, batch: int) -> Params:
    p = system.make_params(params)
    for key, value in p.items():
        if np.ndim(value) == 0:
            p[key] = float(value)
            continue
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != (batch,):
            raise ValidationError(
                f"{system.name}: parameter {key!r} must be a number or an array of shape ({batch},) "
                f"(one value per trajectory), got shape {arr.shape}"
            )
        p[key] = arr
    return p


def _diverged(system: System, j: int, t: float, state, detail: str = "") -> DivergenceError:
    extra = f" ({detail})" if detail else ""
    return DivergenceError(
        f"{system.name}: trajectory {j} diverged at t={t:.6g}{extra}; state {np.asarray(state).tolist()}. "
        "Use a smaller step (max_step, or a tighter rtol), another initial condition, or check the parameters"
    )


def _iterate_map(system: System, x: np.ndarray, n_points: int, t0: float, p: Params) -> np.ndarray:
    out = np.empty((x.shape[0], n_points, system.dim))
    out[:, 0] = x
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(1, n_points):
            x = system.rhs(x, t0 + i - 1, p)
            _check(system, x, t0 + i)
            out[:, i] = x
    return out


def _check(system: System, x: np.ndarray, t: float) -> None:
    bad = ~np.isfinite(x).all(axis=1) | (np.abs(x).max(axis=1) > BLOWUP)
    if bad.any():
        j = int(np.argmax(bad))
        raise _diverged(system, j, t, x[j])


def _integrate_rk4(system, x, n_points, dt, t0, p, max_step, backend, threads) -> np.ndarray:
    n_sub = max(1, math.ceil(dt / (max_step or system.dt) - 1e-9))
    h = dt / n_sub
    B = x.shape[0]
    out = np.empty((B, n_points, system.dim))
    out[:, 0] = x
    if n_points == 1:
        return out
    numpy_seconds = (n_points - 1) * n_sub * (4e-5 + 1.5e-7 * B)  # rough cost model of the numpy path
    if backend == "numba" or (backend == "auto" and numpy_seconds > COMPILE_ABOVE_SECONDS):
        res = _compiled.rk4(system, x, out, t0=t0, h=h, n_sub=n_sub, params=p, blowup=BLOWUP, threads=threads)
        if res is not None:
            j, i, t = res
            if j >= 0:
                raise _diverged(
                    system, j, t, out[j, i - 1], f"output step {i}; the state shown is the last one recorded"
                )
            return out
    t = t0
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(1, n_points):
            for _ in range(n_sub):
                x = rk4_step(system, x, t, h, p)
                t += h
            bad = ~np.isfinite(x).all(axis=1) | (np.abs(x).max(axis=1) > BLOWUP)
            if bad.any():
                j = int(np.argmax(bad))
                raise _diverged(system, j, t, x[j], f"output step {i}")
            out[:, i] = x
    return out


def _integrate_adaptive(system, x, n_points, dt, t0, p, max_step, rtol, atol) -> np.ndarray:
    t_out = t0 + dt * np.arange(n_points)
    try:
        out, _ = _adaptive.integrate_adaptive(
            lambda y, t: system.rhs(y, t, p),
            x,
            t_out,
            tableau=_adaptive.DOPRI5,
            rtol=rtol,
            atol=atol,
            max_step=np.inf if max_step is None else check_positive(max_step, "max_step"),
            blowup=BLOWUP,
            pass_time_array=system.nonautonomous,
        )
    except _adaptive.StepFailure as exc:
        raise _diverged(system, exc.index, exc.t, exc.state, exc.reason) from None
    return out
