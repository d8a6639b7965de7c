"""The usage example of docs/graphs.md runs as written (the code is read from the doc, so they cannot drift)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "graphs.md"


@pytest.mark.slow  # a few seconds: a GRU4Rec fit of 5 epochs
def test_graphs_doc_example_runs(capsys):
    pytest.importorskip("torch")
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    exec(compile(code, str(DOC), "exec"), {})
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1].startswith("edgebank {'mrr':") and lines[2].startswith("gru4rec {'mrr':")
