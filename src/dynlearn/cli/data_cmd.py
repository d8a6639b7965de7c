"""Own data on the command line: ``dynlearn evaluate`` and ``dynlearn plot``, and the
data checks of ``fit`` / ``forecast`` (the columns and step a model was fitted on)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from dynlearn.cli._common import COLUMNS, FILL, RESAMPLE, TIME_COLUMN, err_console, read_options
from dynlearn.errors import ValidationError

if TYPE_CHECKING:  # numpy is imported where it is used: `dynlearn --help` must not wait for it
    import numpy as np

DATA_FILE = "data.json"  # beside model.json: what the model was fitted on
BASELINES = ("naive", "seasonal_naive", "mean")
_NO_NOTE = {"persistence", "naive", "seasonal_naive", "mean", "linear_ar"}
DEFAULT_METRICS = "mase,smape,mape,rmse,mae"


# fit / forecast -----------------------------------------------------------------------
def _first(traj):
    from dynlearn.data import Trajectory

    return traj if isinstance(traj, Trajectory) else traj[0]


def record_data(model_dir: Path, traj) -> None:
    """Write what the model was fitted on (columns, step, calendar) next to it, for ``forecast``."""
    from dynlearn.io_utils import atomic_write_text

    tr = _first(traj)
    info = {
        "variables": tr.meta.get("variables"),
        "dt": tr.dt,
        "calendar": tr.meta.get("calendar"),
        "time_column": tr.meta.get("time_column"),
        "source": tr.meta.get("source"),
    }
    atomic_write_text(Path(model_dir) / DATA_FILE, json.dumps(info, indent=2))


def check_uniform(model, traj, path: Path) -> None:
    """A model that needs a regular grid gets one, or an error naming the first off-grid line."""
    tr = _first(traj)
    if not model.capabilities.needs_uniform_sampling:
        return
    if tr.meta.get("gaps") and tr.dt is None:
        raise ValidationError(
            f"{path}: --fill drop left {tr.meta['gaps']} gap(s) in the times, and {model.name} needs evenly "
            "spaced data; use --fill interpolate or ffill, or add --resample STEP"
        )
    line = tr.meta.get("irregular_line")
    if line:
        raise ValidationError(
            f"{path}, line {line}: the time is off the regular grid the other rows follow (irregular sampling), "
            f"and {model.name} needs evenly spaced data; pass --resample STEP to interpolate onto a grid"
        )


def _fitted_on(model_dir: Path) -> dict:
    path = Path(model_dir) / DATA_FILE
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # saved from Python, or by an older dynlearn: only the model's own dim and dt are known
    return info if isinstance(info, dict) else {}


def _calendar_text(cal: dict | None) -> str:
    from dynlearn.data.timeaxis import Calendar

    c = Calendar.from_meta(cal)
    return "numeric times" if c is None else f"{c.label} dates ({c.count}{c.unit})"


def check_context(model_dir: Path, model, ctx, path: Path, *, dt_given: bool = False) -> None:
    """Refuse a context whose columns or time step differ from the training data's, naming both."""
    info = _fitted_on(model_dir)
    want = info.get("variables")
    have = ctx.meta.get("variables")
    if ctx.dim != model.dim_:
        names = f" ({', '.join(want)})" if want else ""
        raise ValidationError(
            f"{path} has {ctx.dim} column(s) ({', '.join(have or [])}) but the model was fitted on {model.dim_}"
            f"{names}; pick them with --columns"
        )
    if want and have and list(want) != list(have):
        raise ValidationError(
            f"{path} has columns {', '.join(have)} but the model was fitted on {', '.join(want)}; "
            f"rename them or pick them in that order with --columns {','.join(want)}"
        )
    if ctx.meta.get("times_generated") and not dt_given:
        return  # no time column: the context is taken to continue the model's own grid
    cal_want, cal_have = info.get("calendar"), ctx.meta.get("calendar")
    if info and _calendar_text(cal_want) != _calendar_text(cal_have):
        raise ValidationError(
            f"{path} has {_calendar_text(cal_have)} but the model was fitted on {_calendar_text(cal_want)}; "
            "give a context with the training data's time step (or --resample it)"
        )
    step = ctx.dt
    if step is None and len(ctx) > 1:
        raise ValidationError(f"{path}: the context's times are not evenly spaced; pass --fill or --resample")
    if step is not None and model.dt_ and not math.isclose(step, model.dt_, rel_tol=1e-6):
        raise ValidationError(
            f"{path} is sampled with step {step:g} but the model was fitted with step {model.dt_:g}; "
            f"resample the context (--resample {model.dt_:g}) or fit a model on data with step {step:g}"
        )


