"""``dynlearn bench``: run suites, show leaderboards, write reports."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from rich.table import Table

from dynlearn.cli._common import console, err_console

app = typer.Typer(help="Benchmark suites: run, leaderboard, report.", no_args_is_help=True)

# Options across `bench` commands: --out is always the folder holding results.sqlite, -o/--output always a
# file to write. `bench run` and `bench leaderboard` write no file; their -o (the results folder until
# session 4) is kept only to turn the old use into a clear error rather than a silent change of meaning.
OUT = typer.Option(Path("runs"), "--out", help="Directory holding results.sqlite, the data cache and reports.")
OLD_O = typer.Option(None, "-o", hidden=True, help="Removed: the results folder is --out.")


def _refuse_old_o(value: str | None, command: str) -> None:
    from dynlearn.errors import ValidationError

    if isinstance(value, str):  # called from Python (e.g. by `dynlearn evaluate`) it is typer's default object
        raise ValidationError(
            f"`bench {command}` takes the results folder as --out, not -o (-o/--output names a file to write in "
            f"`bench report` and `bench export`); use --out {value}"
        )


def _metric_columns(suite, requested: str | None) -> list[str] | None:
    """The metrics to show: ``None`` (as many as fit the terminal), ``all``, or a comma-separated list."""
    from dynlearn.errors import ValidationError

    if requested is None:
        return None
    if requested.strip().lower() == "all":
        return list(suite.metrics)
    names = [m.strip() for m in requested.split(",") if m.strip()]
    unknown = [m for m in names if m not in suite.metrics]
    if unknown or not names:
        raise ValidationError(
            f"--metrics: {', '.join(unknown) or 'no metric given'} not in suite {suite.name!r}; choose from "
            f"{', '.join(suite.metrics)} (comma-separated) or all"
        )
    return names


def _suite_of_store(out: Path, suite: str | None):
    from dynlearn.bench import ResultStore, suite_from_dict
    from dynlearn.errors import DynlearnError

    store_path = out / "results.sqlite"
    if not store_path.exists():
        raise DynlearnError(f"no results in {out}/ yet; run `dynlearn bench run --suite quick --out {out}` first")
    if suite is not None:
        from dynlearn.bench.suite import load_suite, suite_file

        path = suite_file(suite, required=False)  # the same suite argument `bench run` took
        if path is not None:
            suite = load_suite(path).name
    store = ResultStore(store_path)
    run = store.latest_run(suite)
    if run is None:
        store.close()
        raise DynlearnError(f"{store_path} holds no run of suite {suite!r}; run it first")
    return store, run, suite_from_dict(store.run_spec(run), check_models=False)


def _what(spec) -> str:
    parts = [f"{len(spec.systems)} systems"] if spec.systems else []
    parts += [f"{len(spec.data)} data file{'s' if len(spec.data) > 1 else ''}"] if spec.data else []
    return " + ".join(parts)


def _median_iqr(row, fmt) -> str:
    """``median (IQR)``; the IQR is q75 - q25 over the cells' values."""
    if row.count == 0:
        return "-"
    return f"{fmt(row.median)} ({fmt(row.q75 - row.q25)})"


def _fitting(columns: list[list[str]], fixed: list[list[str]], width: int) -> int:
    """How many of ``columns`` (header + cells each, in order) fit beside ``fixed`` in ``width``
    characters of a rich table (each column: its widest text, 2 of padding and 1 of border); at least 1."""

    def w(col: list[str]) -> int:
        return max(len(x) for x in col) + 3

    used = 1 + sum(w(c) for c in fixed)
    n = 0
    for col in columns:
        used += w(col)
        if used > width and n:
            break
        n += 1
    return n


