"""The dysts protocol in dynlearn.bench (issue 12 §1): forecast origin at the end of the training
data, raw series, univariate variant, sweeps over the training length, tuning on a validation split
of the training data, system sets, and the chaos135 suite files."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3

import numpy as np
import pytest

from dynlearn import bench, models, systems
from dynlearn.bench.cell import forecast_windows, run_cell
from dynlearn.bench.datasets import _cache_path, load_or_make, make_data, prepare
from dynlearn.bench.store import ResultStore
from dynlearn.bench.system_sets import DYSTS_FLOWS, chaotic_on_record, dysts_chaotic_flows
from dynlearn.bench.tuning import tune, validation_split
from dynlearn.data import TrajectorySet, save_npz
from dynlearn.errors import UnknownNameError, ValidationError
from dynlearn.models.baselines import Persistence

PROTOCOL = {  # chaos135's protocol, small: 100 points per period, one forecast from the end of training
    "points_per_period": 100,
    "train_points": 300,
    "test_points": 60,
    "context": 20,
    "horizon": 60,
    "n_windows": 1,
    "long_horizon": 0,
    "standardize": False,
    "origin": "train_end",
}

MINI = {  # a 2-system, 2-method mini chaos135
    "name": "mini135",
    "systems": ["Lorenz", "Rossler"],
    "seeds": [0],
    "metrics": ["smape", "vpt_lyap", "nrmse", "rmsle", "pearson"],
    "protocol": PROTOCOL,
    "methods": [
        {"model": "persistence"},
        {"name": "ar", "model": "linear_ar", "config": {"alpha": 1e-6}, "tune": {"lags": [2, 8]}, "tune_budget": 2},
    ],
}


def mini(**changes):
    return bench.suite_from_dict({**MINI, **changes})


# --------------------------------------------------------------------------- protocol


def test_protocol_checks_the_new_fields():
    with pytest.raises(UnknownNameError, match="train_end"):
        mini(protocol={**PROTOCOL, "origin": "train_edn"})
    with pytest.raises(ValidationError, match="set n_windows = 1"):
        mini(protocol={**PROTOCOL, "n_windows": 3})
    with pytest.raises(ValidationError, match="exceeds train_points"):
        mini(protocol={**PROTOCOL, "context": 400})
    with pytest.raises(ValidationError, match="horizon = 80 exceeds test_points"):
        mini(protocol={**PROTOCOL, "horizon": 80})
    with pytest.raises(ValidationError, match="history_points"):
        mini(protocol={**PROTOCOL, "history_points": 100})
    with pytest.raises(ValidationError, match="validation_fraction"):
        mini(protocol={**PROTOCOL, "validation_fraction": 1.5})


def _old_style_key(suite) -> str:
    """The run key exactly as the code before these fields computed it."""
    spec = dataclasses.asdict(suite)
    old_protocol = ("points_per_period", "train_points", "test_points", "context", "horizon", "n_windows",
                    "long_horizon", "noise", "standardize")  # fmt: skip
    spec = {
        "name": spec["name"],
        "systems": spec["systems"],
        "methods": [{k: m[k] for k in ("name", "model", "config")} for m in spec["methods"]],
        "seeds": spec["seeds"],
        "metrics": spec["metrics"],
        "protocol": {k: spec["protocol"][k] for k in old_protocol},
        "system_fingerprints": [systems.fingerprint(s) for s in suite.systems],
    }
    return f"{suite.name}-" + hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]


@pytest.mark.parametrize("name", ["quick", "zoo"])
def test_existing_suites_keep_their_run_keys(name):
    suite = bench.load_suite(name)
    assert suite.key == _old_style_key(suite)


def test_existing_cache_names_do_not_change(tmp_path):
    p = bench.load_suite("quick").protocol
    legacy = json.dumps(
        [systems.fingerprint("Lorenz"), 0, p.points_per_period, p.train_points, p.test_points, p.noise, p.standardize],
        sort_keys=True,
    )
    want = f"Lorenz-seed0-{hashlib.sha256(legacy.encode()).hexdigest()[:10]}.npz"
    assert _cache_path(tmp_path, "Lorenz", 0, p).name == want


def test_train_end_forecasts_from_the_training_tail_and_scores_the_test_head():
    p = mini().protocol
    (data,) = make_data("Lorenz", [0], p)
    assert len(data.train) == 300 and len(data.test) == 60
    contexts, truth, _, _ = forecast_windows(p, data)
    assert contexts.shape == (1, 20, 3) and truth.shape == (1, 60, 3)
    np.testing.assert_array_equal(contexts[0], data.train.states[-20:])
    np.testing.assert_array_equal(truth[0], data.test.states)
    # raw series: the Lorenz z coordinate keeps its mean near 23.5, no standardisation
    assert data.train.states[:, 2].mean() > 10
    # one simulation: the test part continues the training part
    (raw,) = systems.simulate("Lorenz", n_points=360, points_per_period=100, seed=[data.train.meta["seed"]])
    np.testing.assert_array_equal(raw.states[:300], data.train.states)


def test_univariate_models_see_and_forecast_coordinate_zero_only(tmp_path):
    suite = mini(protocol={**PROTOCOL, "univariate": True}, methods=[{"model": "persistence"}])
    (uni,) = make_data("Lorenz", [0], suite.protocol)
    (multi,) = make_data("Lorenz", [0], mini().protocol)
    assert uni.train.dim == 1
    np.testing.assert_array_equal(uni.train.states[:, 0], multi.train.states[:, 0])
    r = run_cell("Lorenz", suite.methods[0], 0, suite.protocol, suite.metrics, str(tmp_path))
    last = uni.train.states[-1, 0]
    truth = uni.test_true.states[:, 0]
    smape = 100 * np.mean(2 * np.abs(truth - last) / (np.abs(truth) + np.abs(last)))
    assert r.status == "ok" and r.metrics["smape"] == pytest.approx(smape)


def test_a_metric_undefined_on_the_data_is_nan_and_the_cell_goes_on(tmp_path):
    suite = mini(methods=[{"model": "persistence"}])
    r = run_cell("Lorenz", suite.methods[0], 0, suite.protocol, suite.metrics, str(tmp_path))
    assert r.status == "ok" and np.isnan(r.metrics["rmsle"])  # Lorenz x and y go negative
    assert np.isfinite(r.metrics["smape"])


# --------------------------------------------------------------------------- tuning


def test_tune_candidates_are_a_grid_cut_to_the_budget_deterministically():
    grid = {"lags": [1, 2, 4, 8], "alpha": [1e-8, 1e-4]}
    m = mini(methods=[{"model": "linear_ar", "tune": grid, "tune_budget": 3}]).methods[0]
    again = mini(methods=[{"model": "linear_ar", "tune": grid, "tune_budget": 3}]).methods[0]
    assert len(m.tune) == 3 and m.tune == again.tune and m.tune_budget == 3
    full = mini(methods=[{"model": "linear_ar", "tune": grid}]).methods[0]
    assert len(full.tune) == 8 and full.tune_budget == 8
    listed = mini(methods=[{"model": "linear_ar", "tune": [{"lags": 2}, {"lags": "4"}]}]).methods[0]
    assert listed.tune == ({"lags": 2}, {"lags": 4})  # coerced like configs


def test_tune_is_checked_when_the_suite_loads():
    with pytest.raises(ValidationError, match="has no field 'lag'"):
        mini(methods=[{"model": "linear_ar", "tune": {"lag": [2, 4]}}])
    with pytest.raises(ValidationError, match="needs a context of 40"):
        mini(methods=[{"model": "linear_ar", "tune": {"lags": [2, 40]}}])
    with pytest.raises(ValidationError, match="tune_budget without tune"):
        mini(methods=[{"model": "linear_ar", "tune_budget": 2}])
    with pytest.raises(ValidationError, match="non-empty list"):
        mini(methods=[{"model": "linear_ar", "tune": {"lags": 4}}])


def test_tuning_sees_the_training_data_only(tmp_path):
    """Corrupting the cached test window changes the test scores, never the tuning."""
    suite = mini()
    method = suite.method("ar")
    first = run_cell("Lorenz", method, 0, suite.protocol, suite.metrics, str(tmp_path))
    path = _cache_path(tmp_path, "Lorenz", 0, suite.protocol)
    data = load_or_make(tmp_path, "Lorenz", 0, suite.protocol)
    bad = data.test.replace(states=data.test.states[::-1] * 7.0 + 100.0)
    save_npz(TrajectorySet([data.train, bad, bad]), path)
    second = run_cell("Lorenz", method, 0, suite.protocol, suite.metrics, str(tmp_path))
    t1, t2 = json.loads(first.tuning), json.loads(second.tuning)
    t1.pop("seconds"), t2.pop("seconds")
    assert t1 == t2 and first.config == second.config
    assert first.metrics["smape"] != second.metrics["smape"]
    assert t1["candidates"] == [{"lags": 2}, {"lags": 8}] and t1["fit_points"] == 240
    assert json.loads(first.config)["lags"] == t1["chosen"]["lags"]


def test_tune_picks_the_best_validation_score_and_a_failing_candidate_loses():
    (data,) = make_data("Lorenz", [0], mini().protocol)
    fit, val = validation_split(data.train, 0.2)
    assert len(fit) == 240 and len(val) == 60
    np.testing.assert_array_equal(val.states, data.train.states[240:])
    cands = [{"lags": 1}, {"lags": 2}, {"lags": 8}, {"lags": 500}]
    res = tune("linear_ar", {"seed": 0}, cands, data.train, metric="smape", context=20, horizon=60,
               validation_fraction=0.2)  # fmt: skip
    assert res.scores[3] == float("inf") and "at least 501" in res.failures[3]  # more lags than the fit part holds
    for cand, got, why in zip(cands[:3], res.scores, res.failures):  # fit on the first 240, forecast the last 60
        pred = models.create("linear_ar", {"seed": 0, **cand}).fit(fit).predict(fit.states[-20:], 60)
        if why:  # a forecast that leaves 10x the training range loses
            assert why.startswith("diverged") and got == float("inf")
            continue
        want = 100 * np.mean(2 * np.abs(pred - val.states) / (np.abs(pred) + np.abs(val.states)))
        assert got == pytest.approx(want)
    assert sum(not f for f in res.failures) >= 1
    assert res.index == int(np.argmin(res.scores)) and res.chosen == cands[res.index]


def test_a_method_that_crashes_on_one_system_is_a_failure_row_and_the_run_goes_on(tmp_path):
    class CrashesOnRossler(Persistence):
        def _fit(self, trajectories):
            if trajectories[0].meta.get("system") == "Rossler":
                raise ZeroDivisionError("bug on Rossler")
            return super()._fit(trajectories)

    models.register("crash_rossler_test")(CrashesOnRossler)
    try:
        suite = mini(methods=[{"model": "crash_rossler_test"}, {"model": "mean"}])
        summary = bench.run_suite(suite, tmp_path, jobs=1)
        with ResultStore(summary.store) as store:
            cells = {(c.system, c.method): c for c in store.cells(suite.key)}
    finally:
        models.MODELS.unregister("crash_rossler_test")
    assert summary.computed == 4 and summary.failed == 1
    bad = cells[("Rossler", "crash_rossler_test")]
    assert bad.status == "error" and "ZeroDivisionError: bug on Rossler" in bad.reason
    assert cells[("Lorenz", "crash_rossler_test")].status == "ok"
    assert cells[("Rossler", "mean")].status == "ok"


# --------------------------------------------------------------------------- runs, store, sweeps


def test_mini_chaos135_runs_end_to_end_and_records_the_chosen_config(tmp_path):
    suite = mini()
    summary = bench.run_suite(suite, tmp_path, jobs=1)
    assert summary.computed == 4 and summary.failed == 0
    with ResultStore(summary.store) as store:
        cells = {(c.system, c.method): c for c in store.cells(suite.key)}
        spec = store.run_spec(suite.key)
    ar = cells[("Lorenz", "ar")]
    assert json.loads(ar.tuning)["chosen"]["lags"] in (2, 8)
    assert json.loads(ar.config)["seed"] == 0
    assert cells[("Lorenz", "persistence")].tuning == ""
    assert json.loads(cells[("Lorenz", "persistence")].config) == {"seed": 0}
    assert spec["protocol"]["origin"] == "train_end" and spec["protocol"]["train_points"] == 300
    assert bench.suite_from_dict(spec, check_models=False).key == suite.key  # a stored spec rebuilds the run


def test_a_store_of_schema_2_gains_config_and_tuning_without_losing_rows(tmp_path):
    path = tmp_path / "results.sqlite"
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE runs (run TEXT PRIMARY KEY, suite TEXT NOT NULL, spec TEXT NOT NULL, created REAL NOT NULL);
        CREATE TABLE cells (run TEXT NOT NULL, system TEXT NOT NULL, method TEXT NOT NULL, seed INTEGER NOT NULL,
            status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', fit_seconds REAL, predict_seconds REAL,
            finished REAL NOT NULL, peak_mem_mb REAL, versions TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (run, system, method, seed));
        CREATE TABLE results (run TEXT NOT NULL, system TEXT NOT NULL, method TEXT NOT NULL, seed INTEGER NOT NULL,
            metric TEXT NOT NULL, value REAL, PRIMARY KEY (run, system, method, seed, metric));
        INSERT INTO runs VALUES ('r1', 'tiny', '{}', 1.0);
        INSERT INTO cells VALUES ('r1', 'Lorenz', 'mean', 0, 'ok', '', 0.5, 0.1, 2.0, 3.0, '{}');
        INSERT INTO results VALUES ('r1', 'Lorenz', 'mean', 0, 'smape', 99.0);
        PRAGMA user_version = 2;
        """
    )
    db.commit()
    db.close()
    with ResultStore(path) as store:
        (old,) = store.cells("r1")
        assert old.metrics == {"smape": 99.0} and old.peak_mem_mb == 3.0
        assert old.config == "" and old.tuning == ""
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == 3


