"""The tanh-relu reproduction: its pre-declared verdict rule (fast) and its smoke run (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn.repro import tanh_relu as tr


def _results(diff: dict[str, float], alignments=(0.0, 0.5, 0.9), seeds=20, sat=False):
    rng = np.random.default_rng(0)
    out = {}
    for c in alignments:
        for act in ("tanh", "relu"):
            final = {}
            for m in tr.METRICS:
                base = 0.995 if sat else 0.5
                shift = diff.get(m, 0.0) if act == tr.PREDICTED.get(m) else 0.0
                final[m] = base + shift + 0.01 * rng.standard_normal(seeds)
            out[(act, c)] = {"final": final}
    return out


def test_verdict_rule():
    per, held = tr.judge(_results({"cka_targets": 0.1, "cka_inputs": 0.1, "ps": 0.1, "ccgp": 0.1}), (0.0, 0.5, 0.9))
    assert all(held.values()) and per["ps"] == ["holds"] * 3
    # a difference inside the noise does not count
    per, held = tr.judge(_results({"cka_targets": 0.1, "ps": 0.001}), (0.0, 0.5, 0.9))
    assert held["cka_targets"] and not held["ps"] and not held["cka_inputs"]
    # both means above 0.99: saturated, left out; nothing left counts as not held
    per, held = tr.judge(_results({}, sat=True), (0.0, 0.5, 0.9))
    assert per["ccgp"] == ["saturated"] * 3 and not held["ccgp"]


@pytest.mark.slow
def test_smoke_run(tmp_path):
    from dynlearn import repro

    res = repro.run("tanh-relu", out_dir=tmp_path, smoke=True, progress=lambda m: None, doc=tmp_path / "tr.md")
    assert res.verdict in ("reproduced", "partially reproduced", "not reproduced")
    n_held = sum(res.metrics["held"].values())
    assert res.verdict == ("reproduced" if n_held == 4 else "partially reproduced" if n_held else "not reproduced")
    page = (tmp_path / "tr.md").read_text()
    assert "smoke-sized run" in page and "CKA(h, targets)" in page
    for fig in res.figures:
        assert fig.is_file() and fig.stat().st_size > 1000
    cell = res.metrics["cells"]["tanh@0.6"]
    assert 0.0 <= cell["cka_targets"][0] <= 1.0 and 0.5 <= cell["train_acc"][0] <= 1.0
