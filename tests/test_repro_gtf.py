"""The gtf reproduction recipe: its measurements at a tiny size, and verdicts that follow from them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dynlearn import repro
from dynlearn.repro import gtf


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("gtf")
    result = repro.run("gtf", out_dir=out, smoke=True, doc=out / "gtf.md", progress=lambda m: None)
    return result, (out / "gtf.md").read_text()


def test_verdict_follows_from_the_measured_numbers(smoke):
    result, _ = smoke
    m = result.metrics
    # claim (b): GTF below BPTT and TF at the same budget; claim (c): GTF best by mean D_stsp
    budget = (
        gtf.SMOKE.epochs * gtf.SMOKE.batches_per_epoch
        if gtf.SMOKE.baseline_epochs is None
        else (gtf.SMOKE.baseline_epochs * gtf.SMOKE.batches_per_epoch)
    )
    at = {k: m[f"{k}_D_stsp_at_{budget}_steps"] for k in ("gtf", "bptt", "tf")}
    assert m["claim_b"] == (at["gtf"] < at["bptt"] and at["gtf"] < at["tf"])
    means = {k: m[f"{k}_D_stsp"] for k in ("gtf", "bptt", "tf", "esn", "sindy", "neural_ode")}
    assert m["best_by_D_stsp"] == min(means, key=lambda k: means[k] if np.isfinite(means[k]) else np.inf)
    assert m["claim_c"] == (m["best_by_D_stsp"] == "gtf")
    assert m["claim_a"] == (m["grad_growth_gtf"] < 10 and m["grad_growth_bptt"] > 100)
    held = sum(bool(m[k]) for k in ("claim_a", "claim_b", "claim_c"))
    assert result.verdict == {3: "reproduced", 0: "not reproduced"}.get(held, "partially reproduced")


def test_learning_curve_is_recorded_and_drawn(smoke):
    result, page = smoke
    curves = result.metrics["curves"]
    every = max(1, gtf.SMOKE.epochs // gtf.SMOKE.curve_points)
    want = [e * gtf.SMOKE.batches_per_epoch for e in range(every, gtf.SMOKE.epochs + 1, every)]
    assert [step for step, _ in curves["gtf_seed0"]] == want
    assert all(np.isfinite(d) and d >= 0 for _, d in curves["gtf_seed0"])
    (fig,) = result.figures
    assert fig.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"]({fig.name})" in page and "smoke-sized run" in page


def test_the_fast_comparison_models_reconstruct_better_than_an_untrained_shplrnn(smoke):
    """ESN and SINDy are fitted in closed form: even at smoke size they beat six optimiser steps."""
    m = smoke[0].metrics
    assert m["sindy_D_stsp"] < m["gtf_D_stsp"]


def test_gradient_measurement_shows_bptt_explosion_and_gtf_bound():
    """Claim (a)'s measurement on a map with known expansion: z_t = 1.3 z_{t-1} (W1 = 0).
    BPTT's gradient grows like 1.3^T; GTF with α = 0.5 contracts, (1 − α)·1.3 < 1."""
    from dynlearn.models.plrnn import ShallowPLRNNModule

    torch.manual_seed(0)
    net = ShallowPLRNNModule(3, 3, 4, False, "identity")
    with torch.no_grad():
        net.A.fill_(1.3)
        net.W1.zero_()
    sizes = gtf.SMOKE.__class__(**{**gtf.SMOKE.__dict__, "grad_lengths": (10, 40), "grad_batch": 3})
    data = np.random.default_rng(0).standard_normal((200, 3))
    table = gtf._grad_vs_length(net, data, sizes, alpha=0.5, seed=0)
    assert table["bptt"][1] / table["bptt"][0] > 100
    assert table["gtf"][1] / table["gtf"][0] < 10


def test_an_interrupted_run_resumes_from_its_stage_files(smoke, tmp_path_factory):
    """Every stage of the smoke run was written; a second run in the same folder reuses them all
    and reports the same numbers, and says so on its page."""
    result, _ = smoke
    out = next(p for p in result.figures).parent.parent  # <out>/gtf/figure.png
    again = repro.run("gtf", out_dir=out, smoke=True, doc=out / "again.md", progress=lambda m: None)
    m, m2 = result.metrics, again.metrics
    stages = gtf.SMOKE.seeds * (len(gtf.LABELS) + len(gtf.COMPARISONS))
    assert m["timing_reused"] == 0 and m2["timing_reused"] == stages
    for key in ("gtf_D_stsp", "esn_D_stsp", "sindy_D_H", "curves", "grad_growth_bptt"):
        if key in m:
            assert m2[key] == m[key]
    assert f"{stages} of {stages} stages" in (out / "again.md").read_text()
