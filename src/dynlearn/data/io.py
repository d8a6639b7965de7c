"""Safe file formats for trajectories: ``.npz`` (exact, with JSON metadata) and CSV.

Nothing here ever unpickles: ``np.load`` is always called with
``allow_pickle=False``. Writes are atomic (:mod:`dynlearn.io_utils`: temp file
in the target directory, fsync, ``os.replace``), so a crash never leaves a
half-written file behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dynlearn.data._csv import read_csv
from dynlearn.data.timeaxis import Calendar
from dynlearn.data.trajectory import Trajectory, TrajectorySet
from dynlearn.errors import FileFormatError, ValidationError
from dynlearn.io_utils import atomic_savez, atomic_write_text

__all__ = ["FORMAT_SET", "FORMAT_TRAJECTORY", "FORMAT_VERSION", "load_npz", "read_csv", "save_npz", "write_csv"]

FORMAT_TRAJECTORY = "dynlearn.trajectory"
FORMAT_SET = "dynlearn.trajectory_set"
FORMAT_VERSION = 1
META_KEY = "__meta__"
_OPTIONAL = ("inputs", "rewards")


def _require_file(path: Path) -> None:
    if not path.exists():
        raise FileFormatError(f"no such file: {path}")
    if not path.is_file():
        raise FileFormatError(f"{path} is not a regular file")


# npz ----------------------------------------------------------------------
def _traj_arrays(tr: Trajectory, suffix: str = "") -> tuple[dict[str, np.ndarray], list[str]]:
    arrays = {f"times{suffix}": tr.times, f"states{suffix}": tr.states}
    present = ["times", "states"]
    for name in _OPTIONAL:
        value = getattr(tr, name)
        if value is not None:
            arrays[f"{name}{suffix}"] = value
            present.append(name)
    return arrays, present


def save_npz(obj: Trajectory | TrajectorySet, path: str | os.PathLike) -> Path:
    """Write a Trajectory or TrajectorySet to ``path`` (used as given, no suffix
    is added) atomically; returns the path.

    Keys: ``times``, ``states`` [, ``inputs``, ``rewards``] for a trajectory;
    ``times_<i>``, ``states_<i>``, ... for item ``i`` of a set; plus
    ``__meta__``, UTF-8 JSON as a ``uint8`` array (schema in docs/data.md).
    """
    if isinstance(obj, Trajectory):
        arrays, present = _traj_arrays(obj)
        meta = {"format": FORMAT_TRAJECTORY, "version": FORMAT_VERSION, "meta": obj.meta, "arrays": present}
    elif isinstance(obj, TrajectorySet):
        arrays, items = {}, []
        for i, tr in enumerate(obj):
            a, present = _traj_arrays(tr, f"_{i}")
            arrays.update(a)
            items.append({"meta": tr.meta, "arrays": present})
        meta = {"format": FORMAT_SET, "version": FORMAT_VERSION, "meta": obj.meta, "n": len(obj), "trajectories": items}
    else:
        raise ValidationError(f"save_npz writes a Trajectory or TrajectorySet, got {type(obj).__name__}")
    blob = json.dumps(meta, allow_nan=True).encode("utf-8")
    arrays[META_KEY] = np.frombuffer(blob, dtype=np.uint8)
    return atomic_savez(path, **arrays)


def _corrupt(path: Path, exc: BaseException) -> FileFormatError:
    if "pickle" in str(exc):
        return FileFormatError(
            f"{path} holds object (pickled) arrays, which dynlearn never loads; it is not a "
            "dynlearn trajectory file, or it is corrupt"
        )
    return FileFormatError(
        f"{path} is not a readable npz archive: the file is corrupt or truncated, or not an npz file "
        f"({type(exc).__name__}: {exc})"
    )


def load_npz(path: str | os.PathLike) -> Trajectory | TrajectorySet:
    """Read a file written by :func:`save_npz`.

    Raises FileFormatError for a missing file, a corrupt/truncated/non-npz
    file, or an npz without dynlearn metadata (or of an unknown format name or
    version); ValidationErrors from the Trajectory constructor propagate.
    """
    path = Path(path)
    _require_file(path)
    want = f"expected an npz written by dynlearn.data.save_npz (format {FORMAT_TRAJECTORY!r} or {FORMAT_SET!r})"
    with open(path, "rb") as f:
        head = f.read(6)
    if head.startswith(b"\x93NUMPY"):
        raise FileFormatError(f"{path} holds a single .npy array, not an npz archive; {want}")
    if head[:4] not in (b"PK\x03\x04", b"PK\x05\x06"):  # np.load would try its pickle path
        what = "it is empty" if not head else "no zip signature"
        raise FileFormatError(
            f"{path} is not an npz archive ({what}): the file is corrupt or truncated, or of another kind"
        )
    import zipfile  # np.load imports it too; not needed at import time

    try:
        with np.load(path, allow_pickle=False) as data:
            if META_KEY not in data.files:
                raise FileFormatError(
                    f"{path} has no {META_KEY!r} entry, so it is not a dynlearn trajectory file; {want}"
                )
            meta = _parse_meta(data[META_KEY], path, want)
            arrays = {k: data[k] for k in data.files if k != META_KEY}
    except FileFormatError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError, RuntimeError) as exc:
        raise _corrupt(path, exc) from None
    fmt = meta["format"]
    try:
        if fmt == FORMAT_TRAJECTORY:
            return _build(arrays, meta, "", path)
        items = [_build(arrays, item, f"_{i}", path) for i, item in enumerate(meta["trajectories"])]
        if len(items) != meta["n"]:
            raise FileFormatError(f"{path}: metadata says {meta['n']} trajectories but lists {len(items)}")
        return TrajectorySet(items, meta.get("meta") or {})
    except (KeyError, TypeError) as exc:
        raise FileFormatError(f"{path}: malformed {fmt} metadata ({type(exc).__name__}: {exc})") from None


def _parse_meta(raw, path: Path, want: str) -> dict[str, Any]:
    if not isinstance(raw, np.ndarray) or raw.dtype != np.uint8 or raw.ndim != 1:
        raise FileFormatError(f"{path}: {META_KEY!r} must be a 1-D uint8 array of UTF-8 JSON; {want}")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FileFormatError(f"{path}: {META_KEY!r} is not valid UTF-8 JSON ({exc}); {want}") from None
    if not isinstance(meta, dict):
        raise FileFormatError(f"{path}: {META_KEY!r} must be a JSON object; {want}")
    fmt, version = meta.get("format"), meta.get("version")
    if fmt not in (FORMAT_TRAJECTORY, FORMAT_SET):
        raise FileFormatError(f"{path} has format {fmt!r}; {want}")
    if version != FORMAT_VERSION:
        newer = " (written by a newer dynlearn?)" if isinstance(version, int) and version > FORMAT_VERSION else ""
        raise FileFormatError(
            f"{path} has {fmt} format version {version!r}{newer}; this dynlearn reads version {FORMAT_VERSION}"
        )
    return meta


def _build(arrays: dict[str, np.ndarray], item: dict[str, Any], suffix: str, path: Path) -> Trajectory:
    present = item["arrays"]
    fields: dict[str, Any] = {}
    for name in ("times", "states", *_OPTIONAL):
        key = f"{name}{suffix}"
        if name in present or name in ("times", "states"):
            if key not in arrays:
                raise FileFormatError(f"{path}: array {key!r} is listed in the metadata but missing from the file")
            fields[name] = arrays[key]
    return Trajectory(meta=item.get("meta") or {}, **fields)


# csv ----------------------------------------------------------------------
def write_csv(traj: Trajectory, path: str | os.PathLike, *, variables: Sequence[str] | None = None) -> Path:
    """Write ``time`` plus one column per state (atomically) with ``%.17g``, so
    :func:`read_csv` gives back the same times and states bit for bit. A
    trajectory read from dates (``meta["calendar"]``) is written with dates.

    Column names: ``variables``, else ``meta["variables"]`` if it fits, else
    ``x0, x1, ...``. Inputs, rewards and other metadata are not stored (use
    :func:`save_npz` for those). Returns the path.
    """
    if not isinstance(traj, Trajectory):
        raise ValidationError(f"write_csv writes a Trajectory, got {type(traj).__name__}")
    if variables is None:
        known = traj.meta.get("variables")
        ok = isinstance(known, list) and len(known) == traj.dim and all(isinstance(v, str) for v in known)
        variables = known if ok else [f"x{i}" for i in range(traj.dim)]
    names = [str(v) for v in variables]
    if len(names) != traj.dim:
        raise ValidationError(f"variables names {len(names)} columns but the trajectory has {traj.dim} dims")
    if len(set(names)) != len(names) or any(not n.strip() or n.strip() != n for n in names):
        raise ValidationError(f"variables must be distinct, non-empty names without surrounding spaces; got {names}")
    if "time" in names:
        raise ValidationError("'time' is reserved for the time column; rename that variable")
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(["time", *names])
    calendar = Calendar.from_meta(traj.meta.get("calendar"))
    if calendar is None:
        np.savetxt(buf, np.column_stack([traj.times, traj.states]), fmt="%.17g", delimiter=",")
    else:  # dates again, in the precision the data were read with
        for date, row in zip(calendar.format(traj.times), traj.states):
            buf.write(",".join([date, *(f"{v:.17g}" for v in row)]) + "\n")
    return atomic_write_text(path, buf.getvalue())
