"""Shared CLI plumbing: consoles, debug state, data loading, key=value parsing."""

from __future__ import annotations

from pathlib import Path

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


def load_data(path: Path, *, dt: float | None = None):
    """A Trajectory (or set) from ``.csv`` or ``.npz``."""
    from dynlearn.data import load_npz, read_csv

    suffix = path.suffix.lower()
    if suffix == ".csv":
        return read_csv(path, dt=dt)
    if suffix == ".npz":
        return load_npz(path)
    raise ValidationError(f"cannot read {path}: use a .csv (header row, one column per variable) or a dynlearn .npz")
