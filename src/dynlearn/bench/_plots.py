"""The report's figures (matplotlib, Agg backend), each returned as PNG bytes for inlining.

Every figure is sized from what it shows (systems, methods, panels), so a page of
135 systems x 20 methods stays readable: heatmap rows get a fixed height and small
labels, per-method panels wrap into a grid, legends sit outside the axes.
"""

from __future__ import annotations

import io
import math

import numpy as np

from dynlearn.bench.leaderboard import Row

DPI = 90
#: method colours: tab10 then tab20 order, with red left out (red marks a diverged cell in every figure)
_TAB10 = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79"]
_TAB20 = ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#393b79", "#9c9ede", "#9467bd",
          "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7", "#bcbd22", "#dbdb8d",
          "#17becf", "#9edae5"]  # fmt: skip
DIVERGED = "#d62728"  # red: absent from the heatmap's colour map (cividis), so never mistaken for a value
ERROR = "#bdbdbd"
MISSING = "#ffffff"


def _mpl_version() -> tuple[int, int]:
    import matplotlib

    return tuple(int(p) for p in matplotlib.__version__.split(".")[:2])


def plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def method_colors(methods: list[str]) -> dict[str, str]:
    """A fixed colour per method (in the given order), the same in every figure of the page."""
    if len(methods) <= len(_TAB10):
        return {m: _TAB10[i] for i, m in enumerate(methods)}
    if len(methods) <= len(_TAB20):
        return {m: _TAB20[i] for i, m in enumerate(methods)}
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps["viridis"]  # more than 20 methods: a ramp (no red in it)
    return {m: to_hex(cmap(i / (len(methods) - 1))) for i, m in enumerate(methods)}


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI)
    plt().close(fig)
    return buf.getvalue()


# ------------------------------------------------------------------------------------ forecasts
def forecast_figure(
    system: str,
    runs: dict[str, dict],
    colors: dict[str, str],
    seed: int,
    lyap_time: float | None,
    window: str,
    diverged: set[str],
) -> bytes | None:
    """Context, truth and every method's forecast of one test window, one panel per dimension.

    A method in ``diverged`` is labelled so, and a cross on the panel's edge marks where
    its forecast leaves the panel (non-finite values are not drawn)."""
    if not runs:
        return None
    first = next(iter(runs.values()))
    truth, ctx, dt = first["window_truth"], first["window_context"], float(first["dt"])
    unit, scale = ("Lyapunov times", dt / lyap_time) if lyap_time else ("time", dt)
    t_ctx = (np.arange(-len(ctx), 0) + 1) * scale
    t_fut = np.arange(1, len(truth) + 1) * scale
    dim = truth.shape[1]
    shown = min(dim, 6)  # a 20-dimensional Lorenz-96 would be 20 panels: its first six say enough
    fig, axes = plt().subplots(shown, 1, figsize=(11, 1.7 * shown + 1.1), sharex=True, squeeze=False)
    for d, ax in enumerate(axes[:, 0]):
        ax.plot(t_ctx, ctx[:, d], color="0.6", lw=1.2, label="context" if d == 0 else None)
        ax.plot(t_fut, truth[:, d], color="black", lw=1.8, label="truth" if d == 0 else None)
        lo, hi = min(ctx[:, d].min(), truth[:, d].min()), max(ctx[:, d].max(), truth[:, d].max())
        pad = 0.3 * (hi - lo + 1e-12)
        for m, f in runs.items():
            y = np.where(np.isfinite(f["window_forecast"][:, d]), f["window_forecast"][:, d], np.nan)
            label = (f"{m} (diverged)" if m in diverged else m) if d == 0 else None
            ax.plot(t_fut, y, color=colors[m], lw=1.2, ls="--", label=label)
            if m in diverged:
                out = ~(np.abs(y - (lo + hi) / 2) <= (hi - lo) / 2 + pad)  # NaN counts as out
                if out.any():
                    k = int(np.argmax(out))
                    edge = hi + pad if not np.isfinite(y[k]) or y[k] > hi else lo - pad
                    ax.plot(t_fut[k], edge, "x", color=colors[m], ms=9, mew=2.5, clip_on=False)
        ax.set_ylim(lo - pad, hi + pad)
        ax.axvline(0, color="0.8", lw=0.8)
        names = first.get("variables")  # a data file's column names; catalog systems have none
        ax.set_ylabel(str(names[d]) if names is not None and len(names) == dim else f"x{d}")
    axes[-1, 0].set_xlabel(f"{unit} since forecast start")
    fig.legend(loc="center right", fontsize=8, frameon=False)  # outside the panels: never over the data
    more = f" (first {shown} of {dim} dimensions)" if shown < dim else ""
    fig.suptitle(f"{system}: {window}, seed {seed}{more}", fontsize=11)
    fig.tight_layout(rect=(0, 0, 0.8, 1))
    return _png(fig)


