"""Koopman spectra: DMD against PyDMD, EDMD exact on linear systems, ResDMD residuals and pseudospectra."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn import koopman, models
from dynlearn.errors import ValidationError


def _match(a: np.ndarray, b: np.ndarray) -> float:
    """Largest distance between the two eigenvalue sets paired optimally."""
    from scipy.optimize import linear_sum_assignment

    cost = np.abs(a[:, None] - b[None, :])
    i, j = linear_sum_assignment(cost)
    return float(cost[i, j].max())


@pytest.fixture(scope="module")
def linear_data():
    rng = np.random.default_rng(0)
    A = np.array([[0.9, -0.3, 0.0], [0.2, 0.85, 0.1], [0.0, -0.1, 0.7]])
    X = rng.standard_normal((400, 3))
    return A, X, X @ A.T


def test_edmd_recovers_linear_eigenvalues_exactly(linear_data):
    A, X, Y = linear_data
    dic = koopman.Monomials(degree=1).fit(X)
    est = koopman.edmd(dic(X), dic(Y))
    want = np.append(np.linalg.eigvals(A), 1.0)  # the constant function has eigenvalue 1
    assert _match(est.eigenvalues, want) < 1e-12
    assert est.residuals.max() < 1e-6  # each pair is an exact eigenpair (residual at rounding level)
    # degree 2 spans the products of linear eigenfunctions: eigenvalues λ_i λ_j appear too
    est2 = koopman.edmd(*(koopman.Monomials(degree=2).fit(X)(Z) for Z in (X, Y)))
    lam = np.linalg.eigvals(A)
    products = [lam[i] * lam[j] for i in range(3) for j in range(i, 3)]
    assert _match(est2.eigenvalues, np.concatenate([[1.0], lam, products])) < 1e-10


@pytest.mark.filterwarnings("ignore:Input data condition number:UserWarning")  # PyDMD on rank-8 data
def test_dmd_agrees_with_pydmd():
    pydmd = pytest.importorskip("pydmd")
    rng = np.random.default_rng(1)
    t = np.arange(300) * 0.1
    freqs = rng.uniform(0.3, 2.0, 4)
    signals = np.concatenate(
        [np.exp(-0.05 * t)[None] * np.cos(f * t)[None] for f in freqs]
        + [np.exp(-0.05 * t)[None] * np.sin(f * t)[None] for f in freqs]
    )
    snapshots = rng.standard_normal((40, 8)) @ signals  # (dim 40, time 300): rank 8
    ours = koopman.dmd(snapshots.T, rank=8)
    ref = pydmd.DMD(svd_rank=8).fit(snapshots)
    assert _match(ours.eigenvalues, np.asarray(ref.eigs)) < 1e-8
    svd = koopman.dmd(snapshots.T, rank=8, method="svd")
    assert _match(svd.eigenvalues, np.asarray(ref.eigs)) < 1e-8


def test_dmd_gram_and_svd_routes_agree_and_forecast(linear_data):
    A, X, Y = linear_data
    for method in ("gram", "svd"):
        r = koopman.dmd(X, Y, method=method)
        assert _match(r.eigenvalues, np.linalg.eigvals(A)) < 1e-10
        x0 = X[:2]
        want = np.stack([x0 @ np.linalg.matrix_power(A, h).T for h in range(1, 6)], axis=1)
        np.testing.assert_allclose(r.forecast(x0, 5), want, atol=1e-10)
    wide = koopman.dmd(X[:2].T, X[:2].T @ np.eye(2))  # more dimensions than snapshots: the X*X route
    assert wide.rank <= 2


@pytest.mark.filterwarnings("ignore::dynlearn.koopman.IllConditionedWarning")  # expected: redundant functions
def test_resdmd_residuals_match_the_data_and_flag_spurious_eigenvalues():
    rng = np.random.default_rng(2)
    theta = rng.uniform(0, 2 * np.pi, 3000)
    X = theta[:, None]
    Y = (theta + 0.7)[:, None] % (2 * np.pi)  # a rotation of the circle: eigenfunctions e^{ikθ}, |λ| = 1
    dic = koopman.RBF(30, centers="subsample", kernel="gauss", seed=0).fit(np.c_[np.cos(X), np.sin(X)])
    PX, PY = dic(np.c_[np.cos(X), np.sin(X)]), dic(np.c_[np.cos(Y), np.sin(Y)])
    est = koopman.edmd(PX, PY, method="qr", rcond=1e-10)
    V = est.eigenvectors
    direct = np.linalg.norm(PY @ V - PX @ V * est.eigenvalues, axis=0) / np.linalg.norm(PX @ V, axis=0)
    np.testing.assert_allclose(est.residuals, direct, rtol=1e-6, atol=1e-8)
    fast = koopman.edmd(PX, PY, rcond=1e-10)  # the Gram route: the same pairs, residuals to rounding error
    np.testing.assert_allclose(np.sort(fast.residuals), np.sort(est.residuals), atol=1e-4)
    assert _match(fast.eigenvalues, est.eigenvalues) < 1e-6
    np.testing.assert_allclose(np.linalg.norm(PX @ V, axis=0) / np.sqrt(len(PX)), 1.0, rtol=1e-8)
    kept = est.verified(0.05)
    assert kept.sum() >= 5
    assert np.abs(np.abs(est.eigenvalues[kept]) - 1).max() < 0.05  # the kept ones lie on the unit circle
    # τ_N at an eigenvalue is at most that pair's residual; the pseudo-eigenfunction attains it
    j = int(np.argmin(est.residuals))
    z = est.eigenvalues[j]
    assert est.pseudospectrum(np.array([z]))[0] <= est.residuals[j] + 1e-9
    v, tau = est.pseudo_eigenfunction(z)
    g = PX @ v
    assert abs(np.linalg.norm(PY @ v - z * g) / np.linalg.norm(g) - tau) < 1e-6
    far = est.pseudospectrum(np.array([[0.0, 3.0]]))
    assert far.shape == (1, 2) and far.min() > 0.5  # an isometry: ‖(K − z)g‖ ≥ | |z| − 1 | ‖g‖


def test_nystrom_with_every_point_as_landmark_is_exact_kernel_edmd():
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (150, 2))
    Y = np.c_[0.9 * X[:, 0] - 0.1 * X[:, 1] ** 2, 0.8 * X[:, 1]]
    exact = koopman.kernel_edmd(X, Y, bandwidth=0.8, rank=12)
    dic = koopman.Nystrom(150, bandwidth=0.8, rcond=1e-14, seed=0).fit(X)
    dic._scale[:] = 1.0  # kernel_edmd's kernel acts on raw coordinates
    dic._mean[:] = 0.0
    dic._fit(X)
    low = koopman.edmd(dic.features(X), dic.features(Y), rank=12, rcond=1e-14)
    assert _match(low.eigenvalues, exact) < 1e-6


def test_bad_input_is_refused_or_regularised_with_the_condition_number():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((20, 2))
    with pytest.raises(ValidationError, match="only 20 snapshot pairs"):
        koopman.edmd(rng.standard_normal((20, 30)), rng.standard_normal((20, 30)))
    P = np.c_[X, X[:, :1] * (1 + 1e-9)]  # two nearly equal columns
    with pytest.warns(koopman.IllConditionedWarning, match="condition number"):
        est = koopman.edmd(P, P)
    assert est.n_dropped == 1
    with pytest.raises(ValidationError, match="complex"):
        koopman.RBF(3).fit(X + 1j)
    with pytest.raises(ValidationError, match="non-finite"):
        koopman.dmd(np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(ValidationError, match="only 20 states"):
        koopman.RBF(25).fit(X)
    real = koopman.dmd(X)
    with pytest.raises(ValidationError, match="complex x0"):  # complex output asked of a real-data DMD
        real.forecast(X[0] + 1j, 3)
    assert np.iscomplexobj(koopman.dmd(X + 0.5j * X[::-1]).forecast(X[0] + 1j, 3))


def test_dictionaries_include_constant_and_state():
    X = np.random.default_rng(5).standard_normal((200, 3))
    for dic in (koopman.Monomials(3), koopman.RBF(10), koopman.RandomFourier(10), koopman.Nystrom(10)):
        F = dic.fit(X)(X)
        assert F.shape == (200, dic.n_functions)
        np.testing.assert_array_equal(F[:, 0], 1.0)
        np.testing.assert_array_equal(F[:, dic.state_columns], X)
    assert koopman.Monomials(3).fit(X).n_functions == 20  # C(3 + 3, 3)


@pytest.mark.filterwarnings("ignore::dynlearn.koopman.IllConditionedWarning")  # expected: redundant functions
@pytest.mark.parametrize("name", ["edmd", "kernel_edmd"])
def test_edmd_models_forecast_a_linear_system(linear_data, name):
    A, X, _ = linear_data
    traj = np.empty((300, 3))
    traj[0] = (1.0, 0.5, -0.5)
    for k in range(299):
        traj[k + 1] = A @ traj[k] + 0.0
    for rollout in ("linear", "relift"):
        m = models.create(name, n_functions=30, rollout=rollout).fit(traj[:200])
        want = np.stack([np.linalg.matrix_power(A, h) @ traj[199] for h in range(1, 11)])
        np.testing.assert_allclose(m.predict(traj[:200], 10), want, atol=1e-6)
    assert np.abs(np.abs(m.spectrum_.eigenvalues[m.spectrum_.verified(1e-6)])).max() <= 1 + 1e-9


def test_exact_kernel_edmd_agrees_with_pydmd():
    pydmd = pytest.importorskip("pydmd")
    rng = np.random.default_rng(6)
    z = np.empty((201, 2))
    z[0] = (0.5, -0.3)
    for k in range(200):
        z[k + 1] = (0.95 * z[k, 0] - 0.2 * z[k, 1] ** 2 + 0.01 * rng.standard_normal(), 0.9 * z[k, 1])
    ours = koopman.kernel_edmd(z[:-1], z[1:], bandwidth=0.7, rank=6)
    ref = pydmd.EDMD(svd_rank=6, kernel_metric="rbf", kernel_params={"gamma": 0.5 / 0.7**2}).fit(z.T)
    # rank 6: the kernel's singular values stay far from rounding (at rank 10 Σ⁻¹ amplifies it to ~1e-7)
    assert _match(ours, np.asarray(ref.eigs)) < 1e-9


def test_the_worked_example_in_the_docs_prints_what_it_says():
    """docs/models-koopman.md shows the output of its example; run it and compare."""
    import contextlib
    import io
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "models-koopman.md").read_text()
    code, printed = re.search(
        r"## A worked example.*?```python\n(.*?)```\n\nprints\n\n```\n(.*?)```", doc, re.S
    ).groups()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "models-koopman.md", "exec"), {})
    assert out.getvalue() == printed


@pytest.mark.filterwarnings("ignore::dynlearn.koopman.IllConditionedWarning")  # expected: redundant functions
def test_cli_spectrum_prints_residuals_and_writes_a_plot(tmp_path, capsys):
    from dynlearn.cli.main import main
    from dynlearn.data import Trajectory, write_csv

    def run(*args):
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main(["koopman", "spectrum", str(tmp_path / "circle.csv"), *args])
        out, err = capsys.readouterr()
        return exc.value.code, out, err

    t = np.arange(400) * 0.1
    states = np.c_[np.cos(t), np.sin(t)]  # a rotation: eigenvalues e^{±i 0.1 k}, verified
    write_csv(Trajectory(t, states), tmp_path / "circle.csv")
    code, out, _ = run("-d", "monomials", "--degree", "2", "-o", str(tmp_path / "s.png"))
    assert code == 0
    assert "residual" in out and "kept" in out and "+0.1592" in out  # 1 cycle per 2π time units
    assert (tmp_path / "s.png").is_file()
    code, _, err = run("-d", "wavelets")
    assert code == 2 and "--dictionary must be one of" in err
