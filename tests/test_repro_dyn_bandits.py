"""`dynlearn repro dyn-bandits` at smoke size: runs, writes its page and figure, resumes from its cache."""

from __future__ import annotations

import json

import pytest

from dynlearn import repro


@pytest.mark.slow  # ~3-8 s, most of it matplotlib
def test_dyn_bandits_smoke_writes_page_and_resumes(tmp_path):
    doc = tmp_path / "docs" / "repro" / "dyn-bandits.md"
    doc.parent.mkdir(parents=True)
    result = repro.run("dyn-bandits", out_dir=tmp_path / "out", smoke=True, doc=doc, progress=lambda m: None)
    assert result.verdict in {"reproduced", "partially reproduced", "not reproduced"}
    text = doc.read_text()
    assert "smoke-sized run" in text and "| ρ | policy |" in text
    assert (tmp_path / "docs" / "figures" / "dyn-bandits-regret.png").is_file()
    runs = sorted((tmp_path / "out" / "dyn-bandits" / "runs").glob("*.json"))
    assert len(runs) == 4  # one rho, one seed, four policies
    # a resumed run reads the cached runs and gives the same numbers
    stamp = {p.name: p.stat().st_mtime_ns for p in runs}
    again = repro.run("dyn-bandits", out_dir=tmp_path / "out", smoke=True, progress=lambda m: None)
    assert {p.name: p.stat().st_mtime_ns for p in runs} == stamp
    assert json.dumps(again.metrics["table"], sort_keys=True) == json.dumps(result.metrics["table"], sort_keys=True)
