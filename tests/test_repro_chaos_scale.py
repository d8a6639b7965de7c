"""repro chaos-scale: its suites are valid, failures rank last, and the smoke run writes a page."""

from __future__ import annotations

import math

import pytest

from dynlearn import repro, systems
from dynlearn.bench.store import CellResult
from dynlearn.repro import chaos_scale as cs


def test_subset_suites_are_valid_and_the_subset_is_chaotic_dysts_flows():
    for n in cs.SWEEP:
        suite = cs._suite("t", cs.SUBSET, cs.METHODS, (0,), cs.METRICS_MAIN, n)
        assert suite.protocol.points_per_period == 100 and suite.protocol.horizon == 200
    assert len(cs.SUBSET) == 12 and set(cs.SWEEP_SUBSET) <= set(cs.SUBSET)
    for name in cs.SUBSET:
        s = systems.get(name)
        assert s.kind == "flow" and s.max_lyapunov * s.period > 0.01
    assert {ours for _, _, ours in cs.PUBLISHED if ours} <= set(cs.METHODS)
    assert repro.get("chaos-scale").id == "chaos-scale"


def _cell(system, method, status="ok", **m):
    return CellResult(system, method, 0, status, "", m)


def test_failed_cells_score_the_worst_value_in_the_medians():
    cells = [
        _cell("A", "x", smape=10.0, vpt_smape=2.0),
        _cell("B", "x", smape=20.0, vpt_smape=1.0),
        _cell("C", "x", "diverged", smape=30.0, vpt_smape=3.0),  # a diverged forecast counts as failed
        _cell("D", "x", "error"),
    ]
    med, q25, q75, n, fails = cs._median(cells, "x", "smape")
    assert (n, fails) == (4, 2) and q25 == 10.0 and q75 == math.inf and med == 20.0
    assert cs._median(cells, "x", "vpt_smape")[:3] == (0.5, 0.0, 1.25)  # VPTs 2, 1, 0, 0


def test_spearman_is_against_lambda_and_needs_four_systems():
    lam = {"A": 0.1, "B": 0.5, "C": 1.0, "D": 2.0, "E": 3.0}
    cells = [_cell(s, "x", smape=v) for s, v in zip("ABCDE", (5.0, 7.0, 9.0, 20.0, 40.0))]
    rho, p, n = cs._spearman(cells, "x", "smape", lam)
    assert rho == pytest.approx(1.0) and p < 0.05 and n == 5
    assert math.isnan(cs._spearman(cells[:3], "x", "smape", lam)[0])


@pytest.mark.slow  # fits N-BEATS: about a minute on a loaded 2-core machine
def test_smoke_run_writes_a_page_with_both_claims_and_the_published_medians(tmp_path):
    doc = tmp_path / "chaos-scale.md"
    result = repro.run("chaos-scale", out_dir=tmp_path / "out", smoke=True, doc=doc, progress=lambda m: None)
    page = doc.read_text()
    assert result.verdict in ("reproduced", "partially reproduced", "not reproduced")
    for text in ("Claim (a)", "Claim (b)", "| NBEATS | 42.2 | nbeats |", "Setup beside the paper's", "wall time"):
        assert text in page
    again = repro.run("chaos-scale", out_dir=tmp_path / "out", smoke=True, progress=lambda m: None)
    assert again.metrics["medians"] == result.metrics["medians"]  # resumed from the store: same numbers
