"""docs/models.md adds models exactly as this test does: the code is read from the doc, so they cannot drift.

Each ```python block after a ``<!-- doc-test: file NAME -->`` marker is written to
``NAME``; each block after ``<!-- doc-test: run -->`` is run as a script with those
files importable (in the order of the doc).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dynlearn import models

DOC = Path(__file__).resolve().parents[1] / "docs" / "models.md"
BLOCK = re.compile(r"<!-- doc-test: (file (?P<name>\S+)|run) -->\s*```python\n(?P<code>.*?)```", re.S)


def doc_blocks() -> list[tuple[str | None, str]]:
    return [(m["name"], m["code"]) for m in BLOCK.finditer(DOC.read_text())]


def test_the_doc_has_its_examples():
    names = [n for n, _ in doc_blocks()]
    assert {"damped.py", "test_damped.py", "torch_linear.py", "conv_window.py"} <= set(names)
    assert names.count(None) == 2  # two blocks to run


@pytest.fixture()
def doc_dir(tmp_path, monkeypatch):
    before = set(models.names())
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    files = []
    yield tmp_path, files
    for name in set(models.names()) - before:  # the doc's models leave the registry as they came
        models.MODELS.unregister(name)
    for f in files:
        sys.modules.pop(Path(f).stem, None)


def test_models_added_as_the_doc_says_pass_the_kit(doc_dir):
    where, files = doc_dir
    ran = 0
    for name, code in doc_blocks():
        if name is not None:
            (where / name).write_text(code)
            files.append(name)
        else:
            exec(compile(code, f"{DOC}:run-block", "exec"), {"__name__": "__doc_example__"})
            ran += 1
    assert ran == 2
    assert {"damped", "torch_linear", "conv_window"} <= set(models.names())


@pytest.mark.slow  # a fresh interpreter imports torch: ~10 s on a busy machine
def test_the_docs_pytest_file_runs(doc_dir):
    where, files = doc_dir
    for name, code in doc_blocks():
        if name in ("damped.py", "test_damped.py"):
            (where / name).write_text(code)
            files.append(name)
    env = {**os.environ, "PYTHONPATH": str(where), "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            "-n",
            "0",
            "test_damped.py",
        ],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert re.search(r"\b(1[5-9]|2\d) passed\b", out.stdout), out.stdout[-500:]
