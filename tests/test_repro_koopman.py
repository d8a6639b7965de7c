"""The koopman-limits reproduction at a tiny size, and the constructions it relies on."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn import repro
from dynlearn.repro import koopman_limits as kl


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("kl")
    result = repro.run("koopman-limits", out_dir=out, smoke=True, progress=lambda m: None, doc=out / "kl.md")
    return result, (out / "kl.md").read_text(), out


def test_torus_eigenfunction_is_invariant_for_finitely_many_levels():
    """φ = e^{2πi(y + h(x))} satisfies φ∘F = φ exactly when h has finitely many levels."""
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1, 500), rng.uniform(0, 1, 500)
    amps = np.full(4, kl.C0)
    alpha, qs = kl.rotation_number()
    h = lambda u: np.cos(2 * np.pi * np.multiply.outer(u, qs[:4])) @ amps
    x1, y1 = kl.torus_map(x, y, amps)
    np.testing.assert_allclose(np.exp(2j * np.pi * (y1 + h(x1))), np.exp(2j * np.pi * (y + h(x))), atol=1e-9)
    assert abs(alpha - 1 / (2 + 1 / (3 + 1 / (5 + 1 / (10 + 1 / (30 + 1 / (150 + 1 / 2000))))))) < 1e-15
    assert qs[:4] == [2, 7, 37, 377]


def test_duffing_snapshots_preserve_the_hamiltonian():
    X, Y = kl.duffing_snapshots(200, seed=1)
    H = lambda s: 0.5 * s[:, 1] ** 2 - 0.5 * s[:, 0] ** 2 + 0.25 * s[:, 0] ** 4
    assert X.shape == Y.shape == (1000, 2)
    assert np.abs(H(X) - H(Y)).max() < 1e-6


@pytest.mark.slow
def test_smoke_run_measures_and_judges_from_its_numbers(smoke):
    result, page, out = smoke
    m = result.metrics
    assert set(m["verdicts"]) == {"duffing", "lorenz", "torus"}
    held = sum(m["verdicts"].values())
    assert result.verdict == ("reproduced" if held == 3 else "partially reproduced" if held else "not reproduced")
    assert all(r["off_circle_kept"] == 0 for r in m["duffing"])  # an isometry: off-circle pairs have residual > tol
    liou = [r for r in m["torus"] if r["case"] == "constant levels"]
    assert liou[1]["change"] > 0.3  # a new scale moves the eigenfunction by a fixed amount
    for name in (
        "koopman-limits-residuals.png",
        "koopman-limits-lorenz-pseudospectrum.png",
        "koopman-limits-torus.png",
    ):
        assert f"({name})" in page and (out / name).is_file()
    assert "| N | eigenvalues |" in page
