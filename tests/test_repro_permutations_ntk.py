"""The permutations-ntk reproduction at smoke size (slow tier), and its critical-ensemble-size shortcut."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn import repro
from dynlearn.repro import permutations_ntk as pn


def test_critical_size_is_where_the_rounded_average_becomes_exact():
    # one input, two coordinates: target (1, 0), gap 1; noise (-0.3, 0.2) at M = 1
    noise = np.array([[[-0.3], [0.2]]])
    mc = pn._critical_m(noise, np.array([1.0]), np.array([[-1.0, 1.0]]))
    # coordinate 0 is right once 0.3 / sqrt(M) < 1/2, i.e. M > 0.36; coordinate 1 once M > 0.16
    assert mc[0] == pytest.approx(0.36)
    for m, ok in ((0.3, False), (0.4, True)):
        avg = np.array([1.0, 0.0]) + noise[0, :, 0] / np.sqrt(m)
        assert bool(np.all((avg > 0.5) == np.array([True, False]))) is ok


@pytest.mark.slow
def test_smoke_run_writes_a_page_with_figures(tmp_path):
    result = repro.run("permutations-ntk", out_dir=tmp_path, smoke=True, progress=lambda m: None, doc=tmp_path / "p.md")
    page = (tmp_path / "p.md").read_text()
    assert result.verdict in ("reproduced", "partially reproduced", "not reproduced")
    assert result.metrics["checks"]["mean_rounds_exactly"]
    assert "Verdict rule" in page and "permutations-ntk-scaling.png" in page
    for name in ("permutations-ntk-rates.png", "permutations-ntk-scaling.png", "permutations-ntk-finite-width.png"):
        assert (tmp_path / "permutations-ntk" / name).is_file()
    # the shortcut and explicit ensemble draws estimate the same rate
    s = result.metrics["sampler_check"]
    assert abs(s["rate_sampled"] - s["rate_shortcut"]) < 0.1
