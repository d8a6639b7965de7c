"""Executors: the Ray executor gives the store the same rows as local processes (issue 12 §3)."""

from __future__ import annotations

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