def _print_leaderboard(suite, cells, system: str | None = None, shown: list[str] | None = None, out=None) -> None:
    """The leaderboard table; ``shown`` None: the suite's metrics in order (the ranking metric first), as
    many as fit the console, with a note on how to see the others."""
    from dynlearn import metrics
    from dynlearn.bench.leaderboard import fmt, leaderboard, methods_ranked

    rows = leaderboard(cells, list(suite.metrics), [m.name for m in suite.methods], system=system)
    ranked = methods_ranked(rows)
    mine = {method: {r.metric: r for r in rows if r.method == method} for method in ranked}
    first = suite.metrics[0]

    def head(m: str) -> str:
        return f"{m} {'↑' if metrics.get(m).higher_is_better else '↓'}"

    def column(m: str) -> list[str]:
        return [head(m), *[_median_iqr(mine[method][m], fmt) for method in ranked]]

    names = list(suite.metrics) if shown is None else shown
    body = [
        [str(i) for i in range(1, len(ranked) + 1)] + ["rank"],
        ["method", *ranked],
        ["cells", *[str(max(r.count for r in mine[m].values())) for m in ranked]],
        ["failed", *[str(mine[m][first].failures) for m in ranked]],
    ]
    if shown is None:
        names = names[: _fitting([column(m) for m in names], body, console.width)]
    title = (
        f"suite {suite.name}" + (f" — {system}" if system else "") + f": median (IQR) over systems x seeds, "
        f"ranked by {first}"
    )
    table = Table(title=title)
    table.add_column("rank", justify="right")
    table.add_column("method")
    for m in names:
        table.add_column(head(m), justify="right")
    table.add_column("cells", justify="right")
    table.add_column("failed", justify="right")
    for rank, method in enumerate(ranked, 1):
        table.add_row(
            str(rank),
            method,
            *[_median_iqr(mine[method][m], fmt) for m in names],
            str(max(r.count for r in mine[method].values())),
            str(mine[method][first].failures),
        )
    console.print(table)
    hidden = [m for m in suite.metrics if m not in names]
    if hidden and shown is None and system is None:
        where = f" --out {out}" if out is not None else ""
        console.print(
            f"{len(names)} of {len(suite.metrics)} metrics shown (the width of this terminal); not shown: "
            f"{', '.join(hidden)}. See them with `dynlearn bench leaderboard{where} --metrics {hidden[0]},...` "
            f"(or --metrics all, or --json), in the HTML report, or exported per cell by "
            f"`dynlearn bench export{where} -o cells.csv`."
        )


@app.command("run")
def run(
    suite: str = typer.Option("quick", "--suite", "-s", help="Built-in suite name or a .toml/.json suite file."),
    out: Path = OUT,
    old_o: str = OLD_O,
    jobs: int = typer.Option(min(2, os.cpu_count() or 1), "--jobs", "-j", help="Worker processes."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write the HTML report when done."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Compute failed (diverged/error) cells again."),
    force: bool = typer.Option(
        False, "--force", help="Write into an --out folder that holds other files and no results.sqlite."
    ),
    executor: str = typer.Option(
        "local",
        "--executor",
        "-e",
        help="Where cells run: local (worker processes, --jobs) or ray (pip install 'dynlearn[ray]').",
    ),
    address: str = typer.Option(
        None, "--address", help="Ray cluster to join (e.g. auto, ray://head:10001); default: a local Ray instance."
    ),
) -> None:
    """Run (or resume) a suite: every missing (system, method, seed) cell is computed and committed."""
    from dynlearn.bench import ResultStore, load_suite, paths, run_suite
    from dynlearn.bench.executors import make_executor
    from dynlearn.bench.runner import check_out_dir

    _refuse_old_o(old_o, "run")

    spec = load_suite(suite)
    check_out_dir(out, force=force, flag="--force")
    runner = make_executor(executor, address=address, num_cpus=jobs if address is None else None)
    with ResultStore(paths(out, spec)["store"]) as store:
        done = sum(len(store.done_cells(m.key)) for m in spec.members())  # a sweep is several runs
    total = len(spec.cells())
    err_console.print(
        f"suite [bold]{spec.name}[/]: {_what(spec)} x {len(spec.methods)} methods x "
        f"{len(spec.seeds)} seeds = {total} cells" + (f" ({done} already done, resuming)" if done else "")
    )
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        tasks = {}

        def on_event(phase, n, total_, cell):
            if phase not in tasks:
                label = "simulating data" if phase == "data" else "fitting + forecasting"
                tasks[phase] = progress.add_task(label, total=max(total_, 1) if total_ else 1)
            progress.update(tasks[phase], completed=n if total_ else 1, total=max(total_, 1) if total_ else 1)
            if cell is not None and cell.status != "ok":
                progress.console.print(
                    f"[yellow]{cell.system}/{cell.method}/seed {cell.seed}: {cell.status}: {cell.reason}[/]"
                )

        try:
            summary = run_suite(
                spec,
                out,
                jobs=jobs,
                on_event=on_event,
                retry_failed=retry_failed,
                force=force,
                executor=runner,
            )
        except KeyboardInterrupt:
            progress.stop()
            with ResultStore(paths(out, spec)["store"]) as store:
                saved = sum(len(store.done_cells(m.key)) for m in spec.members())
            err_console.print(
                f"interrupted: {saved} of {total} cells are saved in {out}; run the same command again to resume"
            )
            if runner is not None:
                runner.close()  # _exit_now skips the finally below
            _exit_now(130)
        finally:
            if runner is not None:
                runner.close()
    err_console.print(
        f"{summary.computed} cells computed, {summary.skipped} reused, {summary.failed} failed, "
        f"in {summary.seconds:.1f} s; results in {summary.store}"
    )
    spec = spec.members()[-1]  # a sweep's last run (the others: `bench leaderboard`, `bench report`)
    with ResultStore(summary.store) as store:
        cells = store.cells(spec.key)
    _print_leaderboard(spec, cells, out=out)
    if report:
        p = paths(out, spec)
        from dynlearn.bench.report import load_run, with_its_sweep, write_runs_report

        with err_console.status("drawing the report"):  # a run of a sweep is drawn with the whole sweep
            runs = [load_run(summary.store, key) for key in with_its_sweep(summary.store, spec.key)]
            html = write_runs_report(runs, p["report"] / "index.html")
        err_console.print(f"report: {html}")


