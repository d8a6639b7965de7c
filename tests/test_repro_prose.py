"""The PROSE reproduction: SINDy's equations read back as trees, the smoke-sized recipe end to end (slow)."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn import symbolic as S


def test_sindy_feature_names_become_monomials():
    from dynlearn.repro.prose import _monomial

    assert _monomial("1") == ()
    assert _monomial("x0 x1") == ("x0", "x1")
    assert _monomial("x0^2 x1") == ("x0", "x0", "x1")
    assert _monomial("sin(x1)") == ("sin(x1)",)


def test_sindy_equations_match_a_fitted_model():
    from dynlearn.data import Trajectory
    from dynlearn.models.sindy import SINDy
    from dynlearn.repro.prose import _sindy_equations

    fam = S.family("vanderpol")
    eqs = fam.equations()
    X = S.simulate(eqs, np.array([[1.0, 0.0]]), t_end=10.0, n_points=201, step=0.01)[0]
    m = SINDy(library="poly", degree=3, derivative="fd", fd_order=4, threshold=0.1).fit(
        Trajectory(np.linspace(0, 10, 201), X)
    )
    got = _sindy_equations(m, 2)
    np.testing.assert_allclose(got.rhs(X[:50]), m.rhs(X[:50]), rtol=1e-9, atol=1e-9)
    assert S.same_terms(got, eqs, rtol=0.05)


@pytest.mark.slow
def test_smoke_recipe_runs(tmp_path):
    pytest.importorskip("torch")
    from dynlearn import repro

    r = repro.run("prose", smoke=True, out_dir=tmp_path, doc=tmp_path / "prose.md", progress=lambda s: None)
    page = (tmp_path / "prose.md").read_text()
    assert "| multimodal, nominal |" in page and "SINDy on the observed half" in page
    assert 0.0 <= r.metrics["valid"] <= 1.0 and np.isfinite(r.metrics["pred_err_multimodal"])