def _delay(x: np.ndarray, lag: int) -> np.ndarray:
    """``(time, 1)`` -> ``(time - lag, 2)``: each value beside the one ``lag`` steps later."""
    if len(x) <= lag:
        return np.empty((0, 2))
    return np.column_stack([x[:-lag, 0], x[lag:, 0]])


def attractor_figure(
    system: str, runs: dict[str, dict], colors: dict[str, str], seed: int, diverged: set[str]
) -> bytes | None:
    """Long free-running forecast of each method against the true attractor (first vs last coordinate).

    A dot marks the final state (a forecast that settles on a point stays visible); the
    panel of a method in ``diverged`` has a red frame and says so in its title."""
    runs = {m: f for m, f in runs.items() if len(f["long_forecast"])}
    if not runs:
        return None
    truth = next(iter(runs.values()))["long_truth"]
    lag = 10 if truth.shape[1] == 1 else 0  # one variable: a delay portrait, x(t) against x(t + lag)
    if lag:
        runs = {m: {**f, "long_forecast": _delay(f["long_forecast"], lag)} for m, f in runs.items()}
        truth = _delay(truth, lag)
    j = truth.shape[1] - 1
    n = len(runs) + 1
    ncols = min(n, 7)
    nrows = math.ceil(n / ncols)
    fig, axes = plt().subplots(nrows, ncols, figsize=(1.9 * ncols + 0.3, 2.0 * nrows + 0.5), squeeze=False)
    lims = [(truth[:, k].min(), truth[:, k].max()) for k in (0, j)]
    panels = [("truth", truth, "black")] + [(m, f["long_forecast"], colors[m]) for m, f in runs.items()]
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    for ax, (title, data, color) in zip(axes.flat, panels):
        ok = np.isfinite(data).all(axis=1)
        ax.plot(data[ok, 0], data[ok, j], color=color, lw=0.4)
        if ok.any():
            ax.plot(data[ok, 0][-1], data[ok, j][-1], "o", color=color, ms=4)
        if title in diverged and title != "truth":
            ax.set_title(f"{title}: diverged", fontsize=8, color=DIVERGED)
            for spine in ax.spines.values():
                spine.set_edgecolor(DIVERGED)
                spine.set_linewidth(2)
        else:
            ax.set_title(title, fontsize=8)
        for setlim, (lo, hi) in zip((ax.set_xlim, ax.set_ylim), lims):
            pad = 0.15 * (hi - lo + 1e-12)
            setlim(lo - pad, hi + pad)
        ax.set_xticks([])
        ax.set_yticks([])
    what = f"x(t) vs x(t+{lag})" if lag else f"x0 vs x{j}"
    fig.suptitle(f"{system}: {len(truth) + lag}-step free run ({what}), seed {seed}", fontsize=10)
    fig.tight_layout()
    return _png(fig)