SWEEP = {
    **MINI,
    "name": "mini-sweep",
    "protocol": {**PROTOCOL, "history_points": 300},
    "vary": {"train_points": [300, 150, 75]},
    "methods": [{"model": "persistence"}, {"name": "ar", "model": "linear_ar", "config": {"lags": 4}}],
}


def test_a_sweep_makes_one_run_per_training_length_on_one_shared_series(tmp_path):
    sweep = bench.suite_from_dict(SWEEP)
    members = sweep.members()
    assert [m.protocol.train_points for m in members] == [300, 150, 75]
    assert all(m.sweep == "mini-sweep" and m.name == "mini-sweep" and not m.vary for m in members)
    assert len({m.key for m in members}) == 3
    long, short = (make_data("Lorenz", [0], m.protocol)[0] for m in (members[0], members[2]))
    np.testing.assert_array_equal(short.train.states, long.train.states[-75:])  # the training tail shrinks
    np.testing.assert_array_equal(short.test.states, long.test.states)  # the same test window
    summary = bench.run_suite(sweep, tmp_path, jobs=1)
    assert summary.computed == 12 and summary.run == members[-1].key
    with ResultStore(summary.store) as store:
        runs = store.sweep_runs("mini-sweep")
        assert [spec["protocol"]["train_points"] for _, spec in runs] == [300, 150, 75]
        assert all(spec["sweep"] == "mini-sweep" for _, spec in runs)
        assert all(len(store.cells(run)) == 4 for run, _ in runs)
    assert len(list((tmp_path / "cache" / "raw").glob("Lorenz-*.npz"))) == 1  # simulated once
    again = bench.run_suite(sweep, tmp_path, jobs=1)
    assert again.computed == 0 and again.skipped == 12


