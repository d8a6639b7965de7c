"""`dynlearn repro directpred` at smoke size: runs and writes its page and figure."""

from __future__ import annotations

import pytest

from dynlearn import repro


@pytest.mark.slow  # ~10-20 s
def test_directpred_smoke_writes_page(tmp_path):
    pytest.importorskip("sklearn")
    doc = tmp_path / "docs" / "repro" / "directpred.md"
    doc.parent.mkdir(parents=True)
    result = repro.run("directpred", out_dir=tmp_path / "out", smoke=True, doc=doc, progress=lambda m: None)
    assert result.verdict in {"reproduced", "partially reproduced", "not reproduced"}
    text = doc.read_text()
    assert "smoke-sized run" in text and "| condition | ‖W‖ / ‖W₀‖ |" in text
    assert (tmp_path / "docs" / "figures" / "directpred.png").is_file()
    assert set(result.metrics["digits_probe_accuracy"]) == {"trained", "directpred", "none"}
    # every row of the linear table has as many cells as its header
    table = [ln for ln in text.splitlines() if ln.startswith("| ") and "‖W‖" not in ln and "(a)" not in ln]
    header = next(ln for ln in text.splitlines() if ln.startswith("| condition"))
    rows = [ln for ln in table if ln.split("|")[1].strip() in {"trained predictor", "no predictor", "DirectPred"}]
    assert rows and all(r.count("|") == header.count("|") for r in rows)
