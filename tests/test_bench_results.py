"""Per-cell records, store migration, export, leaderboard IQR and run comparison (issue 12 §4)."""

from __future__ import annotations

import csv
import json
import math
import sqlite3

import numpy as np
import pytest

from dynlearn import bench
from dynlearn.bench.compare import compare, holm
from dynlearn.bench.export import table, write_table
from dynlearn.bench.records import PeakMemory, package_versions, run_cell_recorded
from dynlearn.bench.store import CellResult, ResultStore
from dynlearn.errors import DynlearnError, ValidationError

TINY = {
    "name": "tiny",
    "systems": ["Lorenz"],
    "seeds": [0, 1],
    "metrics": ["nrmse", "smape", "pearson"],
    "protocol": {
        "points_per_period": 30,
        "train_points": 300,
        "test_points": 300,
        "context": 16,
        "horizon": 40,
        "n_windows": 3,
        "long_horizon": 0,
    },
    "methods": [{"model": "persistence"}, {"name": "ar", "model": "linear_ar", "config": {"lags": 3}}],
}

# the cells table exactly as the first schema (before peak memory and versions) wrote it
OLD_SCHEMA = """
CREATE TABLE runs (run TEXT PRIMARY KEY, suite TEXT NOT NULL, spec TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE cells (
    run TEXT NOT NULL, system TEXT NOT NULL, method TEXT NOT NULL, seed INTEGER NOT NULL,
    status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
    fit_seconds REAL, predict_seconds REAL, finished REAL NOT NULL,
    PRIMARY KEY (run, system, method, seed)
);
CREATE TABLE results (
    run TEXT NOT NULL, system TEXT NOT NULL, method TEXT NOT NULL, seed INTEGER NOT NULL,
    metric TEXT NOT NULL, value REAL,
    PRIMARY KEY (run, system, method, seed, metric)
);
"""


def test_a_store_of_the_old_schema_opens_keeps_its_rows_and_takes_new_cells(tmp_path):
    path = tmp_path / "results.sqlite"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.execute("INSERT INTO runs VALUES ('r1', 'tiny', '{}', 1.0)")
    db.execute("INSERT INTO cells VALUES ('r1', 'Lorenz', 'mean', 0, 'ok', '', 0.5, 0.1, 2.0)")
    db.execute("INSERT INTO results VALUES ('r1', 'Lorenz', 'mean', 0, 'nrmse', 1.25)")
    db.commit()
    db.close()
    with ResultStore(path) as store:
        (old,) = store.cells("r1")
        assert (old.method, old.fit_seconds, old.metrics) == ("mean", 0.5, {"nrmse": 1.25})
        assert old.peak_mem_mb is None and old.versions == ""
        store.add_cell("r1", CellResult("Lorenz", "ar", 0, "ok", "", {"nrmse": 0.5}, 1.0, 0.2, 12.5, '{"numpy": "2"}'))
    with ResultStore(path) as store:  # reopening a migrated store changes nothing
        cells = {c.method: c for c in store.cells("r1")}
        assert cells["ar"].peak_mem_mb == 12.5 and json.loads(cells["ar"].versions) == {"numpy": "2"}
        assert cells["mean"].metrics == {"nrmse": 1.25}
        assert store._db.execute("PRAGMA user_version").fetchone()[0] >= 2


def test_peak_memory_sees_a_numpy_allocation():
    with PeakMemory() as small:
        pass
    with PeakMemory() as big:
        a = np.ones(40_000_000 // 8 * 8)  # 40 MB, touched
        del a
    if big.mb is None:
        pytest.skip("this platform cannot reset the peak RSS (/proc/self/clear_refs); peak_mem_mb is None here")
    assert big.mb > 30 and small.mb < 10


def test_cells_record_times_memory_versions_and_seed(tmp_path):
    suite = bench.suite_from_dict(TINY)
    summary = bench.run_suite(suite, tmp_path)
    with ResultStore(summary.store) as store:
        cells = store.cells(suite.key)
    assert {c.seed for c in cells} == {0, 1}
    for c in cells:
        assert c.status == "ok" and c.fit_seconds >= 0 and c.predict_seconds >= 0
        assert json.loads(c.versions)["numpy"] == np.__version__
        assert c.peak_mem_mb is None or c.peak_mem_mb >= 0
    assert package_versions()["python"].count(".") == 2


def test_run_cell_recorded_keeps_the_cell_result(tmp_path):
    suite = bench.suite_from_dict(TINY)
    from dynlearn.bench.cell import run_cell
    from dynlearn.bench.datasets import prepare

    prepare(tmp_path, "Lorenz", [0], suite.protocol)
    args = ("Lorenz", suite.methods[1], 0, suite.protocol, suite.metrics, str(tmp_path))
    plain, recorded = run_cell(*args), run_cell_recorded(*args)
    assert plain.metrics == recorded.metrics and plain.status == recorded.status
    assert recorded.versions and not plain.versions


def _cells(values: dict[str, list[float]], metric="nrmse", seeds=(0,)) -> list[CellResult]:
    out = []
    for method, vals in values.items():
        for i, v in enumerate(vals):
            for seed in seeds:
                out.append(CellResult(f"sys{i}", method, seed, "ok", "", {metric: v}))
    return out


def test_compare_flags_only_the_method_that_changed():
    rng = np.random.default_rng(0)
    n = 20
    base_a, base_b = rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 1.5, n)
    a = _cells({"improved": base_a, "noise": base_b, "worse": base_a})
    b = _cells(
        {
            "improved": base_a * 0.7,  # every cell 30 % lower NRMSE
            "noise": base_b + rng.normal(0, 0.05, n),  # no systematic change
            "worse": base_a + 0.2,
        }
    )
    rows = {r.method: r for r in compare(a, b, ["nrmse"])}
    assert rows["improved"].verdict == "better" and rows["improved"].pairs == n
    assert rows["worse"].verdict == "worse"
    assert rows["noise"].verdict == "same" and rows["noise"].p_holm > 0.05
    # exact two-sided signed-rank p-value when all 20 differences have one sign: 2 / 2**20
    assert rows["improved"].p == pytest.approx(2 / 2**20)
    assert rows["improved"].p_holm == pytest.approx(3 * 2 / 2**20)


