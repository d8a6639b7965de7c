"""Export a run's cells as a table: CSV always, Parquet when pyarrow is installed.

One row per cell ``(system, method, seed)``, wide: the cell's record
(status, reason, fit and predict seconds, peak memory, and three JSON strings:
the package versions, the config overrides the model ran with, and the tuning
record, '' without tuning) followed by one column per metric. A failed cell keeps its row,
with empty metric values. The file is written atomically.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from dynlearn.bench.store import CellResult
from dynlearn.errors import DynlearnError, ValidationError
from dynlearn.io_utils import atomic_write_bytes, atomic_write_text

FORMATS = ("csv", "parquet")
RECORD_COLUMNS = (
    "run", "suite", "system", "method", "seed", "status", "reason",
    "fit_seconds", "predict_seconds", "peak_mem_mb", "versions", "config", "tuning",
)  # fmt: skip


def table(run: str, suite: str, cells: list[CellResult], metric_names: list[str]) -> dict[str, list]:
    """Column name -> values (``None`` where a value is missing), cells in store order."""
    cols: dict[str, list] = {c: [] for c in (*RECORD_COLUMNS, *metric_names)}
    for c in cells:
        for name, v in zip(
            RECORD_COLUMNS,
            (run, suite, c.system, c.method, c.seed, c.status, c.reason,
             c.fit_seconds, c.predict_seconds, c.peak_mem_mb, c.versions, c.config, c.tuning),
        ):  # fmt: skip
            cols[name].append(v)
        for m in metric_names:
            cols[m].append(c.metrics.get(m))
    return cols


def format_of(path: str | Path, fmt: str | None) -> str:
    if fmt is None:
        suffix = Path(path).suffix.lower().lstrip(".")
        fmt = suffix if suffix in FORMATS else "csv"
    if fmt not in FORMATS:
        raise ValidationError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def _csv_value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "nan" if math.isnan(v) else repr(v)  # repr: shortest exact round trip
    return str(v)


def write_table(cols: dict[str, list], path: str | Path, fmt: str | None = None) -> Path:
    """Write ``cols`` to ``path`` as CSV or Parquet (format from ``fmt`` or the suffix)."""
    fmt = format_of(path, fmt)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        n = len(next(iter(cols.values()))) if cols else 0
        for i in range(n):
            w.writerow([_csv_value(col[i]) for col in cols.values()])
        return atomic_write_text(path, buf.getvalue())
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise DynlearnError(
            "Parquet export needs pyarrow, which is not installed; pip install 'dynlearn[parquet]' or use --format csv"
        ) from None
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(cols), sink)
    return atomic_write_bytes(path, sink.getvalue().to_pybytes())
