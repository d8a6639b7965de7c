"""Field models in benchmark suites: one dataset x models x seeds, resumable per cell, with the same
SQLite results store as track A (:class:`dynlearn.bench.ResultStore`) and a self-contained report.

A suite is a TOML file (the built-in ones in ``dynlearn/fields/suites/``)::

    name = "fields-ns64"
    seeds = [0, 1, 2]
    steps = [1, 10]                       # k-step errors reported (mean rollout error over steps 1..k)
    [data]                                # a dynlearn.fields.simulate call, and the held-out split
    equation = "navier_stokes_2d"
    config = { batch = 24, n = 64, steps = 2000, save_every = 50 }
    test = 6                              # the last 6 trajectories are the test set (fixed across seeds)
    warmup = 50                           # frames dropped at the start (the initial transient)
    history = 1                           # input frames per step
    [train]                               # dynlearn.fields.training.TrainConfig settings
    epochs = 15
    [[models]]
    label = "unet"                        # the row in the leaderboard
    model = "unet"                        # a registered field model
    config = { padding = "circular" }

Each cell (model, seed) builds the model with that seed, trains it with ``TrainConfig(seed=seed)`` on
the training trajectories (a checkpoint folder per cell, so an interrupted cell resumes mid-fit; a
model without trainable parameters is evaluated as is), evaluates it on the test trajectories
(:func:`dynlearn.fields.evaluate.evaluate`) and commits one row per metric in one transaction. Cells
already in the store are skipped; failed ones are retried with ``retry_failed``.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as _dt
import hashlib
import html
import json
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from dynlearn.errors import ValidationError
from dynlearn.io_utils import atomic_write_text

SUITE_DIR = Path(__file__).parent / "suites"
STORE = "results.sqlite"


@dataclasses.dataclass(frozen=True)
class ModelEntry:
    label: str
    model: str
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: TrainConfig settings for this model only (over the suite's)
    train: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class FieldSuite:
    name: str
    description: str
    equation: str
    data_config: dict[str, Any]
    test: int
    history: int
    models: tuple[ModelEntry, ...]
    seeds: tuple[int, ...]
    steps: tuple[int, ...] = (1, 10)
    train: dict[str, Any] = dataclasses.field(default_factory=dict)
    start: int = 0
    #: frames dropped at the start of every trajectory (the transient from the initial condition)
    warmup: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def key(self) -> str:
        """The run id: the suite's name and a hash of everything that changes its numbers."""
        blob = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return f"{self.name}-{hashlib.sha256(blob.encode()).hexdigest()[:10]}"

    @property
    def metric_names(self) -> list[str]:
        return ["relative_l2_1step", *[f"relative_l2_{k}" for k in self.steps], "nmse_1step",
                *[f"nmse_{k}" for k in self.steps]]  # fmt: skip

    def cells(self) -> list[tuple[str, int]]:
        return [(m.label, s) for m in self.models for s in self.seeds]


def builtin_suites() -> list[str]:
    return sorted(p.stem for p in SUITE_DIR.glob("*.toml"))


def load_suite(name_or_path: str | Path) -> FieldSuite:
    """A built-in suite by name (``fields-ns64``) or a TOML file."""
    path = Path(name_or_path)
    if not path.suffix:
        if str(name_or_path) not in builtin_suites():
            from dynlearn.errors import UnknownNameError

            raise UnknownNameError("fields suite", str(name_or_path), builtin_suites())
        path = SUITE_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        raise ValidationError(f"no suite file {path}; give a built-in name ({', '.join(builtin_suites())}) or a .toml")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(f"{path} is not valid TOML ({exc})") from None
    return suite_from_dict(raw, source=str(path))


