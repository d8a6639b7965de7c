"""Invariants computed from the equations.

* :func:`lyapunov_spectrum` / :func:`estimate_lyapunov`: the QR method of
  Benettin et al. (1980) and Shimada & Nagashima (1979). A frame ``Q`` of
  ``dim`` tangent vectors follows the variational equation ``dQ/dt = J(x) Q``
  (flows) or the tangent map ``Q_{n+1} = J(x_n) Q_n`` (maps), advancing in the
  same batched RK4 step as the state ``x``; after every step ``Q R = Z`` and
  ``λ_i = <log |R_ii|> / Δt``. Several trajectories on the attractor run as
  one batch; the spread of their estimates gives a standard error.
* :func:`max_lyapunov_delay`: delay equations are infinite-dimensional; only
  ``λ_max`` is estimated, with two nearby trajectories whose whole history
  segment is renormalised to the initial separation after each interval
  (Benettin et al. 1976; Farmer 1982, Physica D 4, 366).
* :func:`kaplan_yorke_dimension` (Kaplan & Yorke 1979),
  :func:`correlation_dimension` (Grassberger & Procaccia 1983, Physica D 9, 189),
  :func:`dominant_period` and :func:`significant_frequency` (power spectrum).
* :func:`compute_invariants`: all of them for one system, as a JSON-able dict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dynlearn._validation import check_array, check_positive
from dynlearn.errors import DivergenceError, ValidationError
from dynlearn.systems.base import Params, System
from dynlearn.systems.integrate import BLOWUP, integrate

#: integration steps per period of the highest significant frequency
STEPS_PER_FASTEST_PERIOD = 100
#: fraction of (non-DC) spectral power below the highest significant frequency
POWER_FRACTION = 0.999


# --------------------------------------------------------------------------- spectra


def _mean_power(states: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean periodogram over batch and dimensions of z-scored series, DC removed."""
    x = np.asarray(states, dtype=np.float64)
    x = x.reshape((-1,) + x.shape[-2:]) if x.ndim == 3 else x.reshape(1, len(x), -1)
    std = x.std(axis=1, keepdims=True)
    x = (x - x.mean(axis=1, keepdims=True)) / np.where(std > 0, std, 1.0)
    power = (np.abs(np.fft.rfft(x, axis=1)) ** 2).mean(axis=(0, 2))
    return np.fft.rfftfreq(x.shape[1], dt)[1:], power[1:]


def dominant_period(states: np.ndarray, dt: float) -> float:
    """Period ``1 / f*`` of the highest peak ``f*`` of the mean power spectrum.

    ``states`` is ``(time,)``, ``(time, dim)`` or ``(batch, time, dim)``; each
    series is z-scored, so every coordinate weighs the same. The peak is refined
    by a parabola through the log-power of the three bins around it."""
    x = check_array(states, "states", ndim=(1, 2, 3), min_len=4)
    freqs, power = _mean_power(x if x.ndim > 1 else x[:, None], check_positive(dt, "dt"))
    k = int(np.argmax(power))
    f = freqs[k]
    if 0 < k < len(power) - 1 and np.all(power[k - 1 : k + 2] > 0):
        a, b, c = np.log(power[k - 1 : k + 2])
        denom = a - 2 * b + c
        if denom < 0:
            f = freqs[k] + 0.5 * (a - c) / denom * (freqs[1] - freqs[0])
    return float(1.0 / f)


def significant_frequency(states: np.ndarray, dt: float, fraction: float = POWER_FRACTION) -> float:
    """Highest significant frequency: the smallest ``f`` such that ``fraction``
    of the (non-DC) power of the mean z-scored periodogram lies below ``f``."""
    x = check_array(states, "states", ndim=(1, 2, 3), min_len=4)
    freqs, power = _mean_power(x if x.ndim > 1 else x[:, None], check_positive(dt, "dt"))
    cum = np.cumsum(power)
    return float(freqs[min(int(np.searchsorted(cum, fraction * cum[-1])), len(freqs) - 1)])


# --------------------------------------------------------------------------- dimensions