# ------------------------------------------------------------------------------------ leaderboard
def metric_bars_figure(rows: list[Row], metric_names: list[str], methods: list[str], colors, better) -> bytes:
    """Median (bar) and inter-quartile range (whisker) per method, one panel per metric.

    Methods run down the y axis in rank order; bars are capped at 1.5x the largest finite
    median of the panel, and an infinite median is drawn hatched at the cap."""
    ncols = min(len(metric_names), 4)
    nrows = math.ceil(len(metric_names) / ncols)
    height = (0.22 if len(methods) <= 10 else 0.16) * len(methods) + 1.0
    fig, axes = plt().subplots(nrows, ncols, figsize=(3.4 * ncols + 1.2, height * nrows + 0.3), squeeze=False)
    for ax in axes.flat[len(metric_names) :]:
        ax.set_visible(False)
    y = np.arange(len(methods))
    for k, (ax, metric) in enumerate(zip(axes.flat, metric_names)):
        mine = {r.method: r for r in rows if r.metric == metric}
        finite = [abs(mine[m].median) for m in methods if m in mine and math.isfinite(mine[m].median)]
        cap = 1.5 * max(finite) if finite and max(finite) > 0 else 1.0
        for i, m in enumerate(methods):
            r = mine.get(m)
            if r is None or math.isnan(r.median):
                continue
            med = float(np.clip(r.median, -cap, cap))
            lo, hi = float(np.clip(r.q25, -cap, cap)), float(np.clip(r.q75, -cap, cap))
            ax.barh(i, med, color=colors[m], hatch="//" if math.isinf(r.median) else None)
            ax.errorbar(med, i, xerr=[[max(med - lo, 0)], [max(hi - med, 0)]], color="black", capsize=2, lw=0.8)
        ax.set_title(f"{metric} ({better[metric]} is better)", fontsize=9)
        ax.set_yticks(y, methods if k % ncols == 0 else [""] * len(methods), fontsize=8)
        ax.set_ylim(len(methods) - 0.5, -0.5)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", color="0.9", lw=0.6)
        ax.set_axisbelow(True)
    fig.tight_layout()
    return _png(fig)


