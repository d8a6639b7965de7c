"""Executors: the Ray executor gives the store the same rows as local processes, and a killed
worker, local or Ray, loses or duplicates nothing (issue 12 §3)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from dynlearn import bench
from dynlearn.bench.executors import Executor, LocalExecutor, RayExecutor, make_executor
from dynlearn.bench.store import ResultStore
from dynlearn.errors import DynlearnError, ValidationError


def test_make_executor_checks_its_arguments():
    assert make_executor("local") is None
    with pytest.raises(ValidationError, match="local, ray"):
        make_executor("dask")
    with pytest.raises(ValidationError, match="--executor ray"):
        make_executor("local", address="auto")


def test_ray_missing_is_a_clear_error(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_ray(name, *a, **k):
        if name == "ray":
            raise ImportError("no ray here")
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_ray)

    with pytest.raises(DynlearnError, match=r"pip install 'dynlearn\[ray\]'"):
        make_executor("ray")


@pytest.mark.slow
def test_quick_suite_through_ray_gives_the_rows_of_a_local_run(tmp_path):
    pytest.importorskip("ray", reason="the Ray executor needs ray: pip install 'dynlearn[ray]'")
    suite = bench.load_suite("quick")
    local = bench.run_suite(suite, tmp_path / "local", jobs=2)
    executor = RayExecutor(num_cpus=2)
    assert isinstance(executor, Executor)
    try:
        remote = bench.run_suite(suite, tmp_path / "ray", executor=executor)
    finally:
        executor.close()
    assert remote.computed == local.computed == len(suite.cells())
    with ResultStore(local.store) as a, ResultStore(remote.store) as b:
        rows_a, rows_b = a.result_rows(suite.key), b.result_rows(suite.key)
        cells_b = b.cells(suite.key)
    assert rows_b == rows_a
    assert all(c.versions and c.fit_seconds is not None for c in cells_b)


@pytest.mark.slow
def test_a_ray_worker_killed_mid_cell_loses_and_duplicates_nothing(tmp_path, monkeypatch):
    pytest.importorskip("ray", reason="the Ray executor needs ray: pip install 'dynlearn[ray]'")
    tests_dir = str(Path(__file__).parent)
    monkeypatch.syspath_prepend(tests_dir)
    # the workers of the Ray instance started below inherit this environment: they find the model's module
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [tests_dir, os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("DYNLEARN_TEST_DIE_DIR", str(tmp_path))
    import _dying_model  # noqa: F401  (registers dying_persistence here too)

    suite = bench.suite_from_dict(
        {
            "name": "dying",
            "systems": ["Lorenz"],
            "seeds": [0, 1],
            "metrics": ["nrmse"],
            "protocol": {"points_per_period": 30, "train_points": 300, "test_points": 300, "context": 16,
                         "horizon": 40, "n_windows": 3, "long_horizon": 0},
            "methods": [{"model": "dying_persistence"}, {"model": "persistence"}],
        }
    )  # fmt: skip
    executor = RayExecutor(num_cpus=2)
    try:
        summary = bench.run_suite(suite, tmp_path / "out", executor=executor)
    finally:
        executor.close()
    assert sorted(p.name for p in tmp_path.glob("died-*")) == ["died-0", "died-1"]  # both workers did die
    with ResultStore(summary.store) as store:
        cells = store.cells(suite.key)
        rows = store.result_rows(suite.key)
    assert summary.failed == 0 and len(cells) == 4 and all(c.status == "ok" for c in cells)
    assert len(rows) == 4 == len(set(rows))
    # the retried cells score exactly like plain persistence: nothing was half-stored
    by = {(c.method, c.seed): c.metrics["nrmse"] for c in cells}
    assert by["dying_persistence", 0] == by["persistence", 0] and by["dying_persistence", 1] == by["persistence", 1]


def test_cli_refuses_an_unknown_executor_before_any_work(tmp_path):
    from typer.testing import CliRunner

    from dynlearn.cli.main import app

    res = CliRunner().invoke(app, ["bench", "run", "--suite", "quick", "--out", str(tmp_path), "--executor", "dask"])
    assert res.exit_code != 0
    assert "unknown executor 'dask'" in str(res.exception) + res.output
    assert not (tmp_path / "results.sqlite").exists()


# ------------------------------------------------------------------ a worker killed from outside (kill -9)
def _killable_suite():
    return bench.suite_from_dict(
        {
            "name": "killable",
            "systems": ["Lorenz"],
            "seeds": [0, 1, 2],
            "metrics": ["nrmse", "smape"],
            "protocol": {"points_per_period": 30, "train_points": 300, "test_points": 300, "context": 16,
                         "horizon": 40, "n_windows": 3, "long_horizon": 0},
            "methods": [{"model": "slow_persistence"}, {"model": "linear_ar", "config": {"lags": 2}}],
        }
    )  # fmt: skip


def _import_test_models(monkeypatch, tmp_path):
    """Workers (spawned processes or Ray workers) inherit PYTHONPATH and find the tests' models."""
    tests_dir = str(Path(__file__).parent)
    monkeypatch.syspath_prepend(tests_dir)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [tests_dir, os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("DYNLEARN_TEST_DIE_DIR", str(tmp_path))
    import _dying_model  # noqa: F401
    import _slow_model  # noqa: F401


def _kill_first_fitting_worker(pid_dir: Path, killed: list[int], timeout: float = 120.0) -> threading.Thread:
    """A thread that SIGKILLs the first process seen fitting slow_persistence (it holds pid_dir/<pid>)."""

    def watch():
        deadline = time.time() + timeout
        while time.time() < deadline:
            for mark in pid_dir.iterdir():
                pid = int(mark.name)
                if pid != os.getpid():
                    os.kill(pid, signal.SIGKILL)  # what the out-of-memory killer does
                    killed.append(pid)
                    return
            time.sleep(0.01)

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


def _rows(store_path, key):
    with ResultStore(store_path) as store:
        return store.result_rows(key), store.cells(key)


@pytest.mark.slow  # spawned workers import dynlearn and torch: ~20-40 s on a loaded 2-core machine
@pytest.mark.parametrize("executor", ["local", "ray"])
def test_a_worker_killed_with_sigkill_mid_cell_loses_and_duplicates_nothing(tmp_path, monkeypatch, executor):
    if executor == "ray":
        pytest.importorskip("ray", reason="the Ray executor needs ray: pip install 'dynlearn[ray]'")
    _import_test_models(monkeypatch, tmp_path)
    suite = _killable_suite()
    clean = bench.run_suite(suite, tmp_path / "clean", jobs=1)  # the uninterrupted reference, in this process

    pid_dir = tmp_path / "pids"
    pid_dir.mkdir()
    monkeypatch.setenv("DYNLEARN_TEST_PID_DIR", str(pid_dir))
    monkeypatch.setenv("DYNLEARN_SLOW_FIT", "1.5")
    killed: list[int] = []
    watcher = _kill_first_fitting_worker(pid_dir, killed)
    runner = RayExecutor(num_cpus=2) if executor == "ray" else None
    try:
        summary = bench.run_suite(suite, tmp_path / "killed", jobs=2, executor=runner)
    finally:
        if runner is not None:
            runner.close()
    watcher.join(1)
    assert len(killed) == 1, "no worker was killed mid-cell"
    assert summary.computed == 6 and summary.failed == 0
    rows, cells = _rows(summary.store, suite.key)
    assert len(cells) == 6 and all(c.status == "ok" for c in cells)
    assert rows == _rows(clean.store, suite.key)[0]  # the killed cell was recomputed: same numbers, once
    assert not list((tmp_path / "killed" / "forecasts").rglob(".*.tmp"))

    again = bench.run_suite(suite, tmp_path / "killed", jobs=2)  # resuming finds nothing left to do
    assert again.computed == 0 and again.skipped == 6
    assert _rows(summary.store, suite.key)[0] == rows


@pytest.mark.slow
def test_a_local_cell_whose_worker_keeps_dying_is_an_error_then_retry_failed_completes(tmp_path, monkeypatch):
    _import_test_models(monkeypatch, tmp_path)
    suite = bench.suite_from_dict(
        {
            "name": "dying",
            "systems": ["Lorenz"],
            "seeds": [0, 1],
            "metrics": ["nrmse"],
            "protocol": {"points_per_period": 30, "train_points": 300, "test_points": 300, "context": 16,
                         "horizon": 40, "n_windows": 3, "long_horizon": 0},
            "methods": [{"model": "dying_persistence"}, {"model": "persistence"}],
        }
    )  # fmt: skip
    out = tmp_path / "out"
    monkeypatch.setenv("DYNLEARN_TEST_DIE_ALWAYS", "1")  # dying_persistence kills its worker on every fit
    # one retry: each dying cell kills the shared pool, then its own pool twice, and is recorded as an error
    first = bench.run_suite(suite, out, executor=LocalExecutor(2, scratch=out / "forecasts", max_retries=1))
    assert first.computed == 4 and first.failed == 2
    _, cells = _rows(first.store, suite.key)
    died = [c for c in cells if c.status != "ok"]
    assert {(c.method, c.status) for c in died} == {("dying_persistence", "error")}
    assert all("worker process died 2 times running this cell alone" in c.reason for c in died)
    assert all("--retry-failed" in c.reason for c in died)

    monkeypatch.delenv("DYNLEARN_TEST_DIE_ALWAYS")
    second = bench.run_suite(suite, out, jobs=2, retry_failed=True)  # the markers exist: the fits succeed now
    assert second.computed == 2 and second.failed == 0
    rows, cells = _rows(second.store, suite.key)
    assert len(rows) == 4 == len(set(rows)) and all(c.status == "ok" for c in cells)
    by = {(c.method, c.seed): c.metrics["nrmse"] for c in cells}
    assert by["dying_persistence", 0] == by["persistence", 0] and by["dying_persistence", 1] == by["persistence", 1]


@pytest.mark.slow
def test_local_workers_that_all_die_stop_the_run_with_a_clear_error(tmp_path, monkeypatch):
    _import_test_models(monkeypatch, tmp_path)
    monkeypatch.setenv("DYNLEARN_TEST_DIE_ALWAYS", "1")
    suite = bench.suite_from_dict(
        {
            "name": "all-dying",
            "systems": ["Lorenz"],
            "seeds": [0, 1],
            "metrics": ["nrmse"],
            "protocol": {"points_per_period": 30, "train_points": 300, "test_points": 300, "context": 16,
                         "horizon": 40, "n_windows": 3, "long_horizon": 0},
            "methods": [{"model": "dying_persistence"}],
        }
    )  # fmt: skip
    out = tmp_path / "out"
    with pytest.raises(DynlearnError, match="every local worker process died before finishing a cell"):
        bench.run_suite(suite, out, executor=LocalExecutor(2, scratch=out / "forecasts", max_retries=0))
    assert _rows(out / "results.sqlite", suite.key)[1] == []  # nothing stored: the next run starts afresh
