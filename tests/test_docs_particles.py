"""The usage example of docs/particles.md runs as written (the code is read from the doc, so they cannot drift)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "particles.md"


@pytest.mark.slow  # about 10 s: six small MPM scenes and 100 GNS steps
def test_particles_doc_example_runs(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path))
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    exec(compile(code, str(DOC), "exec"), {})
    printed = capsys.readouterr().out.strip().splitlines()
    documented = re.search(r"prints\n\n```\n(.*?)```", DOC.read_text(), re.S).group(1).strip().splitlines()
    assert printed[0] == documented[0] and printed[2] == documented[2]
    assert printed[1].startswith("gns position MSE at steps 1 and 10:")
