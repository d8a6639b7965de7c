"""Suites on a user's own data files: rolling-origin scoring through the bench store and report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dynlearn.bench import ResultStore, load_suite, paths, run_suite, suite_from_dict, write_report
from dynlearn.bench.userdata import DataSpec, origins
from dynlearn.errors import FileFormatError, ValidationError


def seasonal_csv(path, n=96, seed=0, gap=True):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 50 + 0.3 * t + 10 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1, n)
    lines = ["month,y"] + [f"{2000 + i // 12}-{i % 12 + 1:02d},{v:.3f}" for i, v in enumerate(y)]
    if gap:
        lines[30] = lines[30].split(",")[0] + ","  # one empty cell, on line 31 of the file
    path.write_text("\n".join(lines) + "\n")
    return path


def suite_file(tmp_path, **data):
    seasonal_csv(tmp_path / "sales.csv")
    entry = {"path": "sales.csv", "time_column": "month", "fill": "interpolate", "test_points": 24, "horizon": 12}
    entry.update(data)
    suite = {
        "name": "own",
        "data": [entry],
        "methods": [{"model": "naive"}, {"model": "seasonal_naive"}, {"model": "mean"}],
        "seeds": [0],
        "metrics": ["mase", "smape", "r2"],
    }
    p = tmp_path / "own.json"
    p.write_text(json.dumps(suite))
    return p


def test_origins_rolling():
    spec = DataSpec(path="x.csv", name="x", test_points=24, horizon=12, backtest=3)
    starts, h = origins(spec, 100)
    assert list(starts) == [76, 82, 88] and h == 12
    starts, h = origins(DataSpec(path="x.csv", name="x"), 100)  # default: 20% test, one origin, horizon = test
    assert list(starts) == [80] and h == 20
    with pytest.raises(ValidationError, match="backtest origins do not fit"):
        origins(DataSpec(path="x.csv", name="x", test_points=12, horizon=12, backtest=2), 100)
    with pytest.raises(ValidationError, match="longer than the test part"):
        origins(DataSpec(path="x.csv", name="x", test_points=6, horizon=12), 100)


def test_data_suite_ranks_resumes_and_reports(tmp_path):
    spec = load_suite(suite_file(tmp_path, backtest=3, season=12))
    assert spec.cells() == [("sales", m, 0) for m in ("naive", "seasonal_naive", "mean")]
    out = tmp_path / "runs"
    first = run_suite(spec, out, jobs=1)
    assert first.computed == 3 and first.failed == 0
    with ResultStore(paths(out, spec)["store"]) as store:
        cells = {c.method: c for c in store.cells(spec.key)}
        again = run_suite(spec, out, jobs=1)
        assert again.computed == 0 and again.skipped == 3  # resumable like any suite
        stored = suite_from_dict(store.run_spec(spec.key), check_models=False)
    assert stored.data[0].name == "sales" and stored.data[0].season == 12
    # seasonal data: the seasonal naive forecast (season from the data) beats naive and mean by far
    assert cells["seasonal_naive"].metrics["mase"] < 0.6 * cells["naive"].metrics["mase"]
    assert cells["seasonal_naive"].metrics["mase"] < cells["mean"].metrics["mase"]
    assert cells["seasonal_naive"].metrics["r2"] > 0.5 > cells["mean"].metrics["r2"]
    html = write_report(spec, list(cells.values()), paths(out, spec)["forecasts"], tmp_path / "report")
    text = html.read_text()
    assert "data sales" in text and 'alt="forecasts on sales"' in text


def test_edited_file_is_a_new_run(tmp_path):
    p = suite_file(tmp_path)
    key = load_suite(p).key
    seasonal_csv(tmp_path / "sales.csv", seed=1)
    assert load_suite(p).key != key


def test_data_suite_errors(tmp_path):
    p = suite_file(tmp_path)
    (tmp_path / "sales.csv").unlink()
    with pytest.raises(FileFormatError, match="sales.csv of the suite does not exist"):
        load_suite(p)
    with pytest.raises(ValidationError, match="give test_fraction or test_points"):
        load_suite(suite_file(tmp_path, test_fraction=0.2))
    with pytest.raises(ValidationError, match="horizon must be a whole number >= 1, got 'abc'"):
        load_suite(suite_file(tmp_path, horizon="abc"))
    with pytest.raises(ValidationError, match="test_fraction must be a number between 0 and 1"):
        load_suite(suite_file(tmp_path, test_points=None, test_fraction=1.5))
    with pytest.raises(ValidationError, match="unknown field"):
        load_suite(suite_file(tmp_path, horizn=3))
    with pytest.raises(ValidationError, match="season 80 needs more than 80 training points"):
        load_suite(suite_file(tmp_path, season=80))
    bad = suite_file(tmp_path, fill=None)
    with pytest.raises(FileFormatError, match=r"sales.csv, line 31, column 'y': cell is empty"):
        load_suite(bad)


def test_catalog_systems_and_data_files_in_one_suite(tmp_path):
    seasonal_csv(tmp_path / "sales.csv", gap=False)
    spec = suite_from_dict(
        {
            "name": "mixed",
            "systems": ["Lorenz"],
            "data": [{"path": "sales.csv", "time_column": "month", "test_points": 12, "season": 12}],
            "methods": [{"model": "naive"}, {"model": "linear_ar", "config": {"lags": 2}}],
            "seeds": [0],
            "metrics": ["mase", "smape"],
            "protocol": {
                "train_points": 300,
                "test_points": 300,
                "context": 8,
                "horizon": 20,
                "n_windows": 2,
                "long_horizon": 0,
            },
        },
        base=tmp_path,
    )
    assert spec.series == ("Lorenz", "sales")
    summary = run_suite(spec, tmp_path / "runs", jobs=1)
    assert summary.computed == 4 and summary.failed == 0
    with ResultStore(paths(tmp_path / "runs", spec)["store"]) as store:
        cells = {(c.system, c.method): c for c in store.cells(spec.key)}
    assert set(cells) == {(s, m) for s in ("Lorenz", "sales") for m in ("naive", "linear_ar")}
    assert all(np.isfinite(c.metrics["mase"]) for c in cells.values())


def test_a_finite_runaway_forecast_is_recorded_as_diverged(tmp_path, monkeypatch):
    # the benchmark's divergence rule (10x the training range) holds for data cells too, not only non-finite values
    from dynlearn.bench import userdata

    spec = load_suite(suite_file(tmp_path))
    real = userdata._fold

    def runaway(*args, **kwargs):
        pred, fit_s, pred_s = real(*args, **kwargs)
        return pred * 1e4, fit_s, pred_s

    monkeypatch.setattr(userdata, "_fold", runaway)
    (data,) = spec.data
    method = next(m for m in spec.methods if m.name == "mean")
    res = userdata.run_data_cell(data, method, 0, ["mase"], None)
    assert res.status == "diverged" and "training range" in res.reason
