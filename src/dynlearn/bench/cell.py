"""One benchmark cell: fit a method on one (system, seed), forecast, score.

Runs in a worker process; everything it needs arrives as plain data, and it
returns a :class:`CellResult` (never raises for a model's failure).
"""

from __future__ import annotations

import importlib
import json
import time
import traceback
from pathlib import Path

import numpy as np

from dynlearn import metrics, models
from dynlearn.bench.datasets import BenchData, load_or_make
from dynlearn.bench.store import CellResult
from dynlearn.bench.suite import MethodSpec, Protocol
from dynlearn.bench.tuning import tune
from dynlearn.bench.userdata import DataSpec, run_data_cell
from dynlearn.errors import DynlearnError
from dynlearn.io_utils import atomic_savez


def window_starts(protocol: Protocol, n_test: int) -> np.ndarray:
    """Evenly spaced forecast origins in the test trajectory, each after a full context."""
    last = n_test - protocol.horizon
    return np.unique(np.linspace(protocol.context, last, protocol.n_windows).round().astype(int))


def forecast_windows(protocol: Protocol, data: BenchData) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(contexts, truths, long_context, long_truth)`` of a cell.

    ``origin = "test"``: the windows of :func:`window_starts`, each with the ``context`` test
    states before it, and the long run from the first ``context`` test states. ``origin =
    "train_end"``: one window from the end of the training data (its last ``context`` states),
    scored on the first ``horizon`` test states, and the long run from the same origin.
    Contexts are what models see (noisy if there is noise); truths are clean."""
    c = protocol.context
    if protocol.origin == "train_end":
        ctx = data.train.states[-c:]
        truth = data.test_true.states[None, : protocol.horizon]
        return ctx[None], truth, ctx, data.test_true.states[: protocol.long_horizon]
    starts = window_starts(protocol, len(data.test))
    contexts = np.stack([data.test.states[s - c : s] for s in starts])
    truth = np.stack([data.test_true.states[s : s + protocol.horizon] for s in starts])
    return contexts, truth, data.test.states[:c], data.test_true.states[c : c + protocol.long_horizon]


def choose_config(method: MethodSpec, seed: int, data: BenchData, protocol: Protocol, metric: str) -> tuple[dict, str]:
    """The config the cell's model runs with, and the tuning record (JSON, '' without tuning).

    Tuning sees ``data.train`` only (:func:`dynlearn.bench.tuning.tune`)."""
    config = {"seed": seed, **method.config}
    if not method.tune:
        return config, ""
    result = tune(
        method.model,
        config,
        method.tune,
        data.train,
        metric=metric,
        context=protocol.context,
        horizon=protocol.horizon,
        validation_fraction=protocol.validation_fraction,
        lyapunov_time=data.lyapunov_time,
    )
    return {**config, **result.chosen}, result.to_json()


#: a forecast that leaves the training data's bounding box, widened this many times about its
#: centre, has blown up (docs/benchmark.md, "Failures")
DIVERGENCE_FACTOR = 10.0


def _first_bad(bad: np.ndarray) -> tuple[int, int] | None:
    if not bad.any():
        return None
    w, step = np.argwhere(bad)[0] if bad.ndim == 2 else (0, int(np.argmax(bad)))
    return int(w), int(step)


def divergence(forecast: np.ndarray, train: np.ndarray, factor: float = DIVERGENCE_FACTOR) -> str | None:
    """Why ``forecast`` (``(time, dim)`` or ``(windows, time, dim)``) counts as diverged, or None.

    Diverged: a value is non-finite, or some coordinate leaves ``[c - factor h, c + factor h]``,
    with ``c`` and ``h`` the centre and half-width of the training data's range in that
    coordinate. A bounded attractor's forecast that is merely wrong stays inside; one whose
    error grows without bound (an NRMSE of 1e7 on standardised data) does not."""
    lo, hi = np.min(train, axis=0), np.max(train, axis=0)
    centre, half = (lo + hi) / 2, (hi - lo) / 2
    half = np.where(half > 0, half, np.maximum(np.abs(centre), 1.0))
    where = " of test window {w}" if forecast.ndim == 3 else ""
    nonfinite = _first_bad(~np.isfinite(forecast).all(axis=-1))
    with np.errstate(invalid="ignore", over="ignore"):
        excess = np.abs(forecast - centre) / (factor * half)
        far = _first_bad((excess > 1).any(axis=-1))
    if far is not None and (nonfinite is None or far < nonfinite):
        w, step = far
        row = forecast[w, step] if forecast.ndim == 3 else forecast[step]
        d = int(np.nanargmax(np.abs(row - centre) / half))
        return (
            f"forecast left {factor:g}x the training range from step {step}"
            + where.format(w=w)
            + f" (x{d} = {row[d]:.3g}, training range [{lo[d]:.3g}, {hi[d]:.3g}])"
        )
    if nonfinite is not None:
        w, step = nonfinite
        return f"forecast non-finite from step {step}" + where.format(w=w)
    return None


def score(names, data: BenchData, windows_true, windows_pred, long_true, long_pred) -> dict[str, float]:
    """Every metric of ``names``; one that is undefined on this data (it raises a
    :class:`DynlearnError`, e.g. RMSLE on a series with negative values) is NaN."""
    out = {}
    # insample: the training states, for scaled errors such as MASE (season 1 on catalog systems)
    kw = {"dt": data.dt, "lyapunov_time": data.lyapunov_time, "scale": data.scale, "insample": data.train.states}
    for name in names:
        info = metrics.get(name)
        try:
            if info.kind == "long":
                if long_pred is None:
                    continue
                out[name] = float(metrics.evaluate(name, long_true, long_pred, **kw))
            else:
                vals = [metrics.evaluate(name, t, p, **kw) for t, p in zip(windows_true, windows_pred)]
                out[name] = float(np.mean(vals))
        except DynlearnError:
            out[name] = float("nan")
    return out


def run_cell(
    system: str | DataSpec,
    method: MethodSpec,
    seed: int,
    protocol: Protocol,
    metric_names: tuple[str, ...],
    cache_dir: str,
    forecast_dir: str | None = None,
    model_module: str | None = None,
) -> CellResult:
    """Fit, forecast every test window and the long free run, and score them.

    ``model_module`` is imported first if the model is not registered in this
    process yet: a fresh worker process knows only the built-in models, and
    this is how it finds a user's model registered in their own module.
    A :class:`DataSpec` in place of a system name is a user's data file,
    scored by rolling origin (:func:`dynlearn.bench.userdata.run_data_cell`).
    """
    if model_module and method.model not in models.MODELS:
        importlib.import_module(model_module)
    if isinstance(system, DataSpec):
        return run_data_cell(system, method, seed, metric_names, forecast_dir)
    data = load_or_make(Path(cache_dir), system, seed, protocol)
    fit_s = pred_s = None
    config, tuning = {"seed": seed, **method.config}, ""

    def failed(reason: str) -> CellResult:
        cfg = _json(config)
        return CellResult(system, method.name, seed, "error", reason, {}, fit_s, pred_s, config=cfg, tuning=tuning)

    try:
        config, tuning = choose_config(method, seed, data, protocol, metric_names[0])
        model = models.create(method.model, config)
        t0 = time.perf_counter()
        model.fit(data.train)
        fit_s = time.perf_counter() - t0
        contexts, truth, long_context, long_true = forecast_windows(protocol, data)
        t0 = time.perf_counter()
        forecasts = model.predict(contexts, protocol.horizon)
        long_pred = None
        if protocol.long_horizon:
            long_pred = model.predict(long_context, protocol.long_horizon)
        pred_s = time.perf_counter() - t0
    except DynlearnError as exc:
        return failed(f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a model bug must not stop the suite; keep where it happened
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return failed(f"{type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})")
    status, reason = "ok", ""
    if (why := divergence(forecasts, data.train.states)) is not None:
        status, reason = "diverged", why
    elif long_pred is not None and (why := divergence(long_pred, data.train.states)) is not None:
        status, reason = "diverged", "long free-running " + why
    try:
        with np.errstate(all="ignore"):
            values = score(metric_names, data, truth, forecasts, long_true, long_pred)
    except Exception as exc:  # a metric's bug must not stop the suite either
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return failed(f"scoring: {type(exc).__name__}: {exc} (at {Path(where.filename).name}:{where.lineno})")
    if forecast_dir is not None:
        atomic_savez(
            Path(forecast_dir) / f"{system}__{method.name}__seed{seed}.npz",
            window_truth=truth[0],
            window_forecast=forecasts[0],
            window_context=contexts[0],
            long_truth=long_true,
            long_forecast=long_pred if long_pred is not None else np.empty((0, truth.shape[-1])),
            dt=np.float64(data.dt),
        )
    return CellResult(
        system, method.name, seed, status, reason, values, fit_s, pred_s, config=_json(config), tuning=tuning
    )


def _json(config: dict) -> str:
    """A config as JSON; values JSON cannot hold (a SINDy library object, say) as their repr."""
    return json.dumps(config, sort_keys=True, default=repr)
