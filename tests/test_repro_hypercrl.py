"""repro hypercrl: the task data are seeded, and the smoke run writes a page with its matrix and figures."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")
pytest.importorskip("torch")

from dynlearn import repro  # noqa: E402
from dynlearn.repro import hypercrl as hc  # noqa: E402


def test_task_data_are_seeded_and_differ_between_tasks():
    a = hc.task_data(0, 0, hc.SMOKE)
    b = hc.task_data(0, 0, hc.SMOKE)
    np.testing.assert_array_equal(a.next_obs, b.next_obs)
    assert len(a) == hc.SMOKE.random_steps + hc.SMOKE.mppi_episodes * hc.SMOKE.episode_steps
    # the same state and action move differently under another task's gravity
    env0, env1 = hc._env(0, hc.SMOKE), hc._env(1, hc.SMOKE)
    x, u = a.obs[:5], a.actions[:5]
    assert not np.allclose(env0.model().step(x, u), env1.model().step(x, u))


@pytest.mark.slow
def test_smoke_run_writes_a_page_with_the_matrix_and_figures(tmp_path):
    doc = tmp_path / "repro" / "hypercrl.md"
    result = repro.run("hypercrl", out_dir=tmp_path / "out", smoke=True, doc=doc, progress=lambda m: None)
    page = doc.read_text()
    assert result.verdict in {"reproduced", "partially reproduced", "not reproduced"}
    assert "## The continual-learning matrix" in page and "| hypernetwork (HyperCRL) |" in page
    assert "](../figures/hypercrl-matrix.png)" in page and "](../figures/hypercrl-returns.png)" in page
    assert len(result.figures) == 2 and all(f.is_file() for f in result.figures)
    assert set(result.metrics["old_task_mse"]) == set(hc.METHODS)
    assert all(np.isfinite(v).all() for v in result.metrics["old_task_mse"].values())