def kaplan_yorke_dimension(spectrum) -> float:
    """Kaplan–Yorke (Lyapunov) dimension ``D = k + S_k / |λ_{k+1}|``.

    With exponents sorted descending, ``k`` is the largest index whose partial
    sum ``S_k = λ_1 + ... + λ_k`` is non-negative; ``D = 0`` if ``λ_1 < 0`` and
    ``D = dim`` if the full sum is non-negative (Kaplan & Yorke 1979, Lecture
    Notes in Math. 730, 204)."""
    lam = np.sort(np.asarray(spectrum, dtype=np.float64).ravel())[::-1]
    if lam.size == 0 or not np.all(np.isfinite(lam)):
        raise ValidationError(f"a Lyapunov spectrum must be a non-empty finite array, got {spectrum!r}")
    partial = np.cumsum(lam)
    if partial[0] < 0:
        return 0.0
    k = int(np.nonzero(partial >= 0)[0][-1]) + 1
    if k == lam.size:
        return float(lam.size)
    return float(k + partial[k - 1] / abs(lam[k]))


def correlation_dimension(
    points,
    *,
    max_points: int = 2500,
    theiler: int = 0,
    c_range: tuple[float, float] = (1e-4, 0.05),
    n_radii: int = 32,
    window: float = 0.5,
) -> float:
    """Correlation dimension ``D2`` (Grassberger & Procaccia 1983, Physica D 9, 189).

    ``C(r)`` is the fraction of pairs of points closer than ``r``; on an
    attractor ``C(r) ~ r^D2`` for small ``r``. ``points`` is ``(n, dim)``
    (rows in time order); at most ``max_points`` rows are used, evenly
    strided, and pairs less than ``theiler + 1`` rows apart are excluded
    (Theiler window against temporally correlated neighbours).

    Scaling region: ``log C`` is evaluated at ``n_radii`` radii evenly spaced
    in ``log r`` between the radii where ``C = c_range[0]`` (raised to
    ``100 / n_pairs`` so each ``C`` counts at least 100 pairs) and where
    ``C = c_range[1]`` (below it the attractor's finite size and edges bend
    the curve). Every window covering ``window`` (a fraction) of those radii
    is fitted by least squares; the slope of the window with the smallest
    residual is ``D2``.
    """
    x = check_array(points, "points", ndim=2, min_len=20)
    from scipy.spatial.distance import pdist

    if len(x) > max_points:
        x = x[np.linspace(0, len(x) - 1, max_points).round().astype(int)]
    n = len(x)
    d = pdist(x)
    if theiler > 0:
        i, j = np.triu_indices(n, 1)
        d = d[(j - i) > theiler]
    d = np.sort(d[d > 0])
    if d.size < 1000:
        raise ValidationError(f"correlation_dimension needs more distinct points; got {d.size} usable pairs")
    lo = max(c_range[0], 100.0 / d.size)
    if lo >= c_range[1]:
        raise ValidationError(f"too few points ({n}) for the scaling region C in {c_range}; pass more points")
    r = np.geomspace(d[int(lo * d.size)], d[int(c_range[1] * d.size)], n_radii)
    logr, logc = np.log(r), np.log(np.searchsorted(d, r) / d.size)
    w = max(4, int(round(window * n_radii)))
    best = (np.inf, np.nan)
    for s in range(0, n_radii - w + 1):
        coef, res, *_ = np.polyfit(logr[s : s + w], logc[s : s + w], 1, full=True)
        rss = float(res[0]) if len(res) else 0.0
        if rss < best[0]:
            best = (rss, float(coef[0]))
    return best[1]


