"""`dynlearn repro giorom` at smoke size: runs on small MPM scenes, writes its page and figures, and
resumes from its cached cells."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("dynlearn.particles.scenes", reason="needs the MPM scenes (dynlearn.particles.scenes)")

from dynlearn import repro  # noqa: E402


@pytest.mark.slow  # ~10-20 s: small MPM scenes of two materials, two models, a timing cell
def test_giorom_smoke_writes_page_and_resumes(tmp_path, monkeypatch):
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path / "cache"))
    doc = tmp_path / "docs" / "repro" / "giorom.md"
    doc.parent.mkdir(parents=True)
    result = repro.run("giorom", out_dir=tmp_path / "out", smoke=True, doc=doc, progress=lambda m: None)
    assert result.verdict in {"reproduced", "partially reproduced", "not reproduced"}
    text = doc.read_text()
    assert "smoke-sized run" in text and "## Step time" in text and "pre-declared rule" in text
    for name in ("giorom-time-and-error.png", "giorom-rollout-sand.png", "giorom-rollout-elastic.png"):
        assert (tmp_path / "docs" / "figures" / name).is_file()
    m = result.metrics
    assert set(m["error_ratio"]) == {"sand", "elastic"} and len(m["speedup"]) == len(m["p"]) == 2
    assert all(v > 0 for v in m["step_seconds"]["gns"] + m["step_seconds"]["giorom"])
    cells = sorted((tmp_path / "out" / "giorom" / "cells").glob("*.json"))
    assert len(cells) == 5  # two baselines, gns, giorom (one seed each) and the timing cell
    stamp = {p.name: p.stat().st_mtime_ns for p in cells}
    again = repro.run("giorom", out_dir=tmp_path / "out", smoke=True, progress=lambda m: None)
    assert {p.name: p.stat().st_mtime_ns for p in cells} == stamp
    assert again.metrics["mse"] == result.metrics["mse"]
