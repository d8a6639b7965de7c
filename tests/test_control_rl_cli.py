"""``dynlearn control train | eval | collect | offline`` end to end with tiny budgets."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("gymnasium")

from dynlearn.cli.main import main  # noqa: E402

TINY = ["--set", "hidden=16,16", "--set", "batch_size=32", "--set", "learning_starts=40"]


def run(capsys, *args):
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def test_train_resume_eval_and_curve(tmp_path, capsys):
    d = tmp_path / "run"
    code, out, _ = run(capsys, "control", "train", "sac", "--env", "pendulum", "--steps", 80, "--eval-every", 0,
                       "-o", d, *TINY)
    assert code == 0 and "trained sac" in out
    assert (d / "learning_curve.png").stat().st_size > 1000 and (d / "agent" / "agent.json").exists()
    lines = (d / "log.jsonl").read_text().splitlines()
    # the same command with a larger budget resumes: the first records stay, new ones follow
    code, _, _ = run(capsys, "control", "train", "sac", "--env", "pendulum", "--steps", 160, "--eval-every", 0,
                     "-o", d, *TINY)
    more = (d / "log.jsonl").read_text().splitlines()
    assert code == 0 and more[: len(lines)] == lines and json.loads(more[-1])["step"] == 160
    code, out, _ = run(capsys, "control", "eval", d, "--env", "pendulum", "--episodes", 2)
    assert code == 0 and "over 2 episodes" in out
    code, _, err = run(capsys, "control", "train", "sac", "--env", "pendulum", "--steps", 10, "-o", d,
                       "--set", "hidden=8,8")
    assert code == 2 and "different config" in err
    code, _, err = run(capsys, "control", "train", "sacc", "--env", "pendulum")
    assert code == 2 and "did you mean 'sac'" in err


def test_collect_then_offline(tmp_path, capsys):
    from dynlearn.control.agents._loop import make_env
    from dynlearn.control.offline import OfflineDataset, collect

    ds = collect(make_env("pendulum", max_episode_steps=50), "random", 200, seed=0)
    ds.save(tmp_path / "ds")
    code, out, _ = run(capsys, "control", "offline", "bc", "-d", tmp_path / "ds", "--steps", 20, "--episodes", 1,
                       "--set", "hidden=8,8")
    assert code == 0 and "bc on ds" in out
    code, _, err = run(capsys, "control", "offline", "bcq", "-d", tmp_path / "ds")
    assert code == 2 and "did you mean" in err
    assert OfflineDataset.load(tmp_path / "ds").meta["env"] == "pendulum"
