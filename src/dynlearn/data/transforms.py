"""Transforms of trajectories: windows, time splits, standardisation, noise, resampling.

Shapes: a series is ``(time, dim)``; a batch ``(batch, time, dim)``. Functions
that take a :class:`Trajectory` return a new one (trajectories are immutable).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from dynlearn._validation import as_rng, check_array, check_positive
from dynlearn.data.trajectory import Trajectory, TrajectorySet, as_trajectories
from dynlearn.errors import NotFittedError, ValidationError

__all__ = ["Standardizer", "add_noise", "resample", "split", "train_test_split", "windows"]


def _is_collection(data) -> bool:
    """A TrajectorySet or a non-empty list/tuple of Trajectories."""
    return isinstance(data, TrajectorySet) or (
        isinstance(data, (list, tuple)) and bool(data) and all(isinstance(t, Trajectory) for t in data)
    )


def _series(data, name: str) -> list[np.ndarray]:
    """States of ``data`` as a list of ``(time, dim)`` arrays (rank 1 -> one column)."""
    if isinstance(data, Trajectory):
        return [data.states]
    if _is_collection(data):
        return [t.states for t in data]
    arr = check_array(data, name, ndim=(1, 2, 3))
    if arr.ndim == 1:
        return [arr[:, None]]
    return [arr] if arr.ndim == 2 else list(arr)


def _check_int(value, name: str, minimum: int) -> int:
    try:
        ok = float(value) == int(value)
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok or int(value) < minimum or isinstance(value, bool):
        raise ValidationError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


# windows ------------------------------------------------------------------
def windows(
    traj_or_array, context: int, horizon: int, *, stride: int = 1, start: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """All (context -> horizon) pairs of consecutive steps.

    ``traj_or_array``: a Trajectory, a collection of them, or states
    ``(time,)`` / ``(time, dim)`` / ``(batch, time, dim)``. Window ``i`` of a
    series ``x`` starts at ``s = start + i*stride``: its context is
    ``x[s:s+context]`` and its target ``x[s+context:s+context+horizon]``.
    Windows of several series are concatenated in order.

    Returns ``contexts (n, context, dim)`` and ``targets (n, horizon, dim)``
    (``horizon=0`` gives ``(n, 0, dim)``). Raises ValidationError for
    ``context < 1``, ``horizon < 0``, ``stride < 1``, ``start < 0`` or a series
    shorter than ``start + context + horizon``.
    """
    context = _check_int(context, "context", 1)
    horizon = _check_int(horizon, "horizon", 0)
    stride = _check_int(stride, "stride", 1)
    start = _check_int(start, "start", 0)
    need = start + context + horizon
    ctxs, tgts = [], []
    for k, x in enumerate(_series(traj_or_array, "data")):
        if len(x) < need:
            which = "" if k == 0 else f" (series {k})"
            raise ValidationError(
                f"windows with start={start}, context={context}, horizon={horizon} need a series of at least "
                f"{need} time steps; got {len(x)}{which}"
            )
        # (n_all, dim, context + horizon) view over every start position, then subsample
        view = np.lib.stride_tricks.sliding_window_view(x[start:], context + horizon, axis=0)[::stride]
        view = np.moveaxis(view, -1, 1)  # (n, context + horizon, dim)
        ctxs.append(view[:, :context])
        tgts.append(view[:, context:])
    if not ctxs:
        raise ValidationError("windows needs at least one series; got an empty collection")
    return np.concatenate(ctxs).copy(), np.concatenate(tgts).copy()


# splits -------------------------------------------------------------------
def split(traj: Trajectory, fractions: Sequence[float] = (0.7, 0.15, 0.15)) -> tuple[Trajectory, ...]:
    """Cut ``traj`` into contiguous, time-ordered, non-overlapping parts.

    Part ``k`` holds about ``fractions[k] * len(traj)`` steps (boundaries at
    ``round(cumsum(fractions) * len(traj))``); together the parts cover every
    step exactly once. Fractions must be positive and sum to 1; a part that
    would be empty is a ValidationError.
    """
    if not isinstance(traj, Trajectory):
        raise ValidationError(f"split needs a Trajectory, got {type(traj).__name__}")
    fr = check_array(fractions, "fractions", ndim=1)
    if len(fr) < 1 or np.any(fr <= 0):
        raise ValidationError(f"fractions must be positive numbers; got {list(map(float, fr))}")
    if abs(fr.sum() - 1.0) > 1e-9:
        raise ValidationError(f"fractions must sum to 1; got {list(map(float, fr))} (sum {fr.sum():.6g})")
    n = len(traj)
    bounds = np.round(np.cumsum(fr) * n).astype(int)
    bounds = np.concatenate([[0], bounds[:-1], [n]])
    sizes = np.diff(bounds)
    if np.any(sizes < 1):
        k = int(np.argmax(sizes < 1))
        raise ValidationError(
            f"split part {k} (fraction {fr[k]:.4g}) of a {n}-step trajectory would be empty; "
            "use a longer trajectory or larger fractions"
        )
    return tuple(traj[int(a) : int(b)] for a, b in itertools.pairwise(bounds))


def train_test_split(traj: Trajectory, test_fraction: float = 0.2) -> tuple[Trajectory, Trajectory]:
    """``(train, test)``: the last ``test_fraction`` of the steps is the test part."""
    f = check_positive(test_fraction, "test_fraction")
    if f >= 1:
        raise ValidationError(f"test_fraction must be between 0 and 1 (exclusive), got {test_fraction!r}")
    train, test = split(traj, (1.0 - f, f))
    return train, test


# standardisation ----------------------------------------------------------
class Standardizer:
    """Per-dimension affine scaling ``z = (x - mean) / std`` of the states.

    ``fit`` pools all time steps (and batch members) of the data. A dimension
    with zero spread (a constant) gets ``std = 1`` so it is only shifted,
    silently (no warning): the transform stays invertible and finite.
    Arrays of any leading shape ``(..., dim)`` and Trajectories (states only;
    inputs/rewards untouched) are accepted.
    """

    #: spreads at or below this (relative to the scale of the mean) count as zero
    TINY = 1e-12

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None  # (dim,)
        self.std: np.ndarray | None = None  # (dim,)

    @property
    def fitted(self) -> bool:
        return self.mean is not None

    @property
    def dim(self) -> int | None:
        return None if self.mean is None else len(self.mean)

    def fit(self, data) -> Standardizer:
        """Compute per-dim mean and std of ``data``: a Trajectory, a collection,
        or an array ``(time,)`` / ``(time, dim)`` / ``(batch, time, dim)``."""
        if isinstance(data, Trajectory) or _is_collection(data):
            x = np.concatenate([t.states for t in as_trajectories(data)])
        else:
            arr = check_array(data, "data", ndim=(1, 2, 3), min_len=1)
            x = arr[:, None] if arr.ndim == 1 else arr.reshape(-1, arr.shape[-1])
        if len(x) == 0:
            raise ValidationError("Standardizer.fit needs at least one time step")
        mean = x.mean(axis=0)
        std = x.std(axis=0)
        std = np.where(std <= self.TINY * np.maximum(1.0, np.abs(mean)), 1.0, std)
        self.mean, self.std = mean, std
        return self

    def _check(self, who: str) -> None:
        if self.mean is None:
            raise NotFittedError(f"Standardizer.{who} was called before fit; call fit(data) or from_dict(...) first")

    def _apply(self, data, forward: bool, who: str):
        self._check(who)
        if isinstance(data, Trajectory):
            meta = dict(data.meta)
            if forward:
                meta["standardized"] = True
            else:
                meta.pop("standardized", None)
            return data.replace(states=self._apply(data.states, forward, who), meta=meta)
        x = check_array(data, "data", finite=False)  # NaN/inf pass through (e.g. diverged forecasts)
        if x.ndim == 0 or x.shape[-1] != self.dim:
            raise ValidationError(
                f"Standardizer was fitted on {self.dim} dims; data of shape {x.shape} has "
                f"{x.shape[-1] if x.ndim else 'no'} in its last axis"
            )
        return (x - self.mean) / self.std if forward else x * self.std + self.mean

    def transform(self, data):
        """``(x - mean) / std`` for an array ``(..., dim)`` or a Trajectory
        (new Trajectory with ``meta["standardized"] = True``)."""
        return self._apply(data, True, "transform")

    def inverse_transform(self, data):
        """``z * std + mean``; for a Trajectory the ``"standardized"`` meta key is removed."""
        return self._apply(data, False, "inverse_transform")

    def fit_transform(self, data):
        """``fit(data)`` then ``transform(data)`` (a list/set is transformed item by item)."""
        self.fit(data)
        if _is_collection(data):
            out = [self.transform(t) for t in data]
            return TrajectorySet(out, data.meta) if isinstance(data, TrajectorySet) else out
        return self.transform(data)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able state: ``{"type": "Standardizer", "version": 1, "mean": [...], "std": [...]}``
        (floats round-trip exactly through JSON)."""
        self._check("to_dict")
        return {"type": "Standardizer", "version": 1, "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Standardizer:
        """Rebuild from :meth:`to_dict` output; ValidationError if it is malformed."""
        if not isinstance(d, dict) or d.get("type") != "Standardizer":
            raise ValidationError(f"not a Standardizer state: expected a dict with type 'Standardizer', got {d!r:.100}")
        if d.get("version") != 1:
            raise ValidationError(f"unsupported Standardizer state version {d.get('version')!r}; expected 1")
        mean = check_array(d.get("mean"), "Standardizer mean", ndim=1)
        std = check_array(d.get("std"), "Standardizer std", ndim=1)
        if len(mean) != len(std) or len(mean) == 0 or np.any(std <= 0):
            raise ValidationError("Standardizer state needs equal-length non-empty mean and std with std > 0")
        obj = cls()
        obj.mean, obj.std = mean, std
        return obj

    def __repr__(self) -> str:
        return f"Standardizer(dim={self.dim})" if self.fitted else "Standardizer(not fitted)"


# noise --------------------------------------------------------------------
def add_noise(traj_or_array, level: float, *, seed, relative: bool = True):
    """Additive Gaussian observation noise on the states.

    With ``relative=True`` the noise std of each dim is ``level * std`` of that
    dim over time (per series; ``level=0.05`` is "5% observation noise"; a
    constant dim gets none), else it is ``level`` in absolute units.

    Accepts a Trajectory (returns a new one with ``meta["noise_level"]`` and
    ``meta["noise_relative"]``), a TrajectorySet or list of them (same kind
    back; one generator drawn item after item), or an array ``(time,)`` /
    ``(time, dim)`` / ``(batch, time, dim)`` (same shape back). ``seed`` is an
    int, a Generator or None; the same int seed gives the same noise.
    ``level=0`` returns an identical copy of the states (no draws).
    """
    level = check_positive(level, "level", allow_zero=True)
    if _is_collection(traj_or_array):  # one generator, drawn item after item
        rng = as_rng(seed)
        out = [add_noise(t, level, seed=rng, relative=relative) for t in traj_or_array]
        return TrajectorySet(out, traj_or_array.meta) if isinstance(traj_or_array, TrajectorySet) else out
    if isinstance(traj_or_array, Trajectory):
        tr = traj_or_array
        noisy = add_noise(tr.states, level, seed=seed, relative=relative)
        return tr.replace(states=noisy, meta={**tr.meta, "noise_level": level, "noise_relative": bool(relative)})
    x = check_array(traj_or_array, "data", ndim=(1, 2, 3))
    if level == 0:
        return x.copy()
    xs = x[:, None] if x.ndim == 1 else x
    scale = level * xs.std(axis=-2, keepdims=True) if relative else level
    noisy = xs + as_rng(seed).standard_normal(xs.shape) * scale
    return noisy.reshape(x.shape)


# resampling ---------------------------------------------------------------
def resample(traj: Trajectory, dt: float) -> Trajectory:
    """Cubic-spline resampling onto the uniform grid ``t0, t0+dt, ...`` (up to
    the last time). States are interpolated with a cubic spline, inputs and
    rewards linearly; ``meta["dt"]`` is set and ``meta["resampled"] = True``.
    Needs at least 2 samples."""
    from scipy.interpolate import CubicSpline

    dt = check_positive(dt, "dt")
    if not isinstance(traj, Trajectory):
        raise ValidationError(f"resample needs a Trajectory, got {type(traj).__name__}")
    if len(traj) < 2:
        raise ValidationError("resample needs at least 2 samples")
    t = traj.times
    n = int(np.floor((t[-1] - t[0]) / dt * (1 + 1e-12))) + 1
    grid = t[0] + dt * np.arange(n)
    states = CubicSpline(t, traj.states, axis=0)(grid)

    def lin(a):
        if a is None:
            return None
        cols = a if a.ndim == 2 else a[:, None]
        out = np.stack([np.interp(grid, t, c) for c in cols.T], axis=1)
        return out if a.ndim == 2 else out[:, 0]

    return Trajectory(grid, states, lin(traj.inputs), lin(traj.rewards), {**traj.meta, "dt": dt, "resampled": True})
