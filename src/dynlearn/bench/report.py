"""The HTML report: one self-contained page (images inline, no network) of one or more runs.

The page shows the leaderboard (:func:`dynlearn.bench.leaderboard.leaderboard`), a
systems x methods heatmap of sMAPE, the distribution of valid prediction times per
method, accuracy against training length (from the runs of a data-limited sweep),
accuracy against the largest Lyapunov exponent with Spearman's rank correlation
(Spearman 1904), example forecasts, and every failed cell with its reason.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import functools
import html
import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dynlearn import metrics
from dynlearn.bench import _plots
from dynlearn.bench.leaderboard import Row, fmt, leaderboard, methods_ranked
from dynlearn.bench.store import CellResult, ResultStore
from dynlearn.bench.suite import Protocol, Suite, suite_from_dict
from dynlearn.errors import DynlearnError, UnknownNameError
from dynlearn.io_utils import atomic_write_text, read_npz

_plt = _plots.plt  # the one matplotlib entry point (also used by `dynlearn plot`)

SWEEP_HOWTO = (
    "A data-limited sweep is a suite with <code>vary = {train_points = [...]}</code>, such as the built-in "
    "<code>chaos135-sweep</code>: <code>dynlearn bench run --suite chaos135-sweep</code> stores one run per "
    "training length, each with the sweep's name in its spec. Then give the sweep's name to the report beside "
    "the main run: <code>dynlearn bench report MAIN NAME -o report.html</code> (NAME selects the sweep's runs in "
    'the store at <code>--out</code>; docs/benchmark.md, "Sweeps").'
)


@dataclasses.dataclass(frozen=True)
class ReportRun:
    """One stored run as the report sees it: its suite, cells and where its forecast files are."""

    key: str
    suite: Suite
    cells: list[CellResult]
    forecast_dir: Path | None = None
    store: Path | None = None
    sweep: str = ""


def stored_suite(spec: dict) -> Suite:
    """The suite of a stored run spec, for display: fields this version does not know (a newer
    suite's extras, such as ``sweep`` or tuning settings) are left out rather than refused."""
    known = {f.name for f in dataclasses.fields(Suite)}
    spec = {k: v for k, v in spec.items() if k in known}
    proto = {f.name for f in dataclasses.fields(Protocol)}
    spec["protocol"] = {k: v for k, v in spec.get("protocol", {}).items() if k in proto}
    return suite_from_dict(spec, check_models=False)


def load_run(store_path: Path, key: str) -> ReportRun:
    """The run ``key`` of the store at ``store_path``; forecast files are looked for where
    the runner writes them (``<out>/forecasts/<run key>/``)."""
    with ResultStore(store_path) as store:
        spec, cells = store.run_spec(key), store.cells(key)
    return ReportRun(key, stored_suite(spec), cells, store_path.parent / "forecasts" / key, store_path,
                     str(spec.get("sweep") or ""))  # fmt: skip


def with_its_sweep(store_path: Path, key: str) -> list[str]:
    """``[key]``, or if that run belongs to a sweep, the most recent run per training length of
    the whole sweep (``key``'s own length included): a sweep is drawn whole."""
    with ResultStore(store_path) as store:
        runs = store.runs()  # most recent first
        specs = {r: store.run_spec(r) for r, _ in runs}
    sweep = specs[key].get("sweep") if key in specs else None
    if not sweep:
        return [key]
    return _latest_per_length([r for r, _ in runs if specs[r].get("sweep") == sweep], specs)


def resolve_runs(args: Sequence[str], out: Path) -> list[ReportRun]:
    """Each argument as runs: a results folder or ``.sqlite`` file (its latest run, with the rest of
    its sweep if it belongs to one), else a name in the store at ``out``: a run key, a sweep name
    (all its runs) or a suite name (its latest run)."""
    found: dict[tuple[Path, str], None] = {}
    for arg in args:
        p = Path(arg)
        if p.is_dir() or p.suffix == ".sqlite":
            path = p / "results.sqlite" if p.is_dir() else p
            if not path.exists():
                raise DynlearnError(f"{arg} holds no results.sqlite; pass a benchmark --out folder or a run name")
            with ResultStore(path) as store:
                key = store.latest_run()
            if key is None:
                raise DynlearnError(f"{path} holds no run yet; run a suite into it first")
            found.update(dict.fromkeys((path, k) for k in with_its_sweep(path, key)))
            continue
        path = out / "results.sqlite"
        if not path.exists():
            raise DynlearnError(f"no results in {out}/; pass --out, or give a results folder instead of {arg!r}")
        with ResultStore(path) as store:
            runs = store.runs()  # most recent first
            specs = {r: store.run_spec(r) for r, _ in runs}
        sweeps = {r: str(spec.get("sweep") or "") for r, spec in specs.items()}
        # a sweep's runs all carry the sweep's name as their suite name: the sweep wins over "latest of a suite"
        keys = [r for r, _ in runs if r == arg] or _latest_per_length([r for r, _ in runs if sweeps[r] == arg], specs)
        keys = keys or [r for r, s in runs if s == arg][:1]
        if not keys:
            known = sorted({r for r, _ in runs} | {s for _, s in runs} | ({*sweeps.values()} - {""}))
            raise UnknownNameError("run, suite or sweep", arg, known)
        found.update(dict.fromkeys((path, k) for k in keys))
    return [load_run(path, key) for path, key in found]


def _latest_per_length(keys: list[str], specs: dict[str, dict]) -> list[str]:
    """Of a sweep's runs (most recent first), the most recent per training length: an edited sweep
    file leaves its older runs in the store."""
    seen: dict[object, str] = {}
    for k in keys:
        seen.setdefault(specs[k].get("protocol", {}).get("train_points"), k)
    return list(seen.values())


def split_runs(runs: Sequence[ReportRun]) -> tuple[ReportRun, list[ReportRun]]:
    """The main run (the first that is not part of a sweep, else the sweep run with the most
    training points) and the others."""
    if not runs:
        raise DynlearnError("no run to report; pass a results folder, run, suite or sweep name")
    plain = [r for r in runs if not r.sweep]
    main = plain[0] if plain else max(runs, key=lambda r: r.suite.protocol.train_points)
    return main, [r for r in runs if r is not main]


# ------------------------------------------------------------------------------------ helpers
def _img(png: bytes | None, alt: str) -> str:
    if png is None:
        return ""
    return f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" alt="{html.escape(alt)}">'


def _note(text: str) -> str:
    return f'<p class="note">{text}</p>'


def _better(names) -> dict[str, str]:
    return {m: "higher" if metrics.get(m).higher_is_better else "lower" for m in names}


def _load_forecast(forecast_dir: Path | None, system: str, method: str, seed: int) -> dict | None:
    path = forecast_dir / f"{system}__{method}__seed{seed}.npz" if forecast_dir else None
    if path is None or not path.exists():
        return None
    try:
        return read_npz(path, what="forecast file")
    except (OSError, ValueError):  # FileFormatError is a ValueError: a torn file draws no picture
        return None


def _by_cell(cells: list[CellResult]) -> dict[tuple[str, str], list[CellResult]]:
    out: dict[tuple[str, str], list[CellResult]] = {}
    for c in cells:
        out.setdefault((c.system, c.method), []).append(c)
    return out


def _median(values) -> float:
    v = np.asarray([x for x in values if not math.isnan(x)], float)
    return float(np.median(v)) if len(v) else math.nan


# ------------------------------------------------------------------------------------ sections
def _leaderboard(run: ReportRun, rows: list[Row], methods: list[str], colors) -> str:
    names = list(run.suite.metrics)
    better = _better(names)
    head = "".join(f"<th>{html.escape(m)} {'↑' if better[m] == 'higher' else '↓'}</th>" for m in names)
    body = []
    for rank, method in enumerate(methods, 1):
        mine = {r.metric: r for r in rows if r.method == method}
        cells = "".join(
            f"<td title='IQR {fmt(mine[m].q25)} to {fmt(mine[m].q75)}, n={mine[m].count}'>{fmt(mine[m].median)}"
            f" <span class='iqr'>({fmt(mine[m].q75 - mine[m].q25) if mine[m].count else '-'})</span></td>"
            for m in names
        )
        n = max(r.count for r in mine.values())
        body.append(f"<tr><td>{rank}</td><td>{html.escape(method)}</td>{cells}<td>{n}</td>"
                    f"<td>{mine[names[0]].failures}</td></tr>")  # fmt: skip
    table = (f"<div class='wide'><table><tr><th>rank</th><th>method</th>{head}<th>cells</th><th>failed</th></tr>"
             + "".join(body) + "</table></div>")  # fmt: skip
    defs = "".join(f"<li><b>{m}</b>: {html.escape(metrics.get(m).description)}</li>" for m in names)
    p = run.suite.protocol
    return (
        "<h2 id='leaderboard'>Leaderboard</h2>"
        + _note(
            "Median (inter-quartile range q75 - q25, in brackets) of each metric over all (system, seed) cells, as "
            "<code>dynlearn bench leaderboard</code> computes it; hover a value for the quartiles and count. Methods "
            f"ranked by the first metric. Short-term metrics are means over {p.n_windows} test windows of "
            f"{p.horizon} steps; "
            + (
                f"long-term ones compare one {p.long_horizon}-step free run with the true test trajectory. "
                if p.long_horizon
                else "this suite makes no long free run (protocol.long_horizon = 0), so long-term metrics have no "
                "values. "
            )
            + "Diverged cells keep their (large) values; error cells have none."
        )
        + table
        + f"<ul class='note'>{defs}</ul>"
        + _img(_plots.metric_bars_figure(rows, names, methods, colors, better), "median and IQR per metric")
    )


def _heatmap(run: ReportRun, methods: list[str]) -> tuple[str, list[str]]:
    """The section and the systems ordered from easiest to hardest (for picking examples)."""
    series = list(run.suite.series)
    if "smape" not in run.suite.metrics:
        return ("<h2 id='heatmap'>sMAPE per system</h2>" + _note(
            "This run has no <code>smape</code> metric; add it to the suite's <code>metrics</code> to get the heatmap."),
            series)  # fmt: skip
    groups = _by_cell(run.cells)
    values = np.full((len(series), len(methods)), np.nan)
    status = np.full((len(series), len(methods)), "missing", dtype=object)
    for i, s in enumerate(series):
        for j, m in enumerate(methods):
            mine = groups.get((s, m), [])
            ok = [c.metrics.get("smape", math.nan) for c in mine if c.status == "ok"]
            if ok:
                values[i, j] = _median(ok)
                status[i, j] = "ok" if len(ok) == len(mine) else "partial"
            elif mine:
                status[i, j] = "diverged" if any(c.status == "diverged" for c in mine) else "error"
    # easiest first: a failed cell counts as the worst sMAPE, 200
    score = np.where(np.isin(status, ["diverged", "error"]), 200.0, values)
    with np.errstate(all="ignore"):
        key = [np.nanmedian(r) if np.isfinite(r).any() else math.inf for r in score]
    order = sorted(range(len(series)), key=lambda i: (key[i], series[i]))
    png = _plots.heatmap_figure([series[i] for i in order], methods, values[order], status[order], "sMAPE", 200.0)
    n_fail = int(np.isin(status, ["diverged", "error", "partial"]).sum())
    text = (
        f"Median sMAPE (0-200 scale) over the seeds of each (system, method) cell that finished <code>ok</code>. "
        f"Systems run from easiest (top: lowest median over methods, a failed cell counting as 200) to hardest; "
        f"methods in leaderboard order. Failed cells are marked, not coloured by a number: red with a cross = "
        f"every seed failed and at least one diverged, grey with a bang = every seed raised an error, a red dot = "
        f"some seeds failed (the colour is the median of the others), white = not run. {n_fail} of "
        f"{values.size} (system, method) pairs have a failure."
    )
    return "<h2 id='heatmap'>sMAPE per system</h2>" + _note(text) + _img(png, "sMAPE heatmap"), [
        series[i] for i in order
    ]


def _vpt(run: ReportRun, methods: list[str], colors) -> str:
    head = "<h2 id='vpt'>Valid prediction time</h2>"
    if "vpt_lyap" not in run.suite.metrics:
        return head + _note("This run has no <code>vpt_lyap</code> metric; add it to the suite's metrics.")
    ok: dict[str, list] = {}
    div: dict[str, list] = {}
    err: dict[str, int] = {}
    for c in run.cells:
        if c.status == "error" or "vpt_lyap" not in c.metrics:
            err[c.method] = err.get(c.method, 0) + (c.status == "error")
            continue
        (ok if c.status == "ok" else div).setdefault(c.method, []).append(c.metrics["vpt_lyap"])
    med = {m: _median(ok.get(m, []) + div.get(m, [])) for m in methods}
    order = sorted(methods, key=lambda m: -med[m] if math.isfinite(med[m]) else math.inf)
    png = _plots.vpt_figure(order, ok, div, err, colors, "vpt_lyap")
    text = (
        "Each point is one (system, seed) cell: how long the forecast stays within the metric's error threshold of "
        "the truth, in Lyapunov times (1 / λ_max), averaged over the test windows. Boxes span the quartiles, the "
        "line is the median, whiskers reach 1.5 IQR. Red crosses are diverged cells (their VPT counts until the "
        "forecast broke); error cells have no value and are counted in the label. Methods top to bottom by median."
    )
    return head + _note(text) + _img(png, "VPT distribution per method")


def _sweep(main: ReportRun, others: list[ReportRun], colors: dict[str, str]) -> str:
    head = "<h2 id='sweep'>Accuracy against training length</h2>"
    sweeps: dict[str, list[ReportRun]] = {}
    for r in [main, *others]:
        if r.sweep:
            sweeps.setdefault(r.sweep, []).append(r)
    if not sweeps:
        return head + _note("No run of a data-limited sweep was given, so there is nothing to draw. " + SWEEP_HOWTO)
    parts = [head]
    for name, runs in sweeps.items():
        runs = sorted(runs, key=lambda r: r.suite.protocol.train_points)
        names = [m for m in ("smape", "vpt_lyap") if all(m in r.suite.metrics for r in runs)]
        names = names or [runs[0].suite.metrics[0]]
        methods = list(dict.fromkeys(m.name for r in runs for m in r.suite.methods))
        for m in methods:
            colors.setdefault(m, "#444444")
        series: dict[str, dict[str, list]] = {k: {} for k in names}
        table: dict[str, dict[int, str]] = {}
        for r in runs:
            x = r.suite.protocol.train_points
            for row in leaderboard(r.cells, names, [m.name for m in r.suite.methods]):
                series[row.metric].setdefault(row.method, []).append((x, row.median, row.q25, row.q75))
                if row.metric == names[0]:
                    table.setdefault(row.method, {})[x] = fmt(row.median)
        xs = sorted({r.suite.protocol.train_points for r in runs})
        png = _plots.sweep_figure(name, series, methods, colors, _better(names))
        rows = "".join(f"<tr><td>{html.escape(m)}</td>" + "".join(f"<td>{table.get(m, {}).get(x, '-')}</td>"
                       for x in xs) + "</tr>" for m in methods)  # fmt: skip
        text = (f"Sweep <code>{html.escape(name)}</code>: {len(runs)} runs at training lengths "
                f"{', '.join(map(str, xs))} points. Each point is a method's median over that run's (system, seed) "
                f"cells; the band (up to eight methods) is the inter-quartile range. Table: median {names[0]}.")  # fmt: skip
        parts.append(_note(text) + _img(png, f"accuracy against training length, sweep {name}")
                     + "<div class='wide'><table><tr><th>method</th>"
                     + "".join(f"<th>{x}</th>" for x in xs) + f"</tr>{rows}</table></div>")  # fmt: skip
    return "".join(parts)


@functools.cache
def _permutations(n: int) -> np.ndarray:
    return np.array(list(itertools.permutations(range(n))))


def _spearman(x: list[float], y: list[float], *, pvalue: bool = True) -> tuple[float, float, int]:
    """Spearman's rank correlation, its two-sided p-value and n (NaN below three distinct points).

    The p-value is exact (every permutation) up to eight points, where the t approximation
    scipy uses would call a perfect ordering of three points p = 0; beyond, scipy's."""
    from scipy import stats

    n = len(x)
    if n < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return math.nan, math.nan, n
    rho = float(stats.spearmanr(x, y).statistic)
    if not pvalue:
        return rho, math.nan, n
    if n > 8:
        return rho, float(stats.spearmanr(x, y).pvalue), n
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    perms = ry[_permutations(n)]  # (n!, n): every reordering of y's ranks
    a, b = rx - rx.mean(), perms - perms.mean(axis=1, keepdims=True)
    r = (b @ a) / np.sqrt((a @ a) * np.einsum("ij,ij->i", b, b))
    return rho, float(np.mean(np.abs(r) >= abs(rho) - 1e-12)), n


def _lyapunov(run: ReportRun, methods: list[str], colors) -> str:
    from dynlearn import systems

    head = "<h2 id='lyapunov'>Accuracy against the largest Lyapunov exponent</h2>"
    lam, period = {}, {}
    for s in run.suite.systems:
        try:
            sys_ = systems.get(s)
        except DynlearnError:
            continue
        if sys_.kind != "map" and sys_.max_lyapunov is not None and sys_.max_lyapunov > 0:  # maps: per iteration
            lam[s], period[s] = float(sys_.max_lyapunov), float(sys_.period)
    names = [m for m in ("smape", "vpt_lyap") if m in run.suite.metrics]
    if len(lam) < 3 or not names:
        why = "fewer than three chaotic catalog systems" if len(lam) < 3 else "neither smape nor vpt_lyap"
        return head + _note(f"Not drawn: this run has {why}; Spearman's correlation needs at least three systems.")
    acc: dict[str, dict[str, dict[str, float]]] = {k: {} for k in names}
    for (s, m), cs in _by_cell(run.cells).items():
        if s in lam:
            for k in names:
                acc[k].setdefault(m, {})[s] = _median([c.metrics.get(k, math.nan) for c in cs])
    rho: dict[str, dict[str, tuple]] = {}
    rows = []
    for m in methods:
        cells = []
        for k in names:
            pairs = [(s, v) for s, v in acc[k].get(m, {}).items() if math.isfinite(v)]
            r1 = _spearman([lam[s] for s, _ in pairs], [v for _, v in pairs])
            r2 = _spearman([lam[s] * period[s] for s, _ in pairs], [v for _, v in pairs], pvalue=False)
            rho.setdefault(k, {})[m] = r1
            cells.append(
                f"<td>{fmt(r1[0])}</td><td>{fmt(r1[1]) if not r1[1] < 1e-3 else '&lt; 0.001'}</td><td>{fmt(r2[0])}</td><td>{r1[2]}</td>"
            )
        rows.append(f"<tr><td>{html.escape(m)}</td>{''.join(cells)}</tr>")
    k0 = names[0]
    png = _plots.lyapunov_figure(methods, lam, acc[k0], rho[k0], colors, k0)
    sub = "".join(f"<th>ρ({k}, λ_max)</th><th>p</th><th>ρ({k}, λ_max·T)</th><th>systems</th>" for k in names)
    text = (
        f"Each point is one system: the median {k0} over its seeds (every cell with a value, diverged ones "
        "included) against λ_max, the largest Lyapunov exponent of the catalog's invariants (dynlearn systems show "
        "NAME). The table gives Spearman's rank correlation ρ with its two-sided p-value, and ρ against λ_max·T "
        "(T the dominant period: e-foldings per period, which is what a forecast of a fixed number of points per "
        "period feels). |ρ| near 0 means accuracy does not track chaoticity. "
        f"{len(lam)} of {len(run.suite.systems)} systems are flows with a positive λ_max (maps, whose exponent is "
        "per iteration, are left out)."
    )
    table = f"<div class='wide'><table><tr><th>method</th>{sub}</tr>{''.join(rows)}</table></div>"
    return head + _note(text) + _img(png, "accuracy against lambda_max") + table


def _examples(run: ReportRun, ranked: list[str], order: list[str], colors, n: int) -> str:
    from dynlearn import systems

    head = "<h2 id='forecasts'>Example forecasts</h2>"
    seed = run.suite.seeds[0]
    pick = order if len(order) <= n else [order[round(i)] for i in np.linspace(0, len(order) - 1, n)]
    top = ranked[:6]
    parts = []
    for system in pick:
        data = run.suite.dataset(system)
        lyap = None if data else systems.get(system).lyapunov_time
        runs = {m: f for m in top if (f := _load_forecast(run.forecast_dir, system, m, seed)) is not None}
        diverged = {c.method for c in run.cells if c.system == system and c.seed == seed and c.status == "diverged"}
        window = "last forecast origin" if data else "first test window"
        if getattr(run.suite.protocol, "origin", "test") == "train_end":  # the dysts protocol: one window
            window = "forecast from the end of training"
        imgs = _img(
            _plots.forecast_figure(system, runs, colors, seed, lyap, window, diverged), f"forecasts on {system}"
        )
        imgs += _img(_plots.attractor_figure(system, runs, colors, seed, diverged), f"free-running orbits on {system}")
        parts.append(f"<h3>{html.escape(system)}</h3>" + (imgs or _note("No forecast files for this system.")))
    chosen = (
        "every system" if len(order) <= n else f"{len(pick)} systems spread from easiest to hardest (heatmap order)"
    )
    text = (
        f"{chosen}, seed {seed}, the {len(top)} best-ranked methods. Top: the first test window, context (grey), "
        "truth (black) and forecasts (dashed); a diverged method is labelled so and a cross marks where it leaves "
        "the panel. Bottom: the long free run as a phase portrait on the truth's axes; a dot marks the final state; "
        "a diverged method's panel is framed red. Drawn from the forecast files cells save in "
        f"<code>{html.escape(str(run.forecast_dir))}</code>."
    )
    return head + _note(text) + "".join(parts)


def _failures(cells: list[CellResult], methods: list[str]) -> str:
    failed = [c for c in cells if c.status != "ok"]
    head = "<h2 id='failures'>Failed cells</h2>"
    if not failed:
        return head + "<p>None.</p>"
    counts = "".join(
        f"<tr><td>{html.escape(m)}</td><td>{sum(c.method == m and c.status == 'diverged' for c in failed)}</td>"
        f"<td>{sum(c.method == m and c.status == 'error' for c in failed)}</td></tr>"
        for m in methods
        if any(c.method == m for c in failed)
    )
    rows = "".join(
        f"<tr><td>{html.escape(c.system)}</td><td>{html.escape(c.method)}</td><td>{c.seed}</td>"
        f"<td class='{c.status}'>{c.status}</td><td class='reason'>{html.escape(c.reason)}</td></tr>"
        for c in failed
    )
    return (
        head
        + _note(
            f"{len(failed)} of {len(cells)} cells failed. Diverged: a forecast left ten times the training "
            "range or became non-finite (metrics kept); error: fit or predict raised (no metrics)."
        )  # fmt: skip
        + f"<table><tr><th>method</th><th>diverged</th><th>error</th></tr>{counts}</table>"
        + f"<details><summary>every failed cell with its reason ({len(failed)})</summary>"
        + "<table><tr><th>system</th><th>method</th><th>seed</th><th>status</th><th>reason</th></tr>"
        + rows
        + "</table></details>"
    )


def _protocol(suite: Suite) -> str:
    rows = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in vars(suite.protocol).items())
    for d in suite.data:
        opts = {k: v for k, v in vars(d).items() if v not in (None, "") and k not in ("name", "sha256")}
        text = ", ".join(f"{k}={v}" for k, v in opts.items())
        rows += f"<tr><td>data {html.escape(d.name)}</td><td>{html.escape(text)}</td></tr>"
    p = suite.protocol
    scale = (
        "Metrics are computed on z-scored data (each dimension standardised with the training part's mean and std), "
        if p.standardize
        else "Metrics are computed in the systems' own units (not standardised), "
    ) + "and sMAPE is on the 0-200 scale, as in dysts (Gilpin 2021, 2023)."
    return "<h2 id='protocol'>Protocol</h2>" + _note(scale) + f"<table>{rows}</table>"