def suite_from_dict(raw: dict[str, Any], *, source: str = "suite") -> FieldSuite:
    """Build and check a suite from its TOML dict (unknown keys, models and settings are refused)."""
    from dynlearn.fields.generate import resolve
    from dynlearn.fields.models import FIELD_MODELS
    from dynlearn.fields.training import TrainConfig

    known = {"name", "description", "seeds", "steps", "data", "train", "models"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValidationError(f"{source}: unknown key {unknown[0]!r}; a fields suite has {sorted(known)}")
    for key in ("name", "data", "models"):
        if key not in raw:
            raise ValidationError(f"{source}: the suite needs {key!r}")
    data = dict(raw["data"])
    dknown = {"equation", "config", "test", "history", "start", "warmup"}
    if set(data) - dknown:
        raise ValidationError(f"{source}: unknown [data] key {sorted(set(data) - dknown)[0]!r}; known {sorted(dknown)}")
    equation = data.get("equation", "navier_stokes_2d")
    config = resolve(equation, **data.get("config", {}))  # refuses unknown settings
    test, batch = int(data.get("test", 1)), int(config["batch"])
    if not 1 <= test < batch:
        raise ValidationError(f"{source}: test = {test} must lie in [1, batch - 1] = [1, {batch - 1}]")
    train = dict(raw.get("train", {}))
    TrainConfig.from_dict(train)  # check the settings now, not at the first cell
    models = []
    for i, m in enumerate(raw["models"]):
        if "model" not in m:
            raise ValidationError(f"{source}: models[{i}] needs 'model' (a registered field model)")
        FIELD_MODELS.get(m["model"])  # unknown names are refused with suggestions
        extra = sorted(set(m) - {"label", "model", "config", "train"})
        if extra:
            raise ValidationError(f"{source}: models[{i}] has unknown key {extra[0]!r}")
        TrainConfig.from_dict({**train, **m.get("train", {})})
        models.append(
            ModelEntry(m.get("label", m["model"]), m["model"], dict(m.get("config", {})), dict(m.get("train", {})))
        )
    labels = [m.label for m in models]
    if len(set(labels)) != len(labels):
        raise ValidationError(f"{source}: model labels must be unique, got {labels}")
    steps = tuple(int(k) for k in raw.get("steps", (1, 10)))
    if not steps or min(steps) < 1:
        raise ValidationError(f"{source}: steps must be positive rollout lengths, got {steps}")
    return FieldSuite(
        name=str(raw["name"]),
        description=str(raw.get("description", "")),
        equation=equation,
        data_config=dict(data.get("config", {})),
        test=test,
        history=int(data.get("history", 1)),
        models=tuple(models),
        seeds=tuple(int(s) for s in raw.get("seeds", (0,))),
        steps=steps,
        train=train,
        start=int(data.get("start", 0)),
        warmup=int(data.get("warmup", 0)),
    )


def suite_data(suite: FieldSuite, progress: Callable[[str], None] | None = None):
    """``(train, test)`` :class:`~dynlearn.fields.Fields` of the suite (simulated once, cached)."""
    from dynlearn.fields import simulate

    fields = simulate(suite.equation, **suite.data_config)
    if suite.warmup:
        if suite.warmup >= fields.values.shape[1] - suite.history - 1:
            raise ValidationError(f"warmup = {suite.warmup} leaves too few of the {fields.values.shape[1]} frames")
        fields = dataclasses.replace(
            fields, values=fields.values[:, suite.warmup :], times=fields.times[suite.warmup :], meta=dict(fields.meta)
        )
    n = len(fields)
    return fields.subset(np.arange(n - suite.test)), fields.subset(np.arange(n - suite.test, n))


def run_cell(suite: FieldSuite, entry: ModelEntry, seed: int, train_f, test_f, out_dir: Path, progress=None):
    """Train and evaluate one (model, seed); returns a :class:`dynlearn.bench.CellResult`."""
    import torch

    from dynlearn.bench.store import CellResult
    from dynlearn.errors import DynlearnError
    from dynlearn.fields.evaluate import evaluate, plot_rollout, rollout
    from dynlearn.fields.models import FieldSpec, build_field_model
    from dynlearn.fields.training import RolloutTrainer

    say = progress or (lambda _m: None)
    fit_s = pred_s = None
    try:
        spec = FieldSpec.from_fields(train_f, history=suite.history)
        model = build_field_model(entry.model, spec, seed=seed, **entry.config)
        t0 = time.perf_counter()
        trained: dict[str, Any] = {}
        if model.n_parameters() > 0:
            cfg = {**suite.train, **entry.train, "seed": seed}
            res = RolloutTrainer(cfg).fit(
                model, train_f, checkpoint=out_dir / "checkpoints" / f"{entry.label}-{seed}", progress=say
            )
            trained = {"epochs": len(res.history), "best_epoch": res.best_epoch, "best_val": res.best_val}
        fit_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with torch.no_grad():
            scores = evaluate(model, test_f, steps=suite.steps, start=suite.start, metrics_=("relative_l2", "nmse"))
        pred_s = time.perf_counter() - t0
    except (DynlearnError, RuntimeError, FloatingPointError) as exc:
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        return CellResult(suite.equation, entry.label, seed, "error", reason, {}, fit_s, pred_s)
    curves = {k: scores.pop(k) for k in list(scores) if k.startswith("curve_")}
    if not all(np.isfinite(v) for v in scores.values()):
        return CellResult(
            suite.equation, entry.label, seed, "diverged", "non-finite rollout error", scores, fit_s, pred_s
        )
    (out_dir / "curves").mkdir(parents=True, exist_ok=True)
    atomic_write_text(
        out_dir / "curves" / f"{entry.label}-{seed}.json",
        json.dumps({"curves": curves, "trained": trained, "n_parameters": model.n_parameters()}),
    )
    if seed == suite.seeds[0]:
        pred, true = rollout(model, test_f.subset([0]), steps=max(suite.steps), start=suite.start)
        plot_rollout(
            true, pred, out_dir / "figures" / f"rollout-{entry.label}.png", frames=5, dt=test_f.dt,
            title=f"{entry.label} (seed {seed}): test trajectory 0, {max(suite.steps)}-step rollout",
        )  # fmt: skip
    metrics = {**scores, "n_parameters": float(model.n_parameters())}
    config = json.dumps({"model": entry.model, **entry.config, "train": {**suite.train, **entry.train}}, sort_keys=True)
    return CellResult(suite.equation, entry.label, seed, "ok", "", metrics, fit_s, pred_s, config=config)


def run_fields_suite(
    suite: FieldSuite | str | Path,
    out_dir: str | Path,
    *,
    progress: Callable[[str], None] | None = None,
    retry_failed: bool = False,
) -> dict[str, Any]:
    """Run every cell of ``suite`` not yet in ``out_dir/results.sqlite``; returns counts and the run key."""
    from dynlearn.bench.store import ResultStore

    if not isinstance(suite, FieldSuite):
        suite = load_suite(suite)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda _m: None)
    with ResultStore(out / STORE) as store:
        store.ensure_run(suite.key, suite.name, {"kind": "fields", **suite.to_dict()})
        if retry_failed:
            store.forget_failed(suite.key)
        done = {(m, s) for _sys, m, s in store.done_cells(suite.key)}
        todo = [(e, s) for e in suite.models for s in suite.seeds if (e.label, s) not in done]
        say(f"{suite.name}: {len(done)} cells done, {len(todo)} to run")
        if todo:
            train_f, test_f = suite_data(suite, progress)
        for i, (entry, seed) in enumerate(todo):
            t0 = time.perf_counter()
            cell = run_cell(suite, entry, seed, train_f, test_f, out, progress)
            store.add_cell(suite.key, cell)
            first = f"relative_l2_{max(suite.steps)}"
            value = cell.metrics.get(first, float("nan"))
            say(
                f"[{i + 1}/{len(todo)}] {entry.label} seed {seed}: {cell.status}"
                + (f", {first} {value:.4g}" if cell.status == "ok" else f" ({cell.reason})")
                + f", {time.perf_counter() - t0:.1f} s"
            )
    return {"run": suite.key, "done_before": len(done), "ran": len(todo), "store": str(out / STORE)}


