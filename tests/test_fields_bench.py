"""Field models in bench suites: cells in the shared SQLite store, resumable per cell, the report."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch")

from dynlearn.bench.store import ResultStore  # noqa: E402
from dynlearn.errors import UnknownNameError, ValidationError  # noqa: E402
from dynlearn.fields import bench, metrics  # noqa: E402
from dynlearn.fields.models import FIELD_MODELS, register_field_model  # noqa: E402


@pytest.fixture(scope="module")
def tiny_registered():
    from test_fields_training import TinyConv

    cls = type("TinyConvBench", (TinyConv,), {})
    register_field_model("tiny_conv_bench")(cls)
    yield "tiny_conv_bench"
    FIELD_MODELS.unregister("tiny_conv_bench")


def _suite(**over):
    raw = {
        "name": "fields-tiny",
        "description": "tiny",
        "seeds": [0, 1],
        "steps": [1, 4],
        "data": {
            "equation": "navier_stokes_2d",
            "config": {"batch": 5, "n": 16, "steps": 60, "save_every": 5, "seed": 3},
            "test": 2,
            "history": 1,
        },
        "train": {"epochs": 2, "batch_size": 4, "samples_per_epoch": 8, "val_fraction": 0.34, "val_steps": 3},
        "models": [{"label": "last", "model": "last_frame"}, {"label": "tiny", "model": "tiny_conv_bench"}],
    }
    raw.update(over)
    return raw


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path / "cache"))


def test_suite_runs_into_the_store_resumes_per_cell_and_reports(tmp_path, tiny_registered, cache):
    suite = bench.suite_from_dict(_suite())
    info = bench.run_fields_suite(suite, tmp_path / "a")
    assert info["ran"] == 4
    with ResultStore(tmp_path / "a" / bench.STORE) as store:
        cells = store.cells(suite.key)
        rows_a = store.result_rows(suite.key)
    assert [(c.method, c.seed, c.status) for c in cells] == [("last", 0, "ok"), ("last", 1, "ok"), ("tiny", 0, "ok"), ("tiny", 1, "ok")]
    # the last-frame baseline's errors, by hand on the held-out trajectories
    train, test = bench.suite_data(suite)
    v = test.values.astype(float)
    assert cells[0].metrics["relative_l2_1step"] == pytest.approx(metrics.relative_l2(v[:, :-1], v[:, 1:]), rel=1e-5)
    curve = metrics.relative_l2(np.repeat(v[:, :1], 4, axis=1), v[:, 1:5], reduce="frame")
    assert cells[0].metrics["relative_l2_4"] == pytest.approx(float(curve.mean()), rel=1e-5)
    assert cells[2].metrics["n_parameters"] > 0 and cells[2].fit_seconds > 0

    # an interrupted run (stopped after its first cell) resumes and ends with the same table
    class Stop(Exception):
        pass

    def stop_after_first(message):
        if message.startswith("[1/"):
            raise Stop

    with pytest.raises(Stop):
        bench.run_fields_suite(suite, tmp_path / "b", progress=stop_after_first)
    again = bench.run_fields_suite(suite, tmp_path / "b")
    assert (again["done_before"], again["ran"]) == (1, 3)
    with ResultStore(tmp_path / "b" / bench.STORE) as store:
        assert store.result_rows(suite.key) == rows_a
    assert bench.run_fields_suite(suite, tmp_path / "b")["ran"] == 0

    _, rows = bench.leaderboard(tmp_path / "a")
    assert {r["model"] for r in rows} == {"last", "tiny"} and all(r["cells"] == 2 for r in rows)
    page = bench.write_report(tmp_path / "a")
    text = page.read_text()
    assert "fields-tiny" in text and text.count("data:image/png;base64") == 3  # curves + one rollout per model
    board = json.loads((tmp_path / "a" / "leaderboard.json").read_text())
    assert board["run"] == suite.key


def test_cli_runs_a_suite_file(tmp_path, tiny_registered, cache):
    from dynlearn.cli.main import main

    raw = _suite(seeds=[0], models=[{"label": "last", "model": "last_frame"}])
    path = tmp_path / "s.toml"
    d = raw["data"]
    path.write_text(
        f'name = "fields-tiny"\nseeds = [0]\nsteps = [1, 4]\n[data]\nequation = "navier_stokes_2d"\ntest = 2\n'
        f"config = {{ batch = 5, n = 16, steps = 60, save_every = 5, seed = 3 }}\nhistory = {d['history']}\n"
        '[[models]]\nlabel = "last"\nmodel = "last_frame"\n'
    )
    with pytest.raises(SystemExit) as e:
        main(["fields", "bench", "run", str(path), "--out", str(tmp_path / "out")])
    assert e.value.code in (0, None)
    assert (tmp_path / "out" / "report.html").is_file()
    with pytest.raises(SystemExit) as e:
        main(["fields", "bench", "leaderboard", "--out", str(tmp_path / "out")])
    assert e.value.code in (0, None)


def test_bad_suites_are_refused(tiny_registered):
    with pytest.raises(ValidationError, match="unknown key 'sytems'"):
        bench.suite_from_dict(_suite(sytems=["x"]))
    with pytest.raises(UnknownNameError, match="unet_x"):
        bench.suite_from_dict(_suite(models=[{"model": "unet_x"}]))
    bad = _suite()
    bad["data"] = {**bad["data"], "test": 5}
    with pytest.raises(ValidationError, match="test = 5 must lie in"):
        bench.suite_from_dict(bad)
    with pytest.raises(ValidationError, match="unknown training setting 'epoch'"):
        bench.suite_from_dict(_suite(train={"epoch": 3}))
    with pytest.raises(ValidationError, match="labels must be unique"):
        bench.suite_from_dict(_suite(models=[{"model": "last_frame"}, {"model": "last_frame"}]))
    with pytest.raises(UnknownNameError):
        bench.load_suite("fields-nope")
    with pytest.raises(ValidationError, match="holds no results.sqlite"):
        bench.leaderboard("/nonexistent-dir")


def test_builtin_suites_load():
    assert "fields-ns64" in bench.builtin_suites()
    for name in bench.builtin_suites():
        raw = __import__("tomllib").loads((bench.SUITE_DIR / f"{name}.toml").read_text())
        missing = [m["model"] for m in raw["models"] if m["model"] not in FIELD_MODELS]
        if missing:
            pytest.skip(f"models not registered yet: {missing}")
        suite = bench.load_suite(name)
        assert suite.cells()
