"""Nothing lost: saving refuses what is not dynlearn's, pickle is refused, help is complete,
unknown names are answered, diverged forecasts are recorded, Ctrl-C stops a benchmark fast."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import typer

from dynlearn import models
from dynlearn.bench.cell import divergence
from dynlearn.cli.main import app, main
from dynlearn.errors import FileFormatError, OutputExistsError, UnknownNameError

MODEL_FILES = {"model.json", "state.npz"}


def run(capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def work(tmp_path, monkeypatch):
    """A working folder with x.csv (300 Lorenz points)."""
    monkeypatch.chdir(tmp_path)
    try:
        main(["systems", "simulate", "Lorenz", "-n", "300", "-o", "x.csv"])
    except SystemExit as exc:
        assert exc.code in (0, None)
    return tmp_path


def _fitted():
    rng = np.random.default_rng(0)
    return models.create("linear_ar", lags=2).fit(rng.normal(size=(60, 2)).cumsum(0))


def _one_line_error(code, err, *words):
    assert code == 2, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err
    for w in words:
        assert w in err, err


# ------------------------------------------------------------------------------------------ Model.save
def test_save_into_new_empty_or_model_folder(tmp_path):
    m = _fitted()
    m.save(tmp_path / "new")
    (tmp_path / "empty").mkdir()
    m.save(tmp_path / "empty")
    m.save(tmp_path / "new")  # a model folder is replaced
    assert {p.name for p in (tmp_path / "new").iterdir()} == MODEL_FILES
    assert {p.name for p in (tmp_path / "empty").iterdir()} == MODEL_FILES
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # nothing left beside
    np.testing.assert_array_equal(
        models.load(tmp_path / "new").predict(np.ones((3, 2)), 4), m.predict(np.ones((3, 2)), 4)
    )


@pytest.mark.parametrize("kind", ["file", "notes", "model-plus-notes"])
def test_save_refuses_what_is_not_a_model_folder(tmp_path, kind):
    m = _fitted()
    target = tmp_path / "out"
    if kind == "file":
        target.write_text("precious")
    elif kind == "notes":
        target.mkdir()
        (target / "notes.txt").write_text("precious")
    else:
        m.save(target)
        (target / "notes.txt").write_text("precious")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(OutputExistsError, match="not a dynlearn model directory.*overwrite=True"):
        m.save(target)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    m.save(target, overwrite=True)
    assert target.is_dir() and {p.name for p in target.iterdir()} == MODEL_FILES


def test_save_never_replaces_the_current_folder_or_a_parent(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("x\n1\n")
    for where in (".", "..", str(tmp_path)):
        with pytest.raises(OutputExistsError, match="current folder"):
            _fitted().save(where, overwrite=True)
    assert (tmp_path / "data.csv").read_text() == "x\n1\n"


def test_interrupted_replacement_keeps_the_old_model(tmp_path, monkeypatch):
    m = _fitted()
    m.save(tmp_path / "m")
    old = (tmp_path / "m" / "state.npz").read_bytes()

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(KeyboardInterrupt):
        m.save(tmp_path / "m")
    assert (tmp_path / "m" / "state.npz").read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


# ------------------------------------------------------------------------------------------ CLI writes
def test_fit_refuses_a_folder_of_other_files(capsys, work):
    (work / "notes").mkdir()
    (work / "notes" / "a.txt").write_text("keep me")
    code, _, err = run(capsys, "fit", "x.csv", "--model", "linear_ar", "-o", "notes")
    _one_line_error(code, err, "notes", "--force")
    assert (work / "notes" / "a.txt").read_text() == "keep me"
    code, _, err = run(capsys, "fit", "x.csv", "--model", "linear_ar", "-o", "notes", "--force")
    assert code == 0, err
    assert {p.name for p in (work / "notes").iterdir()} == MODEL_FILES | {"data.json"}  # the CLI notes its data


def test_fit_refuses_a_file_and_the_current_folder(capsys, work):
    (work / "out").write_text("a file")
    code, _, err = run(capsys, "fit", "x.csv", "--model", "linear_ar", "-o", "out")
    _one_line_error(code, err, "--force")
    assert (work / "out").read_text() == "a file"
    for flags in ((), ("--force",)):
        code, _, err = run(capsys, "fit", "x.csv", "--model", "linear_ar", "-o", ".", *flags)
        _one_line_error(code, err, "current folder")
    assert (work / "x.csv").exists()


def test_fit_never_deletes_its_own_training_data(capsys, work):
    (work / "d").mkdir()
    (work / "x.csv").rename(work / "d" / "x.csv")
    code, _, err = run(capsys, "fit", "d/x.csv", "--model", "linear_ar", "-o", "d", "--force")
    _one_line_error(code, err, "training data")
    assert (work / "d" / "x.csv").exists()


def test_fit_overwrites_its_own_model_folder(capsys, work):
    for _ in range(2):
        code, _, err = run(capsys, "fit", "x.csv", "--model", "linear_ar", "-o", "m")
        assert code == 0, err
    assert models.load(work / "m").name == "linear_ar"


def test_file_outputs_are_not_replaced_without_force(capsys, work):
    code, _, err = run(capsys, "systems", "simulate", "Lorenz", "-n", "50", "-o", "x.csv")
    _one_line_error(code, err, "already exists", "--force")
    code, _, err = run(capsys, "systems", "simulate", "Lorenz", "-n", "50", "-o", "x.csv", "--force")
    assert code == 0, err
    assert len((work / "x.csv").read_text().splitlines()) == 51
    assert run(capsys, "fit", "x.csv", "--model", "linear_ar", "-o", "m")[0] == 0
    (work / "f.csv").write_text("mine")
    code, _, err = run(capsys, "forecast", "m", "-c", "x.csv", "-n", "5", "-o", "f.csv")
    _one_line_error(code, err, "f.csv", "--force")
    assert (work / "f.csv").read_text() == "mine"
    code, _, err = run(capsys, "forecast", "m", "-c", "x.csv", "-n", "5", "-o", "x.csv", "--force")
    _one_line_error(code, err, "also an input")
    (work / "pics").mkdir()
    code, _, err = run(capsys, "forecast", "m", "-c", "x.csv", "-n", "5", "-o", "pics")
    _one_line_error(code, err, "is a folder")


def test_bench_refuses_a_folder_of_other_files(capsys, work):
    (work / "results").mkdir()
    (work / "results" / "thesis.tex").write_text("keep")
    code, _, err = run(capsys, "bench", "run", "--out", "results", "--jobs", "1")
    _one_line_error(code, err, "thesis.tex", "--force")
    assert sorted(p.name for p in (work / "results").iterdir()) == ["thesis.tex"]
    (work / "file").write_text("x")
    code, _, err = run(capsys, "bench", "run", "--out", "file", "--jobs", "1")
    _one_line_error(code, err, "is a file")


def test_repro_doc_is_not_written_outside_the_project(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()  # someone else's docs folder
    from dynlearn import repro

    calls = []
    monkeypatch.setattr(repro, "run", lambda *a, **k: calls.append(k) or _Result())
    code, _, err = run(capsys, "repro", "run", "gtf")
    assert code == 0, err
    assert calls[0]["doc"] is None and "no docs page written" in err
    assert list((tmp_path / "docs").iterdir()) == []
    (tmp_path / "page.md").write_text("my own notes")
    code, _, err = run(capsys, "repro", "run", "gtf", "--doc", "page.md")
    _one_line_error(code, err, "--force")
    assert len(calls) == 1


class _Result:
    verdict, summary, markdown = "x", "y", "z"


# ------------------------------------------------------------------------------------------ pickle
def test_pickled_model_state_is_refused_with_our_message(tmp_path):
    d = _fitted().save(tmp_path / "m")
    np.savez(d / "state.npz", coef=np.array([{"evil": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(FileFormatError) as info:
        models.load(d)
    msg = str(info.value)
    assert "pickle is never loaded" in msg
    assert "allow_pickle" not in msg and "unsafe" not in msg and "trust" not in msg


def test_pickled_model_state_cli(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    d = _fitted().save(tmp_path / "m")
    np.savez(d / "state.npz", W=np.array([None, 1], dtype=object))
    np.savetxt(tmp_path / "c.csv", np.ones((5, 2)), delimiter=",", header="a,b", comments="")
    code, _, err = run(capsys, "forecast", "m", "-c", "c.csv", "-n", "3")
    _one_line_error(code, err, "pickle is never loaded")
    assert "allow_pickle" not in err


# ------------------------------------------------------------------------------------------ help, names
def _walk(cmd, path=()):
    yield path, cmd
    if hasattr(cmd, "commands"):  # a group
        for name, sub in cmd.commands.items():
            yield from _walk(sub, (*path, name))


def test_every_command_argument_and_option_has_help():
    root = typer.main.get_command(app)
    missing = []
    for path, cmd in _walk(root):
        if path and not (cmd.help or cmd.short_help):
            missing.append(" ".join(path))
        for p in cmd.params:
            if not (getattr(p, "help", None) or "").strip():
                missing.append(f"{' '.join(path) or 'dynlearn'} {p.name}")
    assert not missing, f"no help text: {missing}"


def test_models_list_shows_capabilities(capsys):
    code, out, _ = run(capsys, "models", "list")
    assert code == 0
    assert "capabilities" in out and "continuous time" in out and "irregular sampling" in out


def test_unknown_model_suggests_near_names_and_options(capsys, tmp_path, monkeypatch):
    with pytest.raises(UnknownNameError, match="gru --set cell=lstm"):
        models.create("LSTM")
    monkeypatch.chdir(tmp_path)
    # the data file does not exist: the name is checked before anything is read
    code, _, err = run(capsys, "fit", "missing.csv", "--model", "LSTM")
    _one_line_error(code, err, "unknown model 'LSTM'", "gru --set cell=lstm")
    code, _, err = run(capsys, "fit", "missing.csv", "--model", "linear_arr")
    _one_line_error(code, err, "did you mean 'linear_ar'")
    # a real option spelled in the hint is accepted by the model it names
    assert models.create("gru", cell="lstm").config.cell == "lstm"


# ------------------------------------------------------------------------------------------ warnings
def test_library_warnings_become_one_note(capsys, monkeypatch):
    from dynlearn.cli import systems_cmd

    def noisy(*a, **k):
        warnings.warn("ill-conditioned solve", RuntimeWarning, stacklevel=1)
        return []

    monkeypatch.setattr(systems_cmd.console, "print", noisy)
    code, _, err = run(capsys, "systems", "list")
    assert code == 0
    assert "note: ill-conditioned solve (RuntimeWarning)" in err
    assert "warnings.warn" not in err and ".py:" not in err


def test_ngrc_ridge_solve_prints_no_linalg_warning():
    from dynlearn.models._reservoir_utils import ridge_solutions

    rng = np.random.default_rng(0)
    F = rng.normal(size=(200, 3))
    F = np.hstack([F, F[:, :1] * (1 + 1e-15)])  # two identical columns: singular Gram matrix
    Y = rng.normal(size=(200, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ((W, b),) = ridge_solutions(F, Y, [1e-18], center=False)
    assert np.all(np.isfinite(W))


# ------------------------------------------------------------------------------------------ divergence
def test_divergence_rule():
    train = np.column_stack([np.linspace(-1, 1, 50), np.linspace(0, 4, 50)])
    fine = np.zeros((3, 20, 2))
    assert divergence(fine, train) is None
    wrong_but_bounded = np.full((3, 20, 2), 5.0)  # bad forecast, still near the attractor's box
    assert divergence(wrong_but_bounded, train) is None
    blown = fine.copy()
    blown[1, 7, 0] = 4.6e7
    assert divergence(blown, train).startswith("forecast left 10x the training range from step 7 of test window 1")
    nan = fine.copy()
    nan[2, 3, 1] = np.nan
    assert divergence(nan, train) == "forecast non-finite from step 3 of test window 2"
    assert "step 4" in divergence(np.vstack([np.zeros((4, 2)), np.full((2, 2), 1e9)]), train)


# ------------------------------------------------------------------------------------------ Ctrl-C
def _count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute("SELECT COUNT(*) FROM cells").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _workers(pid: int) -> list[int]:
    """The pool's worker processes among ``pid``'s children (not multiprocessing's resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.slow  # three Python processes importing torch: about a minute on a loaded 2-core machine
def test_ctrl_c_stops_bench_workers_at_once_then_resume_completes(tmp_path):
    tests_dir = str(Path(__file__).parent)
    spec = {
        "name": "slow",
        "systems": ["Lorenz"],
        "seeds": list(range(8)),  # 16 cells of 3 s on 2 workers: ~24 s, ample time to interrupt on a busy machine
        "metrics": ["nrmse"],
        "protocol": {
            "train_points": 200,
            "test_points": 200,
            "context": 8,
            "horizon": 20,
            "n_windows": 2,
            "long_horizon": 0,
        },
        "methods": [{"model": "slow_persistence"}, {"name": "p2", "model": "slow_persistence"}],
    }
    suite = tmp_path / "slow.json"
    suite.write_text(json.dumps(spec))
    out = tmp_path / "runs"
    # a process started from a terminal handles Ctrl-C; one started in the background of a
    # non-interactive shell (as a CI job may be) inherits SIGINT ignored: restore the terminal's case
    code = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        f"import sys; sys.path.insert(0, {tests_dir!r}); import _slow_model; from dynlearn.cli import main; "
        f"main(['bench', 'run', '--suite', {str(suite)!r}, '--out', {str(out)!r}, '--jobs', '2', '--no-report'])"
    )
    env = {**os.environ, "DYNLEARN_SLOW_FIT": "3.0"}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.time() + 120
    while _count(out / "results.sqlite") < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    saved_before = _count(out / "results.sqlite")
    assert 2 <= saved_before < 16, f"interrupt landed after {saved_before} of 16 cells"
    workers = _workers(proc.pid)
    assert workers, "no worker processes to stop"
    t0 = time.time()
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the whole group
    _, err = proc.communicate(timeout=30)
    stopped_in = time.time() - t0
    err = " ".join(err.split())  # rich wraps long lines
    assert proc.returncode == 130, err
    assert "run the same command again to resume" in err
    assert stopped_in < 5.0, f"Ctrl-C took {stopped_in:.1f} s"  # each cell sleeps 3 s: nobody waited for one
    assert not [p for p in workers if _alive(p)], "workers survived Ctrl-C"
    saved = _count(out / "results.sqlite")
    assert saved == saved_before or saved == saved_before + 1  # a cell landing with the signal may be saved
    assert not list((out / "forecasts").rglob(".*.tmp"))

    env["DYNLEARN_SLOW_FIT"] = "0"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"{16 - saved} cells computed, {saved} reused" in done.stderr
    assert _count(out / "results.sqlite") == 16


