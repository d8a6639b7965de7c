"""Benchmarks on a user's own series: data files named in a suite, scored by rolling origin.

A suite may list ``data = [...]`` beside (or instead of) catalog systems.
Each entry names a CSV or npz file, how to read it (the options of
:func:`dynlearn.data.read_csv`) and how to test on it::

    [[data]]
    path = "sales.csv"            # relative to the suite file
    time_column = "month"
    fill = "interpolate"
    test_points = 24              # or test_fraction = 0.2
    horizon = 12
    backtest = 3                  # forecast origins (rolling origin, refit at each)
    season = 12                   # MASE's season, and seasonal_naive's unless its config sets one

**Protocol.** With ``N`` points, ``T`` test points, horizon ``H`` and ``K``
origins, the origins are ``o_k`` evenly spaced from ``N - T`` to ``N - H``.
At each origin the method is fitted on ``x[:o_k]`` (with ``standardize``, on
its z-scores with the training statistics of that fold), forecasts ``H``
steps from the whole history ``x[:o_k]`` as context, and is scored against
``x[o_k : o_k + H]`` in the data's own units; every metric is the mean over
the origins. Scaled metrics (MASE, RMSSE) use ``x[:o_k]`` as in-sample series.
This is the rolling-origin evaluation of Tashman (2000), "Out-of-sample tests
of forecasting accuracy", Int. J. Forecasting 16:437-450.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from pathlib import Path
from typing import Any

import numpy as np

from dynlearn.errors import DynlearnError, FileFormatError, ValidationError

READ_FIELDS = ("time_column", "columns", "fill", "resample", "dt")


@dataclasses.dataclass(frozen=True)
class DataSpec:
    """One data file of a suite and its test protocol (counts in samples)."""

    path: str
    name: str = ""
    time_column: str | None = "time"
    columns: tuple[str, ...] | None = None
    fill: str | None = None
    resample: str | None = None
    dt: float | None = None
    test_fraction: float | None = None
    test_points: int | None = None
    horizon: int | None = None
    backtest: int = 1
    season: int = 1
    standardize: bool = True
    sha256: str = ""  # of the file's bytes when the suite was loaded: an edited file is a new run

    def read_options(self) -> dict[str, Any]:
        opts = {k: getattr(self, k) for k in READ_FIELDS}
        if opts["columns"] is not None:
            opts["columns"] = list(opts["columns"])
        return opts

    def file_hash(self) -> str:
        path = Path(self.path)
        if not path.is_file():
            raise FileFormatError(f"data file {path} of the suite does not exist; fix its path (relative to the suite)")
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def data_spec(entry: Any, i: int, *, source: str, base: Path | None, check: bool = True) -> DataSpec:
    """A validated :class:`DataSpec` from a suite's ``data[i]`` (a path string or a table).

    ``check`` reads the file (its hash goes into the spec, and a bad file or
    protocol fails now, not in a worker); ``check=False`` rebuilds a stored spec.
    """
    if isinstance(entry, str):
        entry = {"path": entry}
    if not isinstance(entry, dict) or "path" not in entry:
        raise ValidationError(f"{source}: data[{i}] needs at least a 'path' field (a CSV or npz file)")
    allowed = {f.name for f in dataclasses.fields(DataSpec)}
    extra = sorted(set(entry) - allowed)
    if extra:
        raise ValidationError(f"{source}: data[{i}] has unknown field(s) {extra}; allowed: {sorted(allowed)}")
    entry = dict(entry)
    path = Path(str(entry["path"])).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    entry["path"] = str(path)
    entry["name"] = str(entry.get("name") or path.stem)
    if entry.get("columns") is not None:
        cols = entry["columns"]
        entry["columns"] = tuple(c.strip() for c in cols.split(",")) if isinstance(cols, str) else tuple(cols)
    if entry.get("resample") is not None:
        entry["resample"] = str(entry["resample"])
    spec = DataSpec(**entry)
    where = f"{source}: data[{i}] ({spec.name})"
    _check_counts(spec, where)
    if check:
        spec = dataclasses.replace(spec, sha256=spec.file_hash())
        check_spec(spec, where)
    return spec


def _whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def _check_counts(spec: DataSpec, where: str) -> None:
    if spec.test_fraction is not None and spec.test_points is not None:
        raise ValidationError(f"{where}: give test_fraction or test_points, not both")
    frac = spec.test_fraction
    if frac is not None and not (isinstance(frac, (int, float)) and 0 < frac < 1):
        raise ValidationError(f"{where}: test_fraction must be a number between 0 and 1, got {frac!r}")
    for f in ("test_points", "horizon", "backtest", "season"):
        v = getattr(spec, f)
        if not (v is None and f in ("test_points", "horizon")) and not _whole(v):
            raise ValidationError(f"{where}: {f} must be a whole number >= 1, got {v!r}")


def load_series(spec: DataSpec):
    """The file as one Trajectory, read with the spec's options."""
    from dynlearn.data import Trajectory, load_npz, read_csv

    path = Path(spec.path)
    if path.suffix.lower() == ".npz":
        traj = load_npz(path)
        return traj if isinstance(traj, Trajectory) else traj[0]
    if path.suffix.lower() != ".csv":
        raise ValidationError(f"data file {path}: use a .csv (header row, one column per variable) or a dynlearn .npz")
    return read_csv(path, **spec.read_options())


