"""SINDy's two simulation paths (generated Python, compiled numba) give the same numbers;
``backend="auto"`` answers a short forecast in a fresh process without loading numba."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from dynlearn import models, systems
from dynlearn.models import _sindy_compiled as sc


@pytest.fixture(scope="module")
def fitted():
    (tr,) = systems.simulate("Lorenz", n_points=3000, dt=0.002, seed=0)
    return models.create("sindy", backend="numpy", derivative="fd").fit(tr), tr.states


def test_generated_step_has_only_the_nonzero_terms(fitted):
    m, _ = fitted
    idx, C = m._poly_arrays()
    src, ops = sc.step_source(idx, C, discrete=False)
    assert src.count("k0_0 =") == 1 and ops > 0
    # Lorenz: 7 non-zero coefficients per stage, 4 stages
    assert sum(line.count(" * t") for line in src.splitlines()) == 4 * int(np.count_nonzero(C))
    assert "x0 * x0" not in src.replace("y0 * y0", "x0 * x0")  # x0^2 has a zero coefficient


def test_python_and_compiled_paths_agree_to_the_bit(fitted):
    pytest.importorskip("numba")
    m, x = fitted
    idx, C = m._poly_arrays()
    C = C.copy()
    k = [i for i in range(len(idx)) if list(idx[i]) == [0, 0]][0]
    C[0, k] = 2.0  # x0' gains 2 x0^2: some trajectories blow up, NaN from the same step in both
    x0 = x[::300]
    for B in (1, len(x0)):
        a = sc.simulate_python(x0[:B], idx, C, 0.002, 800, 2, False)
        b = sc.simulate_poly(x0[:B], idx, C, 0.002, 800, 2, False)
        assert np.array_equal(a, b, equal_nan=True)
    assert np.isnan(a).any() and np.isfinite(a[:, 0]).all()
    # a map x_{k+1} = C theta(x_k)
    Cm = np.zeros_like(C)
    Cm[0, 1], Cm[1, 2], Cm[2, 3], Cm[0, k] = 0.5, 0.9, -0.7, 0.01
    for B in (1, 4):
        a = sc.simulate_python(x0[:B] / 20, idx, Cm, 1.0, 50, 1, True)
        assert np.array_equal(a, sc.simulate_poly(x0[:B] / 20, idx, Cm, 1.0, 50, 1, True), equal_nan=True)


def test_backends_agree_through_predict(fitted):
    pytest.importorskip("numba")
    m, x = fitted
    ctx = np.stack([x[i : i + 5] for i in range(0, 2000, 200)])
    a = m.set_params(backend="numpy").predict(ctx, 500)
    b = m.set_params(backend="numba").predict(ctx, 500)
    c = m.set_params(backend="auto").predict(ctx[:1], 500)
    m.set_params(backend="numpy")
    assert np.array_equal(a, b) and np.array_equal(c, a[:1])


def test_auto_choice_counts_the_fixed_cost_of_numba(fitted, monkeypatch):
    m, _ = fitted
    idx, C = m._poly_arrays()
    monkeypatch.setattr(sc, "_KERNEL", None)  # as in a fresh process
    assert sc.choose(1, 1000, 1, idx, C, False) == "python"
    if sc.available():
        assert sc.choose(1, 10_000_000, 1, idx, C, False) == "numba"  # a long single run
        monkeypatch.setattr(sc, "_KERNEL", object())  # loaded already: no fixed cost left
        assert sc.choose(1, 1000, 1, idx, C, False) == "numba"


def test_a_short_forecast_in_a_fresh_process_does_not_load_numba(fitted, tmp_path):
    m, x = fitted
    m.save(tmp_path / "m")
    np.save(tmp_path / "ctx.npy", x[:5])
    code = (
        "import sys, numpy as np\nfrom dynlearn import models\n"
        f"m = models.load({str(tmp_path / 'm')!r}).set_params(backend='auto')\n"
        f"p = m.predict(np.load({str(tmp_path / 'ctx.npy')!r}), 2000)\n"
        "print('numba' in sys.modules, np.isfinite(p).all())"
    )
    env = {**os.environ, "DYNLEARN_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.split() == ["False", "True"]


def test_generated_step_agrees_with_the_catalog_integrator(fitted):
    # the generic path integrates the learned right-hand side with the same RK4 at the same step
    m, x = fitted
    assert m.n_substeps_ == 1  # one RK4 step per sample at this sampling
    ours = m.set_params(backend="numpy").predict(x[:5], 300)
    ref = systems.integrate(m.as_system(), x[4], n_points=301, dt=m.dt_, backend="numpy")[0, 1:]
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-10)