def test_a_sweep_is_checked_when_it_loads():
    with pytest.raises(UnknownNameError, match="train_points"):
        bench.suite_from_dict({**SWEEP, "vary": {"train_pionts": [10]}})
    with pytest.raises(ValidationError, match="history_points"):
        bench.suite_from_dict({**SWEEP, "vary": {"train_points": [600, 300]}})
    with pytest.raises(ValidationError, match="repeats"):
        bench.suite_from_dict({**SWEEP, "vary": {"train_points": [300, "300"]}})


def test_variants_share_one_simulation(tmp_path):
    p = mini().protocol
    prepare(tmp_path, "Lorenz", [0], p)
    prepare(tmp_path, "Lorenz", [0], dataclasses.replace(p, univariate=True))
    assert len(list((tmp_path / "raw").glob("*.npz"))) == 1
    assert len(list(tmp_path.glob("Lorenz-*.npz"))) == 2


# --------------------------------------------------------------------------- systems and suite files


def test_the_dysts_set_holds_only_chaotic_systems_and_names_unknown_sets():
    names = dysts_chaotic_flows()
    assert set(names) <= set(DYSTS_FLOWS) and len(names) >= 100
    assert all(chaotic_on_record(n) for n in names)
    assert "Torus" not in names and "Lorenz" in names  # Torus is quasi-periodic on record
    assert all(systems.get(n).kind in ("flow", "delay") for n in names)
    with pytest.raises(UnknownNameError, match="dysts-chaotic-flows"):
        mini(systems="dysts-chaotic-flow")


