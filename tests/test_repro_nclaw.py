"""`dynlearn repro nclaw` at smoke size: runs, writes its page and figures, resumes from its cells."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")

from dynlearn import repro  # noqa: E402


@pytest.mark.slow  # ~5 s: one tiny fit of each law, a 4-step GNS, 2 test scenes
def test_nclaw_smoke_writes_page_and_resumes(tmp_path):
    doc = tmp_path / "docs" / "repro" / "nclaw.md"
    doc.parent.mkdir(parents=True)
    result = repro.run("nclaw", out_dir=tmp_path / "out", smoke=True, doc=doc, progress=lambda m: None)
    assert result.verdict in {"reproduced", "partially reproduced", "not reproduced"}
    text = doc.read_text()
    assert "smoke-sized run" in text and "| scene | particles | nclaw | mlp_stress | gns |" in text
    for name in ("nclaw-error.png", "nclaw-rollout-ring.png"):
        assert (tmp_path / "docs" / "figures" / name).is_file()
    cells = sorted((tmp_path / "out" / "nclaw" / "cells").glob("*.json"))
    assert [p.name for p in cells] == [
        "gns-seed0-smoke.json",
        "mlp_stress-seed0-smoke.json",
        "nclaw-seed0-smoke.json",
        "nclaw_positions-seed0-smoke.json",
    ]
    stamp = {p.name: p.stat().st_mtime_ns for p in cells}
    again = repro.run("nclaw", out_dir=tmp_path / "out", smoke=True, progress=lambda m: None)
    assert {p.name: p.stat().st_mtime_ns for p in cells} == stamp
    assert again.metrics["mse"] == result.metrics["mse"]
    assert again.metrics["ratio_gns"] > 0 and again.metrics["ratio_mlp_stress"] > 0
