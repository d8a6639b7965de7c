"""The data model: :class:`Trajectory` and :class:`TrajectorySet`.

A trajectory is a time series of states of one dynamical system, sampled at
strictly increasing times, optionally with inputs (controls/actions) and
rewards, plus JSON-serialisable metadata (system name, ``dt``, Lyapunov time,
parameters, seed, ...). Shapes: ``times (time,)``, ``states (time, dim)``,
``inputs (time, n_inputs)``, ``rewards (time,)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dynlearn._validation import check_array, check_positive
from dynlearn.errors import ValidationError

#: relative tolerance under which a sampling grid counts as uniform
UNIFORM_RTOL = 1e-6


def _jsonable(meta: dict[str, Any]) -> dict[str, Any]:
    try:
        return json.loads(json.dumps(meta, default=_json_default))
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"trajectory metadata must be JSON-serialisable: {exc}") from None


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


@dataclass(frozen=True, eq=False)
class Trajectory:
    """One sampled trajectory; validated on construction.

    Raises :class:`~dynlearn.errors.ValidationError` for wrong ranks,
    mismatched lengths, NaN/inf values or non-increasing times.
    """

    times: np.ndarray
    states: np.ndarray
    inputs: np.ndarray | None = None
    rewards: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        times = check_array(self.times, "times", ndim=1)
        states = check_array(self.states, "states", ndim=(1, 2))
        if states.ndim == 1:
            states = states[:, None]
        if len(times) != len(states):
            raise ValidationError(
                f"times and states must have the same length; got {len(times)} times and "
                f"{len(states)} states (states shape {states.shape})"
            )
        if len(times) == 0:
            raise ValidationError("a trajectory needs at least one time step; got 0")
        steps = np.diff(times)
        if np.any(steps <= 0):
            i = int(np.argmax(steps <= 0))
            raise ValidationError(
                f"times must be strictly increasing; times[{i}]={float(times[i])!r} is followed by "
                f"times[{i + 1}]={float(times[i + 1])!r}; sort the samples and drop duplicates"
            )
        inputs = self.inputs
        if inputs is not None:
            inputs = check_array(inputs, "inputs", ndim=(1, 2))
            if inputs.ndim == 1:
                inputs = inputs[:, None]
            if len(inputs) != len(times):
                raise ValidationError(
                    f"inputs must have one row per time step: {len(inputs)} rows for {len(times)} times"
                )
        rewards = self.rewards
        if rewards is not None:
            rewards = check_array(rewards, "rewards", ndim=1)
            if len(rewards) != len(times):
                raise ValidationError(
                    f"rewards must have one entry per time step: {len(rewards)} for {len(times)} times"
                )
        for name, arr in (("times", times), ("states", states), ("inputs", inputs), ("rewards", rewards)):
            if arr is not None:
                arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "meta", _jsonable(dict(self.meta)))

    # construction ---------------------------------------------------------
    @classmethod
    def from_states(cls, states, *, dt: float = 1.0, t0: float = 0.0, **kw) -> Trajectory:
        """A uniformly sampled trajectory ``t_i = t0 + i*dt``; extra keywords go to ``meta``
        unless they name a field (``inputs``, ``rewards``)."""
        dt = check_positive(dt, "dt")
        states = check_array(states, "states", ndim=(1, 2))
        inputs, rewards = kw.pop("inputs", None), kw.pop("rewards", None)
        times = t0 + dt * np.arange(len(states))
        return cls(times, states, inputs=inputs, rewards=rewards, meta={"dt": dt, **kw})

    def replace(self, **changes) -> Trajectory:
        """A copy with some fields replaced (validated again)."""
        fields = {
            "times": self.times,
            "states": self.states,
            "inputs": self.inputs,
            "rewards": self.rewards,
            "meta": self.meta,
        }
        fields.update(changes)
        return Trajectory(**fields)

    # properties -----------------------------------------------------------
    def __len__(self) -> int:
        return len(self.times)

    @property
    def dim(self) -> int:
        return self.states.shape[1]

    @property
    def is_uniform(self) -> bool:
        if len(self.times) < 3:
            return True
        steps = np.diff(self.times)
        return bool(np.max(np.abs(steps - steps.mean())) <= UNIFORM_RTOL * abs(steps.mean()))

    @property
    def dt(self) -> float | None:
        """The sampling step if the grid is uniform, else None."""
        if len(self.times) == 1:
            return self.meta.get("dt")
        if not self.is_uniform:
            return None
        return float((self.times[-1] - self.times[0]) / (len(self.times) - 1))

    def require_uniform(self, who: str = "this method") -> float:
        """The uniform step, or a ValidationError explaining that ``who`` needs one."""
        dt = self.dt
        if dt is None:
            raise ValidationError(
                f"{who} needs uniformly sampled data; this trajectory's steps range from "
                f"{np.diff(self.times).min():.4g} to {np.diff(self.times).max():.4g}; "
                "resample it onto a uniform grid first"
            )
        return dt

    @property
    def duration(self) -> float:
        return float(self.times[-1] - self.times[0])

    @property
    def system(self) -> str | None:
        return self.meta.get("system")

    @property
    def lyapunov_time(self) -> float | None:
        """1/λ_max from metadata if known."""
        return self.meta.get("lyapunov_time")

    def __getitem__(self, index: slice) -> Trajectory:
        """Time slicing: ``traj[100:200]`` (steps must be positive)."""
        if not isinstance(index, slice):
            raise TypeError("index a Trajectory with a slice of time steps, e.g. traj[100:200]")
        if index.step is not None and index.step <= 0:
            raise ValidationError("a Trajectory slice step must be positive")
        return Trajectory(
            self.times[index],
            self.states[index],
            None if self.inputs is None else self.inputs[index],
            None if self.rewards is None else self.rewards[index],
            self.meta,
        )

    def __repr__(self) -> str:
        name = self.system or "Trajectory"
        dt = self.dt
        grid = f"dt={dt:.4g}" if dt is not None else "irregular"
        return f"<{name}: {len(self)} steps x {self.dim} dims, {grid}, t=[{self.times[0]:.4g}, {self.times[-1]:.4g}]>"


class TrajectorySet(Sequence[Trajectory]):
    """An ordered collection of trajectories of the same state dimension."""

    def __init__(self, trajectories: Iterable[Trajectory], meta: dict[str, Any] | None = None):
        items = list(trajectories)
        for i, tr in enumerate(items):
            if not isinstance(tr, Trajectory):
                raise ValidationError(f"item {i} of the collection is a {type(tr).__name__}, not a Trajectory")
        dims = {tr.dim for tr in items}
        if len(dims) > 1:
            raise ValidationError(f"all trajectories in a collection must have the same dimension; got {sorted(dims)}")
        self._items = items
        self.meta = _jsonable(dict(meta or {}))

    def __getitem__(self, i):
        if isinstance(i, slice):
            return TrajectorySet(self._items[i], self.meta)
        return self._items[i]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Trajectory]:
        return iter(self._items)

    @property
    def dim(self) -> int | None:
        return self._items[0].dim if self._items else None

    def stack(self) -> np.ndarray:
        """States as one ``(batch, time, dim)`` array (all lengths must match)."""
        lengths = {len(tr) for tr in self._items}
        if len(lengths) != 1:
            raise ValidationError(f"stack needs trajectories of equal length; got lengths {sorted(lengths)}")
        return np.stack([tr.states for tr in self._items])

    def __repr__(self) -> str:
        return f"TrajectorySet({len(self)} trajectories, dim={self.dim})"


def as_trajectories(data, *, dt: float = 1.0, name: str = "data") -> list[Trajectory]:
    """Normalise what users pass to ``fit``: a Trajectory, a collection, or an
    array ``(time, dim)`` / ``(batch, time, dim)`` sampled at step ``dt``."""
    if isinstance(data, Trajectory):
        return [data]
    if isinstance(data, TrajectorySet):
        return list(data)
    if isinstance(data, (list, tuple)) and data and all(isinstance(t, Trajectory) for t in data):
        return list(data)
    arr = check_array(data, name, ndim=(1, 2, 3))
    if arr.ndim < 3:
        return [Trajectory.from_states(arr, dt=dt)]
    return [Trajectory.from_states(a, dt=dt) for a in arr]
