"""Reading real series from CSV: header, time column (numbers or ISO dates), missing
cells, gaps and irregular sampling. :func:`read_csv` is re-exported by
:mod:`dynlearn.data.io` and documented in ``docs/data.md``.

Every error names the file and the line, counting lines from 1 as an editor
does (the header is line 1 when it is the first line of the file).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dynlearn._validation import check_positive
from dynlearn.data.timeaxis import Calendar, looks_like_dates, parse_dates, parse_frequency, to_datetimes
from dynlearn.data.trajectory import Trajectory
from dynlearn.errors import FileFormatError, UnknownNameError, ValidationError

FILLS = ("interpolate", "ffill", "drop")
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "?"})
# names a default time column goes by ("ds": Prophet, statsforecast)
_TIME_NAMES = ("time", "t", "date", "ds", "datetime", "timestamp", "year")
_FILL_HINT = "pass fill='interpolate', 'ffill' or 'drop' (CLI: --fill)"


@dataclass
class _Table:
    path: Path
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    def where(self, i: int, column: str | None = None) -> str:
        """``file, line N[, column 'c']`` for data row ``i``."""
        col = f", column {column!r}" if column else ""
        return f"{self.path}, line {self.lines[i]}{col}"

    def cells(self, name: str) -> list[str]:
        j = self.header.index(name)
        return [r[j].strip() for r in self.rows]


@dataclass
class _Series:
    """Times on a numeric axis (dates: step numbers of ``calendar``), states with NaN for missing cells."""

    times: np.ndarray
    states: np.ndarray
    lines: list[int]
    calendar: Calendar | None = None
    dates: np.ndarray | None = None
    meta: dict[str, Any] = field(default_factory=dict)


# reading the table ------------------------------------------------------------
def _read_table(path: Path) -> _Table:
    if not path.exists():
        raise FileFormatError(f"no such file: {path}")
    if not path.is_file():
        raise FileFormatError(f"{path} is not a regular file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{path} is not UTF-8 text ({exc})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    table = _Table(path, [], [], [])
    try:
        for row in reader:
            if row and any(c.strip() for c in row):
                _add_row(table, row, reader.line_num)
    except csv.Error as exc:
        raise FileFormatError(f"{path}, line {reader.line_num}: not valid CSV ({exc})") from None
    _check_header(table)
    return table


def _add_row(table: _Table, row: list[str], line: int) -> None:
    if not table.header:
        table.header = [c.strip() for c in row]
        return
    if len(row) != len(table.header):
        raise FileFormatError(
            f"{table.path}, line {line}: expected {len(table.header)} fields as in the header, got {len(row)}"
        )
    table.rows.append(row)
    table.lines.append(line)


def _check_header(table: _Table) -> None:
    path, header = table.path, table.header
    if not header:
        raise FileFormatError(f"{path} is empty; expected a header row naming the columns, then one row per time step")
    if any(not h for h in header):
        raise FileFormatError(f"{path}: the header has an empty column name (column {header.index('') + 1})")
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise FileFormatError(f"{path}: duplicate column name(s) in the header: {', '.join(dup)}")
    if not table.rows:
        raise FileFormatError(f"{path} has a header but no data rows")


# choosing columns ---------------------------------------------------------------
def _time_column(table: _Table, time_column: str | None, dt: float | None) -> str | None:
    header = table.header
    tcol = None
    if time_column is not None:
        if time_column in header:
            tcol = time_column
        elif time_column == "time":
            tcol = next((h for h in _TIME_NAMES if h in header), None)
        else:
            raise UnknownNameError("time column", time_column, header)
    if tcol is not None and dt is not None:
        raise ValidationError(
            f"{table.path} has a time column {tcol!r}; pass dt only for files without one (or time_column=None)"
        )
    return tcol


def _state_columns(table: _Table, columns: Sequence[str] | None, tcol: str | None) -> list[str]:
    header = table.header
    if columns is None:
        names = [h for h in header if h != tcol]
    else:
        names = [str(c).strip() for c in columns]
        if not names:
            raise ValidationError("columns must name at least one state column")
        for c in names:
            if c not in header:
                raise UnknownNameError("column", c, header)
            if c == tcol:
                raise ValidationError(f"column {c!r} is the time column and cannot also be a state")
    if not names:
        raise FileFormatError(f"{table.path} has only a time column; expected at least one state column")
    return names


# parsing cells ------------------------------------------------------------------
def _number_column(table: _Table, name: str, allow_missing: bool) -> np.ndarray:
    """Floats, NaN where a cell is missing (an error unless ``allow_missing``)."""
    cells = table.cells(name)
    try:  # fast path: every cell a finite number
        values = np.array(cells, dtype=np.float64)
        if np.isfinite(values).all():
            return values
    except ValueError:
        pass
    return np.array([_cell(table, i, name, cell, allow_missing) for i, cell in enumerate(cells)])


def _cell(table: _Table, i: int, name: str, cell: str, allow_missing: bool) -> float:
    if cell.lower() in MISSING:
        if not allow_missing:
            what = "is empty" if not cell else f"is missing ({cell!r})"
            raise FileFormatError(f"{table.where(i, name)}: cell {what}; {_FILL_HINT}")
        return np.nan
    try:
        value = float(cell)
    except ValueError:
        raise FileFormatError(f"{table.where(i, name)}: cell is not a number: {cell!r}") from None
    if not np.isfinite(value):
        raise ValidationError(f"{table.where(i, name)}: non-finite value {cell!r}; remove or replace it")
    return value


def _time_axis(table: _Table, tcol: str) -> tuple[np.ndarray, Calendar | None]:
    cells = table.cells(tcol)
    for i, cell in enumerate(cells):
        if cell.lower() in MISSING:
            raise FileFormatError(f"{table.where(i, tcol)}: the time is missing; every row needs its time")
    if looks_like_dates(cells):
        return parse_dates(cells, lambda i: table.where(i, tcol), table.lines)
    times = _number_column(table, tcol, allow_missing=False)
    bad = np.flatnonzero(np.diff(times) <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        raise ValidationError(
            f"{table.where(i, tcol)}: time {cells[i]} does not come after {cells[i - 1]} (line {table.lines[i - 1]}); "
            "times must be strictly increasing: sort the rows by time and remove duplicates"
        )
    return times, None


# regular grid, gaps, missing cells ---------------------------------------------------
def _inferred_step(times: np.ndarray) -> float:
    diffs = np.array([float(f"{d:.9g}") for d in np.diff(times)])
    vals, counts = np.unique(diffs, return_counts=True)
    return float(vals[np.argmax(counts)])


def _grid_positions(s: _Series, table: _Table, step: float) -> np.ndarray | None:
    """Whole step numbers of every row, or None for irregular sampling (a row off the grid)."""
    pos = (s.times - s.times[0]) / step
    off = np.abs(pos - np.round(pos)) > 1e-6
    if off.any():
        # irregular times are kept as they are (continuous-time models take them); the line of the
        # first off-grid row lets a caller that needs a grid say where to look
        s.meta["irregular_line"] = table.lines[int(np.argmax(off))]
        return None
    return np.round(pos).astype(np.int64)


def _step_text(s: _Series, step: float) -> str:
    if s.calendar is not None:
        return f"1 {s.calendar.label} step ({s.calendar.count}{s.calendar.unit})"
    return f"{step:g}"


def _insert_gaps(s: _Series, table: _Table, step: float, fill: str | None) -> _Series:
    pos = _grid_positions(s, table, step)
    if pos is None:
        return s
    jumps = np.flatnonzero(np.diff(pos) > 1)
    if not jumps.size or fill == "drop":
        if jumps.size:
            s.meta["gaps"] = int(jumps.size)
        return s
    if fill is None:
        i = int(jumps[0]) + 1
        cells = table.cells(s.meta["time_column"])
        missing = int(pos[i] - pos[i - 1] - 1)
        raise ValidationError(
            f"{table.where(i)}: time jumps from {cells[i - 1]} to {cells[i]}, skipping {missing} step(s) of "
            f"{_step_text(s, step)} ({int(jumps.size)} gap(s) in the file); pass fill='interpolate' or 'ffill' "
            "(CLI: --fill) to insert the missing rows, or resample=STEP"
        )
    full = np.arange(pos[-1] + 1)
    states = np.full((len(full), s.states.shape[1]), np.nan)
    states[pos] = s.states
    times = s.times[0] + full * step
    times[pos] = s.times  # keep the file's own times where it has them
    s.meta["inserted_rows"] = int(len(full) - len(pos))
    return _Series(times, states, [], s.calendar, None, s.meta)


def _fill(s: _Series, table: _Table, names: list[str], fill: str | None) -> _Series:
    missing = np.isnan(s.states)
    if not missing.any():
        return s
    for d, name in enumerate(names):
        if missing[:, d].all():
            raise FileFormatError(f"{table.path}, column {name!r}: every cell is missing")
    s.meta["missing_cells"] = int(missing.sum())
    if fill == "drop":
        keep = ~missing.any(axis=1)
        dates = None if s.dates is None else s.dates[keep]
        if s.meta.get("dt"):  # holes in the grid: missing rows and dropped ones
            s.meta["gaps"] = int(np.sum(np.diff(s.times[keep]) > 1.5 * s.meta["dt"]))
        return _Series(s.times[keep], s.states[keep], [], s.calendar, dates, s.meta)
    states = s.states.copy()
    for d in range(states.shape[1]):
        ok = ~missing[:, d]
        if fill == "interpolate":
            states[:, d] = np.interp(s.times, s.times[ok], states[ok, d])
        else:  # ffill; cells before the first observation take the first observed value
            idx = np.where(ok, np.arange(len(ok)), 0)
            np.maximum.accumulate(idx, out=idx)
            idx[: int(np.argmax(ok))] = int(np.argmax(ok))
            states[:, d] = states[idx, d]
    return _Series(s.times, states, [], s.calendar, s.dates, s.meta)


def _resample(s: _Series, table: _Table, resample: str | float) -> _Series:
    step, cal = parse_frequency(resample, s.calendar)
    if cal is not None:
        pos = cal.positions(s.dates)
        times_of = lambda grid: grid.astype(np.float64)  # noqa: E731 - dates: the axis counts steps
    else:
        pos = (s.times - s.times[0]) / step
        times_of = lambda grid: s.times[0] + grid * step  # noqa: E731
    grid = np.arange(np.floor(pos[-1] - pos[0] + 1e-9) + 1) + np.ceil(pos[0] - 1e-9)
    if len(grid) < 2:
        raise ValidationError(f"{table.path}: resampling to {resample!r} leaves fewer than 2 rows; use a smaller step")
    states = np.stack([np.interp(grid, pos, s.states[:, d]) for d in range(s.states.shape[1])], axis=1)
    s.meta.update(resampled=True, dt=step)
    if cal is not None:
        cal = Calendar(str(cal.dates(grid[:1])[0]), cal.unit, cal.count, cal.precision, cal.month_end)
        grid = grid - grid[0]
    return _Series(times_of(grid), states, [], cal, None, s.meta)


def _regularise(s: _Series, table: _Table, names, fill: str | None, resample) -> _Series:
    if resample is not None:
        if np.isnan(s.states).any():
            if fill is None:
                _number_column(table, names[int(np.argmax(np.isnan(s.states).any(axis=0)))], allow_missing=False)
            s = _fill(s, table, names, fill)
        return _resample(s, table, resample)
    if len(s.times) > 1:
        step = 1.0 if s.calendar is not None else _inferred_step(s.times)
        s = _insert_gaps(s, table, step, fill)
        if "irregular_line" not in s.meta:
            s.meta["dt"] = step
    return _fill(s, table, names, fill)


def read_csv(
    path: str | os.PathLike,
    *,
    time_column: str | None = "time",
    dt: float | None = None,
    columns: Sequence[str] | None = None,
    fill: str | None = None,
    resample: str | float | None = None,
) -> Trajectory:
    """Read a CSV with a header row and one column per state variable.

    Time column ``time_column`` (default ``"time"``; then ``t``, ``date``,
    ``ds``, ``datetime``, ``timestamp`` and ``year`` are also looked for):
    numbers, or ISO dates (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``, with an
    optional ``THH:MM:SS``). Dates are put on an axis of whole steps of the
    inferred frequency (monthly data: ``0, 1, 2, ...``) and the calendar goes to
    ``meta["calendar"]``. The step (``meta["dt"]``) is the most common spacing;
    a jump of several steps is a gap (an error unless ``fill`` inserts rows).
    A row off that grid is irregular sampling: the times are kept as they are
    (continuous-time models take them; ``meta["irregular_line"]`` names the
    first such line) unless ``resample`` puts them on a grid.
    Without a time column the times are ``i * dt`` (``dt`` default 1).

    ``fill``: what to do with missing cells (empty, ``NA``, ``nan``, ``null``,
    ...) and gaps: ``"interpolate"`` (linear in time; cells before the first or
    after the last observation take the nearest observed value), ``"ffill"``
    (last observed value; leading cells take the first one) or ``"drop"`` (rows
    with a missing cell are dropped, gaps stay). ``resample``: a new step
    (number for numeric times; ``D``, ``7D``, ``W``, ``M``, ``Q``, ``Y``, ``h``
    for dates) onto which the series is linearly interpolated.

    Errors name the file, the line (counted from 1, as an editor does) and
    the column.
    """
    if fill is not None and fill not in FILLS:
        raise UnknownNameError("fill method", fill, list(FILLS))
    table = _read_table(Path(path))
    tcol = _time_column(table, time_column, dt)
    names = _state_columns(table, columns, tcol)
    states = np.stack([_number_column(table, n, allow_missing=fill is not None) for n in names], axis=1)
    meta: dict[str, Any] = {"variables": names, "source": table.path.name}
    if tcol is None:
        step = 1.0 if dt is None else check_positive(dt, "dt")
        series = _Series(step * np.arange(len(table.rows), dtype=np.float64), states, table.lines, meta=meta)
        meta.update(dt=step, times_generated=True, time_column=None)
    else:
        times, cal = _time_axis(table, tcol)
        meta["time_column"] = tcol
        dates = None
        if cal is not None and resample is not None:
            dates = to_datetimes(table.cells(tcol), lambda i: table.where(i, tcol))
        series = _Series(times, states, table.lines, cal, dates, meta)
    series = _regularise(series, table, names, fill, resample)
    if series.calendar is not None:
        meta["calendar"] = series.calendar.to_meta()
    return Trajectory(series.times, series.states, meta=series.meta)
