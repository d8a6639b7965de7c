"""docs/probes.md's training-loop example runs as written (the code is read from the page)."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

pytest.importorskip("torch")

DOC = Path(__file__).resolve().parents[1] / "docs" / "probes.md"
BLOCK = re.compile(r"<!-- doc-test: run -->\s*```python\n(?P<code>.*?)```", re.S)


def test_probes_doc_example_runs(tmp_path, capsys):
    blocks = [m["code"] for m in BLOCK.finditer(DOC.read_text())]
    assert len(blocks) == 1
    script = tmp_path / "example.py"
    script.write_text(blocks[0])
    runpy.run_path(str(script), run_name="__main__")  # in-process: torch is already imported by the suite
    out = capsys.readouterr().out
    assert "CKA with targets" in out and "parallelism of variable 0" in out
