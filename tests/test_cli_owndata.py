"""Own data on the command line: evaluate, plot, and the checks fit and forecast make on the data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from dynlearn.cli.data_cmd import defaults_note
from dynlearn.cli.main import main
from dynlearn.data import Trajectory, read_csv


def run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, *args) -> tuple[str, str]:
    code, out, err = run(capsys, *args)
    assert code == 0, f"dynlearn {' '.join(map(str, args))} failed with {code}:\n{err}"
    return out, err


def fails(capsys, *args) -> str:
    code, _, err = run(capsys, *args)
    assert code == 2, err
    lines = [x for x in err.strip().splitlines() if x.strip()]
    assert len(lines) == 1 and lines[-1].startswith("error: "), err
    return lines[-1]


def monthly(path: Path, n: int = 72, columns=("sales",), start_year: int = 2015) -> Path:
    rng = np.random.default_rng(1)
    t = np.arange(n)
    rows = []
    for i in t:
        vals = [
            100 + 0.5 * i + 20 * np.sin(2 * np.pi * i / 12) + rng.normal(0, 1) + 10 * k for k in range(len(columns))
        ]
        rows.append(f"{start_year + i // 12}-{i % 12 + 1:02d}-01," + ",".join(f"{v:.2f}" for v in vals))
    rows[20] = rows[20].split(",")[0] + "," * len(columns)  # empty cells
    del rows[40]  # a missing month
    path.write_text("date," + ",".join(columns) + "\n" + "\n".join(rows) + "\n")
    return path


@pytest.fixture()
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_evaluate_ranks_against_baselines_and_resumes(capsys, here):
    monthly(here / "sales.csv")
    args = ["evaluate", "sales.csv", "--fill", "interpolate", "--models", "linear_ar", "--test-points", "24"]
    args += ["--horizon", "12", "--backtest", "2", "--season", "12", "-j", "1", "-o", "runs"]
    out, err = ok(capsys, *args)
    for name in ("seasonal_naive", "naive", "mean", "linear_ar"):
        assert name in out
    ranked = [line.split("│")[2].strip() for line in out.splitlines() if line.startswith("│")]
    assert ranked.index("seasonal_naive") < ranked.index("naive") < ranked.index("mean")
    assert (here / "runs/report/evaluate-sales/index.html").exists()
    assert 'alt="forecasts on sales"' in (here / "runs/report/evaluate-sales/index.html").read_text()
    suite = json.loads((here / "runs/evaluate-sales.json").read_text())
    assert suite["data"][0]["season"] == 12 and suite["data"][0]["fill"] == "interpolate"
    # the same store as bench: the suite file it wrote reruns with nothing to compute
    _, err = ok(capsys, "bench", "run", "--suite", "runs/evaluate-sales.json", "--out", "runs", "--no-report")
    assert "0 cells computed, 4 reused" in err
    code, out, _ = run(capsys, "bench", "leaderboard", "--out", "runs", "--json")
    rows = json.loads(out)
    assert {r["method"] for r in rows} == {"seasonal_naive", "naive", "mean", "linear_ar"}


def test_evaluate_hints_the_season_and_checks_names_first(capsys, here):
    monthly(here / "sales.csv")
    _, err = ok(capsys, "evaluate", "sales.csv", "--fill", "interpolate", "--horizon", "6", "-j", "1")
    assert "pass --season 12" in err
    line = fails(capsys, "evaluate", "missing.csv", "--models", "lstm_net", "--horizon", "6")
    assert "unknown model 'lstm_net'" in line  # the name is checked before the (missing) file is read
    line = fails(capsys, "evaluate", "sales.csv", "--horizon", "6")
    assert "sales.csv, line 22, column 'sales': cell is empty" in line and "--fill" in line
    line = fails(capsys, "evaluate", "sales.csv", "--fill", "drop", "--horizon", "6", "--test-points", "3")
    assert "horizon 6 is longer than the test part (3 points)" in line


def test_forecast_continues_dates_and_checks_context(capsys, here):
    monthly(here / "two.csv", columns=("a", "b"))
    ok(capsys, "fit", "two.csv", "--fill", "interpolate", "--model", "linear_ar", "-o", "m")
    ok(capsys, "forecast", "m", "--context", "two.csv", "--fill", "interpolate", "-n", "3", "-o", "f.csv")
    lines = (here / "f.csv").read_text().splitlines()
    assert lines[0] == "time,a,b" and [x.split(",")[0] for x in lines[1:]] == ["2021-01-01", "2021-02-01", "2021-03-01"]
    line = fails(capsys, "forecast", "m", "--context", "two.csv", "--fill", "ffill", "--columns", "b,a", "-n", "2")
    assert "has columns b, a but the model was fitted on a, b" in line and "--columns a,b" in line
    line = fails(capsys, "forecast", "m", "--context", "two.csv", "--fill", "ffill", "--columns", "a", "-n", "2")
    assert "has 1 column(s) (a) but the model was fitted on 2 (a, b)" in line
    quarterly = "date,a,b\n" + "".join(f"20{10 + i // 4}-{3 * (i % 4) + 1:02d}-01,{i},{i}\n" for i in range(12))
    (here / "q.csv").write_text(quarterly)
    line = fails(capsys, "forecast", "m", "--context", "q.csv", "-n", "2")
    assert "has quarterly dates (3M) but the model was fitted on monthly dates (1M)" in line


def test_forecast_refuses_another_step_and_uses_the_models_forecast_step(capsys, here):
    t = np.arange(60)
    x = np.sin(2 * np.pi * t / 15)
    (here / "one.csv").write_text("t,x\n" + "".join(f"{a},{b:.6f}\n" for a, b in zip(t, x)))
    (here / "half.csv").write_text("t,x\n" + "".join(f"{a / 2},{b:.6f}\n" for a, b in zip(t, x)))
    ok(capsys, "fit", "one.csv", "--model", "linear_ar", "-o", "m")
    line = fails(capsys, "forecast", "m", "--context", "half.csv", "-n", "2")
    assert "sampled with step 0.5 but the model was fitted with step 1" in line
    cfg = ["hidden=8", "layers=1", "window=4", "epochs=1", "batch_size=64", "forecast_dt=1.165"]
    ok(capsys, "fit", "one.csv", "--model", "neural_ode", *[a for c in cfg for a in ("--set", c)], "-o", "node")
    out, _ = ok(capsys, "forecast", "node", "--context", "one.csv", "-n", "3")
    times = [float(r.split(",")[0]) for r in out.strip().splitlines()[1:]]
    np.testing.assert_allclose(times, 59 + 1.165 * np.arange(1, 4))


def test_fit_refuses_irregular_times_for_a_grid_model(capsys, here):
    (here / "irr.csv").write_text("t,x\n0,1\n1,2\n2,3\n3.4,4\n4,5\n5,6\n6,7\n")
    line = fails(capsys, "fit", "irr.csv", "--model", "linear_ar", "--set", "lags=2")
    assert "irr.csv, line 5: the time is off the regular grid" in line and "--resample" in line
    ok(capsys, "fit", "irr.csv", "--model", "linear_ar", "--set", "lags=2", "--resample", "1", "-o", "m")
    monthly(here / "gaps.csv")
    line = fails(capsys, "fit", "gaps.csv", "--fill", "drop", "--model", "linear_ar")
    assert "gaps.csv: --fill drop left 2 gap(s) in the times, and linear_ar needs evenly spaced data" in line
    ok(capsys, "fit", "gaps.csv", "--fill", "drop", "--model", "naive", "-o", "m2")  # takes uneven times


def test_defaults_note_for_seasonal_or_one_dimensional_data():
    t = np.arange(120)
    seasonal = Trajectory.from_states(np.sin(2 * np.pi * t / 12) + 0.01 * t, dt=1.0)
    note = defaults_note("esn", seasonal, Path("s.csv"), {}, " --fill interpolate")
    assert "seasonal and one-dimensional (period ≈ 12 steps)" in note
    assert "dynlearn evaluate s.csv --fill interpolate --models esn --horizon H --season 12" in note
    assert "\n" not in note
    assert defaults_note("esn", seasonal, Path("s.csv"), {"n_reservoir": "50"}) is None  # user chose settings
    assert defaults_note("seasonal_naive", seasonal, Path("s.csv"), {}) is None
    lorenz_like = Trajectory.from_states(np.random.default_rng(0).normal(size=(200, 3)), dt=0.01)
    assert defaults_note("esn", lorenz_like, Path("l.csv"), {}) is None


def test_plot_makes_a_png(capsys, here):
    monthly(here / "s.csv")
    ok(capsys, "fit", "s.csv", "--fill", "interpolate", "--model", "seasonal_naive", "--set", "season=12", "-o", "m")
    ok(capsys, "forecast", "m", "--context", "s.csv", "--fill", "interpolate", "-n", "12", "-o", "f.csv")
    _, err = ok(capsys, "plot", "f.csv", "--truth", "s.csv", "--fill", "interpolate", "-o", "f.png")
    png = (here / "f.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    assert read_csv(here / "f.csv").meta["calendar"]["unit"] == "M"
    (here / "other.csv").write_text("time,y\n0,1\n1,2\n")
    assert "columns y but the forecast has sales" in fails(capsys, "plot", "f.csv", "--truth", "other.csv")
    assert "PNG" in fails(capsys, "plot", "f.csv", "-o", "f.jpg")
