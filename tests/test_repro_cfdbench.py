"""`dynlearn repro cfdbench` at smoke size: runs, writes its page and figures, resumes from its cells."""

from __future__ import annotations

import pytest

from dynlearn import repro


@pytest.mark.slow  # ~30-60 s: two small datasets from the cavity and LBM solvers, four models
def test_cfdbench_smoke_writes_page_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path / "cache"))
    doc = tmp_path / "docs" / "repro" / "cfdbench.md"
    doc.parent.mkdir(parents=True)
    result = repro.run("cfdbench", out_dir=tmp_path / "out", smoke=True, doc=doc, progress=lambda m: None)
    assert result.verdict in {"reproduced", "partially reproduced", "not reproduced"}
    text = doc.read_text()
    assert "smoke-sized run" in text and "| flow | axis | model |" in text
    for name in ("cfdbench-nmse.png", "cfdbench-cavity-rollout.png", "cfdbench-cylinder-rollout.png"):
        assert (tmp_path / "docs" / "figures" / name).is_file()
    cells = sorted((tmp_path / "out" / "cfdbench" / "cells").glob("*.json"))
    assert len(cells) == 8  # two datasets x four models x one seed
    stamp = {p.name: p.stat().st_mtime_ns for p in cells}
    again = repro.run("cfdbench", out_dir=tmp_path / "out", smoke=True, progress=lambda m: None)
    assert {p.name: p.stat().st_mtime_ns for p in cells} == stamp
    assert again.metrics["rows"] == result.metrics["rows"]
