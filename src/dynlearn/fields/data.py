"""The data model of track C: batches of field trajectories on a grid, with their metadata.

A :class:`Fields` holds ``values`` of shape ``(N, T, C, *space)``: N trajectories (initial conditions
or parameter draws), T saved times, C channels (e.g. vorticity, or ``w, u, v``), and one or two
spatial axes, in the order ``(x, y)`` (axis -2 is x, axis -1 is y; the grid's shape and lengths
follow the same order). Beside it: the ``times``, the channel names, the :class:`Grid` (points, lengths,
periodicity), the boundary conditions, one value per trajectory of each physical parameter
(``params["nu"]``), an optional obstacle mask (``True`` = solid; one ``(*space)`` for all trajectories or
one per trajectory, ``(N, *space)``), and free-form ``meta`` (the generating
configuration). Files are npz with a JSON ``__meta__`` entry, written atomically and read without
pickle, as :mod:`dynlearn.data.io` does for trajectories.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np

from dynlearn.errors import FileFormatError, ValidationError
from dynlearn.io_utils import read_npz_with_meta, write_npz_with_meta

FORMAT = "dynlearn.fields"
VERSION = 1
_META = "__meta__"


@dataclasses.dataclass(frozen=True)
class Grid:
    """A uniform grid: ``shape`` points over ``lengths``, periodic or not along each axis."""

    shape: tuple[int, ...]
    lengths: tuple[float, ...]
    periodic: tuple[bool, ...]

    def __post_init__(self) -> None:
        if not (len(self.shape) == len(self.lengths) == len(self.periodic)) or len(self.shape) not in (1, 2):
            raise ValidationError(f"a grid has 1 or 2 axes with one shape, length and periodic flag each; got {self}")
        if any(int(n) < 2 for n in self.shape) or any(not (float(x) > 0) for x in self.lengths):
            raise ValidationError(f"grid points must be >= 2 and lengths > 0, got {self}")

    @property
    def spacing(self) -> tuple[float, ...]:
        return tuple(
            length / n if p else length / (n - 1) for n, length, p in zip(self.shape, self.lengths, self.periodic)
        )

    def coordinates(self) -> list[np.ndarray]:
        """One 1-D array of point coordinates per axis."""
        return [np.arange(n) * h for n, h in zip(self.shape, self.spacing)]

    def to_json(self) -> dict[str, Any]:
        return {"shape": list(self.shape), "lengths": list(self.lengths), "periodic": list(self.periodic)}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Grid:
        return cls(tuple(int(x) for x in d["shape"]), tuple(float(x) for x in d["lengths"]), tuple(d["periodic"]))


@dataclasses.dataclass
class Fields:
    """``values (N, T, C, *space)`` with times, channel names, grid, boundary conditions, parameters."""

    values: np.ndarray
    times: np.ndarray
    channels: tuple[str, ...]
    grid: Grid
    bc: str = "periodic"
    params: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    mask: np.ndarray | None = None
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        v = np.asarray(self.values)
        if not np.issubdtype(v.dtype, np.floating):
            v = v.astype(float)
        self.values = v
        nd = len(self.grid.shape)
        if v.ndim != 3 + nd:
            raise ValidationError(
                f"values must have shape (N, T, C, {', '.join(['H', 'W'][:nd]) if nd == 2 else 'X'}) for a "
                f"{nd}-D grid, got {v.shape}"
            )
        if tuple(v.shape[3:]) != tuple(self.grid.shape):
            raise ValidationError(f"values' spatial shape {v.shape[3:]} does not match the grid's {self.grid.shape}")
        self.times = np.asarray(self.times, dtype=float)
        if self.times.shape != (v.shape[1],):
            raise ValidationError(f"times has shape {self.times.shape}, expected ({v.shape[1]},): one per frame")
        if v.shape[1] > 1 and not np.all(np.diff(self.times) > 0):
            raise ValidationError("times must be strictly increasing")
        self.channels = tuple(self.channels)
        if len(self.channels) != v.shape[2]:
            raise ValidationError(f"{len(self.channels)} channel names for {v.shape[2]} channels")
        if not np.all(np.isfinite(v)):
            bad = np.argwhere(~np.isfinite(v))[0]
            raise ValidationError(
                f"values contain NaN or inf (first at trajectory {bad[0]}, frame {bad[1]}, channel "
                f"{self.channels[bad[2]]!r}); a diverged simulation is not a dataset"
            )
        params = {}
        for name, value in self.params.items():
            arr = np.asarray(value, dtype=float)
            if arr.ndim == 0:
                arr = np.full(v.shape[0], float(arr))
            if arr.shape != (v.shape[0],):
                raise ValidationError(
                    f"parameter {name!r} needs one value per trajectory ({v.shape[0]}), got {arr.shape}"
                )
            params[name] = arr
        self.params = params
        if self.mask is not None:
            self.mask = np.asarray(self.mask, dtype=bool)
            if self.mask.shape not in (tuple(self.grid.shape), (v.shape[0], *self.grid.shape)):
                raise ValidationError(
                    f"mask has shape {self.mask.shape}, expected the grid's {self.grid.shape} (one obstacle for all) "
                    f"or {(v.shape[0], *self.grid.shape)} (one per trajectory)"
                )

    # -- views ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.values.shape[0]

    @property
    def dt(self) -> float:
        """The spacing of the saved frames (they are uniform for the library's solvers)."""
        return float(self.times[1] - self.times[0]) if len(self.times) > 1 else float("nan")

    def subset(self, index) -> Fields:
        """The trajectories at ``index`` (an int, slice or index array), with their parameters."""
        idx = np.atleast_1d(np.arange(len(self))[index])
        return dataclasses.replace(
            self,
            values=self.values[idx],
            params={k: v[idx] for k, v in self.params.items()},
            mask=self.mask[idx] if self.mask is not None and self.mask.ndim == self.values.ndim - 2 else self.mask,
            meta=dict(self.meta),
        )

    # -- files ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write an npz (atomic; no pickle): ``values``, ``times``, ``param_<name>``, ``mask`` and the
        JSON ``__meta__``."""
        arrays: dict[str, np.ndarray] = {"values": self.values, "times": self.times}
        for name, value in self.params.items():
            arrays[f"param_{name}"] = value
        if self.mask is not None:
            arrays["mask"] = self.mask
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "channels": list(self.channels),
            "grid": self.grid.to_json(),
            "bc": self.bc,
            "params": sorted(self.params),
            "meta": self.meta,
        }
        return write_npz_with_meta(path, arrays, meta)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Fields:
        """Read a file written by :meth:`save`; a corrupt file, another format or version is refused."""
        data, meta = read_npz_with_meta(path, format=FORMAT, version=VERSION, what="fields")
        try:
            return cls(
                values=data["values"],
                times=data["times"],
                channels=tuple(meta["channels"]),
                grid=Grid.from_json(meta["grid"]),
                bc=meta["bc"],
                params={name: data[f"param_{name}"] for name in meta["params"]},
                mask=data.get("mask"),
                meta=meta.get("meta", {}),
            )
        except (KeyError, IndexError, TypeError) as exc:
            raise FileFormatError(f"{path} is an incomplete dynlearn fields file (missing {exc})") from None


__all__ = ["FORMAT", "VERSION", "Fields", "Grid"]
