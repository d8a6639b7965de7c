"""The benchmark's command-line manners: leaderboards that fit the terminal, one meaning for -o,
complete exports and report wording (issue 9 §3, session 4)."""

from __future__ import annotations

import csv
import json

import pytest

from dynlearn import bench
from dynlearn.cli import bench_cmd
from dynlearn.cli.main import main

METRICS = ["nrmse", "smape", "pearson", "mse", "mae", "rmse", "r2", "spearman", "wmape", "marre", "kendall"]
TINY = {
    "name": "tiny-ux",
    "systems": ["Henon"],  # a map: no integration, so the fixture takes well under a second
    "seeds": [0],
    "metrics": METRICS,
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


def cli(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    out = tmp_path_factory.mktemp("ux") / "runs"
    bench.run_suite(bench.suite_from_dict(TINY), out)
    return out


def _headers(out: str) -> list[str]:
    line = next(x for x in out.splitlines() if "rank" in x and "method" in x)
    return [c.strip() for c in line.strip("┃│ ").replace("│", "┃").split("┃")]


def test_leaderboard_shows_the_metrics_that_fit_ranking_metric_first_and_says_how_to_see_the_rest(
    capsys, store, monkeypatch
):
    monkeypatch.setattr(bench_cmd.console, "width", 80)
    code, out, err = cli(capsys, "bench", "leaderboard", "--out", store)
    assert code == 0, err
    assert all(len(line) <= 80 for line in out.splitlines() if line.startswith(("┃", "│")))
    assert "…" not in out  # no truncated cell
    heads = [h.split()[0] for h in _headers(out)]
    shown = [h for h in heads if h in METRICS]
    assert shown[0] == "nrmse" and shown == METRICS[: len(shown)] and 1 <= len(shown) < len(METRICS)
    assert "ranked by nrmse" in out
    note = " ".join(out.split())  # rich wraps the note at the terminal's width
    assert f"{len(shown)} of {len(METRICS)} metrics shown" in note
    assert "bench leaderboard --out" in note and "--metrics" in note and "bench export" in note and "report" in note
    # a wide terminal shows them all, without the note
    monkeypatch.setattr(bench_cmd.console, "width", 400)
    _, out, _ = cli(capsys, "bench", "leaderboard", "--out", store)
    assert [h.split()[0] for h in _headers(out) if h.split()[0] in METRICS] == METRICS
    assert "metrics shown" not in out


def test_leaderboard_metrics_option_picks_columns_and_refuses_unknown_names(capsys, store, monkeypatch):
    monkeypatch.setattr(bench_cmd.console, "width", 80)
    code, out, err = cli(capsys, "bench", "leaderboard", "--out", store, "--metrics", "kendall,mae")
    assert code == 0, err
    heads = [h.split()[0] for h in _headers(out)]
    assert [h for h in heads if h in METRICS] == ["kendall", "mae"] and "metrics shown" not in out
    assert "ranked by nrmse" in " ".join(out.split())  # the ranking stays the suite's
    code, _, err = cli(capsys, "bench", "leaderboard", "--out", store, "--metrics", "kendal")
    assert code == 2 and "kendal not in suite" in err and "nrmse" in err
    code, out, _ = cli(capsys, "bench", "leaderboard", "--out", store, "--metrics", "all")
    assert code == 0 and "metrics shown" not in out


def test_o_is_a_file_everywhere_and_the_old_folder_use_is_a_clear_error(capsys, store, tmp_path):
    for command in ("run", "leaderboard"):
        code, _, err = cli(capsys, "bench", command, "-o", store)
        assert code == 2, err
        assert f"use --out {store}" in err.replace("\n", "") and "-o/--output" in err
    code, _, err = cli(capsys, "bench", "export", "--out", store, "-o", store)
    assert code == 2 and "--out" in err and "file to write" in err
    code, _, err = cli(capsys, "bench", "export", "--out", store, "--output", tmp_path / "cells.csv")
    assert code == 0, err


def test_export_has_the_config_and_tuning_columns(capsys, store, tmp_path):
    code, _, err = cli(capsys, "bench", "export", "--out", store, "-o", tmp_path / "cells.csv")
    assert code == 0, err
    rows = {r["method"]: r for r in csv.DictReader((tmp_path / "cells.csv").open())}
    assert json.loads(rows["ar"]["config"])["lags"] == 3
    assert rows["ar"]["tuning"] == ""  # no tuning in this suite
    assert list(rows["ar"])[11:13] == ["config", "tuning"]  # record columns, then the metrics


def test_report_says_there_is_no_long_free_run_when_long_horizon_is_0(store, monkeypatch):
    from dynlearn.bench import report
    from dynlearn.bench.leaderboard import leaderboard

    monkeypatch.setattr(report, "_img", lambda *a, **k: "")  # the wording, not the bar chart (seconds to draw)
    monkeypatch.setattr(report._plots, "metric_bars_figure", lambda *a, **k: None)
    with bench.ResultStore(store / "results.sqlite") as s:
        key = s.latest_run("tiny-ux")
    run = report.load_run(store / "results.sqlite", key)
    methods = ["persistence", "ar"]
    rows = leaderboard(run.cells, METRICS, methods)
    html = report._leaderboard(run, rows, methods, {m: "#000" for m in methods})
    assert "0-step free run" not in html and "makes no long free run" in html
    assert "long_horizon = 0" in html
