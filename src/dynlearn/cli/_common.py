"""Shared CLI plumbing: consoles, debug state, data loading, key=value parsing."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from dynlearn.errors import ValidationError


def _console(stderr: bool = False) -> Console:
    # Off a terminal rich assumes 80 columns and truncates leaderboard cells; logs and pipes can be wider.
    probe = Console(stderr=stderr)
    return Console(stderr=stderr, width=None if probe.is_terminal else 140)


console = _console()
err_console = _console(stderr=True)


class State:
    debug = False


def parse_sets(pairs: list[str] | None) -> dict[str, str]:
    """``["lags=5", "alpha=1e-3"]`` -> dict; values stay strings (configs coerce them)."""
    out = {}
    for item in pairs or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"--set expects KEY=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


# reading options shared by fit, forecast and evaluate (see dynlearn.data.read_csv)
TIME_COLUMN = typer.Option(
    None,
    "--time-column",
    help="CSV column holding the times: numbers or ISO dates (default: time, t, date, ds, datetime, timestamp or year).",
)
COLUMNS = typer.Option(None, "--columns", help="Comma-separated CSV columns to use as variables (default: all others).")
FILL = typer.Option(
    None, "--fill", help="Missing cells and skipped time steps: interpolate | ffill | drop (default: refuse them)."
)
RESAMPLE = typer.Option(
    None,
    "--resample",
    help="Interpolate onto a regular grid of this step: a number for numeric times, or D, 7D, W, M, Q, Y, h for dates.",
)


def read_options(
    time_column: str | None = None, columns: str | None = None, fill: str | None = None, resample: str | None = None
) -> dict:
    """CLI reading options as keywords of :func:`dynlearn.data.read_csv` (unset ones left out)."""
    out: dict = {}
    if time_column is not None:
        out["time_column"] = time_column
    if columns is not None:
        names = [c.strip() for c in columns.split(",") if c.strip()]
        if not names:
            raise ValidationError("--columns expects comma-separated column names, e.g. --columns sales,price")
        out["columns"] = names
    if fill is not None:
        out["fill"] = fill
    if resample is not None:
        out["resample"] = resample
    return out


def option_flags(options: dict) -> str:
    """Reading options back as the CLI flags that set them (for commands suggested to the user)."""
    flag = {"time_column": "--time-column", "fill": "--fill", "resample": "--resample"}
    out = [f" {flag[k]} {v}" for k, v in options.items() if k in flag]
    if "columns" in options:
        out.append(f" --columns {','.join(options['columns'])}")
    return "".join(out)


def load_data(path: Path, *, dt: float | None = None, **options):
    """A Trajectory (or set) from ``.csv`` (read with ``options``) or ``.npz``."""
    from dynlearn.data import load_npz, read_csv

    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path, dt=dt, **options)
    if suffix == ".npz":
        if options:
            raise ValidationError(
                f"{path} is an npz file; --time-column, --columns, --fill and --resample apply to CSV files only"
            )
        return load_npz(path)
    raise ValidationError(f"cannot read {path}: use a .csv (header row, one column per variable) or a dynlearn .npz")