def _exit_now(code: int) -> None:
    """Leave at once: the store is closed and the workers are gone, and tearing down the
    interpreter (torch and friends) took seconds more on a loaded machine after Ctrl-C."""
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@app.command("leaderboard")
def leaderboard_cmd(
    out: Path = OUT,
    old_o: str = OLD_O,
    suite: str = typer.Option(None, "--suite", "-s", help="Suite name (default: the most recent run in the store)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable rows: method, metric, median, count, ..."),
    by_system: bool = typer.Option(False, "--by-system", help="One table per system as well."),
    metric_names: str = typer.Option(
        None,
        "--metrics",
        "-m",
        help="Metrics to show, comma-separated, or all (default: the suite's, ranking metric first, as many as "
        "fit the terminal).",
    ),
) -> None:
    """Show the leaderboard of the latest run of a suite."""
    from dynlearn.bench import leaderboard

    _refuse_old_o(old_o, "leaderboard")
    store, run, spec = _suite_of_store(out, suite)
    shown = _metric_columns(spec, metric_names)
    with store:
        cells = store.cells(run)
    if as_json:
        rows = leaderboard(cells, list(spec.metrics), [m.name for m in spec.methods])
        out_rows = [{"suite": spec.name, "run": run, **r.to_json()} for r in rows]
        if by_system:
            for system in spec.series:
                for r in leaderboard(cells, list(spec.metrics), [m.name for m in spec.methods], system=system):
                    out_rows.append({"suite": spec.name, "run": run, "system": system, **r.to_json()})
        typer.echo(json.dumps(out_rows, indent=2))
        return
    _print_leaderboard(spec, cells, shown=shown, out=out)
    if by_system:
        for system in spec.series:
            _print_leaderboard(spec, cells, system, shown=shown)


@app.command("report")
def report_cmd(
    runs: list[str] = typer.Argument(
        None,
        help="Runs to draw: results folders or .sqlite files (their latest run), or run keys, suite names "
        "(their latest run) or sweep names (all their runs) in the store at --out. The first run that is not "
        "part of a sweep is the main one; sweep runs add the accuracy-against-training-length plot. "
        "Default: the latest run (of --suite) at --out.",
    ),
    out: Path = typer.Option(Path("runs"), "--out", help="Benchmark folder holding results.sqlite."),
    suite: str = typer.Option(None, "--suite", "-s", help="Without RUNs: the suite whose latest run to draw."),
    output: Path = typer.Option(
        None, "--output", "-o", help="HTML file to write (default: <out>/report/<suite name>/index.html)."
    ),
    examples: int = typer.Option(6, "--examples", help="Systems shown with example forecasts."),
) -> None:
    """Write the self-contained HTML report (leaderboard, heatmap, VPT, sweep, Lyapunov, forecasts, failures)."""
    from dynlearn.bench.report import load_run, resolve_runs, split_runs, with_its_sweep, write_runs_report
    from dynlearn.errors import ValidationError

    if output is not None and output.suffix.lower() not in (".html", ".htm"):
        raise ValidationError(
            f"--output/-o is the HTML file to write, got {str(output)!r}; end it in .html "
            "(the folder holding results.sqlite is --out)"
        )
    if examples < 0:
        raise ValidationError(f"--examples must be >= 0, got {examples}")
    if runs:
        found = resolve_runs(runs, out)
    else:
        store, run, _ = _suite_of_store(out, suite)
        store.close()
        found = [load_run(out / "results.sqlite", key) for key in with_its_sweep(out / "results.sqlite", run)]
    main, _ = split_runs(found)
    path = output or out / "report" / main.suite.name / "index.html"
    with err_console.status(f"drawing the report of {sum(len(r.cells) for r in found)} cells"):
        html = write_runs_report(found, path, examples=examples)
    console.print(f"report: {html}")


@app.command("suites")
def suites_cmd() -> None:
    """List the built-in suites."""
    from dynlearn.bench import builtin_suites, load_suite

    for name in builtin_suites():
        s = load_suite(name)
        console.print(f"[bold]{name}[/]: {len(s.cells())} cells — {s.description}")