_CSS = """body{font-family:system-ui,sans-serif;max-width:1400px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:0.6em 0;font-size:0.9em}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:right}th{background:#f3f3f3}td:nth-child(2),td:first-child{text-align:left}
img{max-width:100%;height:auto;display:block;margin:0.6em 0}.note{color:#555;font-size:0.9em;max-width:75em}
.iqr{color:#888;font-size:0.85em}.wide{overflow-x:auto}.diverged{color:#b00000}.error{color:#555}
td.reason{text-align:left;font-family:monospace;font-size:0.85em}nav a{margin-right:1em}"""


def write_runs_report(runs: Sequence[ReportRun], path: Path, *, examples: int = 6) -> Path:
    """Write the page for ``runs`` (the main one chosen by :func:`split_runs`) to ``path``."""
    from dynlearn import __version__

    main, others = split_runs(runs)
    suite = main.suite
    names, order = list(suite.metrics), [m.name for m in suite.methods]
    rows = leaderboard(main.cells, names, order)
    ranked = methods_ranked(rows)
    colors = _plots.method_colors(ranked)
    heat, by_difficulty = _heatmap(main, ranked)
    if others:
        lines = "".join(
            f"<tr><td>{html.escape(r.key)}</td><td>{html.escape(r.suite.name)}</td><td>{html.escape(r.sweep)}</td>"
            f"<td>{r.suite.protocol.train_points}</td><td>{len(r.cells)}</td>"
            f"<td>{'main' if r is main else ('sweep' if r.sweep else 'not drawn: not part of a sweep')}</td></tr>"
            for r in [main, *others]
        )
        runs_html = ("<table><tr><th>run</th><th>suite</th><th>sweep</th><th>train points</th><th>cells</th>"
                     f"<th>role</th></tr>{lines}</table>")  # fmt: skip
    else:
        runs_html = ""
    store = f"; store {html.escape(str(main.store))}" if main.store else ""
    nav = "".join(f"<a href='#{a}'>{t}</a>" for a, t in [
        ("leaderboard", "leaderboard"), ("heatmap", "sMAPE heatmap"), ("vpt", "VPT"), ("sweep", "training length"),
        ("lyapunov", "Lyapunov exponent"), ("forecasts", "forecasts"), ("failures", "failures"),
        ("protocol", "protocol")])  # fmt: skip
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>dynlearn: {html.escape(suite.name)}</title><link rel="icon" href="data:,"><style>{_CSS}</style></head><body>
<h1>Benchmark report: suite <code>{html.escape(suite.name)}</code></h1>
<p>{html.escape(suite.description)}</p>
<p class="note">Run <code>{html.escape(main.key)}</code>: {len(main.cells)} of {len(suite.cells())} cells
({len(suite.series)} systems/data files x {len(suite.methods)} methods x {len(suite.seeds)} seeds); dynlearn
{__version__}; written {_dt.datetime.now().isoformat(timespec="seconds")}{store}.</p>{runs_html}
<nav>{nav}</nav>
{_leaderboard(main, rows, ranked, colors)}
{heat}
{_vpt(main, ranked, colors)}
{_sweep(main, others, colors)}
{_lyapunov(main, ranked, colors)}
{_examples(main, ranked, by_difficulty, colors, examples)}
{_failures(main.cells, ranked)}
{_protocol(suite)}
</body></html>"""
    return atomic_write_text(path, page)


def write_report(
    suite: Suite,
    cells: list[CellResult],
    forecast_dir: Path,
    out: Path,
    store_path: Path | None = None,
    *,
    key: str | None = None,
    examples: int = 6,
) -> Path:
    """Write the report of one run: ``out`` itself if it ends in ``.html``, else ``out/index.html``.

    The page is self-contained (every image inline): move or mail it and it still opens."""
    out = Path(out)
    path = out if out.suffix == ".html" else out / "index.html"
    run = ReportRun(key or suite.key, suite, cells, Path(forecast_dir) if forecast_dir else None, store_path)
    return write_runs_report([run], path, examples=examples)
