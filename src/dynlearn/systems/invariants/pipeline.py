"""All invariants of one system as a JSON-able record (:func:`compute_invariants`):
timescales and integration step, Lyapunov spectrum, dimensions, moments."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from dynlearn.errors import DivergenceError, ValidationError
from dynlearn.systems.base import Params, System
from dynlearn.systems.delay import delay_stepper
from dynlearn.systems.integrate import integrate
from dynlearn.systems.invariants.dimensions import correlation_dimension, kaplan_yorke_dimension
from dynlearn.systems.invariants.lyapunov import (
    _NUMPY,
    _start_states,
    delay_record,
    max_lyapunov_delay,
)
from dynlearn.systems.invariants.precision import PrecisionEstimate, lyapunov_to_precision
from dynlearn.systems.invariants.spectra import (
    MIN_CYCLES,
    POWER_FRACTION,
    STEPS_PER_FASTEST_PERIOD,
    dominant_period,
    significant_frequency,
)

#: ``start="attractor"``: perturbed starts run until their spread is this fraction of the attractor's ...
ATTRACTOR_SPREAD = 0.3
#: ... or for at most this many declared periods
ATTRACTOR_MAX_PERIODS = 500.0


@dataclass(frozen=True)
class InvariantSettings:
    """How :func:`compute_invariants` measures (recorded beside the numbers).

    Timescales come from a batch of ``n_trajectories`` records of
    ``n_samples`` points covering at least ``min_periods`` dominant periods;
    the Lyapunov estimate averages ``n_trajectories`` trajectories of
    ``lyapunov_periods`` periods each (maps: ``map_iterations``) after
    ``align_periods`` periods of frame alignment; total steps per trajectory
    are capped at ``max_steps``.

    The Lyapunov run then continues (:func:`~.precision.lyapunov_to_precision`)
    until ``SE(λ_1) ≤ max(lyapunov_rel_se·|λ_1|, lyapunov_abs_se / period)``
    (maps: ``lyapunov_abs_se`` per iteration) or the cap of
    ``lyapunov_max_periods`` periods and ``max(lyapunov_max_steps,
    lyapunov_max_work / (n_trajectories · dim²))`` steps per trajectory
    (maps: ``map_max_iterations``): a tangent step costs about ``dim²``, so
    low-dimensional flows, cheap per step, may run longer (a 3-dimensional
    flow up to 5.5 million steps; from 8 dimensions on, the floor of 1 million).
    The record states the cap it used (``lyapunov_cap_steps``). ``start`` is ``"offset"``
    (the declared initial condition plus seeded 1% offsets) or ``"orbit"``
    (points one period apart on the orbit of the declared initial condition:
    basin-safe, used automatically when an offset start diverges) or
    ``"attractor"`` (seeded perturbations of relative size ``attractor_offset``
    of one point on the orbit of the declared initial condition after the
    transient: all trajectories start in the basin and the chaotic component
    of that point, for coexisting attractors and mixed phase spaces, where 1%
    offsets can land on another attractor or an invariant torus). A catalog
    entry that declares ``invariant_start`` in its ``extra`` metadata (beside
    its documented initial condition) uses that start when ``start`` is left
    at its default."""

    seed: int = 0
    n_trajectories: int = 8
    n_samples: int = 8192
    min_periods: float = 40.0
    transient_periods: float = 20.0
    lyapunov_periods: float = 60.0
    align_periods: float = 20.0
    map_iterations: int = 5000
    lyapunov_rel_se: float = 0.02
    lyapunov_abs_se: float = 0.002
    lyapunov_max_periods: float = 5000.0
    lyapunov_max_steps: int = 1_000_000
    lyapunov_max_work: float = 4e8
    map_max_iterations: int = 1_000_000
    start: str = "offset"
    attractor_offset: float = 1e-6
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
    declared = system.extra.get("invariant_start")
    if declared is not None and cfg.start == "offset":
        cfg = dataclasses.replace(cfg, start=str(declared))
    if cfg.start not in ("offset", "orbit", "attractor"):
        raise ValidationError(
            f"InvariantSettings.start must be 'offset', 'orbit' or 'attractor', got {cfg.start!r} ({system.name})"
        )
    try:
        return _compute(system, cfg)
    except DivergenceError:
        if cfg.start != "offset":
            raise
    # a fragile basin: 1% offsets of the declared state leave it, points on its own orbit cannot
    return _compute(system, dataclasses.replace(cfg, start="orbit"))


def _orbit_starts(system: System, cfg: InvariantSettings, p: Params) -> np.ndarray:
    """``n_trajectories`` states one declared period apart (maps: 10 iterations)
    on the orbit of the declared initial condition, after the transient
    (``start="attractor"``: seeded perturbations of relative size
    ``attractor_offset`` of the first of them)."""
    x0 = np.asarray(system.x0, dtype=np.float64)[None]
    n = cfg.n_trajectories
    if cfg.start == "attractor":
        if system.kind == "delay":
            raise ValidationError(f"{system.name}: start='attractor' is for flows and maps, not delay equations")
        return _attractor_starts(system, cfg, p)
    if system.kind == "map":
        x = integrate(system, x0, n_points=1001, dt=1.0, params=p, **_NUMPY)[:, -1]
        return integrate(system, x, n_points=10 * n, dt=1.0, params=p, **_NUMPY)[0, ::10]
    if system.kind == "delay":
        run, _ = delay_stepper(system, x0, p, float(system.dt))
        delay_record(system, run, 2, int(min(cfg.max_steps, max(1000, cfg.transient_periods * system.period / run.h))))
        return delay_record(system, run, n, max(1, round(system.period / run.h)))[0]
    h = float(system.dt)
    n0 = int(min(cfg.max_steps, max(1000, cfg.transient_periods * system.period / h)))
    x = integrate(system, x0, n_points=n0 + 1, dt=h, params=p, max_step=h, **_NUMPY)[:, -1]
    return integrate(system, x, n_points=n, dt=float(system.period), params=p, max_step=h, **_NUMPY)[0]


def _attractor_starts(system: System, cfg: InvariantSettings, p: Params) -> np.ndarray:
    """Seeded perturbations of relative size ``attractor_offset`` of one point
    on the transient-free orbit of the declared state, run (without tangents)
    until they have spread over the attractor: the spread across the batch
    reaches ``ATTRACTOR_SPREAD`` of the attractor's own spread in every
    coordinate, checked every 10 periods (maps: 100 iterations), at most
    ``ATTRACTOR_MAX_PERIODS`` periods (maps: 10 times as many iterations).
    Without this, nearby starts would give nearly equal exponents and a
    standard error far too small until they separate (for a slow exponent,
    hundreds of periods)."""
    x0 = np.asarray(system.x0, dtype=np.float64)[None]
    n = cfg.n_trajectories
    is_map = system.kind == "map"
    h = 1.0 if is_map else float(system.dt)
    chunk = 100 if is_map else max(1, int(round(10 * system.period / h)))
    n0 = 1000 if is_map else int(min(cfg.max_steps, max(1000, cfg.transient_periods * system.period / h)))
    first = integrate(system, x0, n_points=n0 + 1, dt=h, params=p, max_step=h, **_NUMPY)[0, -1]
    noise = np.random.default_rng(cfg.seed).standard_normal((n, system.dim))
    noise[0] = 0.0
    x = first + cfg.attractor_offset * np.maximum(np.abs(first), 1.0) * noise
    limit = 10 * ATTRACTOR_MAX_PERIODS if is_map else ATTRACTOR_MAX_PERIODS * system.period / h
    done = 0
    while done < limit:
        rec = integrate(system, x, n_points=chunk + 1, dt=h, params=p, max_step=h, **_NUMPY)
        x, done = rec[:, -1], done + chunk
        scale = rec[0].std(axis=0)
        if (rec[:, -1].std(axis=0) >= ATTRACTOR_SPREAD * np.where(scale > 0, scale, np.inf)).all():
            break
    return np.ascontiguousarray(x)


def _precision_fields(est) -> dict:
    if not isinstance(est, PrecisionEstimate):
        return {}
    return {
        "lyapunov_backend": est.backend,
        "lyapunov_target_reached": est.reached,
        "lyapunov_relative_stderr": est.relative_stderr,
        "lyapunov_max_per_trajectory": None if est.per_trajectory is None else est.per_trajectory.tolist(),
    }


def _compute(system: System, cfg: InvariantSettings) -> dict:
    p = system.make_params()
    if cfg.start in ("orbit", "attractor"):
        x = _orbit_starts(system, cfg, p)
    else:
        x = _start_states(system, cfg.n_trajectories, cfg.seed, None)
    d2 = ky = spectrum = stderr = None
    if system.kind == "map":
        x = integrate(system, x, n_points=1001, dt=1.0, params=p, **_NUMPY)[:, -1]
        rec = integrate(system, x, n_points=cfg.n_samples, dt=1.0, params=p, **_NUMPY)
        s = h = 1.0
        period = dominant_period(rec, 1.0, MIN_CYCLES)
        est = lyapunov_to_precision(
            system,
            x0=rec[:, -1],
            rel_se=cfg.lyapunov_rel_se,
            abs_se=cfg.lyapunov_abs_se,
            min_steps=cfg.map_iterations,
            max_steps=max(cfg.map_iterations, cfg.map_max_iterations),
            align_steps=200,
            params=p,
            seed=cfg.seed,
        )
    elif system.kind == "delay":
        run, _ = delay_stepper(system, x, p, float(system.dt))
        delay_record(system, run, 2, int(min(cfg.max_steps, max(1000, cfg.transient_periods * system.period / run.h))))
        every = max(1, round(cfg.min_periods * system.period * 1.5 / (cfg.n_samples * run.h)))
        rec = delay_record(system, run, cfg.n_samples, every)
        s = run.h * every
        period = dominant_period(rec, s, MIN_CYCLES)
        h = min(run.h, 1.0 / (cfg.steps_per_fastest_period * significant_frequency(rec, s, cfg.power_fraction)))
        n_steps = int(min(cfg.max_steps, cfg.lyapunov_periods * period / h))
        est = max_lyapunov_delay(
            system,
            x0=rec[:, -1],
            dt=h,
            n_steps=n_steps,
            transient=int(min(cfg.max_steps, cfg.align_periods * period / h)),
            params=p,
        )
    else:
        rec, s, h, x = _timescales(system, x, p, cfg)
        period = dominant_period(rec, s, MIN_CYCLES)
        steps = int(min(cfg.max_steps, max(1000, cfg.lyapunov_periods * period / h)))
        by_work = max(cfg.lyapunov_max_steps, int(cfg.lyapunov_max_work / (len(x) * system.dim**2)))
        cap = int(max(steps, min(by_work, cfg.lyapunov_max_periods * period / h)))
        align = int(min(cap // 5, max(200, cfg.align_periods * period / h)))
        est = lyapunov_to_precision(
            system,
            x0=x,
            dt=h,
            rel_se=cfg.lyapunov_rel_se,
            abs_se=cfg.lyapunov_abs_se / period,
            min_steps=steps,
            max_steps=cap,
            align_steps=align,
            params=p,
        )
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
            "lyapunov_align_steps": est.transient,
            **({"lyapunov_cap_steps": cap} if system.kind == "flow" else {}),
            **_precision_fields(est),
            "sample_dt": float(s),
        },
    }