def test_compare_pairs_cells_and_respects_the_metric_direction():
    a = _cells({"m": [0.1] * 8}, metric="pearson")
    b = _cells({"m": [0.9] * 7}, metric="pearson")  # one cell missing in B: 7 pairs
    b.append(CellResult("sys7", "m", 0, "error", "boom", {}))
    (row,) = compare(a, b, ["pearson"])
    assert row.pairs == 7 and row.verdict == "better"  # pearson: higher is better
    (same,) = compare(a, a, ["pearson"])
    assert same.p == 1.0 and same.verdict == "same"


def test_holm_matches_its_definition():
    p = [0.01, 0.04, 0.03, 0.005, float("nan")]
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> monotone: 0.06
    assert holm(p)[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert math.isnan(holm(p)[4])


def test_export_csv_round_trip_and_failed_cells_keep_their_row(tmp_path):
    cells = [
        CellResult("Lorenz", "ar", 0, "ok", "", {"nrmse": 0.1 + 1e-12, "smape": float("nan")}, 1.5, 0.25, 3.0, "{}"),
        CellResult("Lorenz", "sindy", 0, "error", "ValueError: x", {}, None, None, None, ""),
    ]
    path = write_table(table("r1", "tiny", cells, ["nrmse", "smape"]), tmp_path / "out.csv")
    rows = list(csv.DictReader(path.open()))
    assert [r["method"] for r in rows] == ["ar", "sindy"]
    assert float(rows[0]["nrmse"]) == 0.1 + 1e-12 and rows[0]["smape"] == "nan"
    assert rows[1]["status"] == "error" and rows[1]["nrmse"] == "" and rows[1]["fit_seconds"] == ""
    assert rows[0]["peak_mem_mb"] == "3.0" and rows[0]["run"] == "r1"


def test_export_parquet_or_a_clear_error(tmp_path):
    cols = table("r1", "tiny", [CellResult("Lorenz", "ar", 0, "ok", "", {"nrmse": 0.5})], ["nrmse"])
    try:
        import pyarrow.parquet as pq
    except ImportError:
        with pytest.raises(DynlearnError, match=r"pip install 'dynlearn\[parquet\]'"):
            write_table(cols, tmp_path / "out.parquet")
        return
    path = write_table(cols, tmp_path / "out.parquet")
    t = pq.read_table(path).to_pydict()
    assert t["nrmse"] == [0.5] and t["method"] == ["ar"]


def test_export_refuses_an_unknown_format(tmp_path):
    with pytest.raises(ValidationError, match="csv, parquet"):
        write_table({"a": [1]}, tmp_path / "x.csv", "xlsx")


def test_cli_export_compare_and_leaderboard_iqr(tmp_path):
    from typer.testing import CliRunner

    from dynlearn.cli.main import app

    suite = bench.suite_from_dict(TINY)
    bench.run_suite(suite, tmp_path / "a")
    (tmp_path / "b").mkdir()  # a copy of the store: the same run, so nothing may have changed
    (tmp_path / "b" / "results.sqlite").write_bytes((tmp_path / "a" / "results.sqlite").read_bytes())
    runner = CliRunner()
    res = runner.invoke(app, ["bench", "export", "--out", str(tmp_path / "a"), "-o", str(tmp_path / "x.csv")])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader((tmp_path / "x.csv").open()))
    assert len(rows) == 4 and {"nrmse", "smape", "pearson", "peak_mem_mb", "versions"} <= set(rows[0])
    res = runner.invoke(app, ["bench", "leaderboard", "--out", str(tmp_path / "a"), "--json"])
    lb = json.loads(res.output)
    assert all("iqr" in r for r in lb)
    res = runner.invoke(app, ["bench", "leaderboard", "--out", str(tmp_path / "a")])
    assert "IQR" in res.output
    res = runner.invoke(app, ["bench", "compare", str(tmp_path / "a"), str(tmp_path / "b"), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out and all(r["verdict"] == "same" and r["median_diff"] == 0 for r in out)


def test_out_dir_check_refuses_other_files_but_not_a_left_over_cache(tmp_path):
    """A folder of the user's files needs force; one holding only a benchmark's own entries (the data
    cache of a run whose store was deleted) is reused as it is."""
    from dynlearn.bench.runner import check_out_dir
    from dynlearn.errors import OutputExistsError

    (tmp_path / "cache_only" / "cache").mkdir(parents=True)
    assert check_out_dir(tmp_path / "cache_only") == tmp_path / "cache_only"
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    (tmp_path / "mine" / "cache").mkdir()
    with pytest.raises(OutputExistsError, match=r"1 other entry \(e.g. 'notes.txt'\).*--force"):
        check_out_dir(tmp_path / "mine", flag="--force")
    assert check_out_dir(tmp_path / "mine", force=True) == tmp_path / "mine"
