"""repro hamiltonian-meta: tasks as particle graphs, and the smoke run writes a page with its figures."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn import repro
from dynlearn.repro import hamiltonian_meta as hm


def test_tasks_are_graphs_with_masked_padding():
    rng = np.random.default_rng(0)
    for name in ("pendulum", "three_body"):
        task = hm.make_task(name, rng, hm.SMOKE)
        b = task.support
        n = {"pendulum": 1, "three_body": 3}[name]
        assert tuple(b.q.shape) == (hm.SMOKE.support, n, 2) and tuple(b.mask.shape) == (1, n, 2)
        if name == "pendulum":  # the padded coordinate is zero and masked out
            assert float(b.mask[0, 0, 1]) == 0.0 and float(b.q[..., 1].abs().max()) == 0.0
        else:
            assert len(b.edges) == 6  # every pair, both directions
        net = hm._new_graph(0, 8)
        assert float(hm.graph_loss(net, b).detach()) > 0


@pytest.mark.slow
def test_smoke_run_writes_a_page_with_tables_and_figures(tmp_path):
    doc = tmp_path / "repro" / "hamiltonian-meta.md"
    result = repro.run("hamiltonian-meta", out_dir=tmp_path / "out", smoke=True, doc=doc, progress=lambda m: None)
    page = doc.read_text()
    assert result.verdict in {"reproduced", "partially reproduced", "not reproduced"}
    assert "| graph HNN, Reptile | 5 |" in page and "energy drift" in page
    assert len(result.figures) == 2 and all(f.is_file() for f in result.figures)
    assert "](../figures/hamiltonian-meta-henon_heiles-contours.png)" in page
    assert result.metrics["comparisons"] == 3