@pytest.mark.parametrize("name", ["chaos135", "chaos135-uni", "chaos135-coarse", "chaos135-long", "chaos135-sweep"])
def test_the_chaos135_suites_load(name):
    suite = bench.load_suite(name)
    assert suite.systems == tuple(dysts_chaotic_flows())
    assert suite.metrics[0] == "smape"
    for m in suite.members():
        p = m.protocol
        assert (p.origin, p.standardize, p.n_windows) == ("train_end", False, 1)
    if name == "chaos135-sweep":
        assert [m.protocol.train_points for m in suite.members()] == [1000, 500, 250, 125, 63]
    if name == "chaos135-uni":
        assert suite.protocol.univariate


def test_bench_run_of_a_sweep_file_runs_every_training_length(tmp_path, monkeypatch, capsys):
    from dynlearn.cli import main

    spec = {**SWEEP, "methods": [{"model": "persistence"}], "systems": ["Lorenz"]}
    (tmp_path / "sweep.json").write_text(json.dumps(spec))
    monkeypatch.chdir(tmp_path)
    try:
        main(["bench", "run", "--suite", "sweep.json", "--jobs", "1", "--out", "runs", "--no-report"])
    except SystemExit as exc:
        assert exc.code in (0, None)
    err = capsys.readouterr().err
    assert "= 3 cells" in err and "3 cells computed" in err
    with ResultStore(tmp_path / "runs" / "results.sqlite") as store:
        assert [s["protocol"]["train_points"] for _, s in store.sweep_runs("mini-sweep")] == [300, 150, 75]


