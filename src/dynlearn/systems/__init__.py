"""Ground truth: the chaotic-systems catalog, batched integration, invariants.

>>> from dynlearn import systems
>>> traj = systems.simulate("Lorenz", n_points=1000, seed=0)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dynlearn._validation import as_rng, check_positive
from dynlearn.data import Trajectory
from dynlearn.errors import FileFormatError, ValidationError
from dynlearn.registry import Registry
from dynlearn.systems.base import Params, System
from dynlearn.systems.catalog import load_all
from dynlearn.systems.integrate import integrate
from dynlearn.systems.invariants import dominant_period, lyapunov_spectrum
from dynlearn.systems.metadata import apply_invariants, load_invariants

SYSTEMS: Registry[System] = Registry("system")


def _shipped_invariants() -> dict:
    # A damaged metadata file must not make the whole library unimportable:
    # the declared first guesses still work, and the warning says how to repair it.
    try:
        return load_invariants()
    except FileFormatError as exc:
        warnings.warn(f"ignoring the shipped invariants: {exc}", RuntimeWarning, stacklevel=2)
        return {}


_RECORDS = _shipped_invariants()
for _s in load_all():
    SYSTEMS.register(_s.name, apply_invariants(_s, _RECORDS.get(_s.name)))


def register(system: System, *, overwrite: bool = False) -> System:
    """Add a user-defined :class:`System` to the catalog and return it.

    ``system`` is what ``@flow``, ``@map_`` or ``@delay`` (from
    :mod:`dynlearn.systems.catalog`) return when they decorate a right-hand side,
    or a :class:`System` built directly. Its name must be new unless ``overwrite``.
    """
    if not isinstance(system, System):
        raise ValidationError(
            f"systems.register takes a System, got {type(system).__name__} {getattr(system, '__name__', '')!r}; "
            "declare the right-hand side with @flow, @map_ or @delay from dynlearn.systems.catalog, "
            "which turns it into a System"
        )
    return SYSTEMS.register(system.name, system, overwrite=overwrite)


def get(name: str | System) -> System:
    """The catalog entry for ``name`` (case-insensitive; close names suggested on a miss)."""
    return name if isinstance(name, System) else SYSTEMS.get(name)


def fingerprint(system: str | System) -> str:
    """A short hash of what determines a system's simulated data: name, parameters,
    initial condition and the timescales that set sampling (period, dt, λ_max)."""
    import hashlib
    import json

    s = get(system)
    spec = [
        s.name,
        s.kind,
        sorted((k, float(v)) for k, v in s.params.items()),
        list(s.x0),
        s.period,
        s.dt,
        s.max_lyapunov,
    ]
    return f"{s.name}-" + hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:10]


def names() -> list[str]:
    return SYSTEMS.names()


def simulate(
    system: str | System,
    *,
    n_points: int,
    dt: float | None = None,
    points_per_period: float = 100.0,
    x0=None,
    seed: int | Sequence[int] | None = None,
    n_trajectories: int = 1,
    transient_periods: float = 20.0,
    params: Mapping[str, Any] | None = None,
    points_per_lyapunov_time: float | None = None,
    standardize: bool = False,
    noise: float = 0.0,
    noise_seed: int | None = None,
) -> list[Trajectory]:
    """Simulate trajectories on the attractor.

    Sampling step ``dt`` defaults to ``period / points_per_period``, or
    ``lyapunov_time / points_per_lyapunov_time`` when that is given (maps:
    one point per iteration). ``standardize`` z-scores each trajectory per
    dimension (``meta['standardization']`` keeps the mean and std to undo it); ``noise`` adds Gaussian
    observation noise of that fraction of each dimension's std, drawn from
    ``noise_seed`` (default: derived from ``seed``). Without
    ``x0``, each trajectory starts from the default initial condition
    perturbed by a seeded random offset (1% of its scale) and runs
    ``transient_periods`` dominant periods before recording, so different
    seeds give different, decorrelated stretches of the attractor and the same
    seed gives the same numbers. ``seed`` may be a sequence: one trajectory
    per seed, all integrated together in one batch.
    """
    sys_ = get(system)
    n_points = check_positive(n_points, "n_points", integer=True)
    n_traj = check_positive(n_trajectories, "n_trajectories", integer=True)
    if points_per_lyapunov_time is not None and dt is None and sys_.kind != "map":
        if sys_.lyapunov_time is None:
            raise ValidationError(
                f"{sys_.name} has no positive Lyapunov exponent on record; use points_per_period or dt instead"
            )
        dt = sys_.lyapunov_time / check_positive(points_per_lyapunov_time, "points_per_lyapunov_time")
    if sys_.kind == "map":
        dt = 1.0  # one output point per iteration
    elif dt is None:
        dt = sys_.period / check_positive(points_per_period, "points_per_period")
    else:
        dt = check_positive(dt, "dt")
    p = sys_.make_params(params)
    t0 = 0.0
    if x0 is None:
        base = np.asarray(sys_.x0, dtype=np.float64)
        scale = 0.01 * np.maximum(np.abs(base), 1.0)
        if isinstance(seed, Sequence) and not isinstance(seed, str):
            if n_traj != 1:
                raise ValidationError("pass either a sequence of seeds or n_trajectories, not both")
            offsets = np.stack([as_rng(s).standard_normal(sys_.dim) for s in seed])
        else:
            offsets = as_rng(seed).standard_normal((n_traj, sys_.dim))
        n_transient = max(1, int(round(transient_periods * sys_.period / dt)))
        if sys_.kind == "map":
            n_transient = max(n_transient, 200)
        if sys_.kind == "delay":
            # a delay equation's state is its whole history: keep integrating instead of restarting
            states = integrate(sys_, base + scale * offsets, n_points=n_transient + n_points, dt=dt, params=p)
            states = states[:, n_transient:]
        else:
            start = integrate(sys_, base + scale * offsets, n_points=n_transient + 1, dt=dt, params=p)[:, -1]
            # a driven system's state belongs to its forcing phase: the record continues the clock
            t0 = n_transient * dt if sys_.nonautonomous else 0.0
            states = integrate(sys_, start, n_points=n_points, dt=dt, params=p, t0=t0)
    else:
        states = integrate(sys_, np.array(x0, dtype=np.float64, ndmin=2), n_points=n_points, dt=dt, params=p)
    meta = {
        "system": sys_.name,
        "dt": dt,
        "params": dict(p),
        "seed": seed,
        "lyapunov_time": sys_.lyapunov_time,
        "max_lyapunov": sys_.max_lyapunov,
    }
    times = t0 + dt * np.arange(n_points)
    seeds = list(seed) if isinstance(seed, Sequence) and not isinstance(seed, str) else [seed] * len(states)
    trajs = [Trajectory(times, s, meta={**meta, "seed": seeds[i], "index": i}) for i, s in enumerate(states)]
    if standardize:
        from dynlearn.data import Standardizer

        scaled = []
        for tr in trajs:
            scaler = Standardizer().fit(tr)
            out = scaler.transform(tr)
            scaled.append(out.replace(meta={**out.meta, "standardization": scaler.to_dict()}))
        trajs = scaled
    if noise:
        from dynlearn.data import add_noise

        base_seed = noise_seed if noise_seed is not None else (seeds[0] if isinstance(seeds[0], int) else 0)
        trajs = [add_noise(tr, noise, seed=[base_seed, i]) for i, tr in enumerate(trajs)]
    return trajs


__all__ = [
    "SYSTEMS",
    "Params",
    "System",
    "dominant_period",
    "get",
    "integrate",
    "lyapunov_spectrum",
    "names",
    "register",
    "simulate",
]