def forecast_trajectory(model, ctx, pred: np.ndarray):
    """The forecast as a Trajectory whose times continue the context in the model's forecast step."""
    import numpy as np

    from dynlearn.data import Trajectory

    step = getattr(model, "forecast_dt_", None) or model.dt_ or ctx.dt or 1.0
    times = ctx.times[-1] + step * np.arange(1, len(pred) + 1)
    meta = {"model": model.name}
    if ctx.meta.get("variables"):
        meta["variables"] = ctx.meta["variables"]
    if ctx.meta.get("calendar") and math.isclose(step, ctx.dt or 1.0):
        meta["calendar"] = ctx.meta["calendar"]  # whole calendar steps: write dates
    return Trajectory(times, pred, meta=meta)


def time_labels(traj) -> list[str]:
    from dynlearn.data.timeaxis import Calendar

    cal = Calendar.from_meta(traj.meta.get("calendar"))
    return cal.format(traj.times) if cal else [f"{t:.10g}" for t in traj.times]


def defaults_note(model: str, traj, path: Path, sets: dict, flags: str = "") -> str | None:
    """One line when a model's defaults (set up for chaotic flows) meet seasonal or 1-D data."""
    from dynlearn.data.diagnose import seasonal_period

    if model in _NO_NOTE or sets:
        return None
    tr = _first(traj)
    period = seasonal_period(tr.states) if tr.meta.get("calendar") or tr.dim == 1 else None
    looks = [w for w, yes in (("seasonal", period), ("one-dimensional", tr.dim == 1)) if yes]
    if not looks:
        return None
    season = f" --season {period}" if period else ""
    what = " and ".join(looks) + (f" (period ≈ {period} steps)" if period else "")
    return (
        f"note: {model}'s defaults are set up for chaotic flows (several coupled variables, ~30 samples per "
        f"oscillation); these data look {what}. Compare it with the baselines first: "
        f"dynlearn evaluate {path}{flags} --models {model} --horizon H{season}"
    )


# evaluate -------------------------------------------------------------------------------
def _methods(names: list[str], season: int | None, sets: dict[str, dict]) -> list[dict]:
    from dynlearn import models

    methods, seen = [], set()
    for name in [*names, *BASELINES]:
        canonical = models.MODELS.canonical(name)  # unknown names fail here, before any data is read
        if canonical in seen:
            continue
        if canonical == "seasonal_naive" and not season:
            continue
        seen.add(canonical)
        cfg = dict(sets.get(canonical, {}))  # seasonal_naive takes the data's season (see bench.userdata)
        methods.append({"name": canonical, "model": canonical, "config": cfg})
    return methods


def _model_sets(pairs: list[str] | None) -> dict[str, dict]:
    from dynlearn import models

    out: dict[str, dict] = {}
    for item in pairs or []:
        key, sep, value = item.partition("=")
        model, dot, field = key.strip().partition(".")
        if not sep or not dot or not field:
            raise ValidationError(f"--set expects MODEL.KEY=VALUE (e.g. esn.n_reservoir=200), got {item!r}")
        out.setdefault(models.MODELS.canonical(model), {})[field.strip()] = value.strip()
    return out


def evaluate(
    data: Path = typer.Argument(..., help="Your series: a .csv (header, a time column optional) or a dynlearn .npz."),
    models_: str = typer.Option(
        "", "--models", "-m", help="Comma-separated models to rank (see `dynlearn models list`); baselines are added."
    ),
    horizon: int = typer.Option(..., "--horizon", "-H", help="Steps forecast from each origin."),
    test_fraction: float = typer.Option(None, "--test-fraction", help="Fraction of the series held out (default 0.2)."),
    test_points: int = typer.Option(
        None, "--test-points", help="Number of final points held out (instead of a fraction)."
    ),
    backtest: int = typer.Option(
        1, "--backtest", "-k", help="Rolling-origin folds: forecast origins in the test part."
    ),
    season: int = typer.Option(
        None, "--season", help="Seasonal period in steps (12 for monthly data): seasonal_naive, MASE."
    ),
    metrics: str = typer.Option(DEFAULT_METRICS, "--metrics", help="Comma-separated metrics; the first ranks."),
    set_: list[str] = typer.Option(None, "--set", help="Model config override MODEL.KEY=VALUE (repeatable)."),
    seed: int = typer.Option(0, "--seed", help="Seed of every model."),
    out: Path = typer.Option(
        Path("runs"), "--out", "-o", help="Directory for the results store, suite file and report."
    ),
    jobs: int = typer.Option(min(2, os.cpu_count() or 1), "--jobs", "-j", help="Worker processes."),
    time_column: str = TIME_COLUMN,
    columns: str = COLUMNS,
    fill: str = FILL,
    resample: str = RESAMPLE,
) -> None:
    """Rank models on your own series against naive, seasonal-naive and mean baselines.

    Writes a suite file (rerun or extend it with `dynlearn bench run --suite FILE`),
    runs it through the benchmark store (resumable), prints the leaderboard and
    writes the HTML report with forecast plots.
    """
    from dynlearn.bench import load_suite
    from dynlearn.cli import bench_cmd
    from dynlearn.io_utils import atomic_write_text

    if test_fraction is not None and test_points is not None:
        raise ValidationError("give --test-fraction or --test-points, not both")
    names = [n.strip() for n in models_.split(",") if n.strip()]
    methods = _methods(names, season, _model_sets(set_))
    entry = {"path": str(data.resolve()), "name": data.stem, "horizon": horizon, "backtest": backtest}
    entry.update(read_options(time_column, columns, fill, resample))
    entry.update({k: v for k, v in (("test_fraction", test_fraction), ("test_points", test_points)) if v is not None})
    if season:
        entry["season"] = season
    suite = {
        "name": f"evaluate-{data.stem}",
        "description": f"{', '.join(names) or 'baselines'} against naive, seasonal-naive and mean on {data.name}",
        "data": [entry],
        "methods": methods,
        "seeds": [seed],
        "metrics": [m.strip() for m in metrics.split(",") if m.strip()],
    }
    out.mkdir(parents=True, exist_ok=True)
    suite_file = out / f"evaluate-{data.stem}.json"
    atomic_write_text(suite_file, json.dumps(suite, indent=2))
    spec = load_suite(suite_file)  # reads and checks the data once, before any model runs
    if not season:
        _season_hint(spec)
    # every option explicitly: called as a function, typer's defaults would be OptionInfo objects
    # (force: the folder already holds the suite file written above)
    bench_cmd.run(
        suite=str(suite_file),
        out=out,
        jobs=jobs,
        report=True,
        retry_failed=False,
        force=True,
        executor="local",
        address=None,
    )
    err_console.print(f"suite file: {suite_file} (rerun or extend it with `dynlearn bench run --suite {suite_file}`)")