def _resolve_run(arg: str, out: Path):
    """``arg`` as (store, run, suite): a results folder or .sqlite file (its latest run), else a run or
    suite name in the store at ``out``."""
    from dynlearn.bench import ResultStore, suite_from_dict
    from dynlearn.errors import DynlearnError

    p = Path(arg)
    if p.is_dir() or p.suffix == ".sqlite":
        path = p / "results.sqlite" if p.is_dir() else p
        if not path.exists():
            raise DynlearnError(f"{arg} holds no results.sqlite; pass a benchmark --out folder or a run name")
        store = ResultStore(path)
        run = store.latest_run()
    else:
        path = out / "results.sqlite"
        if not path.exists():
            raise DynlearnError(f"no results in {out}/; pass --out, or give a results folder instead of {arg!r}")
        store = ResultStore(path)
        runs = store.runs()
        run = next((r for r, _ in runs if r == arg), None) or next((r for r, s in runs if s == arg), None)
        if run is None:
            store.close()
            known = ", ".join(sorted({r for r, _ in runs} | {s for _, s in runs})) or "none"
            raise DynlearnError(f"{path} holds no run or suite {arg!r} (known: {known})")
    if run is None:
        store.close()
        raise DynlearnError(f"{path} holds no run yet")
    return store, run, suite_from_dict(store.run_spec(run), check_models=False)


@app.command("export")
def export_cmd(
    output: Path = typer.Option(..., "--output", "-o", help="File to write (.csv or .parquet)."),
    out: Path = typer.Option(Path("runs"), "--out", help="Benchmark folder holding results.sqlite."),
    suite: str = typer.Option(None, "--suite", "-s", help="Suite name (default: the most recent run)."),
    fmt: str = typer.Option(None, "--format", "-f", help="csv or parquet (default: from the file suffix, else csv)."),
) -> None:
    """Export every cell of a run (record + metrics, one row per cell) to CSV or Parquet."""
    from dynlearn.bench.export import format_of, table, write_table
    from dynlearn.errors import ValidationError

    if output.is_dir():
        raise ValidationError(
            f"-o/--output is the .csv or .parquet file to write, got the folder {str(output)!r} "
            f"(the folder holding results.sqlite is --out: --out {output} -o cells.csv)"
        )
    kind = format_of(output, fmt)  # refuse a bad format before reading anything
    store, run, spec = _suite_of_store(out, suite)
    with store:
        cells = store.cells(run)
    path = write_table(table(run, spec.name, cells, list(spec.metrics)), output, kind)
    console.print(f"{len(cells)} cells of run {run} -> {path} ({kind})")


@app.command("compare")
def compare_cmd(
    run_a: str = typer.Argument(..., help="Baseline: a results folder / .sqlite (latest run) or a run/suite name."),
    run_b: str = typer.Argument(..., help="Candidate, as RUN_A."),
    out: Path = typer.Option(Path("runs"), "--out", help="Store that run/suite names refer to."),
    alpha: float = typer.Option(0.05, "--alpha", help="Family-wise error rate (Holm over all methods x metrics)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable rows."),
    show_all: bool = typer.Option(False, "--all", help="List unchanged methods too."),
) -> None:
    """Which methods changed significantly from RUN_A to RUN_B (Wilcoxon signed-rank over paired cells, Holm)."""
    from dynlearn.bench.compare import compare
    from dynlearn.bench.leaderboard import fmt
    from dynlearn.errors import ValidationError

    if not 0 < alpha < 1:
        raise ValidationError(f"--alpha must be in (0, 1), got {alpha}")
    sa, ra, spec_a = _resolve_run(run_a, out)
    with sa:
        cells_a = sa.cells(ra)
    sb, rb, spec_b = _resolve_run(run_b, out)
    with sb:
        cells_b = sb.cells(rb)
    names = [m for m in spec_a.metrics if m in spec_b.metrics]
    rows = compare(cells_a, cells_b, names, alpha=alpha)
    if as_json:
        typer.echo(json.dumps([{"run_a": ra, "run_b": rb, **r.to_json()} for r in rows], indent=2))
        return
    table = Table(
        title=f"B = {run_b} ({rb}) against A = {run_a} ({ra}):\n"
        f"Wilcoxon signed-rank over paired cells, Holm-corrected, alpha {alpha:g}"
    )
    for col in ("method", "metric", "pairs", "median A", "median B", "median B-A", "p", "p (Holm)", "change"):
        table.add_column(col, justify="left" if col in ("method", "metric", "change") else "right")
    colour = {"better": "green", "worse": "red", "same": "dim"}
    shown = [r for r in rows if show_all or r.verdict != "same"]
    for r in shown:
        table.add_row(
            r.method, r.metric, str(r.pairs), fmt(r.median_a), fmt(r.median_b), fmt(r.median_diff),
            fmt(r.p), fmt(r.p_holm), f"[{colour[r.verdict]}]{r.verdict}[/]",
        )  # fmt: skip
    console.print(table)
    if not shown:
        console.print(f"no significant change in {len(rows)} method x metric comparisons (--all lists them)")
