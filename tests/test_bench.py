"""The benchmark runner: caching, failures, leaderboards, reports and resuming after SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dynlearn import bench, models
from dynlearn.bench.store import ResultStore
from dynlearn.errors import FileFormatError, UnknownNameError, ValidationError
from dynlearn.models.baselines import Persistence

TINY = {
    "name": "tiny",
    "systems": ["Lorenz", "Rossler"],
    "seeds": [0, 1],
    "metrics": ["vpt_lyap", "nrmse", "smape", "dstsp", "dh"],
    "protocol": {
        "points_per_period": 30,
        "train_points": 300,
        "test_points": 300,
        "context": 16,
        "horizon": 40,
        "n_windows": 3,
        "long_horizon": 200,
    },
    "methods": [
        {"model": "persistence"},
        {"model": "mean"},
        {"name": "ar", "model": "linear_ar", "config": {"lags": 3}},
    ],
}


def tiny_suite(**changes):
    return bench.suite_from_dict({**TINY, **changes})


def test_suite_validation_names_the_problem():
    with pytest.raises(UnknownNameError, match="Lorenz"):
        tiny_suite(systems=["Lorenzz"])
    with pytest.raises(UnknownNameError, match="linear_ar"):
        tiny_suite(methods=[{"model": "linar_ar"}])
    with pytest.raises(ValidationError, match="has no field 'lag'"):
        tiny_suite(methods=[{"model": "linear_ar", "config": {"lag": 3}}])
    with pytest.raises(ValidationError, match="exceeds test_points"):
        tiny_suite(protocol={**TINY["protocol"], "horizon": 400})
    with pytest.raises(ValidationError, match="unique"):
        tiny_suite(methods=[{"model": "mean"}, {"model": "mean"}])
    with pytest.raises(UnknownNameError, match="quick"):
        bench.load_suite("quik")
    with pytest.raises(ValidationError, match="unknown suite field"):
        bench.suite_from_dict({**TINY, "sytems": []})


def test_suite_key_changes_with_content_not_description():
    a, b = tiny_suite(), tiny_suite(description="other words")
    assert a.key == b.key
    assert tiny_suite(seeds=[0, 2]).key != a.key


def test_builtin_quick_suite_loads():
    s = bench.load_suite("quick")
    assert set(s.systems) == {"Lorenz", "Rossler", "Chen"}
    assert {m.model for m in s.methods} >= {"persistence", "mean", "linear_ar"}


def test_suite_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [unclosed")
    with pytest.raises(FileFormatError, match="not valid TOML"):
        bench.load_suite(bad)
    good = tmp_path / "s.json"
    good.write_text(json.dumps(TINY))
    assert bench.load_suite(good).name == "tiny"


def test_run_store_leaderboard_and_report(tmp_path):
    suite = tiny_suite()
    events = []
    summary = bench.run_suite(suite, tmp_path, jobs=1, on_event=lambda *a: events.append(a[:3]))
    assert summary.computed == 12 and summary.failed == 0
    assert ("cell", 12, 12) in events
    with ResultStore(summary.store) as store:
        cells = store.cells(suite.key)
        assert len(cells) == 12 and all(c.status == "ok" for c in cells)
        assert all(set(c.metrics) == set(suite.metrics) for c in cells)
        rows = store.result_rows(suite.key)
    assert len(rows) == 12 * 5
    # The data cache holds one file per (system, seed) and a second run reuses everything.
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 4
    again = bench.run_suite(suite, tmp_path, jobs=1)
    assert again.computed == 0 and again.skipped == 12
    board = bench.leaderboard(cells, list(suite.metrics), [m.name for m in suite.methods])
    by = {(r.method, r.metric): r for r in board}
    # the linear model out-forecasts "mean" on its first windows, and mean's sMAPE is the maximum 200
    assert by[("ar", "vpt_lyap")].median > by[("mean", "vpt_lyap")].median
    assert by[("mean", "smape")].median == pytest.approx(200.0)
    assert board[0].method == "ar" and all(r.count == 4 for r in board)
    p = bench.paths(tmp_path, suite)
    html = bench.write_report(suite, cells, p["forecasts"], p["report"])
    text = html.read_text()
    assert html == p["report"] / "index.html" and "Leaderboard" in text
    # one self-contained page: every picture inline (tests/test_report.py checks them in detail)
    for alt in (
        "median and IQR per metric",
        "forecasts on Lorenz",
        "forecasts on Rossler",
        "free-running orbits on Lorenz",
    ):
        assert f'alt="{alt}"' in text
    assert text.count('<img src="data:image/png;base64,') >= 7


def test_same_numbers_with_two_workers(tmp_path):
    suite = tiny_suite(systems=["Lorenz"])
    a = bench.run_suite(suite, tmp_path / "a", jobs=1)
    b = bench.run_suite(suite, tmp_path / "b", jobs=2)
    with ResultStore(a.store) as sa, ResultStore(b.store) as sb:
        assert sa.result_rows(suite.key) == sb.result_rows(suite.key)


class Exploding(Persistence):
    """Doubles the last state every step: overflows to inf within the horizon."""

    def _predict(self, context, horizon):
        return context[:, -1:, :] * (1e300 ** (np.arange(1, horizon + 1)[None, :, None] / 10))


class BlowsUpFinitely(Persistence):
    """Grows 100-fold per step up to 1e7, finite throughout: an NRMSE in the millions, not inf."""

    def _predict(self, context, horizon):
        growth = np.minimum(100.0 ** np.arange(1, horizon + 1), 1e7)
        return context[:, -1:, :] * growth[None, :, None]


class Broken(Persistence):
    def _fit(self, trajectories):
        raise ZeroDivisionError("bug inside the model")


@pytest.fixture()
def failing_models():
    models.register("exploding_test")(Exploding)
    models.register("broken_test")(Broken)
    models.register("blowup_test")(BlowsUpFinitely)
    yield
    models.MODELS.unregister("blowup_test")
    models.MODELS.unregister("exploding_test")
    models.MODELS.unregister("broken_test")


def test_failures_are_recorded_and_the_run_goes_on(tmp_path, failing_models):
    suite = tiny_suite(
        systems=["Lorenz"],
        seeds=[0],
        methods=[{"model": "exploding_test"}, {"model": "broken_test"}, {"model": "mean"}],
    )
    summary = bench.run_suite(suite, tmp_path, jobs=1)
    assert summary.computed == 3 and summary.failed == 2
    with ResultStore(summary.store) as store:
        cells = {c.method: c for c in store.cells(suite.key)}
    assert cells["exploding_test"].status == "diverged"
    assert "training range from step 0 of test window 0" in cells["exploding_test"].reason
    assert cells["exploding_test"].metrics["nrmse"] == float("inf")
    assert cells["broken_test"].status == "error" and "ZeroDivisionError" in cells["broken_test"].reason
    assert cells["broken_test"].metrics == {}
    assert cells["mean"].status == "ok"
    board = bench.leaderboard(list(cells.values()), list(suite.metrics), ["exploding_test", "broken_test", "mean"])
    assert {r.method: r.failures for r in board}["exploding_test"] == 1
    assert json.dumps([r.to_json() for r in board])  # inf becomes null, still valid JSON


def _cli(out: Path, suite_file: Path, jobs: int) -> list[str]:
    tests_dir = str(Path(__file__).parent)
    code = (
        f"import sys; sys.path.insert(0, {tests_dir!r}); import _slow_model; from dynlearn.cli import main; "
        f"main(['bench', 'run', '--suite', {str(suite_file)!r}, '--out', {str(out)!r}, '--jobs', '{jobs}', "
        "'--no-report'])"
    )
    return [sys.executable, "-c", code]


def _count_cells(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute("SELECT COUNT(*) FROM cells").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.parametrize("jobs", [1, 2])
def test_sigkill_mid_run_then_resume_gives_the_uninterrupted_table(tmp_path, jobs):
    spec = {
        **TINY,
        "systems": ["Lorenz"],
        "seeds": [0, 1, 2],
        "methods": [{"model": "slow_persistence"}, {"model": "linear_ar", "config": {"lags": 2}}],
    }
    suite_file = tmp_path / "suite.json"
    suite_file.write_text(json.dumps(spec))
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        _cli(killed, suite_file, jobs),
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while _count_cells(killed / "results.sqlite") < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    n_before = _count_cells(killed / "results.sqlite")
    os.kill(proc.pid, signal.SIGKILL)  # the runner itself, with no chance to clean up
    proc.wait()
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # then any orphaned workers
    except ProcessLookupError:
        pass
    assert 2 <= n_before < 6, f"kill landed after {n_before} of 6 cells; the test needs a mid-run kill"
    done = subprocess.run(_cli(killed, suite_file, jobs), env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "reused" in done.stderr
    clean = tmp_path / "clean"
    ref = subprocess.run(_cli(clean, suite_file, jobs), env=env, capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr
    with ResultStore(killed / "results.sqlite") as a, ResultStore(clean / "results.sqlite") as b:
        run_key = a.latest_run("tiny")
        assert run_key == b.latest_run("tiny")
        rows_a, rows_b = a.result_rows(run_key), b.result_rows(run_key)
        assert len(a.cells(run_key)) == 6
    assert len(rows_a) == 6 * len(TINY["metrics"])
    assert rows_a == rows_b


def test_a_finite_blow_up_is_diverged_and_marked_in_the_report(tmp_path, failing_models, monkeypatch):
    suite = tiny_suite(systems=["Lorenz"], seeds=[0], methods=[{"model": "blowup_test"}, {"model": "mean"}])
    summary = bench.run_suite(suite, tmp_path, jobs=1)
    with ResultStore(summary.store) as store:
        cells = {c.method: c for c in store.cells(suite.key)}
    blown = cells["blowup_test"]
    assert blown.status == "diverged" and "left 10x the training range" in blown.reason
    assert np.isfinite(blown.metrics["nrmse"]) and blown.metrics["nrmse"] > 1e5  # finite, yet not ok
    assert cells["mean"].status == "ok"
    rows = bench.leaderboard(list(cells.values()), list(suite.metrics), ["blowup_test", "mean"])
    assert {r.method: r.failures for r in rows} == {"blowup_test": 1, "mean": 0}
    from dynlearn.bench import _plots

    marked = {}

    def spy(name):
        real = getattr(_plots, name)

        def call(*a):
            marked[name] = a[-1]  # the set of diverged methods
            return real(*a)

        return call

    for name in ("forecast_figure", "attractor_figure"):
        monkeypatch.setattr(_plots, name, spy(name))
    p = bench.paths(tmp_path, suite)
    html = bench.write_report(suite, list(cells.values()), p["forecasts"], p["report"])
    assert marked == {"forecast_figure": {"blowup_test"}, "attractor_figure": {"blowup_test"}}
    text = html.read_text()
    assert 'alt="forecasts on Lorenz"' in text and "<td class='diverged'>diverged</td>" in text


def test_retry_failed_recomputes_only_failed_cells(tmp_path, failing_models):
    suite = tiny_suite(systems=["Lorenz"], seeds=[0], methods=[{"model": "broken_test"}, {"model": "mean"}])
    first = bench.run_suite(suite, tmp_path, jobs=1)
    assert first.failed == 1
    assert bench.run_suite(suite, tmp_path, jobs=1).computed == 0
    again = bench.run_suite(suite, tmp_path, jobs=1, retry_failed=True)
    assert again.computed == 1 and again.skipped == 1
    with ResultStore(again.store) as store:
        assert len(store.cells(suite.key)) == 2


def test_suite_checks_context_and_normalises_config():
    with pytest.raises(ValidationError, match="needs a context of 40"):
        tiny_suite(methods=[{"model": "linear_ar", "config": {"lags": 40}}])
    a = tiny_suite(methods=[{"model": "linear_ar", "config": {"lags": 3}}])
    b = tiny_suite(methods=[{"model": "linear_ar", "config": {"lags": "3"}}])
    assert a.key == b.key
