"""The shipped invariants: ``systems/data/invariants.json``, how to regenerate it
(:func:`compute_all`, ``dynlearn systems compute-invariants``) and how a
catalog entry picks its record up (:func:`apply_invariants`).

File layout::

    {"schema_version": 1, "generator": "...", "systems": {name: record, ...}}

with ``record`` as returned by :func:`~dynlearn.systems.invariants.compute_invariants`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from dynlearn.errors import DynlearnError, FileFormatError
from dynlearn.io_utils import atomic_write_text
from dynlearn.systems.base import System
from dynlearn.systems.invariants import InvariantSettings, compute_invariants

SCHEMA_VERSION = 1
DEFAULT_PATH = Path(__file__).parent / "data" / "invariants.json"
GENERATOR = "dynlearn.systems.invariants.compute_invariants"

Progress = Callable[[str, int, int, dict], None]


def load_invariants(path: str | os.PathLike = DEFAULT_PATH) -> dict[str, dict]:
    """The records of ``path`` by system name; ``{}`` if the file does not exist.

    Raises :class:`FileFormatError` naming the file when it is not valid JSON
    or not an invariants file of this schema version."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FileFormatError(
            f"{path} is not valid JSON ({exc}); delete it and run `dynlearn systems compute-invariants`"
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("systems"), dict):
        raise FileFormatError(f"{path} is not an invariants file (no 'systems' mapping); regenerate it")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise FileFormatError(
            f"{path} has schema_version {doc.get('schema_version')!r}, this dynlearn reads {SCHEMA_VERSION}; "
            "regenerate it with `dynlearn systems compute-invariants --force`"
        )
    bad = [name for name, rec in doc["systems"].items() if not isinstance(rec, dict) or "max_lyapunov" not in rec]
    if bad:
        raise FileFormatError(f"{path}: records of {bad[:5]} are incomplete; regenerate them with --force")
    return doc["systems"]


def is_current(system: System, record: dict) -> bool:
    """Whether ``record`` was computed for the system as declared now (same
    kind, dimension and parameters); stale records are recomputed and ignored."""
    params = {k: float(v) for k, v in system.params.items()}
    return record.get("kind") == system.kind and record.get("dim") == system.dim and record.get("params") == params


def meets_precision(record: dict) -> bool:
    """Whether ``record``'s Lyapunov estimate reached the standard-error target
    stated in its settings (records of delay equations, which state none, count
    as meeting it; records from before the target existed do not)."""
    if record.get("kind") == "delay":
        return True
    return bool(record.get("settings", {}).get("lyapunov_target_reached", False))


def apply_invariants(system: System, record: dict | None) -> System:
    """A copy of ``system`` with ``dt``, ``period``, ``max_lyapunov`` and the
    ``invariants`` mapping taken from ``record``. ``system`` itself is
    returned when there is no record or it is stale (see :func:`is_current`)."""
    if not record or not is_current(system, record):
        return system
    keep = ("lyapunov_spectrum", "lyapunov_stderr", "max_lyapunov_stderr", "kaplan_yorke_dimension")
    inv = {k: record.get(k) for k in (*keep, "correlation_dimension", "mean", "std")}
    return dataclasses.replace(
        system,
        dt=float(record["dt"]),
        period=float(record["period"]),
        max_lyapunov=float(record["max_lyapunov"]),
        invariants=inv,
        invariants_source=f"computed by dynlearn ({GENERATOR}, schema {SCHEMA_VERSION})",
    )


def _json_safe(obj):
    """NaN/inf (e.g. the standard error of a single-trajectory estimate) become null: JSON has no NaN."""
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def _write(path: Path, records: dict[str, dict]) -> None:
    records = _json_safe(records)
    doc = {"schema_version": SCHEMA_VERSION, "generator": GENERATOR, "systems": dict(sorted(records.items()))}
    atomic_write_text(path, json.dumps(doc, indent=1, allow_nan=False) + "\n")


def _declared(system: System) -> System:
    """The catalog's own declaration of ``system`` (its first-guess ``dt`` and
    ``period``) when the registry holds a copy with applied invariants, so a
    regeneration starts from the same place and gives the same numbers."""
    from dynlearn.systems.catalog import CATALOG

    return next((s for s in CATALOG if s.name == system.name and s.params == system.params), system)


def _compute(name: str, settings: InvariantSettings | None) -> dict:
    """Worker entry point: systems travel by name (their functions need not pickle)."""
    from dynlearn import systems as _systems

    return compute_invariants(_declared(_systems.get(name)), settings)


def compute_all(
    names: Iterable[str | System] | None = None,
    path: str | os.PathLike = DEFAULT_PATH,
    on_progress: Progress | None = None,
    jobs: int = 1,
    *,
    force: bool = False,
    below_precision: bool = False,
    settings: InvariantSettings | None = None,
) -> dict[str, dict]:
    """Compute the invariants of ``names`` (default: every registered system)
    and store them in ``path``, rewriting the file atomically after each system.

    Systems whose record in ``path`` is current are skipped (unless
    ``force``; ``below_precision`` also recomputes records that do not state
    a reached precision target, see :func:`meets_precision`), so an
    interrupted run resumes where it stopped; a record is
    keyed by name, so no system appears twice. Records of other systems
    already in the file are kept. ``on_progress(name, done, total, record)`` is
    called after each system is saved. ``jobs > 1`` computes in that many
    worker processes; results are written by this process only. A system
    whose computation fails (diverges, too few distinct points, ...) does not
    stop the others: once they are saved a :class:`DynlearnError` lists the
    failures. Returns all records now in the file."""
    from dynlearn import systems as _systems

    path = Path(path)
    targets = [_declared(_systems.get(n)) for n in (_systems.names() if names is None else names)]
    records = load_invariants(path)
    todo = [
        s
        for s in targets
        if force
        or not is_current(s, records.get(s.name, {}))
        or (below_precision and not meets_precision(records[s.name]))
    ]
    total, done = len(todo), 0

    def save(name: str, record: dict) -> None:
        nonlocal done
        records[name] = record
        _write(path, records)
        done += 1
        if on_progress is not None:
            on_progress(name, done, total, record)

    failed: dict[str, str] = {}
    if jobs <= 1 or total <= 1:
        for s in todo:
            try:
                record = compute_invariants(s, settings)
            except DynlearnError as exc:
                failed[s.name] = str(exc)
                continue
            except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
                failed[s.name] = f"{type(exc).__name__}: {exc}"
                continue
            save(s.name, record)
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed  # multiprocessing: not at import

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(_compute, s.name, settings): s.name for s in todo}
            try:
                for fut in as_completed(futures):
                    try:
                        record = fut.result()
                    except DynlearnError as exc:
                        failed[futures[fut]] = str(exc)
                        continue
                    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:
                        failed[futures[fut]] = f"{type(exc).__name__}: {exc}"
                        continue
                    save(futures[fut], record)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
    if failed:
        lines = "; ".join(f"{name}: {msg}" for name, msg in failed.items())
        raise DynlearnError(f"invariants of {len(failed)} system(s) could not be computed ({lines})")
    return records


__all__ = [
    "DEFAULT_PATH",
    "SCHEMA_VERSION",
    "apply_invariants",
    "compute_all",
    "is_current",
    "load_invariants",
    "meets_precision",
]