# -- leaderboard and report --------------------------------------------------------------------
def leaderboard(out_dir: str | Path, suite: FieldSuite | None = None) -> tuple[FieldSuite, list[dict[str, Any]]]:
    """Per model: median and quartiles over seeds of each metric, ranked by the longest k-step
    relative L2 (lower is better)."""
    from dynlearn.bench.store import ResultStore

    out = Path(out_dir)
    if not (out / STORE).is_file():
        raise ValidationError(f"{out} holds no {STORE}; run a suite into it first (dynlearn fields bench run)")
    with ResultStore(out / STORE) as store:
        key = suite.key if suite is not None else _latest_fields_run(store)
        spec = store.run_spec(key)
        cells = store.cells(key)
    if suite is None:
        spec = {k: v for k, v in spec.items() if k != "kind"}
        spec["models"] = tuple(ModelEntry(**m) for m in spec["models"])
        spec["seeds"], spec["steps"] = tuple(spec["seeds"]), tuple(spec["steps"])
        suite = FieldSuite(**spec)
    rows = []
    for entry in suite.models:
        mine = [c for c in cells if c.method == entry.label]
        ok = [c for c in mine if c.status == "ok"]
        row: dict[str, Any] = {"model": entry.label, "cells": len(mine), "failed": len(mine) - len(ok)}
        for name in [*suite.metric_names, "n_parameters"]:
            vals = np.array([c.metrics[name] for c in ok if name in c.metrics], dtype=float)
            row[name] = tuple(float(x) for x in np.percentile(vals, [50, 25, 75])) if len(vals) else (np.nan,) * 3
        row["fit_seconds"] = float(np.median([c.fit_seconds for c in ok])) if ok else np.nan
        row["reasons"] = sorted({c.reason for c in mine if c.status != "ok"})
        rows.append(row)
    primary = f"relative_l2_{max(suite.steps)}"
    rows.sort(key=lambda r: np.inf if np.isnan(r[primary][0]) else r[primary][0])
    return suite, rows


