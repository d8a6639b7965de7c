"""docs/control.md's worked example runs as written; the `dynlearn control` commands work."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("gymnasium")
pytest.importorskip("torch")

from dynlearn.cli.main import main as _main  # noqa: E402


def main(args: list[str]) -> None:
    """Run the CLI; a clean exit is no error, a failing one is re-raised."""
    try:
        _main(args)
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise


DOC = Path(__file__).resolve().parents[1] / "docs" / "control.md"
BLOCK = re.compile(r"<!-- doc-test: run -->\s*```python\n(?P<code>.*?)```", re.S)


@pytest.mark.slow
def test_worked_example_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = BLOCK.findall(DOC.read_text())
    assert len(blocks) == 1
    exec(compile(blocks[0], f"{DOC}:example", "exec"), {"__name__": "__doc_example__"})
    assert (tmp_path / "point_mass.png").stat().st_size > 1000


def test_control_envs_lists_every_env(capsys):
    main(["control", "envs"])
    out = capsys.readouterr().out
    assert "cartpole_swingup" in out and "pendulum" in out and "reacher" in out


def test_control_plan_true_model_writes_a_filmstrip(tmp_path, capsys):
    png = tmp_path / "strip.png"
    main(
        [
            "control",
            "plan",
            "--env",
            "pendulum",
            "--steps",
            "5",
            "--set",
            "horizon=5",
            "--set",
            "population=16",
            "--set",
            "elites=4",
            "--set",
            "iterations=1",
            "--filmstrip",
            str(png),
        ]
    )
    assert "return" in capsys.readouterr().out
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_control_plan_learned_model(tmp_path, capsys):
    main(
        [
            "control",
            "plan",
            "--env",
            "pendulum",
            "--model",
            "mlp",
            "--random-steps",
            "60",
            "--steps",
            "3",
            "--model-set",
            "epochs=2",
            "--model-set",
            "hidden=8",
            "--set",
            "horizon=4",
            "--set",
            "population=8",
            "--set",
            "elites=2",
            "--set",
            "iterations=1",
            "--save-model",
            str(tmp_path / "m"),
        ]
    )
    assert "fitted mlp" in capsys.readouterr().out
    assert (tmp_path / "m" / "weights.safetensors").exists()


@pytest.mark.parametrize(
    "args, hint",
    [
        (["control", "plan", "--env", "pendulm"], "pendulum"),
        (["control", "plan", "--env", "pendulum", "--model", "ensemle"], "ensemble"),
        (["control", "pets", "--env", "pendulm"], "pendulum"),
    ],
)
def test_unknown_names_get_suggestions(args, hint, capsys):
    with pytest.raises(SystemExit):
        main(args)
    assert hint in capsys.readouterr().err
