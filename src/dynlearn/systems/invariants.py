"""Invariants computed from the equations: Lyapunov spectrum, dominant period.

``lyapunov_spectrum`` is the QR (Benettin / Shimada-Nagashima) method: evolve
an orthonormal frame with the variational equation, re-orthonormalise every
``dt`` and average the logs of the diagonal of R.
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.base import System
from dynlearn.systems.integrate import integrate


def lyapunov_spectrum(
    system: System, *, n_steps: int = 20_000, dt: float | None = None, transient: int = 2_000, x0=None
) -> np.ndarray:
    """Lyapunov exponents, sorted descending, per unit time (per iteration for maps)."""
    d = system.dim
    p = system.make_params()
    x = np.array(system.x0 if x0 is None else x0, dtype=np.float64)[None]
    if system.kind == "map":
        h = 1.0
    else:
        h = dt or system.dt
        x = integrate(system, x, n_points=transient + 1, dt=h, params=p)[:, -1]

    def aug(y, t):
        state, Q = y[:, :d], y[:, d:].reshape(-1, d, d)
        J = system.jac(state, t, p)
        dq = J @ Q
        return np.concatenate([system.rhs(state, t, p), dq.reshape(len(y), -1)], axis=1)

    Q = np.eye(d)
    logs = np.zeros(d)
    t = 0.0
    for i in range(transient + n_steps):
        if system.kind == "map":
            J = system.jac(x, t, p)[0]
            x = system.rhs(x, t, p)
            Z = J @ Q
        else:
            y = np.concatenate([x, Q.reshape(1, -1)], axis=1)
            k1 = aug(y, t)
            k2 = aug(y + 0.5 * h * k1, t + 0.5 * h)
            k3 = aug(y + 0.5 * h * k2, t + 0.5 * h)
            k4 = aug(y + h * k3, t + h)
            y = y + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)
            x, Z = y[:, :d], y[0, d:].reshape(d, d)
        t += h
        Q, R = np.linalg.qr(Z)
        if i >= transient:  # let the frame align with the unstable directions first
            logs += np.log(np.abs(np.diag(R)))
    total = n_steps * h
    return np.sort(logs / total)[::-1]


def dominant_period(states: np.ndarray, dt: float) -> float:
    """Period of the highest peak of the mean power spectrum (z-scored per dim)."""
    x = np.asarray(states, dtype=np.float64)
    x = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1.0)
    power = (np.abs(np.fft.rfft(x, axis=0)) ** 2).mean(axis=1)
    freqs = np.fft.rfftfreq(len(x), dt)
    k = 1 + int(np.argmax(power[1:]))
    return float(1.0 / freqs[k])
