"""Batched fixed-step integration (classical RK4) for the catalog.

All trajectories of a batch advance together in one vectorised numpy call per
stage, so 1,000 initial conditions cost little more than one.
"""

from __future__ import annotations

import math

import numpy as np

from dynlearn._validation import check_positive
from dynlearn.errors import DivergenceError, ValidationError
from dynlearn.systems.base import Params, System

#: states beyond this magnitude count as a blow-up
BLOWUP = 1e12
#: refuse requests whose output would exceed this many bytes
MAX_BYTES = 4 * 2**30


def rk4_step(system: System, x: np.ndarray, t: float, h: float, p: Params) -> np.ndarray:
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
    params: Params | None = None,
    max_step: float | None = None,
) -> np.ndarray:
    """Integrate a batch of initial conditions and return states ``(batch, n_points, dim)``.

    Output is sampled every ``dt`` starting at ``t0`` (the first point is
    ``x0``); internally RK4 takes ``ceil(dt / max_step)`` equal substeps per
    output step, ``max_step`` defaulting to the system's integration step.
    For maps ``dt`` must be 1 and each output point is one iteration.

    Raises :class:`DivergenceError` naming the system, the trajectory and the
    time if any state becomes non-finite or exceeds ``BLOWUP`` in magnitude.
    """
    n_points = check_positive(n_points, "n_points", integer=True)
    dt = check_positive(dt, "dt")
    x = np.array(x0, dtype=np.float64, ndmin=2)
    if x.ndim != 2 or x.shape[1] != system.dim:
        raise ValidationError(
            f"{system.name} has dimension {system.dim}; initial conditions must have shape "
            f"({system.dim},) or (batch, {system.dim}), got {np.shape(x0)}"
        )
    nbytes = x.shape[0] * n_points * system.dim * 8
    if nbytes > MAX_BYTES:
        raise ValidationError(
            f"this request needs {nbytes / 2**30:.1f} GiB for the output ({x.shape[0]} trajectories x "
            f"{n_points} points x {system.dim} dims); the limit is {MAX_BYTES / 2**30:.0f} GiB: "
            "ask for fewer points or trajectories"
        )
    p = params if params is not None else system.make_params()
    out = np.empty((x.shape[0], n_points, system.dim))
    out[:, 0] = x
    if system.kind == "map":
        step = lambda state, t: system.rhs(state, t, p)  # noqa: E731
        n_sub, h = 1, 1.0
    else:
        n_sub = max(1, math.ceil(dt / (max_step or system.dt) - 1e-9))
        h = dt / n_sub
        step = lambda state, t: rk4_step(system, state, t, h, p)  # noqa: E731
    t = t0
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(1, n_points):
            for _ in range(n_sub):
                x = step(x, t)
                t += h
            bad = ~np.isfinite(x).all(axis=1) | (np.abs(x).max(axis=1) > BLOWUP)
            if bad.any():
                j = int(np.argmax(bad))
                raise DivergenceError(
                    f"{system.name}: trajectory {j} diverged at t={t:.6g} (output step {i}); "
                    f"state {x[j].tolist()}. Use a smaller step (max_step), another initial "
                    "condition, or check the parameters"
                )
            out[:, i] = x
    return out
