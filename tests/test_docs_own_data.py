"""docs/own-data.md, run as written: every ``$ dynlearn ...`` line in order, in a copy of
``examples/``, with its printed errors, notes and leaderboard rows checked against the page."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from dynlearn.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "own-data.md"


def doc_steps() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) for every ``$ `` line of the page's console blocks."""
    steps: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", DOC.read_text(), flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
    return steps


def table_rows(lines: list[str]) -> list[list[str]]:
    return [[c.strip() for c in line.split("│")[1:-1]] for line in lines if line.startswith("│")]


def run(capsys, command: str) -> tuple[int, str, str]:
    args = shlex.split(command)
    assert args[0] == "dynlearn", command
    capsys.readouterr()
    try:
        main(args[1:])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.slow
def test_own_data_page_runs_as_written(capsys, tmp_path, monkeypatch):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    steps = doc_steps()
    assert len(steps) >= 8
    for command, expected in steps:
        code, out, err = run(capsys, command)
        errors = [x for x in expected if x.startswith("error:")]
        if errors:
            assert code == 2, f"{command} should fail as the page shows; stderr:\n{err}"
            assert errors[0] in err, f"{command}: page shows {errors[0]!r}; got {err!r}"
            continue
        assert code == 0, f"{command} failed:\n{err}"
        for note in (x for x in expected if x.startswith("note:")):
            assert " ".join(note.split()) in " ".join(err.split()), f"{command}: missing {note!r} in {err!r}"
        want = table_rows(expected)
        if want:
            assert table_rows(out.splitlines()) == want, f"{command}: the leaderboard differs from the page"
    assert (tmp_path / "forecast-2023.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "runs-own/report/own-data/index.html").exists()
    assert (tmp_path / "forecast-2023.csv").read_text().splitlines()[1].startswith("2023-01-01,316.856")


def test_own_data_python_snippet_runs(tmp_path, monkeypatch):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    code = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)[-1]
    scope: dict = {}
    exec(compile(code, "own-data.md", "exec"), scope)
    assert scope["tr"].meta["calendar"]["unit"] == "M"
    assert scope["pred"].shape == (12, 1)


def test_example_data_are_what_the_generator_writes(tmp_path):
    """The shipped files are reproducible: the script writes them byte for byte."""
    shutil.copy(ROOT / "examples/data/make_examples.py", tmp_path / "make_examples.py")
    import runpy

    runpy.run_path(str(tmp_path / "make_examples.py"), run_name="__main__")
    for name in ("monthly.csv", "monthly_2023.csv", "weekly.csv", "yearly.csv"):
        assert (tmp_path / name).read_bytes() == (ROOT / "examples/data" / name).read_bytes(), name
