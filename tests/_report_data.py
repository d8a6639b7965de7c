"""Stores for the report tests: a real small run with a two-run sweep, and a synthetic
135-system x 20-method store (no model is fitted: the values are drawn, with known structure)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dynlearn import bench, systems
from dynlearn.bench.store import CellResult, ResultStore

REAL = {
    "name": "tiny-report",
    "description": "Three flows, three cheap methods: the report test's real run.",
    "systems": ["Lorenz", "Rossler", "Chen"],
    "seeds": [0],
    "metrics": ["smape", "vpt_lyap", "nrmse", "dh"],
    "protocol": {
        "points_per_period": 30,
        "train_points": 400,
        "test_points": 300,
        "context": 16,
        "horizon": 60,
        "n_windows": 3,
        "long_horizon": 200,
    },
    "methods": [
        {"model": "persistence"},
        {"model": "mean"},
        {"name": "ar", "model": "linear_ar", "config": {"lags": 3}},
    ],
}


def real_runs(out: Path) -> dict[str, str]:
    """Run the real suite (400 training points) and a sweep ``short`` (a suite with
    ``vary = {train_points = [100, 200]}``) into ``out``; returns the run keys by role."""
    main = bench.suite_from_dict(REAL)
    keys = {"main": bench.run_suite(main, out, jobs=1).run}
    sweep = bench.suite_from_dict({**REAL, "name": "short", "vary": {"train_points": [100, 200]}})
    bench.run_suite(sweep, out, jobs=1)
    for member in sweep.members():
        keys[f"n{member.protocol.train_points}"] = member.key
    return keys


def chaotic_flows(n: int) -> list[str]:
    """``n`` catalog systems: the flows with a positive largest Lyapunov exponent first (by name),
    then, if there are fewer, maps (whose exponents are per iteration: the report leaves them out
    of the Lyapunov scatter)."""
    flows, maps = [], []
    for name in sorted(systems.names()):
        s = systems.get(name)
        if s.kind == "flow" and s.max_lyapunov and s.max_lyapunov > 0:
            flows.append(name)
        elif s.kind == "map":
            maps.append(name)
    out = (flows + maps)[:n]
    assert len(out) == n, f"the catalog has {len(out)} flows and maps, fewer than {n}"
    return out


def synthetic_store(out: Path, n_systems: int = 135, n_methods: int = 20, seeds=(0, 1)) -> tuple[str, list[str]]:
    """A store of ``n_systems`` x ``n_methods`` x seeds drawn cells; returns (run key, systems).

    Method ``m00`` has sMAPE increasing exactly with lambda_max (Spearman rho = 1), ``m01`` a value
    independent of it; every 7th (system, m02) cell diverged, every 11th (system, m03) raised, and
    seed 1 of every 5th (system, m04) diverged (a partly failed pair)."""
    names = chaotic_flows(n_systems)
    lam = np.array([systems.get(s).max_lyapunov if systems.get(s).kind == "flow" else np.inf for s in names])
    rank = np.argsort(np.argsort(lam))  # maps (inf) rank last and stay out of the scatter
    methods = [f"m{j:02d}" for j in range(n_methods)]
    spec = {
        "name": "synthetic135",
        "description": "Synthetic values for the report's layout test (no model was fitted).",
        "systems": names,
        "seeds": list(seeds),
        "metrics": ["smape", "vpt_lyap", "nrmse"],
        "protocol": {
            "points_per_period": 100,
            "train_points": 1000,
            "test_points": 1200,
            "context": 10,
            "horizon": 200,
            "n_windows": 1,
            "long_horizon": 0,
        },  # fmt: skip
        "methods": [{"name": m, "model": "persistence"} for m in methods],
    }
    suite = bench.suite_from_dict(spec, check_models=False)
    rng = np.random.default_rng(0)
    with ResultStore(out / "results.sqlite") as store:
        store._db.execute("PRAGMA synchronous=OFF")  # test data: 5,400 fsyncs would be most of the test's time
        store.ensure_run(suite.key, suite.name, suite.to_dict())
        for i, s in enumerate(names):
            for k in seeds:
                for j, m in enumerate(methods):
                    if j == 0:
                        smape = 20.0 + 150.0 * rank[i] / len(names)
                    else:
                        smape = float(np.clip(rng.normal(40 + 6 * j, 25), 1, 199))
                    vals = {"smape": smape, "vpt_lyap": max(0.0, 6.0 - smape / 30), "nrmse": smape / 100}
                    status, reason = "ok", ""
                    if j == 2 and i % 7 == 0:
                        status, reason = "diverged", "forecast non-finite from step 12 of test window 0"
                        vals = {"smape": 200.0, "vpt_lyap": 0.05, "nrmse": float("inf")}
                    elif j == 3 and i % 11 == 0:
                        status, reason, vals = "error", "TrainingError: loss exploded at epoch 3", {}
                    elif j == 4 and i % 5 == 0 and k == 1:
                        status, reason = "diverged", "long free-running forecast left 10x the training range"
                    store.add_cell(suite.key, CellResult(s, m, k, status, reason, vals, 0.1, 0.01))
    return suite.key, names
