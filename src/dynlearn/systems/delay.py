"""Batched fixed-step integration of delay differential equations.

A delay equation ``dx/dt = f(x(t), x(t - tau), t)`` with the constant
history ``x(s) = x0`` for ``s <= t0`` is solved by the *method of steps*
(Bellman & Cooke 1963; Bellen & Zennaro 2003, ch. 3): on each interval
``[t0 + k tau, t0 + (k + 1) tau]`` the delayed term is a known function of
time, so the equation is an ODE there. Numerically this is a Runge–Kutta method
(classical RK4 by default; any tableau with nodes in ``[0, 1]``, see
:class:`dynlearn.systems._stepper.DelayStepper`) with a step ``h = tau / m`` (``m`` a positive integer) so that every delayed time
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
from dynlearn.systems._checks import BLOWUP, batch_params, check_initial_conditions, check_size, diverged
from dynlearn.systems._stepper import DelayStepper, first_bad
from dynlearn.systems.base import System

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


def shared_delay(system: System, p) -> float:
    """The delay of a batch (one value: the history grid is shared)."""
    tau = np.asarray(p[system.delay_param], dtype=np.float64)
    if tau.ndim and not np.all(tau == tau.flat[0]):
        raise ValidationError(
            f"{system.name}: the delay {system.delay_param!r} must be the same for every trajectory of a batch "
            f"(got {np.unique(tau).size} different values); integrate each delay in its own call"
        )
    return check_positive(float(tau.flat[0]), f"{system.name} delay {system.delay_param!r}")


def delay_stepper(system: System, x: np.ndarray, p, h_max: float, dt: float | None = None, t0: float = 0.0):
    """A :class:`DelayStepper` for ``system`` with ``h = tau / m <= h_max`` (aligned to ``dt`` when given).

    Returns ``(stepper, steps per output step or None)``."""
    tau = shared_delay(system, p)
    m, stride = delay_grid(tau, dt if dt is not None else tau, h_max)
    rhs = system.rhs
    return DelayStepper(lambda x, xd, t: rhs(x, xd, t, p), x, t0, tau / m, m), stride


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
    p = batch_params(system, params, B)
    tau = shared_delay(system, p)
    h_max = check_positive(max_step if max_step is not None else system.dt, "max_step")
    m, _ = delay_grid(tau, dt, h_max)
    check_size(
        (B * n_points + 2 * (m + 1) * B) * d * 8,
        f"({B} trajectories x {n_points} points and a history of {m + 1} steps, dim {d})",
        "ask for fewer points or trajectories, or a larger max_step",
    )
    out = np.empty((B, n_points, d))
    out[:, 0] = x
    if n_points == 1:
        return out
    with np.errstate(over="ignore", invalid="ignore"):
        run, stride = delay_stepper(system, x, p, h_max, dt, t0)
        h = run.h
        # output i sits at grid coordinate s_i = i dt / h (exact integers when aligned)
        s_out = np.arange(n_points, dtype=np.float64) * (stride if stride is not None else dt / h)
        n_steps = int(math.ceil(s_out[-1] - 1e-9))
        i = 1
        for n in range(n_steps):
            x_prev, f_prev = run.x, run.fx
            x_new = run.step()
            k = first_bad(x_new, BLOWUP)
            if k >= 0:
                raise diverged(system, k, run.t, x_new[k], f"delay integrator step {n + 1}, h={h:.6g}")
            while i < n_points and s_out[i] <= n + 1 + 1e-9:
                theta = s_out[i] - n
                out[:, i] = x_new if theta >= 1.0 - 1e-9 else run.interpolate(theta, x_prev, f_prev)
                i += 1
    return out


__all__ = ["delay_grid", "integrate_delay"]
