"""What a benchmark cell records besides its metrics: peak memory and package versions.

Peak memory is the worker's *resident set size* (RSS) high-water mark during
the cell minus its RSS when the cell started: the physical memory the cell
(fit, forecasts, scoring) added on top of what the worker process already held
(interpreter, imported libraries, cached data of earlier cells). It counts
everything the process touches, numpy, torch and numba alike, unlike
``tracemalloc``, which sees only allocations routed through Python's
allocator and slows them down.

On Linux the kernel's high-water mark (``VmHWM`` in ``/proc/self/status``) is
reset at the start of each cell (writing ``5`` to ``/proc/self/clear_refs``),
so the value is exact for this cell even in a reused worker. Where that is not
possible (macOS, Windows, restricted containers) ``peak_mem_mb`` is ``None``:
the lifetime maximum of ``getrusage`` would charge one cell for its
predecessors' peaks.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata as md
import json
import platform
import sys
from pathlib import Path

from dynlearn.bench.store import CellResult

#: distributions whose versions each cell records (those installed)
VERSIONED = ("dynlearn", "numpy", "scipy", "torch", "numba", "scikit-learn", "pysindy", "reservoirpy")

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


@functools.cache
def package_versions() -> dict[str, str]:
    """``{"python": ..., "numpy": ..., ...}`` for the packages of :data:`VERSIONED` that are installed."""
    out = {"python": platform.python_version()}
    for name in VERSIONED:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            continue
    return out


def _status_kb(field: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reset_peak() -> bool:
    """Reset the kernel's RSS high-water mark of this process; False where that is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


class PeakMemory:
    """Context manager: ``.mb`` is the peak RSS increase (MiB) inside the block, or None if unmeasurable."""

    def __enter__(self) -> PeakMemory:
        self.mb: float | None = None
        self._start = _status_kb("VmRSS") if _reset_peak() else None
        return self

    def __exit__(self, *exc) -> None:
        peak = _status_kb("VmHWM")
        if self._start is not None and peak is not None:
            self.mb = max(peak - self._start, 0) / 1024.0


def run_cell_recorded(*args, **kwargs) -> CellResult:
    """:func:`dynlearn.bench.cell.run_cell` plus its peak memory and the package versions.

    This is the function every executor runs in its workers."""
    from dynlearn.bench.cell import run_cell

    with PeakMemory() as mem:
        result = run_cell(*args, **kwargs)
    return dataclasses.replace(result, peak_mem_mb=mem.mb, versions=json.dumps(package_versions(), sort_keys=True))
