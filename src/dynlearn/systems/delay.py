"""Batched fixed-step integration of delay differential equations.

A delay equation ``dx/dt = f(x(t), x(t - tau), t)`` with the constant
history ``x(s) = x0`` for ``s <= t0`` is solved by the *method of steps*
(Bellman & Cooke 1963; Bellen & Zennaro 2003, ch. 3): on each interval
``[t0 + k tau, t0 + (k + 1) tau]`` the delayed term is a known function of
time, so the equation is an ODE there. Numerically this is classical RK4 with
a step ``h = tau / m`` (``m`` a positive integer) so that every delayed time
``t_n + c h - tau`` (stage nodes ``c = 0, 1/2, 1``) falls on the step grid or
on the midpoint of a grid interval:

* at grid points the delayed state is read from a history buffer of the last
  ``m + 1`` states;
* at half steps it is the cubic Hermite interpolant of the two neighbouring
  stored states and their stored derivatives
  ``x(t_j + h/2) ~ (x_j + x_{j+1}) / 2 + h (f_j - f_{j+1}) / 8``, whose error
  is ``O(h^4)``, so the global error stays fourth order
  (Bellen & Zennaro 2003, sec. 4.1; Oberle & Pesch 1981).

The derivative of the solution jumps at ``t0`` (from 0 on the constant
history to ``f(x0, x0)``) and is smooth in between grid points, because the
break points ``t0 + k tau`` are grid points. An interval lying in the history
interpolates to ``x0`` exactly.

When the output step is commensurate with ``tau`` (``dt / tau = p / q`` with a
small ``q``), ``m`` is chosen so that ``h`` divides both and outputs are grid
states; otherwise outputs between grid points are cubic Hermite
interpolants of the neighbouring grid states (same order).

References: Bellman, R. & Cooke, K. L. (1963). Differential-Difference
Equations. Academic Press. Bellen, A. & Zennaro, M. (2003). Numerical Methods
for Delay Differential Equations. Oxford University Press. Oberle, H. J. &
Pesch, H. J. (1981). Numerical treatment of delay differential equations by
Hermite interpolation. Numer. Math. 37, 235-255.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from dynlearn._validation import check_positive
from dynlearn.errors import ValidationError
from dynlearn.systems.base import System
from dynlearn.systems.integrate import BLOWUP, MAX_BYTES, _batch_params, _diverged, check_initial_conditions

#: accept a step refinement up to this factor to make the output step a multiple of the step
MAX_ALIGN_FACTOR = 2


def delay_grid(tau: float, dt: float, max_step: float) -> tuple[int, int | None]:
    """Steps per delay ``m`` (``h = tau / m <= max_step``) and steps per output step.

    The second value is ``None`` when no ``m`` up to ``MAX_ALIGN_FACTOR`` times
    the smallest admissible one makes ``dt`` a multiple of ``h``; outputs are
    then interpolated."""
    m_min = max(1, math.ceil(tau / max_step - 1e-9))
    ratio = dt / tau
    frac = Fraction(ratio).limit_denominator(MAX_ALIGN_FACTOR * m_min)
    if frac.numerator > 0 and abs(float(frac) - ratio) <= 1e-12 * ratio:
        q = frac.denominator
        m = q * math.ceil(m_min / q)
        return m, frac.numerator * (m // q)
    return m_min, None


def _shared_delay(system: System, p) -> float:
    tau = np.asarray(p[system.delay_param], dtype=np.float64)
    if tau.ndim and not np.all(tau == tau.flat[0]):
        raise ValidationError(
            f"{system.name}: the delay {system.delay_param!r} must be the same for every trajectory of a batch "
            f"(got {np.unique(tau).size} different values); integrate each delay in its own call"
        )
    return check_positive(float(tau.flat[0]), f"{system.name} delay {system.delay_param!r}")


def _hermite(theta: float, h: float, x0, x1, f0, f1):
    """Cubic Hermite interpolant at ``t_j + theta h`` from the end states and derivatives."""
    t2, t3 = theta * theta, theta * theta * theta
    return (2 * t3 - 3 * t2 + 1) * x0 + (t3 - 2 * t2 + theta) * h * f0 + (3 * t2 - 2 * t3) * x1 + (t3 - t2) * h * f1


def integrate_delay(
    system: System,
    x0,
    *,
    n_points: int,
    dt: float,
    t0: float = 0.0,
    params: Mapping[str, Any] | None = None,
    max_step: float | None = None,
) -> np.ndarray:
    """Integrate a delay equation for a batch of constant histories; states ``(batch, n_points, dim)``.

    ``x0`` (``(dim,)`` or ``(batch, dim)``) is both the state at ``t0`` and
    the constant history before it. Output is sampled every ``dt`` from
    ``t0`` (the first point is ``x0``). The RK4 step is ``h = tau / m`` with
    ``h <= max_step`` (default: the system's ``dt``), refined when that makes
    ``dt`` a multiple of ``h`` (see :func:`delay_grid`). ``params`` overrides
    the defaults; values may be ``(batch,)`` arrays except the delay, which
    must be shared by the batch.

    Raises :class:`ValidationError` for bad arguments and
    :class:`DivergenceError` naming the system, the trajectory and the time
    when a state becomes non-finite or exceeds ``BLOWUP`` in magnitude.
    """
    if system.kind != "delay" or not system.delay_param:
        raise ValidationError(f"{system.name} is a {system.kind}, not a delay equation: use integrate()")
    n_points = check_positive(n_points, "n_points", integer=True)
    dt = check_positive(dt, "dt")
    x = check_initial_conditions(system, x0)
    B, d = x.shape
    p = _batch_params(system, params, B)
    tau = _shared_delay(system, p)
    h_max = check_positive(max_step if max_step is not None else system.dt, "max_step")
    m, stride = delay_grid(tau, dt, h_max)
    h = tau / m
    nbytes = (B * n_points + 2 * (m + 1) * B) * d * 8
    if nbytes > MAX_BYTES:
        raise ValidationError(
            f"this request needs {nbytes / 2**30:.1f} GiB ({B} trajectories x {n_points} points and a history "
            f"of {m + 1} steps, dim {d}); the limit is {MAX_BYTES / 2**30:.0f} GiB: ask for fewer points or "
            "trajectories, or a larger max_step"
        )

    out = np.empty((B, n_points, d))
    out[:, 0] = x
    if n_points == 1:
        return out
    # output i sits at grid coordinate s_i = i dt / h (exact integers when aligned)
    s_out = np.arange(n_points, dtype=np.float64) * (stride if stride is not None else dt / h)
    n_steps = int(math.ceil(s_out[-1] - 1e-9))

    f = system.rhs
    size = m + 1  # ring of the states and derivatives at grid steps n - m .. n
    X = np.repeat(x[None], size, axis=0)
    F = np.zeros_like(X)
    start = x.copy()

    def delayed(k: int) -> np.ndarray:  # state at grid step k (history before t0)
        return start if k <= 0 else X[k % size]

    with np.errstate(over="ignore", invalid="ignore"):
        fx = f(x, start, t0, p)
        X[0], F[0] = x, fx
        i = 1
        for n in range(n_steps):
            t = t0 + n * h
            j = n - m  # the delayed step interval is [t_j, t_{j+1}]
            xd0, xd1 = delayed(j), delayed(j + 1)
            if j + 1 <= 0:
                xdm = start
            else:
                xdm = 0.5 * (xd0 + xd1) + (h / 8.0) * (F[j % size] - F[(j + 1) % size])
            k2 = f(x + 0.5 * h * fx, xdm, t + 0.5 * h, p)
            k3 = f(x + 0.5 * h * k2, xdm, t + 0.5 * h, p)
            k4 = f(x + h * k3, xd1, t + h, p)
            x_new = x + (h / 6.0) * (fx + 2.0 * k2 + 2.0 * k3 + k4)
            if not np.abs(x_new).max() <= BLOWUP:  # one reduction per step; NaN fails the test too
                bad = ~np.isfinite(x_new).all(axis=1) | (np.abs(x_new).max(axis=1) > BLOWUP)
                k = int(np.argmax(bad))
                raise _diverged(system, k, t + h, x_new[k], f"delay integrator step {n + 1}, h={h:.6g}")
            f_new = f(x_new, xd1, t + h, p)
            X[(n + 1) % size], F[(n + 1) % size] = x_new, f_new
            while i < n_points and s_out[i] <= n + 1 + 1e-9:
                theta = s_out[i] - n
                out[:, i] = x_new if theta >= 1.0 - 1e-9 else _hermite(theta, h, x, x_new, fx, f_new)
                i += 1
            x, fx = x_new, f_new
    return out


__all__ = ["delay_grid", "integrate_delay"]