# --------------------------------------------------------------------------- Lyapunov


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
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(x).all(axis=tuple(range(1, x.ndim))) | (np.abs(x).reshape(len(x), -1).max(1) > BLOWUP)
    if bad.any():
        raise DivergenceError(
            f"{system.name}: trajectory {int(np.argmax(bad))} diverged at t={t:.6g} while estimating Lyapunov "
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
        x = integrate(system, x, n_points=transient + 1, dt=h, params=p, max_step=h)[:, -1]
    Q = np.broadcast_to(np.eye(d), (B, d, d)).copy()
    logs = np.zeros((B, d))
    t = transient * h
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for i in range(transient + n_steps):
            if is_map:
                x, Q = _tangent(system, x, Q, t, p)
            else:
                k1x, k1q = _tangent(system, x, Q, t, p)
                k2x, k2q = _tangent(system, x + 0.5 * h * k1x, Q + 0.5 * h * k1q, t + 0.5 * h, p)
                k3x, k3q = _tangent(system, x + 0.5 * h * k2x, Q + 0.5 * h * k2q, t + 0.5 * h, p)
                k4x, k4q = _tangent(system, x + h * k3x, Q + h * k3q, t + h, p)
                x = x + (h / 6.0) * (k1x + 2.0 * k2x + 2.0 * k3x + k4x)
                Q = Q + (h / 6.0) * (k1q + 2.0 * k2q + 2.0 * k3q + k4q)
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


# --------------------------------------------------------------------------- delay equations


class _DelayStepper:
    """Fixed-step RK4 for ``dx/dt = f(x(t), x(t - τ), t)`` with ``τ = m h``
    (method of steps). The history lives in a ring of ``m`` past states and
    their derivatives; the delayed value at a half step is the cubic Hermite
    interpolant ``(x_0 + x_1)/2 + h (f_0 - f_1)/8``. The history before
    ``t0`` is the constant initial condition."""

    def __init__(self, system: System, x0: np.ndarray, h_target: float, p: Params):
        tau = float(p[system.delay_param])
        self.m = max(2, math.ceil(tau / h_target - 1e-9))
        self.h, self.system, self.p, self.n, self.t = tau / self.m, system, p, 0, 0.0
        self.x = np.array(x0, dtype=np.float64)
        self.X = np.repeat(self.x[:, None, :], self.m, axis=1)
        self.F = np.zeros_like(self.X)

    def step(self) -> None:
        f, h, p, t = self.system.rhs, self.h, self.p, self.t
        i0, i1 = self.n % self.m, (self.n + 1) % self.m
        x0d, x1d = self.X[:, i0], self.X[:, i1]
        xmid = 0.5 * (x0d + x1d) + (h / 8.0) * (self.F[:, i0] - self.F[:, i1])
        x = self.x
        k1 = f(x, x0d, t, p)
        k2 = f(x + 0.5 * h * k1, xmid, t + 0.5 * h, p)
        k3 = f(x + 0.5 * h * k2, xmid, t + 0.5 * h, p)
        k4 = f(x + h * k3, x1d, t + h, p)
        self.X[:, i0], self.F[:, i0] = x, k1
        self.x = x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        self.n, self.t = self.n + 1, t + h

    def run(self, n_points: int, every: int) -> np.ndarray:
        """States ``(batch, n_points, dim)`` sampled every ``every`` steps."""
        out = np.empty((len(self.x), n_points, self.x.shape[1]))
        with np.errstate(over="ignore", invalid="ignore"):
            for i in range(n_points):
                out[:, i] = self.x
                for _ in range(every if i < n_points - 1 else 0):
                    self.step()
                _check_finite(self.system, self.x, self.t)
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
    run = _DelayStepper(system, x, check_positive(dt if dt is not None else system.dt, "dt"), p)
    run.run(2, max(1, transient))
    rng = np.random.default_rng(seed + 1)
    delta0 = 1e-8 * max(1.0, float(np.abs(run.x).max()))
    twin = _DelayStepper(system, run.x, run.h, p)
    twin.n, twin.t = run.n, run.t
    u = rng.standard_normal((B, run.m + 1, x.shape[1]))
    u *= delta0 / np.sqrt((u**2).sum(axis=(1, 2)))[:, None, None]
    twin.X, twin.F, twin.x = run.X + u[:, 1:], run.F.copy(), run.x + u[:, 0]
    both = _DelayStepper(system, np.concatenate([run.x, twin.x]), run.h, p)
    both.X, both.F, both.n, both.t = np.concatenate([run.X, twin.X]), np.concatenate([run.F, twin.F]), run.n, run.t
    logs = np.zeros(B)
    n_blocks = max(1, n_steps // renorm_every)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(n_blocks):
            for _ in range(renorm_every):
                both.step()
            _check_finite(system, both.x, both.t)
            dx, dX, dF = both.x[B:] - both.x[:B], both.X[B:] - both.X[:B], both.F[B:] - both.F[:B]
            dist = np.sqrt((dx**2).sum(1) + (dX**2).sum(axis=(1, 2)))
            logs += np.log(dist / delta0)
            scale = (delta0 / dist)[:, None]
            both.x[B:] = both.x[:B] + scale * dx
            both.X[B:] = both.X[:B] + scale[:, None] * dX
            both.F[B:] = both.F[:B] + scale[:, None] * dF
    per = logs / (n_blocks * renorm_every * run.h)
    err = per.std(ddof=1) / math.sqrt(B) if B > 1 else np.nan
    return LyapunovEstimate(np.array([per.mean()]), np.array([err]), run.h, n_blocks * renorm_every, transient, B)
