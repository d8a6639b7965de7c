"""Embedded Runge–Kutta pairs with per-trajectory step-size control (numpy).

The method is data, its Butcher tableau ``(c, A, b, b̂)`` from
:mod:`dynlearn.systems._tableau`; the embedded weights give the local error
estimate ``err = h sum_i (b_i - b̂_i) k_i``. The compiled twin of this loop is
generated from the same tableau by :mod:`dynlearn.systems._compiled`.

Step-size control (Hairer, Nørsett & Wanner, *Solving Ordinary Differential
Equations I*, 2nd ed., Springer 1993, §II.4): with ``sc = atol + rtol
max(|y|, |y_1|)`` and ``E = sqrt(mean((err / sc)^2))``, a step is accepted
when ``E <= 1``, and the next step is ``h min(5, max(0.2, 0.9 E^{-1/(q+1)}))``
with ``q`` the order of the error estimator (no growth after a rejection).
The initial step follows the same book's algorithm (§II.4, "starting step
size").

Every trajectory of the batch carries its own time, step size and
accept/reject decision (masks, not Python loops over trajectories), so a
trajectory's numbers do not depend on which others share its batch. The
uniform output grid is sampled exactly with the method's continuous extension
("dense output"): for Dormand–Prince 5(4) the quartic interpolant of
Shampine (1986), *Some practical Runge–Kutta formulas*, Math. Comp. 46,
135–150, in the form given by Hairer et al. (§II.6); a step never needs to
land on an output time.

Dormand, J. R. & Prince, P. J. (1980). A family of embedded Runge–Kutta
formulae. J. Comput. Appl. Math. 6, 19–26.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dynlearn.systems._tableau import DOPRI5, Tableau

TABLEAUS = {"dopri5": DOPRI5}


def _dense_dopri(theta: np.ndarray, y0, y1, k_first, k_last, k_all, h, d) -> np.ndarray:
    """Quartic interpolant on a step of size ``h`` at fractions ``theta`` (rows).

    ``y(t + θh) = r1 + θ (r2 + (1-θ)(r3 + θ (r4 + (1-θ) r5)))`` with
    ``r1 = y0``, ``r2 = y1 - y0``, ``r3 = h k_1 - r2``, ``r4 = r2 - h k_7 - r3``,
    ``r5 = h sum_i d_i k_i``: it matches ``y0``, ``y1`` and the slopes at
    both ends, and is fourth-order accurate inside the step.
    """
    th = theta[:, None]
    hh = h[:, None]
    r2 = y1 - y0
    r3 = hh * k_first - r2
    r4 = r2 - hh * k_last - r3
    r5 = hh * np.einsum("s,sbd->bd", d, k_all)
    return y0 + th * (r2 + (1 - th) * (r3 + th * (r4 + (1 - th) * r5)))


def _rms(v: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean(v * v, axis=1))


class StepFailure(Exception):
    """Raised by :func:`integrate_adaptive` for a trajectory that left the finite numbers
    or whose step size collapsed; carries the trajectory index, time and state."""

    def __init__(self, index: int, t: float, state: np.ndarray, reason: str):
        super().__init__(reason)
        self.index, self.t, self.state, self.reason = index, t, state, reason


def integrate_adaptive(
    f: Callable[[np.ndarray, object], np.ndarray],
    x0: np.ndarray,
    t_out: np.ndarray,
    *,
    tableau: Tableau = DOPRI5,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    max_step: float = np.inf,
    first_step: float | None = None,
    blowup: float = 1e12,
    pass_time_array: bool = True,
) -> tuple[np.ndarray, dict]:
    """States at the uniform grid ``t_out`` for every initial condition in ``x0``.

    ``f(x, t)`` evaluates the right-hand side on a batch ``(m, dim)``; ``t``
    is the ``(m,)`` array of the trajectories' own times when
    ``pass_time_array`` (non-autonomous systems) and otherwise the float
    ``t_out[0]`` (autonomous systems ignore it). Returns ``(states (batch,
    n, dim), stats)`` with ``stats`` the accepted and rejected step counts per
    trajectory. Raises :class:`StepFailure` on a non-finite or huge state or a
    step size below ``1e-13 max(1, |t|)``.
    """
    B, D = x0.shape
    n = len(t_out)
    tab = tableau
    out = np.empty((B, n, D))
    out[:, 0] = x0
    accepted = np.zeros(B, dtype=np.int64)
    rejected = np.zeros(B, dtype=np.int64)
    stats = {"accepted": accepted, "rejected": rejected}
    if n == 1:
        return out, stats
    t0, t_end = float(t_out[0]), float(t_out[-1])
    dt_out = (t_end - t0) / (n - 1)
    x = x0.copy()
    t = np.full(B, t0)

    def call(y, tt):
        return f(y, tt if pass_time_array else t0)

    k_first = call(x, t)
    h = _initial_step(call, x, t, k_first, tab.err_order, rtol, atol) if first_step is None else np.full(B, first_step)
    h = np.minimum(h, max_step)
    nxt = np.ones(B, dtype=np.int64)  # next output index per trajectory
    done = np.zeros(B, dtype=bool)
    K = np.empty((tab.stages, B, D))
    expo = -1.0 / (tab.err_order + 1)
    rows = np.arange(B)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        while not done.all():
            h = np.where(done, 0.0, np.minimum(h, t_end - t))
            hc = h[:, None]
            K[0] = k_first
            for s in range(1, tab.stages):
                acc = tab.a_f[s, 0] * K[0]
                for j in range(1, s):
                    if tab.a_f[s, j] != 0.0:
                        acc += tab.a_f[s, j] * K[j]
                K[s] = call(x + hc * acc, t + tab.c_f[s] * h)
            if tab.fsal:
                x_new = x + hc * acc  # the last stage was evaluated at y_1
            else:
                x_new = x + hc * np.einsum("s,sbd->bd", tab.b_f, K)
            err = hc * np.einsum("s,sbd->bd", tab.e_f, K)
            scale = atol + rtol * np.maximum(np.abs(x), np.abs(x_new))
            E = _rms(err / scale)
            finite = np.isfinite(x_new).all(axis=1) & np.isfinite(E)
            ok = finite & (E <= 1.0) & ~done
            big = ok & (np.abs(x_new).max(axis=1) > blowup)
            if big.any():
                j = int(np.argmax(big))
                raise StepFailure(j, float(t[j] + h[j]), x_new[j], "exceeded the blow-up bound")
            tiny = ~done & ~ok & (h <= 1e-13 * np.maximum(1.0, np.abs(t)))
            if tiny.any():
                j = int(np.argmax(tiny))
                raise StepFailure(j, float(t[j]), x[j], "step size collapsed (finite-time blow-up or stiffness)")
            if ok.any():
                k_last = K[-1] if tab.fsal else call(x_new, t + h)
                _fill_outputs(out, nxt, ok, x, x_new, k_first, k_last, K, t, h, t0, dt_out, n, tab, rows)
                x[ok] = x_new[ok]
                k_first[ok] = k_last[ok]
                t = np.where(ok, t + h, t)
                # the last output time is reached exactly, not up to rounding
                done = nxt >= n
            accepted += ok
            rejected += ~ok & ~done
            fac = np.where(finite, 0.9 * np.power(np.maximum(E, 1e-10), expo), 0.2)
            fac = np.clip(fac, 0.2, np.where(ok, 5.0, 1.0))
            h = np.minimum(h * fac, max_step)
    return out, stats


def _fill_outputs(out, nxt, ok, x, x_new, k_first, k_last, K, t, h, t0, dt_out, n, tab, rows) -> None:
    """Write every output time inside an accepted step (several when ``h > dt_out``)."""
    t_step_end = t + h
    while True:
        idx = np.minimum(nxt, n - 1)
        t_target = t0 + idx * dt_out
        last_step_done = np.isclose(t_step_end, t0 + (n - 1) * dt_out, rtol=1e-14, atol=0.0)
        need = ok & (nxt < n) & ((t_target <= t_step_end) | last_step_done)
        if not need.any():
            return
        sel = rows[need]
        theta = np.clip((t_target[sel] - t[sel]) / h[sel], 0.0, 1.0)
        if tab.dense_f is not None:
            y = _dense_dopri(theta, x[sel], x_new[sel], k_first[sel], k_last[sel], K[:, sel], h[sel], tab.dense_f)
        else:  # cubic Hermite interpolation from the end values and slopes
            y = _hermite(theta, x[sel], x_new[sel], k_first[sel], k_last[sel], h[sel])
        out[sel, nxt[sel]] = y
        nxt[sel] += 1


def _hermite(theta, y0, y1, f0, f1, h) -> np.ndarray:
    th = theta[:, None]
    hh = h[:, None]
    return (
        (1 - th) ** 2 * (1 + 2 * th) * y0
        + th**2 * (3 - 2 * th) * y1
        + th * (1 - th) ** 2 * hh * f0
        - th**2 * (1 - th) * hh * f1
    )


def _initial_step(call, x, t, f0, err_order, rtol, atol) -> np.ndarray:
    """Per-trajectory starting step (Hairer et al. 1993, §II.4)."""
    scale = atol + rtol * np.abs(x)
    d0, d1 = _rms(x / scale), _rms(f0 / scale)
    h0 = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.maximum(d1, 1e-300))
    f1 = call(x + h0[:, None] * f0, t + h0)
    d2 = _rms((f1 - f0) / scale) / h0
    big = np.maximum(d1, d2)
    h1 = np.where(
        big <= 1e-15, np.maximum(1e-6, h0 * 1e-3), np.power(0.01 / np.maximum(big, 1e-300), 1.0 / (err_order + 1))
    )
    h = np.minimum(100 * h0, h1)
    return np.where(np.isfinite(h) & (h > 0), h, 1e-6)