# ------------------------------------------------------------------------------------ heatmap
def heatmap_figure(
    systems: list[str], methods: list[str], values: np.ndarray, status: np.ndarray, metric: str, vmax: float
) -> bytes:
    """Systems (rows) x methods (columns), coloured by the median ``metric`` over the seeds.

    ``status[i, j]`` is ``ok``, ``partial`` (some seeds failed: the colour is their ok
    seeds' median, a red dot marks the cell), ``diverged`` (every seed failed, one at
    least by diverging: red with a white cross), ``error`` (every seed raised: grey
    with a black bang) or ``missing`` (not run yet: white)."""
    from matplotlib.patches import Patch, Rectangle

    n_sys, n_met = len(systems), len(methods)
    row_h = 0.17 if n_sys > 30 else 0.32
    label_size = 7 if n_sys > 30 else 9
    # margins in inches from the longest labels (tight_layout over 135 labels was slow): system names on the
    # left, method names slanted above, the colour bar on the right, the legend below
    left = 0.3 + 0.0095 * label_size * max(len(s) for s in systems)
    top = 0.35 + 0.055 * max(len(m) for m in methods)
    width = max(left + 0.42 * n_met + 1.4, 7.0)
    body = max(row_h * n_sys, 2.0)  # room for the colour bar's label on a small run
    legend_rows = 1 if width >= 9 else 2
    bottom = 0.3 + 0.22 * legend_rows
    height = top + body + bottom
    fig = plt().figure(figsize=(width, height))
    ax = fig.add_axes((left / width, bottom / height, (width - left - 1.4) / width, body / height))
    cax = fig.add_axes(((width - 1.2) / width, bottom / height, 0.15 / width, body / height))
    from matplotlib import colormaps

    cmap = colormaps["cividis_r"].with_extremes(bad=MISSING)
    shown = np.where(np.isin(status, ["ok", "partial"]), values, np.nan)
    im = ax.imshow(shown, cmap=cmap, vmin=0, vmax=vmax, aspect="auto", interpolation="nearest")
    small = n_sys * n_met <= 300
    for i in range(n_sys):
        for j in range(n_met):
            s = status[i, j]
            if s in ("diverged", "error"):
                ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, color=DIVERGED if s == "diverged" else ERROR, lw=0))
                ax.text(j, i, "×" if s == "diverged" else "!", ha="center", va="center",
                        color="white" if s == "diverged" else "black", fontsize=9 if small else 6, fontweight="bold")  # fmt: skip
            elif s == "partial":
                ax.plot(j + 0.3, i - 0.22, "o", color=DIVERGED, ms=4 if small else 2.8, mew=0)
            if small and s in ("ok", "partial") and np.isfinite(values[i, j]):
                dark = values[i, j] > 0.55 * vmax  # cividis_r is dark at the high end
                ax.text(j, i, f"{values[i, j]:.3g}", ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")  # fmt: skip
    ax.set_yticks(range(n_sys), systems, fontsize=label_size)
    ax.set_xticks(range(n_met), methods, fontsize=8, rotation=50, ha="left", rotation_mode="anchor")
    ax.tick_params(axis="x", top=True, labeltop=True, bottom=False, labelbottom=False, length=0)
    ax.tick_params(axis="y", length=0)
    ax.set_xticks(np.arange(-0.5, n_met), minor=True)
    ax.set_yticks(np.arange(-0.5, n_sys), minor=True)
    ax.grid(which="minor", color="white", lw=0.6)
    ax.tick_params(which="minor", length=0)
    bar = fig.colorbar(im, cax=cax)
    bar.set_label(f"median {metric} over seeds (lower is better)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    handles = [
        Patch(color=DIVERGED, label="× diverged (every seed failed)"),
        Patch(color=ERROR, label="! error (every seed raised)"),
        Patch(facecolor=MISSING, edgecolor="0.6", label="not run"),
        ax.plot([], [], "o", color=DIVERGED, ms=4, ls="none", label="some seeds failed")[0],
    ]
    fig.legend(handles=handles, loc="lower center", ncol=4 // legend_rows, fontsize=8, frameon=False, borderaxespad=0.2)
    return _png(fig)


# ------------------------------------------------------------------------------------ VPT
def vpt_figure(methods: list[str], ok: dict, diverged: dict, errors: dict, colors, metric: str, seed: int = 0) -> bytes:
    """Per-cell valid prediction time of each method: box (quartiles, whiskers at 1.5 IQR)
    over every cell with a value, and each cell as a point (red cross: a diverged cell,
    whose VPT counts until its forecast broke). Methods top to bottom by median VPT."""
    fig, ax = plt().subplots(figsize=(9.5, 0.34 * len(methods) + 1.3))
    mpl = _mpl_version()
    rng = np.random.default_rng(seed)  # jitter only; fixed so the same store gives the same picture
    for i, m in enumerate(methods):
        a, b = np.asarray(ok.get(m, []), float), np.asarray(diverged.get(m, []), float)
        vals = np.concatenate([a, b])
        vals = vals[np.isfinite(vals)]
        if len(vals):
            # matplotlib >= 3.10 says orientation=, older ones vert=
            way = {"orientation": "horizontal"} if mpl >= (3, 10) else {"vert": False}
            ax.boxplot(
                vals, positions=[i], widths=0.6, showfliers=False, patch_artist=True, **way,
                boxprops={"facecolor": colors[m], "alpha": 0.35, "lw": 0.8},
                medianprops={"color": "black", "lw": 1.5}, whiskerprops={"lw": 0.8}, capprops={"lw": 0.8},
            )  # fmt: skip
        for v, style in ((a, {"marker": "o", "ms": 3, "color": colors[m], "alpha": 0.7}),
                         (b, {"marker": "x", "ms": 4, "color": DIVERGED, "mew": 1.2})):  # fmt: skip
            v = v[np.isfinite(v)]
            ax.plot(v, i + rng.uniform(-0.22, 0.22, len(v)), ls="none", **style)
    labels = [f"{m}  (n={len(ok.get(m, [])) + len(diverged.get(m, []))}" + (f", {errors[m]} error" if errors.get(m) else "") + ")"
              for m in methods]  # fmt: skip
    ax.set_yticks(range(len(methods)), labels, fontsize=8)
    ax.set_ylim(len(methods) - 0.5, -0.5)
    ax.set_xlabel(f"{metric}: valid prediction time per cell (Lyapunov times)")
    ax.set_xlim(left=0)
    ax.grid(axis="x", color="0.9", lw=0.6)
    ax.set_axisbelow(True)
    ax.plot([], [], "x", color=DIVERGED, ls="none", label="diverged cell")
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    fig.tight_layout()
    return _png(fig)


# ------------------------------------------------------------------------------------ sweep
def sweep_figure(name: str, series: dict[str, dict[str, list[tuple]]], methods, colors, better) -> bytes:
    """Median (line) and IQR (band, up to eight methods) of each metric against the training
    length, one panel per metric, log-scaled x. ``series[metric][method]`` is a list of
    ``(train_points, median, q25, q75)``."""
    metrics_ = list(series)
    fig, axes = plt().subplots(1, len(metrics_), figsize=(5.2 * len(metrics_) + 1.9, 4.2), squeeze=False)
    band = len(methods) <= 8
    for ax, metric in zip(axes[0], metrics_):
        for m in methods:
            pts = sorted(p for p in series[metric].get(m, []) if math.isfinite(p[1]))
            if not pts:
                continue
            x, med, lo, hi = (np.asarray(v, float) for v in zip(*pts))
            ax.plot(x, med, "o-", color=colors[m], lw=1.4, ms=4, label=m)
            if band:
                ax.fill_between(x, lo, hi, color=colors[m], alpha=0.12, lw=0)
        ax.set_xscale("log")
        xs = sorted({p[0] for pts in series[metric].values() for p in pts})
        ax.set_xticks(xs, [str(int(x)) for x in xs])
        ax.minorticks_off()
        ax.set_xlabel("training points (protocol.train_points)")
        ax.set_ylabel(f"median {metric} ({better[metric]} is better)")
        ax.grid(color="0.9", lw=0.6)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=8, frameon=False)
    fig.suptitle(f"sweep {name}: accuracy against training length", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1 - 1.6 / (5.2 * len(metrics_) + 1.9), 1))
    return _png(fig)


