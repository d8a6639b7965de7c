"""Batched integration for the catalog: fixed-step Runge–Kutta and adaptive Dormand–Prince.

All trajectories of a batch advance together, one vectorised call of the
right-hand side per stage, so 1,000 initial conditions cost little more than
one. Every method is a Butcher tableau (:mod:`dynlearn.systems._tableau`)
run by the one numpy stepper (:mod:`dynlearn.systems._stepper`) or by a
kernel generated from the same tableau and compiled with numba
(:mod:`dynlearn.systems._compiled`, cached on disk):

* fixed step (``"euler"``, ``"midpoint"``, ``"rk3"``, ``"rk4"``, ``"rk38"``) —
  ``ceil(dt / max_step)`` equal substeps per output step (``max_step``
  defaulting to the system's integration step);
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
from dynlearn.errors import ValidationError
from dynlearn.systems import _adaptive, _compiled
from dynlearn.systems._checks import BLOWUP, MAX_BYTES, batch_params, check_initial_conditions, check_size, diverged
from dynlearn.systems._stepper import first_bad, rk_step
from dynlearn.systems._tableau import DOPRI5, FIXED, TABLEAUS
from dynlearn.systems.base import Params, System
from dynlearn.systems.delay import integrate_delay

#: ``backend="auto"`` compiles when that is estimated to finish sooner than the numpy path
#: (compile or cache-load time included; see :func:`dynlearn.systems._compiled.expected_seconds`).
#: The numpy path's cost per stage of a step: a fixed Python overhead plus work per trajectory
#: (CPU seconds measured for Lorenz-63, 3 dims: 65 us per RK4 step for 1 trajectory, 170 us for 1,000).
NUMPY_STAGE_SECONDS = 1.6e-5
NUMPY_STAGE_SECONDS_PER_TRAJ = 2.5e-8
METHODS = tuple(TABLEAUS)

__all__ = ["BLOWUP", "MAX_BYTES", "METHODS", "check_initial_conditions", "integrate", "rk_step"]


def integrate(
    system: System,
    x0,
    *,
    n_points: int,
    dt: float,
    t0: float = 0.0,
    params: Mapping[str, Any] | None = None,
    max_step: float | None = None,
    method: str = "rk4",
    rtol: float = 1e-6,
    atol: float = 1e-9,
    backend: Literal["auto", "numpy", "numba"] = "auto",
    threads: int | None = None,
) -> np.ndarray:
    """Integrate a batch of initial conditions and return states ``(batch, n_points, dim)``.

    Output is sampled every ``dt`` starting at ``t0`` (the first point is
    ``x0``). ``params`` overrides the system's parameters; each value is a
    float or a ``(batch,)`` array (one parameter set per trajectory).

    A fixed-step method (default ``"rk4"``; see ``METHODS``) takes ``ceil(dt / max_step)`` equal substeps per output
    step, ``max_step`` defaulting to the system's integration step.
    ``method="dopri5"`` chooses its own steps per trajectory so that the
    local error stays below ``atol + rtol |x|`` (``max_step`` caps them) and
    evaluates the output times by dense output; non-autonomous right-hand
    sides then receive ``t`` as a ``(batch,)`` array, each trajectory's own
    time. ``backend``: ``"numpy"``, ``"numba"`` (compiled; falls back to
    numpy when the right-hand side does not compile) or ``"auto"`` (compiled
    only when the compile time, or the load time of a kernel cached on disk,
    plus the compiled run is expected to beat the numpy path). ``threads``
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
    if method not in TABLEAUS:
        raise ValidationError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if backend not in ("auto", "numpy", "numba"):
        raise ValidationError(f"backend must be 'auto', 'numpy' or 'numba'; got {backend!r}")
    rtol = check_positive(rtol, "rtol")
    atol = check_positive(atol, "atol")
    x = check_initial_conditions(system, x0)
    B = x.shape[0]
    check_size(
        B * n_points * system.dim * 8, f"for the output ({B} trajectories x {n_points} points x {system.dim} dims)"
    )
    p = batch_params(system, params, B)
    if system.kind == "delay":
        return integrate_delay(system, x, n_points=n_points, dt=dt, t0=t0, params=p, max_step=max_step)
    if system.kind == "map":
        return _iterate_map(system, x, n_points, t0, p)
    if method in FIXED:
        return _integrate_fixed(system, x, n_points, dt, t0, p, max_step, FIXED[method], backend, threads)
    return _integrate_adaptive(system, x, n_points, dt, t0, p, max_step, rtol, atol, backend, threads)


