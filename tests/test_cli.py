"""The ``dynlearn`` command end to end, through ``dynlearn.cli.main.main(argv)``.

``main`` is what turns a DynlearnError into one ``error: ...`` line on stderr
with exit code 2, so every error test goes through it. Everything here is
small (500-point trajectories, a 3-cell benchmark suite) and the whole file
runs in a few seconds.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from dynlearn import models
from dynlearn.cli.main import main
from dynlearn.data import Trajectory, load_npz, read_csv
from dynlearn.errors import DynlearnError, UnknownNameError

BASELINES = {"persistence", "mean", "linear_ar"}
METRICS = ["vpt_lyap", "nrmse", "dstsp", "dh"]

TINY_SUITE = """\
name = "tiny"
description = "CLI test suite: three baselines on a short Lorenz run."
systems = ["Lorenz"]
seeds = [0]
metrics = ["vpt_lyap", "nrmse", "dstsp", "dh"]

[protocol]
points_per_period = 30
train_points = 400
test_points = 400
context = 16
horizon = 50
n_windows = 3
long_horizon = 300

[[methods]]
name = "persistence"
model = "persistence"

[[methods]]
name = "mean"
model = "mean"

[[methods]]
name = "linear_ar"
model = "linear_ar"
config = { lags = 4 }
"""


def run(capsys, *args: str) -> tuple[int, str, str]:
    """``dynlearn ARGS``: (exit code, stdout, stderr)."""
    capsys.readouterr()  # drop anything printed before
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, *args: str) -> tuple[str, str]:
    code, out, err = run(capsys, *args)
    assert code == 0, f"dynlearn {' '.join(map(str, args))} failed with {code}:\n{err}"
    return out, err


def read_rows(path: Path) -> tuple[list[str], np.ndarray]:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], np.array(rows[1:], dtype=float)


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """x.csv (500 Lorenz points), x.npz and a linear_ar model fitted with lags=3, made with the CLI."""
    d = tmp_path_factory.mktemp("cli-files")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(d)
        for target in ("x.csv", "x.npz"):
            try:
                main(["systems", "simulate", "Lorenz", "-n", "500", "-o", target])
            except SystemExit as exc:
                assert exc.code in (0, None)
        try:
            main(["fit", "x.csv", "--model", "linear_ar", "--set", "lags=3", "-o", "m"])
        except SystemExit as exc:
            assert exc.code in (0, None)
    return d


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory):
    """A directory holding tiny.toml and the runs/ of one `bench run` of it, with that run's
    stdout and stderr (captured by hand: capsys is function-scoped)."""
    d = tmp_path_factory.mktemp("cli-bench")
    (d / "tiny.toml").write_text(TINY_SUITE)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(d)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(["bench", "run", "--suite", "tiny.toml", "--jobs", "1", "--out", "runs"])
                code = 0
            except SystemExit as exc:
                code = exc.code or 0
    assert code == 0, err.getvalue()
    return d, out.getvalue(), err.getvalue()


@pytest.fixture()
def work(tmp_path, monkeypatch, files):
    """A fresh working directory with x.csv, x.npz and the fitted model m/ copied in."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(files / "x.csv", tmp_path / "x.csv")
    shutil.copy(files / "x.npz", tmp_path / "x.npz")
    shutil.copytree(files / "m", tmp_path / "m")
    return tmp_path


# ---------------------------------------------------------------------------------------------- models
def test_models_list_table(capsys):
    out, _ = ok(capsys, "models", "list")
    for name in BASELINES:
        assert name in out
    assert "lags=4" in out


def test_models_list_json(capsys):
    out, _ = ok(capsys, "models", "list", "--json")
    records = json.loads(out)
    by_name = {r["name"]: r for r in records}
    assert BASELINES <= set(by_name)
    for r in records:
        assert {"name", "summary", "capabilities", "config"} <= set(r)
        assert {"inputs", "probabilistic", "continuous_time"} <= set(r["capabilities"])
    lin = {c["name"]: c for c in by_name["linear_ar"]["config"]}
    assert lin["lags"] == {"name": "lags", "type": "int", "default": 4}
    assert lin["seed"]["default"] == 0
    # the summary is the docstring's whole first paragraph, not its first line cut mid-sentence
    assert by_name["linear_ar"]["summary"].endswith("training trajectories.")


