"""`dynlearn repro psi-kt` at smoke size: runs end to end, writes its page and figure (slow)."""

from __future__ import annotations

import pytest

from dynlearn import repro


def test_recipe_is_registered():
    assert repro.get("psi-kt").id == "psi-kt"


@pytest.mark.slow
def test_smoke_run_writes_the_page(tmp_path):
    pytest.importorskip("matplotlib")
    doc = tmp_path / "docs" / "repro" / "psi-kt.md"
    result = repro.run("psi-kt", out_dir=tmp_path / "out", smoke=True, doc=doc, progress=lambda m: None)
    assert result.verdict in {"reproduced", "partially reproduced", "not reproduced"}
    held = [result.metrics[k] for k in ("prediction_held", "graph_held", "traits_held")]
    assert result.verdict == ("reproduced" if all(held) else "partially reproduced" if any(held) else "not reproduced")
    text = doc.read_text()
    assert "graph AUROC" in text and "../figures/psi-kt.png" in text
    assert (tmp_path / "docs" / "figures" / "psi-kt.png").stat().st_size > 10_000
