"""The data model of Lagrangian simulations: batches of particle trajectories in a box.

A :class:`Particles` holds ``positions`` of shape ``(N, T, P, d)``: N scenes (initial shapes,
velocities or material parameters) with the same particle count P, T saved frames, d = 2 or 3
coordinates. Beside it: the ``times`` (uniform), one integer ``kind`` per particle (the material or
particle type a graph network embeds; ``(P,)`` for all scenes or ``(N, P)`` per scene), the simulation
``domain`` (the box ``lo``..``hi`` every particle stays in), one value per scene of each physical
parameter (``params["E"]``), and free-form ``meta`` (the generating configuration). Velocities are not
stored: models and metrics take them as finite differences of positions, as graph-network simulators
do. Scenes with different particle counts are separate :class:`Particles` objects.

Files are npz with a JSON ``__meta__`` entry, written atomically and read without pickle, as
:mod:`dynlearn.fields.data` does for grids.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np

from dynlearn.errors import FileFormatError, ValidationError
from dynlearn.io_utils import read_npz_with_meta, write_npz_with_meta

FORMAT = "dynlearn.particles"
VERSION = 1


@dataclasses.dataclass
class Particles:
    """``positions (N, T, P, d)`` with times, per-particle kinds, the domain box and parameters."""

    positions: np.ndarray
    times: np.ndarray
    kind: np.ndarray | None = None
    domain: tuple[tuple[float, ...], tuple[float, ...]] | None = None
    params: dict[str, np.ndarray] = dataclasses.field(default_factory=dict)
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        x = np.asarray(self.positions)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(float)
        if x.ndim != 4 or x.shape[-1] not in (2, 3):
            raise ValidationError(
                f"positions must have shape (N scenes, T frames, P particles, d) with d = 2 or 3, got {x.shape}; "
                "one trajectory of shape (T, P, d) is positions[None]"
            )
        if x.shape[2] < 1 or x.shape[1] < 1:
            raise ValidationError(f"a dataset needs at least one frame and one particle, got {x.shape}")
        if not np.all(np.isfinite(x)):
            bad = np.argwhere(~np.isfinite(x))[0]
            raise ValidationError(
                f"positions contain NaN or inf (first at scene {bad[0]}, frame {bad[1]}, particle {bad[2]}); "
                "a diverged simulation is not a dataset"
            )
        self.positions = x
        self.times = np.asarray(self.times, dtype=float)
        if self.times.shape != (x.shape[1],):
            raise ValidationError(f"times has shape {self.times.shape}, expected ({x.shape[1]},): one per frame")
        if x.shape[1] > 1:
            steps = np.diff(self.times)
            if not np.all(steps > 0):
                raise ValidationError("times must be strictly increasing")
            if not np.allclose(steps, steps[0], rtol=1e-6, atol=0):
                raise ValidationError("frames must be saved at a uniform spacing (models step by a fixed dt)")
        n, _, p, d = x.shape
        kind = np.zeros(p, dtype=np.int64) if self.kind is None else np.asarray(self.kind)
        if not np.issubdtype(kind.dtype, np.integer):
            if not np.all(np.equal(np.mod(kind, 1), 0)):
                raise ValidationError("kind holds integer particle types (material ids)")
            kind = kind.astype(np.int64)
        if kind.shape not in ((p,), (n, p)) or (kind.size and kind.min() < 0):
            raise ValidationError(
                f"kind has shape {kind.shape}, expected ({p},) for all scenes or ({n}, {p}), with ids >= 0"
            )
        self.kind = kind.astype(np.int64)
        if self.domain is None:
            lo, hi = x.min(axis=(0, 1, 2)), x.max(axis=(0, 1, 2))
            pad = 0.05 * np.maximum(hi - lo, 1e-9)
            self.domain = (tuple(float(v) for v in lo - pad), tuple(float(v) for v in hi + pad))
        lo, hi = (tuple(float(v) for v in b) for b in self.domain)
        if len(lo) != d or len(hi) != d or any(not (b > a) for a, b in zip(lo, hi)):
            raise ValidationError(f"domain must be ((lo_1..lo_{d}), (hi_1..hi_{d})) with hi > lo, got {self.domain}")
        self.domain = (lo, hi)
        params = {}
        for name, value in self.params.items():
            arr = np.asarray(value, dtype=float)
            if arr.ndim == 0:
                arr = np.full(n, float(arr))
            if arr.shape != (n,):
                raise ValidationError(f"parameter {name!r} needs one value per scene ({n}), got {arr.shape}")
            params[name] = arr
        self.params = params

    # -- views ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return self.positions.shape[0]

    @property
    def n_particles(self) -> int:
        return self.positions.shape[2]

    @property
    def dim(self) -> int:
        return self.positions.shape[3]

    @property
    def dt(self) -> float:
        """The spacing of the saved frames."""
        return float(self.times[1] - self.times[0]) if len(self.times) > 1 else float("nan")

    def kinds(self) -> np.ndarray:
        """The particle types per scene, ``(N, P)``."""
        return np.tile(self.kind, (len(self), 1)) if self.kind.ndim == 1 else self.kind.copy()

    def velocities(self) -> np.ndarray:
        """Backward finite-difference velocities ``(N, T-1, P, d)``: frame t+1 minus frame t over dt."""
        return np.diff(self.positions, axis=1) / self.dt

    def subset(self, index) -> Particles:
        """The scenes at ``index`` (an int, slice or index array), with their kinds and parameters."""
        idx = np.atleast_1d(np.arange(len(self))[index])
        return dataclasses.replace(
            self,
            positions=self.positions[idx],
            kind=self.kind[idx] if self.kind.ndim == 2 else self.kind,
            params={k: v[idx] for k, v in self.params.items()},
            meta=dict(self.meta),
        )

    def frames(self, start: int = 0, stop: int | None = None, every: int = 1) -> Particles:
        """Frames ``start:stop:every`` of every scene (times follow)."""
        sl = slice(start, stop, every)
        return dataclasses.replace(self, positions=self.positions[:, sl], times=self.times[sl], meta=dict(self.meta))

    # -- files ---------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write an npz (atomic; no pickle): ``positions``, ``times``, ``kind``, ``param_<name>`` and the
        JSON ``__meta__``."""
        arrays: dict[str, np.ndarray] = {"positions": self.positions, "times": self.times, "kind": self.kind}
        for name, value in self.params.items():
            arrays[f"param_{name}"] = value
        meta = {
            "format": FORMAT,
            "version": VERSION,
            "domain": [list(self.domain[0]), list(self.domain[1])],
            "params": sorted(self.params),
            "meta": self.meta,
        }
        return write_npz_with_meta(path, arrays, meta)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Particles:
        """Read a file written by :meth:`save`; a corrupt file, another format or version is refused."""
        data, meta = read_npz_with_meta(path, format=FORMAT, version=VERSION, what="particles")
        try:
            return cls(
                positions=data["positions"],
                times=data["times"],
                kind=data["kind"],
                domain=(tuple(meta["domain"][0]), tuple(meta["domain"][1])),
                params={name: data[f"param_{name}"] for name in meta["params"]},
                meta=meta.get("meta", {}),
            )
        except (KeyError, IndexError, TypeError) as exc:
            raise FileFormatError(f"{path} is an incomplete dynlearn particles file (missing {exc})") from None


__all__ = ["FORMAT", "VERSION", "Particles"]