def _season_hint(spec) -> None:
    from dynlearn.bench.userdata import load_series
    from dynlearn.data.diagnose import seasonal_period

    period = seasonal_period(load_series(spec.data[0]).states)
    if period:
        err_console.print(
            f"note: the series looks seasonal with period ≈ {period} steps; pass --season {period} to add "
            "the seasonal-naive baseline and a seasonal MASE",
            highlight=False,
            soft_wrap=True,
        )


# plot ---------------------------------------------------------------------------------
def _axis(traj) -> np.ndarray:
    from dynlearn.data.timeaxis import Calendar

    cal = Calendar.from_meta(traj.meta.get("calendar"))
    return cal.dates(traj.times) if cal else traj.times


def plot(
    forecast: Path = typer.Argument(..., help="Forecast CSV written by `dynlearn forecast -o`."),
    truth: Path = typer.Option(None, "--truth", "-t", help="CSV of the true values (e.g. the held-out test part)."),
    context: Path = typer.Option(None, "--context", "-c", help="CSV of the history the forecast started from."),
    out: Path = typer.Option(None, "--out", "-o", help="PNG to write (default: FORECAST.png)."),
    time_column: str = TIME_COLUMN,
    fill: str = FILL,
) -> None:
    """Draw a forecast against the truth (and its context), one panel per variable, to a PNG."""
    from dynlearn.bench.report import _plt
    from dynlearn.data import read_csv

    out = out or forecast.with_suffix(".png")
    if out.suffix.lower() != ".png":
        raise ValidationError(f"cannot write {out}: plots are PNG files (end the path in .png)")
    opts = read_options(time_column, fill=fill)
    pred = read_csv(forecast)
    others = {label: read_csv(p, **opts) for label, p in (("context", context), ("truth", truth)) if p}
    for label, tr in others.items():
        if tr.meta["variables"] != pred.meta["variables"]:
            raise ValidationError(
                f"{label} file has columns {', '.join(tr.meta['variables'])} but the forecast has "
                f"{', '.join(pred.meta['variables'])}; they must match"
            )
    plt = _plt()
    names = pred.meta["variables"]
    fig, axes = plt.subplots(len(names), 1, figsize=(9, 2.2 * len(names) + 0.6), sharex=True, squeeze=False)
    style = {"context": ("0.55", "-", 1.2), "truth": ("black", "-", 1.6)}
    for d, ax in enumerate(axes[:, 0]):
        for label, tr in others.items():
            color, ls, lw = style[label]
            ax.plot(_axis(tr), tr.states[:, d], color=color, ls=ls, lw=lw, label=label)
        ax.plot(_axis(pred), pred.states[:, d], color="#d62728", ls="--", lw=1.4, marker=".", label="forecast")
        ax.set_ylabel(names[d])
    axes[0, 0].legend(loc="upper left", fontsize=8, frameon=False, ncol=3)
    labels = [tr.meta.get("time_column") for tr in (*others.values(), pred)]
    axes[-1, 0].set_xlabel(next((lab for lab in labels if lab), "time"))
    fig.suptitle(f"{forecast.name}" + (f" vs {truth.name}" if truth else ""))
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    os.replace(tmp, out)  # atomic: a crash never leaves half a PNG
    err_console.print(f"wrote {out}")