# ---------------------------------------------------------------------------------------------- systems
def test_systems_list_json(capsys):
    out, _ = ok(capsys, "systems", "list", "--json")
    records = json.loads(out)
    names = {r["name"] for r in records}
    assert {"Lorenz", "Rossler", "Chen"} <= names
    assert all(isinstance(r["dimension"], int) and r["dimension"] >= 1 for r in records)
    out3, _ = ok(capsys, "systems", "list", "--json", "--dim", "3")
    assert {r["dimension"] for r in json.loads(out3)} == {3}


def test_systems_list_table(capsys):
    out, _ = ok(capsys, "systems", "list")
    assert "Lorenz" in out


def test_systems_show_json(capsys):
    out, _ = ok(capsys, "systems", "show", "Lorenz", "--json")
    r = json.loads(out)
    assert {"name", "kind", "dimension", "parameters", "reference", "max_lyapunov", "period", "dt"} <= set(r)
    assert r["name"] == "Lorenz" and r["kind"] == "flow" and r["dimension"] == 3
    assert r["parameters"] == pytest.approx({"sigma": 10.0, "rho": 28.0, "beta": 8 / 3})
    assert "Lorenz" in r["reference"]
    assert r["max_lyapunov"] > 0 and r["period"] > 0 and r["dt"] > 0
    # names are case-insensitive; the record carries the canonical one
    out2, _ = ok(capsys, "systems", "show", "lorenz", "--json")
    assert json.loads(out2)["name"] == "Lorenz"


def test_systems_show_text(capsys):
    out, _ = ok(capsys, "systems", "show", "Lorenz")
    assert "max_lyapunov" in out and "reference" in out


