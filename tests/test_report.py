"""The HTML report: self-contained, every section drawn from real stored runs, sweeps joined,
failures visible, readable at 135 systems x 20 methods."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest

from _report_data import REAL, real_runs, synthetic_store
from dynlearn.bench.report import load_run, resolve_runs, split_runs, write_runs_report
from dynlearn.bench.store import ResultStore
from dynlearn.cli.main import main
from dynlearn.errors import DynlearnError, UnknownNameError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def cli(capsys, *args) -> tuple[int, str, str]:
    """``dynlearn ARGS``: (exit code, stdout, stderr)."""
    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def images(page: str) -> list[tuple[str, np.ndarray]]:
    """(alt, pixels) of every inline image of the page."""
    import matplotlib.image as mpimg

    out = []
    for src, alt in re.findall(r'<img src="([^"]*)" alt="([^"]*)">', page):
        assert src.startswith("data:image/png;base64,"), f"image {alt!r} is not inline: {src[:60]}"
        out.append((alt, mpimg.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])), format="png")))
    return out


def self_contained(page: str) -> None:
    """Nothing the page needs lives elsewhere: no external source, link, script or stylesheet."""
    assert "<script" not in page
    for attr in re.findall(r'(?:src|href)="([^"]*)"', page) + re.findall(r"(?:src|href)='([^']*)'", page):
        assert attr.startswith(("data:", "#")), attr
    assert "url(" not in page and "@import" not in page


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    out = tmp_path_factory.mktemp("real") / "runs"
    return out, real_runs(out)


@pytest.fixture(scope="module")
def page(real, tmp_path_factory):
    """The report of the real run joined with its sweep (a run key, then a sweep name)."""
    out, keys = real
    runs = resolve_runs([keys["main"], "short"], out)
    return runs, write_runs_report(runs, tmp_path_factory.mktemp("page") / "report.html").read_text()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    key, names = synthetic_store(out)
    return out, key, names


def test_real_run_with_its_sweep(real, page):
    out, keys = real
    runs, page = page
    assert [r.key for r in runs] == [keys["main"], keys["n200"], keys["n100"]]  # the sweep name gave both its runs
    main, others = split_runs(runs)
    assert main.key == keys["main"] and {r.sweep for r in others} == {"short"}
    self_contained(page)
    for section in ("Leaderboard", "sMAPE per system", "Valid prediction time", "Accuracy against training length",
                    "Accuracy against the largest Lyapunov exponent", "Example forecasts", "Failed cells", "Protocol"):  # fmt: skip
        assert f">{section}</h2>" in page, section
    imgs = dict(images(page))
    for alt in ("median and IQR per metric", "sMAPE heatmap", "VPT distribution per method",
                "accuracy against training length, sweep short", "accuracy against lambda_max",
                "forecasts on Lorenz", "free-running orbits on Chen"):  # fmt: skip
        assert alt in imgs, alt
        h, w = imgs[alt].shape[:2]
        assert 300 < w < 2000 and 150 < h, (alt, w, h)
        assert imgs[alt][..., :3].std() > 0.05, f"{alt} is blank"
    # the sweep table holds one column per training length of the sweep (the main run is not part of it)
    assert "<th>method</th><th>100</th><th>200</th></tr>" in page
    assert "2 runs at training lengths 100, 200 points" in page
    # Spearman rows for each method, and the leaderboard shows median with IQR
    for m in ("persistence", "mean", "ar"):
        assert f"<tr><td>{m}</td><td>" in page
    assert "class='iqr'" in page and "Failed cells</h2><p>None.</p>" in page


def test_the_leaderboard_is_the_cli_leaderboard(real, page, capsys):
    import json

    out, keys = real
    _, page = page
    code, stdout, _ = cli(capsys, "bench", "leaderboard", "--out", out, "--suite", "tiny-report", "--json")
    assert code == 0
    rows = json.loads(stdout)
    from dynlearn.bench.leaderboard import fmt

    for r in rows:
        cell = f"{fmt(r['median'])} <span class='iqr'>({fmt(r['iqr'])})</span>"
        assert cell in page, (r["method"], r["metric"], cell)


def test_runs_resolve_by_folder_key_suite_and_sweep(real):
    out, keys = real
    # a folder: its latest run, which belongs to a sweep: the whole sweep
    assert [r.key for r in resolve_runs([str(out)], out)] == [keys["n200"], keys["n100"]]
    assert [r.key for r in resolve_runs(["tiny-report"], out)] == [keys["main"]]
    assert [r.key for r in resolve_runs([keys["n100"], keys["n100"]], out)] == [keys["n100"]]  # joined once
    with pytest.raises(UnknownNameError, match="did you mean 'short'"):
        resolve_runs(["shorts"], out)
    with pytest.raises(DynlearnError, match="holds no results.sqlite"):
        resolve_runs([str(out / "cache")], out)
    # only sweep runs: the longest is the main one
    main, others = split_runs(resolve_runs(["short"], out))
    assert main.key == keys["n200"] and [r.key for r in others] == [keys["n100"]]


def test_an_edited_sweep_keeps_its_most_recent_run_per_length(real, tmp_path):
    import shutil

    out, keys = real
    shutil.copy(out / "results.sqlite", tmp_path / "results.sqlite")
    with ResultStore(tmp_path / "results.sqlite") as store:
        spec = store.run_spec(keys["n100"])
        store.ensure_run("short-edited", "short", spec)  # a newer run of the same length
    assert [r.key for r in resolve_runs(["short"], tmp_path)] == ["short-edited", keys["n200"]]


def test_one_variable_free_run_is_a_delay_portrait():
    from dynlearn.bench import _plots

    t = np.linspace(0, 20, 300)[:, None]
    run = {"long_truth": np.sin(t), "long_forecast": np.sin(1.1 * t)}
    png = _plots.attractor_figure("sine", {"m": run}, {"m": "#1f77b4"}, 0, set())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow  # 5,400 stored cells and a page of 135 x 20: ~15 s
def test_135_systems_by_20_methods(synthetic, tmp_path):
    out, key, names = synthetic
    run = load_run(out / "results.sqlite", key)
    page = write_runs_report([run], tmp_path / "big.html").read_text()
    self_contained(page)
    imgs = dict(images(page))
    heat = imgs["sMAPE heatmap"]
    # one row of at least 14 px per system (0.17 in at 90 dpi) plus the axes: every label has room
    assert heat.shape[0] >= 135 * 14 and heat.shape[1] <= 1600
    assert imgs["accuracy against lambda_max"].shape[1] <= 1600
    assert imgs["VPT distribution per method"].shape[0] >= 20 * 25
    # the heatmap note counts failed pairs: 20 diverged (m02), 13 errors (m03), 27 partly failed (m04)
    assert f"{20 + 13 + 27} of {135 * 20} (system, method) pairs have a failure" in page
    # m00's sMAPE rises exactly with lambda_max: Spearman's rho is 1; the failures are all listed
    assert re.search(r"<tr><td>m00</td><td>1</td>", page)
    assert page.count("<td class='diverged'>diverged</td>") == 2 * 20 + 27
    assert page.count("<td class='error'>error</td>") == 2 * 13
    assert "<details><summary>every failed cell with its reason (" in page
    assert "No forecast files for this system." in page  # synthetic: nothing was forecast
    assert page.count("<h3>") == 6  # six example systems, not 135


def test_bench_report_command(real, tmp_path, capsys, monkeypatch):
    out, keys = real
    target = tmp_path / "page.html"
    code, stdout, err = cli(
        capsys, "bench", "report", keys["main"], "short", "--out", out, "-o", target, "--examples", 1
    )
    assert code == 0, err
    assert "report:" in stdout
    page = target.read_text()
    assert "sweep short" in page and page.count("<h3>") == 1
    # without RUNs: the latest run of --suite, to the default place; no sweep given, the page says how
    code, _, err = cli(capsys, "bench", "report", "--out", out, "--suite", "tiny-report", "--examples", 0)
    assert code == 0, err
    page = (out / "report" / "tiny-report" / "index.html").read_text()
    assert "No run of a data-limited sweep was given" in page and "vary = {train_points" in page
    assert "dynlearn bench report MAIN NAME -o report.html" in page and "<h3>" not in page
    code, _, err = cli(capsys, "bench", "report", "--out", out, "-o", out)
    assert code == 2 and "end it in .html" in err


def test_report_of_a_run_still_resolves_the_stored_suite_name(real):
    out, keys = real
    assert REAL["name"] == load_run(out / "results.sqlite", keys["main"]).suite.name


def test_spearman_p_is_exact_for_few_systems():
    from dynlearn.bench.report import _spearman

    # a perfect ordering of n points: only the identity and the reversal reach |rho| = 1, so p = 2 / n!
    assert _spearman([1, 2, 3], [5, 6, 9]) == (1.0, pytest.approx(2 / 6), 3)
    assert _spearman([1, 2, 3, 4], [9, 6, 5, 1])[:2] == (-1.0, pytest.approx(2 / 24))
    assert np.isnan(_spearman([1, 2], [3, 4])[0]) and np.isnan(_spearman([1, 2, 3], [3, 3, 3])[0])


def test_a_run_with_only_an_error_cell_still_draws(tmp_path):
    """A run that has just started (one cell, an error) gives a page, not a crash: empty figures
    and the failure listed with its reason."""
    from _report_data import REAL
    from dynlearn import bench
    from dynlearn.bench.store import CellResult

    suite = bench.suite_from_dict(REAL)
    with ResultStore(tmp_path / "results.sqlite") as store:
        store.ensure_run(suite.key, suite.name, suite.to_dict())
        store.add_cell(suite.key, CellResult("Lorenz", "mean", 0, "error", "ValueError: boom", {}))
    page = write_runs_report([load_run(tmp_path / "results.sqlite", suite.key)], tmp_path / "r.html").read_text()
    self_contained(page)
    assert "1 of 1 cells failed" in page and "ValueError: boom" in page and "No forecast files" in page


def test_bench_run_of_a_sweep_reports_the_whole_sweep(tmp_path, capsys):
    import json

    from _report_data import REAL

    suite = {**REAL, "name": "mini-sweep", "systems": ["Lorenz"], "vary": {"train_points": [100, 200]}}
    suite["methods"] = REAL["methods"][:2]
    (tmp_path / "s.json").write_text(json.dumps(suite))
    code, _, err = cli(capsys, "bench", "run", "--suite", tmp_path / "s.json", "--out", tmp_path / "runs", "-j", 1)
    assert code == 0, err
    page = (tmp_path / "runs" / "report" / "mini-sweep" / "index.html").read_text()
    assert "2 runs at training lengths 100, 200 points" in page
