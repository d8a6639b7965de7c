"""`dynlearn repro semba` at smoke size: runs, writes its page and figure, resumes from its cache."""

from __future__ import annotations

import json

import pytest

from dynlearn import repro

pytest.importorskip("torch")


@pytest.mark.slow  # ~5-20 s: eight small fits and matplotlib
def test_semba_smoke_writes_page_and_resumes(tmp_path):
    doc = tmp_path / "docs" / "repro" / "semba.md"
    doc.parent.mkdir(parents=True)
    result = repro.run("semba", out_dir=tmp_path / "out", smoke=True, doc=doc, progress=lambda m: None)
    assert result.verdict in {"reproduced", "partially reproduced", "not reproduced"}
    text = doc.read_text()
    assert "smoke-sized run" in text and "| defectors | model |" in text and "Verdict rule" in text
    assert (tmp_path / "docs" / "figures" / "semba-signs.png").is_file()
    runs = sorted((tmp_path / "out" / "semba" / "runs").glob("*.json"))
    assert len(runs) == 8  # two settings, one seed, four models
    for r in result.metrics["table"]:
        assert 0 <= r["auc_mean"] <= 1 and 0 <= r["neg_recall_mean"] <= 1
    stamp = {p.name: p.stat().st_mtime_ns for p in runs}
    again = repro.run("semba", out_dir=tmp_path / "out", smoke=True, progress=lambda m: None)
    assert {p.name: p.stat().st_mtime_ns for p in runs} == stamp
    assert json.dumps(again.metrics["table"], sort_keys=True) == json.dumps(result.metrics["table"], sort_keys=True)