@pytest.mark.slow
def test_large_suites_simulate_their_data_in_worker_processes(tmp_path, monkeypatch):
    from dynlearn.bench import runner

    monkeypatch.setattr(runner, "PARALLEL_DATA_FROM", 2)
    p = mini().protocol
    events = []
    runner.prepare_all(tmp_path / "par", {"Lorenz": [0], "Rossler": [0, 1]}, p, 2, lambda *a: events.append(a))
    runner.prepare_all(tmp_path / "ser", {"Lorenz": [0], "Rossler": [0, 1]}, p, 1, lambda *a: None)
    for name in ("Lorenz", "Rossler"):
        for seed in {"Lorenz": [0], "Rossler": [0, 1]}[name]:
            a = load_or_make(tmp_path / "par", name, seed, p)
            b = load_or_make(tmp_path / "ser", name, seed, p)
            np.testing.assert_array_equal(a.train.states, b.train.states)
    assert events[-1] == ("data", 2, 2, None)


def test_tuning_and_sweeps_are_refused_for_data_files(tmp_path):
    (tmp_path / "x.csv").write_text("time,x\n" + "".join(f"{i},{np.sin(i / 5):.6f}\n" for i in range(120)))
    own = {"name": "own", "data": [str(tmp_path / "x.csv")], "seeds": [0], "metrics": ["smape"]}
    with pytest.raises(ValidationError, match="tune applies to catalog systems"):
        bench.suite_from_dict({**own, "methods": [{"model": "linear_ar", "tune": {"lags": [1, 2]}}]})
    with pytest.raises(ValidationError, match="vary"):
        bench.suite_from_dict({**own, "methods": [{"model": "mean"}], "vary": {"train_points": [100, 50]}})


@pytest.mark.slow
def test_every_chaos135_method_runs_on_two_systems(tmp_path):
    """The built-in chaos135 suite, cut to Lorenz and Rossler: every method's config (tuning
    included) fits and forecasts on the published protocol without an error cell."""
    import tomllib

    from dynlearn.bench.suite import SUITE_DIR

    spec = tomllib.loads((SUITE_DIR / "chaos135.toml").read_text())
    suite = bench.suite_from_dict({**spec, "systems": ["Lorenz", "Rossler"]})
    summary = bench.run_suite(suite, tmp_path, jobs=2)
    with ResultStore(summary.store) as store:
        cells = store.cells(suite.key)
    assert len(cells) == 2 * len(suite.methods)
    assert [(c.system, c.method, c.reason) for c in cells if c.status == "error"] == []
