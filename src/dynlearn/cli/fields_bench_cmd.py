"""``dynlearn fields bench``: field models in benchmark suites (run, leaderboard, report)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from dynlearn.cli._common import console, err_console

app = typer.Typer(help="Field models in benchmark suites: run (resumable), leaderboard, report.", no_args_is_help=True)


@app.command("list")
def list_() -> None:
    """The built-in fields suites."""
    from dynlearn.fields.bench import builtin_suites, load_suite

    for name in builtin_suites():
        s = load_suite(name)
        console.print(f"{name}: {s.description} ({len(s.cells())} cells)", highlight=False)


def _table(out: Path) -> None:
    import numpy as np

    from dynlearn.fields.bench import _fmt, leaderboard

    suite, rows = leaderboard(out)
    cols = [f"relative_l2_{k}" for k in suite.steps] + ["relative_l2_1step"]
    table = Table(title=f"{suite.name} ({suite.key}): median over seeds")
    for c in ["model", "cells", *cols, "params", "fit s"]:
        table.add_column(c)
    for r in rows:
        table.add_row(
            r["model"],
            f"{r['cells']}" + (f" ({r['failed']} failed)" if r["failed"] else ""),
            *[_fmt(r[c][0]) for c in cols],
            "-" if np.isnan(r["n_parameters"][0]) else f"{int(r['n_parameters'][0]):,}",
            _fmt(r["fit_seconds"]),
        )
    console.print(table)


@app.command("run")
def run(
    suite: str = typer.Argument(..., help="A built-in suite (`dynlearn fields bench list`) or a .toml file."),
    out: Path = typer.Option(..., "--out", help="Folder for results.sqlite, checkpoints, curves and figures."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Run failed cells again."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write out/report.html at the end."),
) -> None:
    """Run every cell of SUITE not yet in OUT (an interrupted run resumes; a cell resumes mid-fit)."""
    from dynlearn.fields.bench import run_fields_suite, write_report

    info = run_fields_suite(
        suite, out, progress=lambda m: err_console.print(m, highlight=False), retry_failed=retry_failed
    )
    console.print(f"run {info['run']}: {info['ran']} cells run, {info['done_before']} already done", highlight=False)
    _table(out)
    if report:
        console.print(f"wrote {write_report(out)}", highlight=False)


@app.command("leaderboard")
def leaderboard_(out: Path = typer.Option(..., "--out", help="The folder a suite was run into.")) -> None:
    """The latest fields run in OUT: median over seeds per model."""
    _table(out)


@app.command("report")
def report_(out: Path = typer.Option(..., "--out", help="The folder a suite was run into.")) -> None:
    """Write OUT/report.html (figures inline) and OUT/leaderboard.json."""
    from dynlearn.fields.bench import write_report

    console.print(f"wrote {write_report(out)}", highlight=False)
