"""The one numpy stepping engine: explicit Runge–Kutta steps driven by a tableau.

* :func:`rk_step` advances a batch (an array, or a tuple of arrays such as a
  state and its tangent frame) by one step of any tableau of
  :mod:`dynlearn.systems._tableau`.
* :class:`DelayStepper` advances ``dx/dt = f(x(t), x(t - tau), t)`` by the
  method of steps with a step ``h = tau / m`` (see :mod:`dynlearn.systems.delay`
  for the mathematics), with the same tableau machinery.
* :func:`first_bad` is the one finite-value check: the first trajectory that
  left the finite numbers or exceeded the blow-up bound.

Stage inputs and updates are formed as :class:`~dynlearn.systems._tableau.Combination`
says, in the order the compiled kernels use, so both give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dynlearn.systems._tableau import RK4, Combination, Tableau


def first_bad(x: np.ndarray, blowup: float) -> int:
    """Index of the first trajectory (axis 0) with a non-finite entry or one above ``blowup`` in magnitude; -1 if none."""
    flat = x.reshape(len(x), -1)
    with np.errstate(invalid="ignore"):
        if np.abs(flat).max(initial=0.0) <= blowup:  # one reduction in the common case; NaN fails it
            return -1
        bad = ~np.isfinite(flat).all(axis=1) | (np.abs(flat).max(axis=1) > blowup)
    return int(np.argmax(bad)) if bad.any() else -1


def _combine(y, h: float, comb: Combination, K: list):
    """``y + (h / den) * sum_j w_j K[j]`` on an array or a tuple of arrays."""
    if not comb.idx:
        return y
    scale = h / comb.den if comb.den != 1.0 else h
    if isinstance(y, tuple):
        return tuple(_combine(yi, h, comb, [k[i] if k is not None else None for k in K]) for i, yi in enumerate(y))
    acc = None
    for j, w in zip(comb.idx, comb.weights):
        term = K[j] if w == 1.0 else w * K[j]
        acc = term if acc is None else acc + term
    return y + scale * acc


def rk_step(f: Callable, y, t, h: float, tab: Tableau = RK4, k1=None):
    """One step of ``tab`` for ``y' = f(y, t)``; ``y`` is an array or a tuple of arrays (``f`` returns the same).

    ``k1``: ``f(y, t)`` when the caller already has it. Returns ``y_1``."""
    K: list = [None] * tab.stages
    K[0] = f(y, t) if k1 is None else k1
    c = tab.c_f
    for i in range(1, tab.stages):
        K[i] = f(_combine(y, h, tab.stage(i), K), t + c[i] * h)
    return _combine(y, h, tab.update(), K)


def hermite(theta: float, h: float, x0, x1, f0, f1):
    """Cubic Hermite interpolant at ``t_j + theta h`` from the end states and derivatives.

    At ``theta = 1/2`` it is written ``(x0 + x1)/2 + h (f0 - f1)/8``."""
    if theta == 0.5:
        return 0.5 * (x0 + x1) + (h / 8.0) * (f0 - f1)
    t2, t3 = theta * theta, theta * theta * theta
    return (2 * t3 - 3 * t2 + 1) * x0 + (t3 - 2 * t2 + theta) * h * f0 + (3 * t2 - 2 * t3) * x1 + (t3 - t2) * h * f1


class DelayStepper:
    """Fixed-step Runge–Kutta for ``dx/dt = f(x(t), x(t - tau), t)`` with ``tau = m h``.

    The states and derivatives at grid steps ``n - m .. n`` live in a ring
    ``X, F`` of ``m + 1`` slots (axis 0); before ``t0`` the history is the
    constant ``x0`` with zero derivative. A stage at node ``c`` needs the
    delayed state at grid coordinate ``n - m + c``: a stored state for
    ``c = 0`` or ``1``, otherwise the cubic Hermite interpolant of the two
    neighbouring stored states (error ``O(h^4)``, so orders up to four are
    kept). ``f(x, x_delayed, t)``."""

    def __init__(self, f: Callable, x0: np.ndarray, t0: float, h: float, m: int, tab: Tableau = RK4):
        if any(not (0.0 <= c <= 1.0) for c in tab.c_f):
            raise ValueError(f"the delay stepper needs nodes in [0, 1]; {tab.name} has {tab.c_f}")
        self.f, self.h, self.m, self.tab = f, h, m, tab
        self.size = m + 1
        self.x = np.array(x0, dtype=np.float64)
        self.start = self.x.copy()
        self.X = np.repeat(self.x[None], self.size, axis=0)
        self.F = np.zeros_like(self.X)
        self.n, self.t0 = 0, t0
        self.fx = f(self.x, self.start, t0)
        self.F[0] = self.fx

    @property
    def t(self) -> float:
        return self.t0 + self.n * self.h

    def _delayed(self, j: int, c: float):
        """State at grid coordinate ``j + c`` (``j = n - m``)."""
        if j + 1 <= 0:  # the whole interval lies in the constant history
            return self.start
        lo, hi = j % self.size, (j + 1) % self.size
        if c == 0.0:
            return self.X[lo]
        if c == 1.0:
            return self.X[hi]
        return hermite(c, self.h, self.X[lo], self.X[hi], self.F[lo], self.F[hi])

    def step(self) -> np.ndarray:
        """Advance one step; returns the new state (also ``self.x``; the previous one stays in the ring)."""
        h, tab, t, x = self.h, self.tab, self.t, self.x
        j = self.n - self.m
        delayed = {c: self._delayed(j, c) for c in set(tab.c_f.tolist()) | {1.0}}
        K: list = [None] * tab.stages
        K[0] = self.fx
        for i in range(1, tab.stages):
            c = float(tab.c_f[i])
            K[i] = self.f(_combine(x, h, tab.stage(i), K), delayed[c], t + c * h)
        x_new = _combine(x, h, tab.update(), K)
        self.n += 1
        self.x = x_new
        self.fx = self.f(x_new, delayed[1.0], self.t)
        self.X[self.n % self.size], self.F[self.n % self.size] = x_new, self.fx
        return x_new

    def interpolate(self, theta: float, x_prev: np.ndarray, f_prev: np.ndarray) -> np.ndarray:
        """State at ``t_{n-1} + theta h`` inside the last step (cubic Hermite)."""
        return hermite(theta, self.h, x_prev, self.x, f_prev, self.fx)