def origins(spec: DataSpec, n: int) -> tuple[np.ndarray, int]:
    """Forecast origins and the horizon for a series of ``n`` points (see the module docs)."""
    where = f"data {spec.name!r} ({n} points)"
    test = spec.test_points if spec.test_points is not None else round((spec.test_fraction or 0.2) * n)
    horizon = spec.horizon if spec.horizon is not None else test
    if test < 1 or test >= n - 1:
        raise ValidationError(f"{where}: a test part of {test} points leaves too little to train on")
    if horizon > test:
        raise ValidationError(f"{where}: horizon {horizon} is longer than the test part ({test} points)")
    k = spec.backtest
    if k > test - horizon + 1:
        raise ValidationError(
            f"{where}: {k} backtest origins do not fit in {test} test points with horizon {horizon}; "
            f"use at most {test - horizon + 1} or a larger test part"
        )
    starts = np.unique(np.linspace(n - test, n - horizon, k).round().astype(int))
    return starts, int(horizon)


def check_spec(spec: DataSpec, where: str) -> None:
    """Read the file once so that a bad file or protocol fails before any model runs."""
    traj = load_series(spec)
    starts, _ = origins(spec, len(traj))
    if spec.season >= starts[0]:
        raise ValidationError(
            f"{where}: season {spec.season} needs more than {spec.season} training points; the first fold has "
            f"{starts[0]}"
        )


def _fold(model_name: str, config: dict, traj, origin: int, horizon: int, standardize: bool):
    from dynlearn import models
    from dynlearn.data import Standardizer

    train = traj[:origin]
    scaler = Standardizer().fit(train) if standardize else None
    model = models.create(model_name, config)
    t0 = time.perf_counter()
    model.fit(scaler.transform(train) if scaler else train)
    fit_s = time.perf_counter() - t0
    ctx = scaler.transform(train).states if scaler else train.states
    t0 = time.perf_counter()
    pred = model.predict(ctx, horizon)
    pred_s = time.perf_counter() - t0
    if scaler is not None:
        with np.errstate(all="ignore"):
            pred = scaler.inverse_transform(pred)
    return np.asarray(pred), fit_s, pred_s


def _config(method, seed: int, season: int) -> dict:
    """The method's config; a model with a ``season`` field not set in it gets the data's season."""
    from dynlearn import models

    config = {"seed": seed, **method.config}
    fields = {f.name for f in dataclasses.fields(models.MODELS.get(method.model).Config)}
    if "season" in fields and "season" not in method.config:
        config["season"] = season
    return config


def run_data_cell(spec: DataSpec, method, seed: int, metric_names, forecast_dir: str | None):
    """Fit and score ``method`` at every origin of ``spec``; a :class:`CellResult` (never raises for a model)."""
    import traceback

    from dynlearn import metrics
    from dynlearn.bench.cell import divergence
    from dynlearn.bench.store import CellResult

    config = _config(method, seed, spec.season)
    fit_total = pred_total = 0.0
    folds = []
    try:
        traj = load_series(spec)
        starts, horizon = origins(spec, len(traj))
        for o in starts:
            pred, fs, ps = _fold(method.model, config, traj, int(o), horizon, spec.standardize)
            fit_total, pred_total = fit_total + fs, pred_total + ps
            folds.append((int(o), pred))
    except DynlearnError as exc:
        return CellResult(spec.name, method.name, seed, "error", f"{type(exc).__name__}: {exc}", {})
    except Exception as exc:  # a model bug must not stop the suite
        where = traceback.extract_tb(exc.__traceback__)[-1]
        reason = f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})"
        return CellResult(spec.name, method.name, seed, "error", reason, {})
    x = traj.states
    status, reason = "ok", ""
    for o, pred in folds:  # the benchmark's divergence rule, against the data before the origin
        if (why := divergence(pred, x[:o])) is not None:
            status, reason = "diverged", f"{why} (origin {o})"
            break
    values: dict[str, float] = {}
    with np.errstate(all="ignore"):
        for name in metric_names:
            kw = {"dt": traj.dt or 1.0, "scale": x[: folds[0][0]].std(axis=0), "season": spec.season}
            per_fold = [metrics.evaluate(name, x[o : o + horizon], pred, insample=x[:o], **kw) for o, pred in folds]
            values[name] = float(np.mean(per_fold))
    if forecast_dir is not None:
        names = traj.meta.get("variables") or [f"x{d}" for d in range(x.shape[1])]
        _save_forecast(Path(forecast_dir), spec, method.name, seed, x, folds[-1], horizon, traj.dt or 1.0, names)
    return CellResult(spec.name, method.name, seed, status, reason, values, fit_total, pred_total)


def _save_forecast(
    forecast_dir: Path, spec: DataSpec, method: str, seed: int, x, fold, horizon: int, dt: float, names: list[str]
):
    from dynlearn.io_utils import atomic_savez

    o, pred = fold
    keep = min(o, max(3 * horizon, 2 * spec.season, 24))
    atomic_savez(
        forecast_dir / f"{spec.name}__{method}__seed{seed}.npz",
        window_truth=x[o : o + horizon],
        window_forecast=pred,
        window_context=x[o - keep : o],
        long_truth=np.empty((0, x.shape[1])),
        long_forecast=np.empty((0, x.shape[1])),
        dt=np.float64(dt),
        variables=np.array(names, dtype=str),
    )