def _iterate_map(system: System, x: np.ndarray, n_points: int, t0: float, p: Params) -> np.ndarray:
    out = np.empty((x.shape[0], n_points, system.dim))
    out[:, 0] = x
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(1, n_points):
            x = system.rhs(x, t0 + i - 1, p)
            j = first_bad(x, BLOWUP)
            if j >= 0:
                raise diverged(system, j, t0 + i, x[j])
            out[:, i] = x
    return out


def _use_compiled(backend: str, system: System, tab, numpy_seconds: float, work: float, params, x) -> bool:
    if backend == "numpy":
        return False
    if backend == "numba":
        return True
    return _compiled.expected_seconds(system, tab, work, params, x, numpy_seconds) < numpy_seconds


def _integrate_fixed(system, x, n_points, dt, t0, p, max_step, tab, backend, threads) -> np.ndarray:
    n_sub = max(1, math.ceil(dt / (max_step or system.dt) - 1e-9))
    h = dt / n_sub
    B = x.shape[0]
    out = np.empty((B, n_points, system.dim))
    out[:, 0] = x
    if n_points == 1:
        return out
    steps = (n_points - 1) * n_sub
    numpy_seconds = steps * tab.stages * (NUMPY_STAGE_SECONDS + NUMPY_STAGE_SECONDS_PER_TRAJ * B)
    if _use_compiled(backend, system, tab, numpy_seconds, steps * B * tab.stages, p, x):
        res = _compiled.fixed(system, tab, x, out, t0=t0, h=h, n_sub=n_sub, params=p, blowup=BLOWUP, threads=threads)
        if res is not None:
            j, i, t = res
            if j >= 0:
                raise diverged(
                    system, j, t, out[j, i - 1], f"output step {i}; the state shown is the last one recorded"
                )
            return out
    f = system.rhs
    t = t0
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(1, n_points):
            for _ in range(n_sub):
                x = rk_step(lambda y, tt: f(y, tt, p), x, t, h, tab)
                t += h
            j = first_bad(x, BLOWUP)
            if j >= 0:
                raise diverged(system, j, t, x[j], f"output step {i}")
            out[:, i] = x
    return out


def _integrate_adaptive(system, x, n_points, dt, t0, p, max_step, rtol, atol, backend, threads) -> np.ndarray:
    t_out = t0 + dt * np.arange(n_points)
    h_max = np.inf if max_step is None else check_positive(max_step, "max_step")
    B = x.shape[0]
    steps = n_points  # not known in advance: about one step per output point is typical
    numpy_seconds = steps * DOPRI5.stages * (NUMPY_STAGE_SECONDS + NUMPY_STAGE_SECONDS_PER_TRAJ * B) * 2  # + control
    if _use_compiled(backend, system, DOPRI5, numpy_seconds, steps * B * DOPRI5.stages, p, x):
        res = _compiled.adaptive(
            system, x, t_out, params=p, rtol=rtol, atol=atol, max_step=h_max, blowup=BLOWUP, threads=threads
        )
        if res is not None:
            out, fail = res
            if fail is not None:
                j, t, state, reason = fail
                raise diverged(system, j, t, state, reason)
            return out
    try:
        out, _ = _adaptive.integrate_adaptive(
            lambda y, t: system.rhs(y, t, p),
            x,
            t_out,
            rtol=rtol,
            atol=atol,
            max_step=h_max,
            blowup=BLOWUP,
            pass_time_array=system.nonautonomous,
        )
    except _adaptive.StepFailure as exc:
        raise diverged(system, exc.index, exc.t, exc.state, exc.reason) from None
    return out