def test_simulate_csv_and_npz(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, err = ok(capsys, "systems", "simulate", "Lorenz", "-n", "500", "-o", "x.csv")
    assert "x.csv" in err
    header, table = read_rows(tmp_path / "x.csv")
    assert header == ["time", "x0", "x1", "x2"]
    assert table.shape == (500, 4)
    assert np.all(np.diff(table[:, 0]) > 0) and table[0, 0] == 0.0

    ok(capsys, "systems", "simulate", "Lorenz", "-n", "500", "-o", "x.npz")
    traj = load_npz(tmp_path / "x.npz")
    assert isinstance(traj, Trajectory)
    assert traj.states.shape == (500, 3) and traj.meta["system"] == "Lorenz"
    # same seed, same numbers, whatever the file format
    np.testing.assert_array_equal(read_csv(tmp_path / "x.csv").states, traj.states)
    np.testing.assert_array_equal(table[:, 1:], traj.states)


# ---------------------------------------------------------------------------------------------- fit / forecast
def test_fit_writes_a_model_directory(capsys, tmp_path, monkeypatch, files):
    monkeypatch.chdir(tmp_path)
    out, err = ok(
        capsys, "fit", files / "x.csv", "--model", "linear_ar", "--set", "lags=3", "--set", "alpha=1e-4", "-o", "m"
    )
    assert "saved to m" in out and "LinearAR(" in err
    # data.json: the columns, step and calendar the model was fitted on (forecast checks its context)
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["data.json", "model.json", "state.npz"]
    header = json.loads((tmp_path / "m" / "model.json").read_text())
    assert header["model"] == "linear_ar"
    assert header["config"] == {"seed": 0, "lags": 3, "alpha": 1e-4}
    assert header["fitted"]["dim"] == 3
    m = models.load(tmp_path / "m")
    assert m.get_params()["lags"] == 3


def test_fit_from_npz_default_out_dir(capsys, tmp_path, monkeypatch, files):
    monkeypatch.chdir(tmp_path)
    out, _ = ok(capsys, "fit", files / "x.npz", "--model", "mean")
    assert (tmp_path / "model-mean" / "model.json").exists()
    assert "model-mean" in out


def test_forecast_to_csv(capsys, work):
    _, err = ok(capsys, "forecast", "m", "--context", "x.csv", "--horizon", "20", "-o", "f.csv")
    assert "20" in err
    header, table = read_rows(work / "f.csv")
    ctx = read_csv(work / "x.csv")
    assert header == ["time", "x0", "x1", "x2"]
    assert table.shape == (20, 4)
    # time continues after the context's last time at the model's step (the same step, checked)
    dt = ctx.times[1] - ctx.times[0]
    assert table[0, 0] > ctx.times[-1]
    np.testing.assert_allclose(table[:, 0], ctx.times[-1] + dt * np.arange(1, 21), rtol=1e-9)
    # the same numbers the library gives (CSV is written with 17 significant digits)
    expected = models.load(work / "m").predict(ctx.states, 20)
    np.testing.assert_array_equal(table[:, 1:], expected)


def test_forecast_to_stdout(capsys, work):
    out, _ = ok(capsys, "forecast", "m", "--context", "x.csv", "--horizon", "20")
    lines = out.strip().splitlines()
    assert lines[0] == "time,x0,x1,x2"
    table = np.array([line.split(",") for line in lines[1:]], dtype=float)
    assert table.shape == (20, 4)
    ok(capsys, "forecast", "m", "--context", "x.csv", "--horizon", "20", "-o", "f.csv")
    _, from_file = read_rows(work / "f.csv")
    np.testing.assert_allclose(table, from_file, rtol=1e-9)


def test_forecast_npz_context(capsys, work):
    out, _ = ok(capsys, "forecast", "m", "--context", "x.npz", "--horizon", "5")
    assert len(out.strip().splitlines()) == 6


def test_forecast_horizon_zero_is_not_an_error(capsys, work):
    code, out, err = run(capsys, "forecast", "m", "--context", "x.csv", "--horizon", "0")
    assert code == 0 and out == "" and "nothing to forecast" in err


# ---------------------------------------------------------------------------------------------- errors
def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


ERROR_CASES = {
    "unknown model": (["fit", "x.csv", "--model", "linar_ar"], "unknown model 'linar_ar'; did you mean 'linear_ar'"),
    "unknown system": (["systems", "show", "Lornz"], "unknown system 'Lornz'; did you mean 'Lorenz'"),
    "unknown system simulate": (["systems", "simulate", "Lornz", "-n", "10", "-o", "y.csv"], "unknown system"),
    "unknown suite": (
        ["bench", "run", "--suite", "quik", "--out", "runs"],
        "unknown suite 'quik'; did you mean 'quick'?",
    ),
    "missing suite file": (["bench", "run", "--suite", "nope.toml", "--out", "runs"], "no suite file at nope.toml"),
    "set without =": (["fit", "x.csv", "--model", "linear_ar", "--set", "lags"], "--set expects KEY=VALUE, got 'lags'"),
    "set unknown field": (
        ["fit", "x.csv", "--model", "linear_ar", "--set", "lag=3"],
        "no field 'lag'; did you mean 'lags'?",
    ),
    "set not a number": (["fit", "x.csv", "--model", "linear_ar", "--set", "lags=abc"], "'lags' must be a number"),
    "set invalid value": (["fit", "x.csv", "--model", "linear_ar", "--set", "lags=0"], "lags >= 1"),
    "missing data file": (["fit", "nope.csv", "--model", "mean"], "no such file: nope.csv"),
    "unsupported data file": (["fit", "x.txt", "--model", "mean"], "cannot read x.txt"),
    "ragged csv": (["fit", "ragged.csv", "--model", "mean"], "ragged.csv, line 3: expected 3 fields"),
    "nan csv": (["fit", "nan.csv", "--model", "mean"], "line 3, column 'a': cell is missing ('nan'); pass fill="),
    "non-increasing time": (["fit", "time.csv", "--model", "mean"], "times must be strictly increasing"),
    "training data too short": (["fit", "short.csv", "--model", "linear_ar"], "at least 5 steps"),
    "not a model directory": (
        ["forecast", "empty", "--context", "x.csv", "--horizon", "5"],
        "not a saved dynlearn model",
    ),
    "no model directory": (
        ["forecast", "nothere", "--context", "x.csv", "--horizon", "5"],
        "no model directory at nothere",
    ),
    "corrupt model header": (["forecast", "badjson", "--context", "x.csv", "--horizon", "5"], "model.json is corrupt"),
    "negative horizon": (["forecast", "m", "--context", "x.csv", "--horizon", "-3"], "horizon must be >= 0, got -3"),
    "context of wrong dimension": (
        ["forecast", "m", "--context", "two.csv", "--horizon", "5"],
        "two.csv has 2 column(s) (a, b) but the model was fitted on 3 (x0, x1, x2)",
    ),
    "context too short": (["forecast", "m", "--context", "short.csv", "--horizon", "5"], "context of at least 3 steps"),
    "leaderboard of empty dir": (["bench", "leaderboard", "--out", "empty"], "run `dynlearn bench run"),
    "report of empty dir": (["bench", "report", "--out", "empty"], "no results in empty"),
}


@pytest.fixture()
def bad_files(work):
    _write(work / "x.txt", "time,a\n0,1\n")
    _write(work / "ragged.csv", "time,a,b\n0,1,2\n1,3\n2,4,5\n")
    _write(work / "nan.csv", "time,a,b\n0,1,2\n1,nan,3\n")
    _write(work / "time.csv", "time,a,b\n0,1,2\n1,2,3\n1,3,4\n")
    _write(work / "short.csv", "x0,x1,x2\n1,2,3\n2,3,4\n")  # no time column: taken to be on the model's grid
    _write(work / "two.csv", "time,a,b\n0,1,2\n1,2,3\n2,3,4\n3,4,5\n")
    (work / "empty").mkdir()
    (work / "badjson").mkdir()
    _write(work / "badjson" / "model.json", "{ not json")
    return work


@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_errors_are_one_line_exit_2(capsys, bad_files, case):
    args, expected = ERROR_CASES[case]
    code, out, err = run(capsys, *args)
    assert code == 2, f"exit {code}; stderr:\n{err}"
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{err}"
    assert lines[0].startswith("error: ")
    assert expected in lines[0]
    assert out == ""


def test_long_error_messages_stay_on_one_line(capsys, work):
    deep = work / ("a-very-long-directory-name-" * 4) / ("and-another-one-" * 4)
    deep.mkdir(parents=True)
    _write(deep / "nan.csv", "time,a,b\n0,1,2\n1,nan,3\n")
    code, _, err = run(capsys, "fit", deep / "nan.csv", "--model", "mean")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and len(err) > 200
    assert str(deep / "nan.csv") in err


def test_error_messages_are_not_rich_markup(capsys, work):
    code, _, err = run(capsys, "fit", "[b]x.csv", "--model", "mean")
    assert code == 2 and "no such file: [b]x.csv" in err


def test_unknown_command_is_a_usage_error(capsys, work):
    code, _, err = run(capsys, "fitt", "x.csv")
    assert code == 2 and "fitt" in err


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_raises_instead(capsys, work, where):
    args = ["fit", "x.csv", "--model", "linar_ar"]
    args = ["--debug", *args] if where == "before" else [*args, "--debug"]
    with pytest.raises(UnknownNameError, match="linear_ar"):
        main(args)


def test_debug_raises_file_errors_too(capsys, bad_files):
    with pytest.raises(DynlearnError, match="expected 3 fields"):
        main(["--debug", "fit", "ragged.csv", "--model", "mean"])


# ---------------------------------------------------------------------------------------------- bench
def test_bench_run_computes_every_cell(bench_dir):
    d, out, err = bench_dir
    assert "3 cells computed, 0 reused, 0 failed" in err
    assert "suite tiny: 1 systems x 3 methods x 1 seeds = 3 cells" in err
    for method in BASELINES:
        assert method in out  # the leaderboard table
    assert (d / "runs" / "results.sqlite").exists()
    assert list((d / "runs" / "cache").glob("Lorenz-seed0-*.npz"))
    assert (d / "runs" / "report" / "tiny" / "index.html").exists()  # --report is the default


def test_bench_leaderboard_json(capsys, bench_dir, monkeypatch):
    d, _, _ = bench_dir
    monkeypatch.chdir(d)
    out, _ = ok(capsys, "bench", "leaderboard", "--out", "runs", "--json")
    rows = json.loads(out)
    assert len(rows) == len(BASELINES) * len(METRICS)
    for r in rows:
        assert {"method", "metric", "median", "count"} <= set(r)
        assert r["suite"] == "tiny" and r["run"].startswith("tiny-")
        assert r["count"] == 1 and r["failures"] == 0
        assert isinstance(r["median"], float)
        assert r["q25"] <= r["median"] <= r["q75"]
    assert {r["method"] for r in rows} == BASELINES
    assert {r["metric"] for r in rows} == set(METRICS)
    # ranked by the first metric (vpt_lyap, higher is better); metrics keep suite order within a method
    vpt = [r["median"] for r in rows if r["metric"] == "vpt_lyap"]
    assert vpt == sorted(vpt, reverse=True)
    assert [r["metric"] for r in rows[: len(METRICS)]] == METRICS


def test_bench_leaderboard_by_system_and_table(capsys, bench_dir, monkeypatch):
    d, _, _ = bench_dir
    monkeypatch.chdir(d)
    out, _ = ok(capsys, "bench", "leaderboard", "--out", "runs", "--json", "--by-system")
    rows = json.loads(out)
    assert {r.get("system") for r in rows} == {None, "Lorenz"}
    out, _ = ok(capsys, "bench", "leaderboard", "--out", "runs", "--suite", "tiny")
    assert "suite tiny" in out and "linear_ar" in out and "vpt_lyap" in out


def test_bench_leaderboard_unknown_suite_in_store(capsys, bench_dir, monkeypatch):
    d, _, _ = bench_dir
    monkeypatch.chdir(d)
    code, _, err = run(capsys, "bench", "leaderboard", "--out", "runs", "--suite", "quick")
    assert code == 2 and "holds no run of suite 'quick'" in err


def test_bench_report_writes_html_and_pngs(capsys, bench_dir, monkeypatch):
    d, _, _ = bench_dir
    monkeypatch.chdir(d)
    report = d / "runs" / "report" / "tiny"
    shutil.rmtree(report)
    out, _ = ok(capsys, "bench", "report", "--out", "runs")
    assert "index.html" in out
    html = (report / "index.html").read_text()
    assert "tiny" in html and "linear_ar" in html
    for alt in ("forecasts on Lorenz", "median and IQR per metric", "free-running orbits on Lorenz"):
        assert '<img src="data:image/png;base64,iVBORw0KGgo' in html and f'alt="{alt}"' in html, alt


def test_bench_rerun_computes_nothing(capsys, bench_dir, monkeypatch):
    d, _, _ = bench_dir
    monkeypatch.chdir(d)
    _, err = ok(capsys, "bench", "run", "--suite", "tiny.toml", "--jobs", "1", "--out", "runs", "--no-report")
    assert "0 cells computed, 3 reused" in err
    assert "3 already done, resuming" in err


def test_bench_resumes_a_lost_cell(capsys, tmp_path, monkeypatch, bench_dir):
    """A cell missing from the store (as after kill -9 mid-cell) is computed again, and only it."""
    d, _, _ = bench_dir
    shutil.copytree(d / "runs", tmp_path / "runs")
    shutil.copy(d / "tiny.toml", tmp_path / "tiny.toml")
    monkeypatch.chdir(tmp_path)
    db = sqlite3.connect(tmp_path / "runs" / "results.sqlite")
    before = db.execute("SELECT * FROM results WHERE method = 'mean' ORDER BY metric").fetchall()
    with db:
        db.execute("DELETE FROM cells WHERE method = 'mean'")
        db.execute("DELETE FROM results WHERE method = 'mean'")
    db.close()
    _, err = ok(capsys, "bench", "run", "--suite", "tiny.toml", "--jobs", "1", "--out", "runs", "--no-report")
    assert "1 cells computed, 2 reused" in err
    db = sqlite3.connect(tmp_path / "runs" / "results.sqlite")
    after = db.execute("SELECT * FROM results WHERE method = 'mean' ORDER BY metric").fetchall()
    db.close()
    assert after == before


def test_bench_without_results_tells_to_run_first(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty_dir").mkdir()
    code, out, err = run(capsys, "bench", "leaderboard", "--out", "empty_dir")
    assert code == 2 and out == ""
    assert err.strip() == (
        "error: no results in empty_dir/ yet; run `dynlearn bench run --suite quick --out empty_dir` first"
    )
    assert not (tmp_path / "empty_dir" / "results.sqlite").exists()  # asking does not create a store


def test_bench_suites_lists_quick(capsys):
    out, _ = ok(capsys, "bench", "suites")
    assert "quick" in out
