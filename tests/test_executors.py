"""Executors: the Ray executor gives the store the same rows as local processes (issue 12 §3)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dynlearn import bench
from dynlearn.bench.executors import Executor, RayExecutor, make_executor
from dynlearn.bench.store import ResultStore
from dynlearn.errors import ValidationError


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
    from dynlearn.errors import DynlearnError

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