# ------------------------------------------------------------------------------------ Lyapunov
def lyapunov_figure(
    methods: list[str], lam: dict[str, float], acc: dict[str, dict[str, float]], rho: dict, colors, metric: str
) -> bytes:
    """One small scatter per method: per-system median ``metric`` over seeds against the
    system's largest Lyapunov exponent (log x), titled with Spearman's rho."""
    nrows = math.ceil(len(methods) / 5)
    ncols = math.ceil(len(methods) / nrows)  # balanced rows: 6 methods are 2 x 3, not 5 + 1
    width, height = 2.9 * ncols + 0.6, 2.5 * nrows + 0.4
    fig, axes = plt().subplots(nrows, ncols, figsize=(width, height), squeeze=False, sharex=True, sharey=True)
    # margins in inches (two-line titles above each panel): tight_layout over 20 log axes was most of the page's time
    fig.subplots_adjust(left=0.75 / width, right=1 - 0.15 / width, bottom=0.55 / height, top=1 - 0.5 / height,
                        wspace=0.25 / 2.6, hspace=0.62 / 1.9)  # fmt: skip
    for k, ax in enumerate(axes.flat):
        if k >= len(methods):
            ax.set_visible(False)
            above = axes.flat[k - ncols]  # the last panel of its column: give it the x labels
            above.xaxis.set_tick_params(labelbottom=True)
            above.set_xlabel("λ_max (1 / time unit)", fontsize=8)
    for ax, m in zip(axes.flat, methods):
        pts = [(lam[s], v) for s, v in acc.get(m, {}).items() if s in lam and math.isfinite(v)]
        if pts:
            x, y = zip(*pts)
            ax.plot(x, y, "o", color=colors[m], ms=3, alpha=0.75)
        r, p, n = rho.get(m, (math.nan, math.nan, 0))
        pval = f"p = {p:.2g}" if p >= 1e-3 else "p < 0.001"
        title = f"{m}\nρ = {r:.2f} ({pval}, n = {n})" if math.isfinite(r) else f"{m}\nρ undefined (n = {n})"
        ax.set_title(title, fontsize=8)
        ax.set_xscale("log")
        ax.tick_params(labelsize=7)
        ax.grid(color="0.92", lw=0.6)
    for ax in axes[-1][: len(methods) - ncols * (nrows - 1)]:
        ax.set_xlabel("λ_max (1 / time unit)", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel(f"median {metric}", fontsize=8)
    return _png(fig)
