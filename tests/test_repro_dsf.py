"""The dsf reproduction: its measurements at a tiny size, and the smoke run end to end (slow)."""

from __future__ import annotations

import pytest

from dynlearn import repro
from dynlearn.repro import dsf


def test_equivalence_is_exact_only_under_the_conditions():
    rows = dsf.equivalence(12, seed=0, n_gamma=51)
    exact = rows[0]
    assert exact["case"].startswith("A = 0, Δ_t shared") and exact["err_la"] < 1e-12
    per_channel = [r["err_la"] for r in rows if r["case"] == "A = 0, Δ_t per channel"]
    decayed = [r for r in rows if r["case"] == "A = −a, Δ_t shared (selective)"]
    fixed = [r for r in rows if r["case"] == "A = −a, Δ constant (not selective)"]
    assert per_channel == sorted(per_channel) and per_channel[0] > 1e-6
    assert all(r["err_la"] > 1e-6 for r in decayed) and decayed[-1]["err_best_decay"] > 1e-3
    assert all(r["err_best_decay"] < 1e-12 for r in fixed)


def test_taylor_features_approach_softmax_attention_for_small_logits():
    rows = dsf.approximation(dsf.SMOKE, seed=0)
    taylor = [r["err"] for r in rows if r["map"] == "Taylor" and r["scale"] == 0.5]
    assert taylor == sorted(taylor, reverse=True) and taylor[-1] < 0.1


@pytest.mark.slow
def test_smoke_run_writes_a_page_with_its_numbers(tmp_path):
    result = repro.run("dsf", out_dir=tmp_path, smoke=True, progress=lambda m: None, doc=tmp_path / "dsf.md")
    page = (tmp_path / "dsf.md").read_text()
    held = sum(result.metrics["verdicts"].values())
    assert result.verdict == ("reproduced" if held == 2 else "partially reproduced" if held else "not reproduced")
    assert {r["model"] for r in result.metrics["forecasting"]} == set(dsf.MODELS)
    assert "(dsf-softmax-approximation.png)" in page and (tmp_path / "dsf-softmax-approximation.png").is_file()