def _latest_fields_run(store) -> str:
    for run, _suite in store.runs():
        if store.run_spec(run).get("kind") == "fields":
            return run
    raise ValidationError(f"{store.path} holds no fields suite run")


def _fmt(x: float) -> str:
    return "-" if not np.isfinite(x) else (f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 else f"{x:.2e}")


def write_report(out_dir: str | Path, suite: FieldSuite | None = None) -> Path:
    """``out_dir/report.html`` (self-contained: figures inline) and ``out_dir/leaderboard.json``."""
    from dynlearn.fields.evaluate import plot_curves

    out = Path(out_dir)
    suite, rows = leaderboard(out, suite)
    atomic_write_text(
        out / "leaderboard.json",
        json.dumps({"run": suite.key, "suite": suite.name, "rows": rows}, indent=1, default=float),
    )
    curves: dict[str, list] = {}
    for entry in suite.models:
        for seed in suite.seeds:
            f = out / "curves" / f"{entry.label}-{seed}.json"
            if f.is_file():
                curves.setdefault(entry.label, []).append(json.loads(f.read_text())["curves"]["curve_relative_l2"])
    imgs = []
    if curves:
        plot_curves({k: np.array(v) for k, v in curves.items()}, out / "figures" / "curves.png",
                    title=f"{suite.name}: test rollout error (median over seeds, 25-75%)")  # fmt: skip
        imgs.append(("error against rollout step", out / "figures" / "curves.png"))
    for entry in suite.models:
        png = out / "figures" / f"rollout-{entry.label}.png"
        if png.is_file():
            imgs.append((f"{entry.label}: true | predicted | error", png))
    names = [*suite.metric_names, "n_parameters"]
    head = "".join(f"<th>{html.escape(n)}</th>" for n in ["model", "cells", *names, "fit s (median)"])
    body = ""
    for r in rows:
        cells = "".join(
            f"<td>{_fmt(r[n][0])}<br><span class='iqr'>{_fmt(r[n][1])}-{_fmt(r[n][2])}</span></td>" for n in names
        )
        fail = f" ({r['failed']} failed: {html.escape('; '.join(r['reasons']))})" if r["failed"] else ""
        body += f"<tr><td>{html.escape(r['model'])}</td><td>{r['cells']}{fail}</td>{cells}<td>{_fmt(r['fit_seconds'])}</td></tr>"
    pics = "".join(
        f"<h3>{html.escape(t)}</h3><img alt='{html.escape(t)}' src='data:image/png;base64,"
        f"{base64.b64encode(p.read_bytes()).decode()}'>"
        for t, p in imgs
    )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>dynlearn: {html.escape(suite.name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1400px;margin:2em auto;padding:0 1em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}td:first-child{{text-align:left}}.iqr{{color:#888;font-size:0.8em}}
img{{max-width:100%}}</style></head><body>
<h1>Fields benchmark: <code>{html.escape(suite.name)}</code></h1><p>{html.escape(suite.description)}</p>
<p>Run <code>{html.escape(suite.key)}</code>; {html.escape(suite.equation)} {html.escape(json.dumps(suite.data_config))};
last {suite.test} trajectories held out; history {suite.history}; seeds {list(suite.seeds)}; training
{html.escape(json.dumps(suite.train))}. Cells: median over seeds (25-75% below). k-step = mean relative L2 over
rollout steps 1..k from frame {suite.start}; 1step = teacher-forced next frame over all test frames. Written
{_dt.datetime.now().isoformat(timespec="seconds")}.</p>
<table><tr>{head}</tr>{body}</table>{pics}</body></html>"""
    return atomic_write_text(out / "report.html", page)


__all__ = [
    "FieldSuite",
    "ModelEntry",
    "builtin_suites",
    "leaderboard",
    "load_suite",
    "run_cell",
    "run_fields_suite",
    "suite_from_dict",
    "write_report",
]
