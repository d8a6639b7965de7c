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

try:  # the numpy path: compiling each right-hand side would cost more than it saves here
    import inspect

    _NUMPY = {"backend": "numpy"} if "backend" in inspect.signature(integrate).parameters else {}
except (TypeError, ValueError):  # pragma: no cover
    _NUMPY = {}

#: integration steps per period of the highest significant frequency
STEPS_PER_FASTEST_PERIOD = 100
#: fraction of (non-DC) spectral power below the highest significant frequency
POWER_FRACTION = 0.999
#: a dominant period must fit this many times into a record
MIN_CYCLES = 10.0


# --------------------------------------------------------------------------- spectra


def _mean_power(states: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean periodogram over batch and dimensions of z-scored series, DC removed."""
    x = np.asarray(states, dtype=np.float64)
    x = x.reshape((-1,) + x.shape[-2:]) if x.ndim == 3 else x.reshape(1, len(x), -1)
    std = x.std(axis=1, keepdims=True)
    x = (x - x.mean(axis=1, keepdims=True)) / np.where(std > 0, std, 1.0)
    power = (np.abs(np.fft.rfft(x, axis=1)) ** 2).mean(axis=(0, 2))
    return np.fft.rfftfreq(x.shape[1], dt)[1:], power[1:]


def dominant_period(states: np.ndarray, dt: float, min_cycles: float = 0.0) -> float:
    """Period ``1 / f*`` of the highest peak ``f*`` of the mean power spectrum.

    ``states`` is ``(time,)``, ``(time, dim)`` or ``(batch, time, dim)``; each
    series is z-scored, so every coordinate weighs the same. The peak is refined
    by a parabola through the log-power of the three bins around it. Peaks
    slower than ``min_cycles`` cycles per record are ignored (a red, broadband
    spectrum otherwise puts its maximum at the lowest bin whatever the length)."""
    x = check_array(states, "states", ndim=(1, 2, 3), min_len=4)
    freqs, power = _mean_power(x if x.ndim > 1 else x[:, None], check_positive(dt, "dt"))
    k0 = min(len(freqs) - 1, int(np.searchsorted(freqs, min_cycles * freqs[0], side="left")))
    k = k0 + int(np.argmax(power[k0:]))
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
        x = integrate(system, x, n_points=transient + 1, dt=h, params=p, max_step=h, **_NUMPY)[:, -1]
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
    u = rng.standard_normal((B, run.m + 1, x.shape[1]))
    u *= delta0 / np.sqrt((u**2).sum(axis=(1, 2)))[:, None, None]
    both = _DelayStepper(system, np.concatenate([run.x, run.x + u[:, 0]]), run.h, p)
    both.X, both.F = np.concatenate([run.X, run.X + u[:, 1:]]), np.concatenate([run.F, run.F])
    both.n, both.t = run.n, run.t
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


# --------------------------------------------------------------------------- all invariants of one system


@dataclass(frozen=True)
class InvariantSettings:
    """How :func:`compute_invariants` measures (recorded beside the numbers).

    Timescales come from a batch of ``n_trajectories`` records of
    ``n_samples`` points covering at least ``min_periods`` dominant periods;
    the Lyapunov estimate averages ``n_trajectories`` trajectories of
    ``lyapunov_periods`` periods each (maps: ``map_iterations``) after
    ``align_periods`` periods of frame alignment; total steps per trajectory
    are capped at ``max_steps``."""

    seed: int = 0
    n_trajectories: int = 8
    n_samples: int = 8192
    min_periods: float = 40.0
    transient_periods: float = 20.0
    lyapunov_periods: float = 60.0
    align_periods: float = 5.0
    map_iterations: int = 5000
    max_steps: int = 30_000
    steps_per_fastest_period: int = STEPS_PER_FASTEST_PERIOD
    power_fraction: float = POWER_FRACTION
    correlation_points: int = 2500


def _stable_step(system: System, states: np.ndarray, p: Params) -> float:
    """``1 / max |eig J|`` over ~100 attractor points: RK4 is stable for
    ``h |μ| < 2.78`` on the real axis, so this keeps a margin of ~2.8."""
    pts = states.reshape(-1, system.dim)
    pts = pts[np.linspace(0, len(pts) - 1, 100).astype(int)]
    with np.errstate(all="ignore"):
        rho = np.abs(np.linalg.eigvals(system.jac(pts, 0.0, p))).max()
    return float(1.0 / rho) if np.isfinite(rho) and rho > 0 else math.inf


def _timescales(system: System, x: np.ndarray, p: Params, cfg: InvariantSettings):
    """Sample records, refining the sampling step ``s`` and integration step ``h``
    until the fastest significant frequency has >= 8 samples per period and the
    record covers ``min_periods`` dominant periods. Returns (record, s, h, x)."""
    n = cfg.n_samples
    h = s = float(system.dt)
    n0 = int(min(cfg.max_steps, max(1000, cfg.transient_periods * system.period / h)))
    x = integrate(system, x, n_points=n0 + 1, dt=h, params=p, max_step=h, **_NUMPY)[:, -1]
    for _ in range(8):
        # statistics need less accuracy than the final step gives: up to 4 h per RK4 step
        rec = integrate(system, x, n_points=n, dt=s, params=p, max_step=min(s, 4 * h), **_NUMPY)
        x = rec[:, -1]
        f_max = significant_frequency(rec, s, cfg.power_fraction)
        f_dom = 1.0 / dominant_period(rec, s, MIN_CYCLES)
        if f_max > 1.0 / (8 * s):
            s /= 4.0
            h = min(h, s)
            continue
        h = min(1.0 / (cfg.steps_per_fastest_period * f_max), _stable_step(system, rec, p))
        want = min(1.5 * cfg.min_periods / (f_dom * n), 1.0 / (8 * f_max))
        if n * s >= cfg.min_periods / f_dom or want <= s * 1.01:
            break
        s = want
    return rec, s, h, x


def compute_invariants(system: System, settings: InvariantSettings | None = None) -> dict:
    """Every invariant of ``system`` as a JSON-able dict (see ``docs/systems.md``).

    Keys: ``kind``, ``dim``, ``params``, ``dt`` (integration step:
    ``1 / (steps_per_fastest_period · f_max)``, ``f_max`` the highest
    significant frequency, capped by RK4 stability; 1 for maps), ``period``
    (dominant period), ``lyapunov_spectrum`` and ``lyapunov_stderr`` (None for
    delay equations), ``max_lyapunov`` (= the spectrum's first entry),
    ``max_lyapunov_stderr``, ``kaplan_yorke_dimension``,
    ``correlation_dimension``, ``mean``, ``std`` and ``settings``.
    """
    cfg = settings or InvariantSettings()
    p = system.make_params()
    x = _start_states(system, cfg.n_trajectories, cfg.seed, None)
    d2 = ky = spectrum = stderr = None
    if system.kind == "map":
        x = integrate(system, x, n_points=1001, dt=1.0, params=p, **_NUMPY)[:, -1]
        rec = integrate(system, x, n_points=cfg.n_samples, dt=1.0, params=p, **_NUMPY)
        s = h = 1.0
        period = dominant_period(rec, 1.0, MIN_CYCLES)
        est = estimate_lyapunov(
            system, x0=rec[:, -1], n_steps=cfg.map_iterations, transient=200, params=p, seed=cfg.seed
        )
    elif system.kind == "delay":
        run = _DelayStepper(system, x, float(system.dt), p)
        run.run(2, int(min(cfg.max_steps, max(1000, cfg.transient_periods * system.period / run.h))))
        every = max(1, round(cfg.min_periods * system.period * 1.5 / (cfg.n_samples * run.h)))
        rec = run.run(cfg.n_samples, every)
        s = run.h * every
        period = dominant_period(rec, s, MIN_CYCLES)
        h = min(run.h, 1.0 / (cfg.steps_per_fastest_period * significant_frequency(rec, s, cfg.power_fraction)))
        n_steps = int(min(cfg.max_steps, cfg.lyapunov_periods * period / h))
        est = max_lyapunov_delay(
            system, x0=rec[:, -1], dt=h, n_steps=n_steps, transient=int(cfg.align_periods * period / h), params=p
        )
    else:
        rec, s, h, x = _timescales(system, x, p, cfg)
        period = dominant_period(rec, s, MIN_CYCLES)
        steps = int(min(cfg.max_steps, max(1000, cfg.lyapunov_periods * period / h)))
        align = int(min(cfg.max_steps // 5, max(200, cfg.align_periods * period / h)))
        est = estimate_lyapunov(system, x0=x, dt=h, n_steps=steps, transient=align, params=p)
    if system.kind != "delay":
        spectrum, stderr = est.spectrum.tolist(), est.stderr.tolist()
        ky = kaplan_yorke_dimension(est.spectrum)
        pts = rec.reshape(-1, system.dim)
        stride = max(1, len(pts) // cfg.correlation_points)
        theiler = 0 if system.kind == "map" else math.ceil(0.5 * period / (s * stride))
        d2 = correlation_dimension(pts, max_points=cfg.correlation_points, theiler=theiler)
    return {
        "kind": system.kind,
        "dim": system.dim,
        "params": {k: float(v) for k, v in p.items()},
        "dt": float(h),
        "period": float(period),
        "max_lyapunov": float(est.spectrum[0]),
        "max_lyapunov_stderr": float(est.stderr[0]),
        "lyapunov_spectrum": spectrum,
        "lyapunov_stderr": stderr,
        "kaplan_yorke_dimension": ky,
        "correlation_dimension": d2,
        "mean": rec.mean(axis=(0, 1)).tolist(),
        "std": rec.std(axis=(0, 1)).tolist(),
        "settings": {
            **cfg.__dict__,
            "lyapunov_dt": est.dt,
            "lyapunov_steps": est.n_steps,
            "sample_dt": float(s),
        },
    }
