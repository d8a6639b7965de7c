"""The neural-de reproduction recipe, smoke-sized (seconds, not evidence)."""

from __future__ import annotations

import torch

from dynlearn import repro

torch.set_num_threads(1)  # 2 shared cores: threads only contend


def test_neural_de_smoke_run_writes_a_page(tmp_path):
    doc = tmp_path / "neural-de.md"
    lines = []
    result = repro.run("neural-de", out_dir=tmp_path, smoke=True, progress=lines.append, doc=doc)
    assert result.verdict in ("reproduced", "partially reproduced", "not reproduced")
    m = result.metrics
    assert set(m["mean_vpt"]) == {r["model"] for r in m["forecast_rows"]} and len(m["mean_vpt"]) == 3
    assert all(r["vpt"] >= 0 for r in m["forecast_rows"])
    # memory was measured in subprocesses for both modes at each step count
    assert {(r["mode"], r["steps"]) for r in m["memory_rows"]} == {
        (mode, n) for mode in ("direct", "adjoint") for n in (8, 64)
    }
    # direct back-propagation through 64 steps stores more than through 8, the adjoint does not
    direct = {r["steps"]: r["peak_growth_mib"] for r in m["memory_rows"] if r["mode"] == "direct"}
    assert direct[64] >= direct[8]  # smoke sizes are near the RSS resolution; the full run measures the slope
    adjoint = {r["steps"]: r["peak_growth_mib"] for r in m["memory_rows"] if r["mode"] == "adjoint"}
    assert adjoint[64] <= direct[64]
    assert m["gradient_rel_diff"] < 1e-3
    page = doc.read_text()
    assert "smoke-sized run: not evidence" in page and "peak RSS growth" in page
    assert any("memory direct" in line for line in lines)
