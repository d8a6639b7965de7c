"""The HTML report: leaderboard tables plus PNGs of real forecasts and metrics."""

from __future__ import annotations

import datetime as _dt
import html
import math
from pathlib import Path

import numpy as np

from dynlearn import metrics
from dynlearn.bench.leaderboard import Row, fmt, leaderboard, methods_ranked
from dynlearn.bench.store import CellResult
from dynlearn.bench.suite import Suite
from dynlearn.io_utils import atomic_write_text, read_npz

_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22"]


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _color(methods: list[str], method: str) -> str:
    return _COLORS[methods.index(method) % len(_COLORS)]


def _load_forecast(forecast_dir: Path, system: str, method: str, seed: int) -> dict | None:
    path = forecast_dir / f"{system}__{method}__seed{seed}.npz"
    if not path.exists():
        return None
    try:
        return read_npz(path, what="forecast file")
    except (OSError, ValueError):  # FileFormatError is a ValueError: a torn file draws no picture
        return None


def _label(method: str, diverged: set[str]) -> str:
    return f"{method} (diverged)" if method in diverged else method


def plot_forecasts(
    system: str,
    methods: list[str],
    seed: int,
    runs: dict[str, dict],
    lyap_time: float | None,
    path: Path,
    window: str = "first test window",
    diverged: set[str] = frozenset(),
) -> bool:
    """Context, truth and every method's forecast of the first test window, one panel per dimension.

    A method in ``diverged`` is labelled so, and a cross marks where its forecast leaves the panel."""
    plt = _plt()
    if not runs:
        return False
    first = next(iter(runs.values()))
    truth, ctx, dt = first["window_truth"], first["window_context"], float(first["dt"])
    unit, scale = ("Lyapunov times", dt / lyap_time) if lyap_time else ("time", dt)
    t_ctx = (np.arange(-len(ctx), 0) + 1) * scale
    t_fut = np.arange(1, len(truth) + 1) * scale
    dim = truth.shape[1]
    fig, axes = plt.subplots(dim, 1, figsize=(9, 1.8 * dim + 0.8), sharex=True, squeeze=False)
    for d, ax in enumerate(axes[:, 0]):
        ax.plot(t_ctx, ctx[:, d], color="0.6", lw=1.2, label="context" if d == 0 else None)
        ax.plot(t_fut, truth[:, d], color="black", lw=1.6, label="truth" if d == 0 else None)
        lo, hi = np.min([ctx[:, d].min(), truth[:, d].min()]), np.max([ctx[:, d].max(), truth[:, d].max()])
        pad = 0.3 * (hi - lo + 1e-12)
        for m, f in runs.items():
            y = np.where(np.isfinite(f["window_forecast"][:, d]), f["window_forecast"][:, d], np.nan)
            label = _label(m, diverged) if d == 0 else None
            ax.plot(t_fut, y, color=_color(methods, m), lw=1.1, ls="--", label=label)
            if m in diverged:
                out = ~(np.abs(y - (lo + hi) / 2) <= (hi - lo) / 2 + pad)  # NaN counts as out
                if out.any():
                    k = int(np.argmax(out))
                    edge = hi + pad if not np.isfinite(y[k]) or y[k] > hi else lo - pad
                    ax.plot(t_fut[k], edge, "x", color=_color(methods, m), ms=9, mew=2.5, clip_on=False)
        ax.set_ylim(lo - pad, hi + pad)
        ax.axvline(0, color="0.8", lw=0.8)
        names = first.get("variables")  # a data file's column names; catalog systems have none
        ax.set_ylabel(str(names[d]) if names is not None and len(names) == dim else f"x{d}")
    axes[-1, 0].set_xlabel(f"{unit} since forecast start")
    axes[0, 0].legend(loc="upper left", ncol=min(6, len(runs) + 2), fontsize=8, frameon=False)
    fig.suptitle(f"{system}: {window}, seed {seed}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def plot_attractors(
    system: str, methods: list[str], seed: int, runs: dict[str, dict], path: Path, diverged: set[str] = frozenset()
) -> bool:
    """Long free-running forecast of each method against the true attractor (first vs last coordinate).

    The panel of a method in ``diverged`` gets a red title saying so and a red frame."""
    plt = _plt()
    runs = {m: f for m, f in runs.items() if len(f["long_forecast"])}
    if not runs:
        return False
    truth = next(iter(runs.values()))["long_truth"]
    j = truth.shape[1] - 1
    fig, axes = plt.subplots(1, len(runs) + 1, figsize=(2.8 * (len(runs) + 1), 2.9), squeeze=False)
    lims = [(truth[:, k].min(), truth[:, k].max()) for k in (0, j)]
    for ax, (title, data, color) in zip(
        axes[0], [("truth", truth, "black")] + [(m, f["long_forecast"], _color(methods, m)) for m, f in runs.items()]
    ):
        ok = np.isfinite(data).all(axis=1)
        ax.plot(data[ok, 0], data[ok, j], color=color, lw=0.4)
        if ok.any():  # a forecast that settles on a point is still visible
            ax.plot(data[ok, 0][-1], data[ok, j][-1], "o", color=color, ms=5)
        if title in diverged and title != "truth":
            ax.set_title(f"{title}: diverged", fontsize=9, color="#b00000")
            for spine in ax.spines.values():
                spine.set_edgecolor("#b00000")
                spine.set_linewidth(2)
        else:
            ax.set_title(title, fontsize=9)
        for setlim, (lo, hi) in zip((ax.set_xlim, ax.set_ylim), lims):
            pad = 0.15 * (hi - lo)
            setlim(lo - pad, hi + pad)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{system}: {len(truth)}-step free run (x0 vs x{j}), seed {seed}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def plot_metric_bars(rows: list[Row], metric_names: list[str], path: Path, colors: dict[str, str]) -> None:
    """Median (bar) and inter-quartile range (whisker) per method, one panel per metric."""
    plt = _plt()
    methods = methods_ranked(rows)
    fig, axes = plt.subplots(1, len(metric_names), figsize=(2.6 * len(metric_names) + 0.5, 3.2), squeeze=False)
    for ax, metric in zip(axes[0], metric_names):
        mine = {r.method: r for r in rows if r.metric == metric}
        finite = [mine[m].median for m in methods if m in mine and math.isfinite(mine[m].median)]
        cap = 1.5 * max(finite) if finite else 1.0
        for i, m in enumerate(methods):
            r = mine.get(m)
            if r is None or math.isnan(r.median):
                continue
            med = min(r.median, cap)
            lo, hi = min(r.q25, cap), min(r.q75, cap)
            ax.bar(i, med, color=colors[m], hatch="//" if math.isinf(r.median) else None)
            ax.errorbar(i, med, yerr=[[med - lo], [hi - med]], color="black", capsize=3, lw=1)
        info = metrics.get(metric)
        ax.set_title(f"{metric} ({'higher' if info.higher_is_better else 'lower'} is better)", fontsize=9)
        ax.set_xticks(range(len(methods)), methods, rotation=30, ha="right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _table(rows: list[Row], metric_names: list[str]) -> str:
    methods = methods_ranked(rows)
    head = "".join(f"<th>{html.escape(m)}</th>" for m in metric_names)
    body = []
    for rank, method in enumerate(methods, 1):
        mine = {r.metric: r for r in rows if r.method == method}
        any_row = next(iter(mine.values()))
        cells = "".join(
            f"<td title='IQR {fmt(mine[m].q25)} to {fmt(mine[m].q75)}, n={mine[m].count}'>{fmt(mine[m].median)}</td>"
            for m in metric_names
        )
        body.append(f"<tr><td>{rank}</td><td>{html.escape(method)}</td>{cells}<td>{any_row.failures}</td></tr>")
    return f"<table><tr><th>rank</th><th>method</th>{head}<th>failed cells</th></tr>" + "".join(body) + "</table>"


_DATA_NOTE = """ On data files, every metric is the mean over the rolling forecast origins, in the data's own
units (protocol at the end of the page); the forecast plot shows the last origin."""


def _data_rows(suite: Suite) -> str:
    """The data files of the suite and their rolling-origin protocol (see dynlearn.bench.userdata)."""
    rows = []
    for d in suite.data:
        opts = {k: v for k, v in vars(d).items() if v not in (None, "") and k not in ("name", "sha256")}
        text = ", ".join(f"{k}={v}" for k, v in opts.items())
        rows.append(f"<tr><td>data {html.escape(d.name)}</td><td>{html.escape(text)}</td></tr>")
    return "".join(rows)


def write_report(
    suite: Suite, cells: list[CellResult], forecast_dir: Path, out_dir: Path, store_path: Path | None = None
) -> Path:
    """Write ``out_dir/index.html`` and its PNGs; returns the HTML path."""
    from dynlearn import __version__, systems

    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(suite.metrics)
    order = [m.name for m in suite.methods]
    rows = leaderboard(cells, names, order)
    plot_metric_bars(rows, names, out_dir / "metrics.png", {m: _color(order, m) for m in order})
    seed = suite.seeds[0]
    sections = []
    for system in suite.series:
        sys_rows = leaderboard(cells, names, order, system=system)
        lyap = None if suite.dataset(system) else systems.get(system).lyapunov_time
        imgs = []
        # each method's saved forecast, read once for both figures
        runs = {m: f for m in order if (f := _load_forecast(forecast_dir, system, m, seed)) is not None}
        window = "last forecast origin" if suite.dataset(system) else "first test window"
        diverged = {c.method for c in cells if c.system == system and c.seed == seed and c.status == "diverged"}
        if plot_forecasts(system, order, seed, runs, lyap, out_dir / f"forecast_{system}.png", window, diverged):
            imgs.append(f"<img src='forecast_{system}.png' alt='forecasts on {system}'>")
        if plot_attractors(system, order, seed, runs, out_dir / f"attractor_{system}.png", diverged):
            imgs.append(f"<img src='attractor_{system}.png' alt='free-running orbits on {system}'>")
        sections.append(f"<h3>{html.escape(system)}</h3>{_table(sys_rows, names)}{''.join(imgs)}")
    failures = [c for c in cells if c.status != "ok"]
    fail_html = "".join(
        f"<tr><td>{html.escape(c.system)}</td><td>{html.escape(c.method)}</td><td>{c.seed}</td>"
        f"<td>{c.status}</td><td>{html.escape(c.reason)}</td></tr>"
        for c in failures
    )
    metric_help = "".join(f"<li><b>{m}</b>: {html.escape(metrics.get(m).description)}</li>" for m in names)
    proto = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in vars(suite.protocol).items())
    proto += _data_rows(suite)
    expected = len(suite.cells())
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>dynlearn: {html.escape(suite.name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:0.6em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}
th{{background:#f3f3f3}}td:nth-child(2){{text-align:left}}img{{max-width:100%;display:block;margin:0.5em 0}}
.note{{color:#555;font-size:0.9em}}</style></head><body>
<h1>Benchmark report: suite <code>{html.escape(suite.name)}</code></h1>
<p>{html.escape(suite.description)}</p>
<p class="note">Run <code>{html.escape(suite.key)}</code>: {len(cells)} of {expected} cells
({len(suite.series)} systems/data files x {len(suite.methods)} methods x {len(suite.seeds)} seeds); dynlearn {__version__};
written {_dt.datetime.now().isoformat(timespec="seconds")}{f"; store {html.escape(str(store_path))}" if store_path else ""}.</p>
<h2>Leaderboard</h2>
<p class="note">Median over all (system, seed) cells; hover a value for its inter-quartile range and count.
Methods ranked by the first metric. Short-term metrics are means over {suite.protocol.n_windows} test windows of
{suite.protocol.horizon} steps; long-term metrics compare one {suite.protocol.long_horizon}-step free run
with the true test trajectory.{_DATA_NOTE if suite.data else ""}</p>
{_table(rows, names)}
<ul class="note">{metric_help}</ul>
<img src="metrics.png" alt="metric bars per method">
<h2>Per system</h2>{"".join(sections)}
<h2>Failed cells</h2>{f"<table><tr><th>system</th><th>method</th><th>seed</th><th>status</th><th>reason</th></tr>{fail_html}</table>" if failures else "<p>None.</p>"}
<h2>Protocol</h2><table>{proto}</table>
</body></html>"""
    return atomic_write_text(out_dir / "index.html", page)