# ------------------------------------------------------------------------------------------ progress
def test_training_bar_reports_each_epoch_loss_and_changes_no_number(monkeypatch):
    import contextlib

    from dynlearn import progress

    seen = []

    class Rec:
        def update(self, epoch, loss):
            seen.append((epoch, loss))

    @contextlib.contextmanager
    def recording(label, epochs):
        seen.append((label, epochs))
        yield Rec()

    x = np.sin(np.linspace(0, 20, 200))[:, None] * [1.0, 0.5]
    quiet_fit = models.create("gru", epochs=3, hidden=4, context=4, batch_size=32).fit(x)
    monkeypatch.setattr(progress, "training_bar", recording)
    shown_fit = models.create("gru", epochs=3, hidden=4, context=4, batch_size=32).fit(x)
    assert seen == [("gru", 3), *[(i + 1, v) for i, v in enumerate(shown_fit.history_)]]
    np.testing.assert_array_equal(quiet_fit.predict(x[-8:], 10), shown_fit.predict(x[-8:], 10))


def test_progress_is_quiet_off_a_terminal_and_when_asked(monkeypatch):
    from dynlearn import progress

    monkeypatch.setattr(progress, "_setting", None)
    assert not progress.enabled()  # pytest's stderr is no terminal
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert progress.enabled()
    monkeypatch.setenv("DYNLEARN_PROGRESS", "0")
    assert not progress.enabled()
    monkeypatch.delenv("DYNLEARN_PROGRESS")
    with progress.quiet():
        assert not progress.enabled()
    progress.set_progress(False)
    assert not progress.enabled()
    progress.set_progress(None)
