"""Representational-geometry metrics of dynlearn.probes against hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dynlearn.errors import ValidationError
from dynlearn.probes import geometry as g


# --- CKA -------------------------------------------------------------------------------------------
def test_linear_cka_hand_case():
    # Xc = (-1, 0, 1); Yc^T Xc = (0, 1); ||Xc^T Xc|| = 2; ||Yc^T Yc||_F = sqrt(90)/9  => CKA = 9 / (2 sqrt 90)
    X = np.array([[1.0], [2.0], [3.0]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert g.linear_cka(X, Y) == pytest.approx(9 / (2 * math.sqrt(90)), abs=1e-12)
    assert g.linear_cka(X, X) == pytest.approx(1.0)


def _hsic_gram(K, L, debiased):
    """HSIC straight from its definitions (Gretton et al. 2005; Song et al. 2012)."""
    n = K.shape[0]
    if not debiased:
        H = np.eye(n) - 1.0 / n
        return np.trace(K @ H @ L @ H) / (n - 1) ** 2
    K, L = K.copy(), L.copy()
    np.fill_diagonal(K, 0)
    np.fill_diagonal(L, 0)
    one = np.ones(n)
    return (np.trace(K @ L) + (one @ K @ one) * (one @ L @ one) / ((n - 1) * (n - 2))
            - 2 / (n - 2) * one @ K @ L @ one) / (n * (n - 3))


@pytest.mark.parametrize("debiased", [False, True])
@pytest.mark.parametrize("n", [30, 6])  # feature-space path (n > units) and Gram path (n <= units)
def test_linear_cka_matches_gram_definition(debiased, n):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(n, 5)), rng.normal(size=(n, 7))
    Y[:, :3] += X[:, :3]
    K, L = X @ X.T, Y @ Y.T
    want = _hsic_gram(K, L, debiased) / math.sqrt(_hsic_gram(K, K, debiased) * _hsic_gram(L, L, debiased))
    assert g.linear_cka(X, Y, debiased=debiased) == pytest.approx(want, rel=1e-10)


def test_linear_cka_invariances():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(40, 6)), rng.normal(size=(40, 4))
    Q = np.linalg.qr(rng.normal(size=(6, 6)))[0]
    assert g.linear_cka(3.0 * X @ Q + 5.0, Y) == pytest.approx(g.linear_cka(X, Y), rel=1e-10)


def test_cka_rank_deficient_is_defined():
    rng = np.random.default_rng(2)
    Y = rng.normal(size=(20, 3))
    const = np.ones((20, 4))
    assert g.linear_cka(const, Y) == 0.0
    assert g.linear_cka(np.full((20, 4), 0.1), Y) == 0.0  # column means of 0.1 round: still no variance
    assert g.linear_cka(const, Y, debiased=True) == 0.0
    assert g.rbf_cka(const, Y) == 0.0
    rank1 = np.outer(rng.normal(size=20), rng.normal(size=5))
    for v in (g.linear_cka(rank1, Y), g.linear_cka(rank1, Y, debiased=True), g.rbf_cka(rank1, Y)):
        assert np.isfinite(v)
    # duplicated columns are still rank one: same value as the single column
    assert g.linear_cka(rank1, Y) == pytest.approx(g.linear_cka(rank1[:, :1], Y))


def test_rbf_cka_wide_kernel_tends_to_linear_and_nystrom_approximates_exact():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(150, 4))
    Y = np.tanh(X @ rng.normal(size=(4, 3))) + 0.3 * rng.normal(size=(150, 3))
    # exp(-d^2/2s^2) ~ 1 - d^2/2s^2 for wide kernels; centred, -d^2/2 is the linear Gram
    assert g.rbf_cka(X, Y, sigma=200.0) == pytest.approx(g.linear_cka(X, Y), abs=1e-3)
    exact = g.rbf_cka(X, Y)
    assert g.rbf_cka(X, Y, n_landmarks=150) == pytest.approx(exact, abs=1e-8)  # every row a landmark: exact
    assert g.rbf_cka(X, Y, n_landmarks=40, seed=0) == pytest.approx(exact, abs=0.01)
    with pytest.raises(ValidationError, match="n_landmarks"):
        g.rbf_cka(X, Y, n_landmarks=1)
    assert g.rbf_cka(X, X) == pytest.approx(1.0)


def test_cka_bad_input():
    with pytest.raises(ValidationError, match="same number of rows"):
        g.linear_cka(np.ones((5, 2)), np.ones((6, 2)))
    with pytest.raises(ValidationError, match="non-finite"):
        g.linear_cka(np.array([[np.nan], [1.0]]), np.ones((2, 1)))


def test_kernel_alignment_hand_case():
    K1, K2 = np.diag([1.0, 0.0]), np.diag([0.0, 1.0])
    assert g.kernel_alignment(K1, K2, centered=False) == 0.0
    # centring: H K1 H = H K2 H = [[.25, -.25], [-.25, .25]]
    assert g.kernel_alignment(K1, K2) == pytest.approx(1.0)
    X = np.random.default_rng(4).normal(size=(10, 3))
    Y = X[:, :2] ** 2
    assert g.kernel_alignment(X @ X.T, Y @ Y.T) == pytest.approx(g.linear_cka(X, Y))


# --- RDM / RSA -------------------------------------------------------------------------------------
def test_rdm_hand_cases():
    D = g.rdm(np.array([[0.0, 0.0], [3.0, 4.0]]), metric="euclidean")
    assert D == pytest.approx(np.array([[0, 5.0], [5.0, 0]]))
    C = g.rdm(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [2.0, 4.0, 6.0]]))
    assert C[0, 1] == pytest.approx(2.0) and C[0, 2] == pytest.approx(0.0)
    # by condition: means of the rows of each label
    Dc = g.rdm(np.array([[0.0], [2.0], [10.0]]), conditions=[0, 0, 1], metric="sqeuclidean")
    assert Dc[0, 1] == pytest.approx(81.0)
    with pytest.raises(ValidationError, match="unknown RDM metric"):
        g.rdm(np.ones((3, 2)), metric="cosine-ish")


def test_rsa_rank_vs_pearson():
    D1 = g.rdm(np.arange(5.0)[:, None], metric="euclidean")
    D2 = D1**3  # monotone transform: same ranks
    assert g.rsa(D1, D2) == pytest.approx(1.0)
    assert g.rsa(D1, D2, method="pearson") < 0.99
    assert g.rsa(D1, np.ones_like(D1) - np.eye(5)) == 0.0  # constant RDM: defined as 0


# --- PS / CCGP / SD --------------------------------------------------------------------------------
SQUARE = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # condition c = (x, y) bits


def _samples(means, n=10, noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    cond = np.repeat(np.arange(len(means)), n)
    return means[cond] + noise * rng.normal(size=(cond.size, means.shape[1])), cond


def test_parallelism_score_hand_cases():
    cond = np.arange(4)
    assert g.parallelism_score(SQUARE, cond, [0, 2]) == pytest.approx(1.0)  # x: (1,0) and (1,0)
    bent = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 2.0]])
    # pairings: {0->1, 2->3}: (1,0),(0,1) cos 0;  {0->3, 2->1}: (0,2),(1,-1) cos -1/sqrt2  => max 0
    assert g.parallelism_score(bent, cond, [0, 2]) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValidationError, match="two halves"):
        g.parallelism_score(SQUARE, cond, [0])


def test_ccgp_factorised_vs_xor():
    cube = np.array([[x, y, z] for x in (0.0, 1.0) for y in (0.0, 1.0) for z in (0.0, 1.0)])
    X, cond = _samples(cube)
    # 3 training conditions per side pin the x axis; it generalises to the held-out pair: 16 splits, all 1
    assert g.ccgp(X, cond, [0, 1, 2, 3]) == pytest.approx(1.0)
    # on a square one condition per side leaves the axis ambiguous: the diagonal splits put the held-out
    # conditions on the boundary (chance), the others generalise
    X, cond = _samples(SQUARE)
    assert 0.6 < g.ccgp(X, cond, [0, 2]) < 0.9
    # XOR dichotomy {00, 11} vs {10, 01}: training on one condition per side learns the wrong axis for
    # the held-out pair, so every split scores 0
    assert g.ccgp(X, cond, [0, 3]) == pytest.approx(0.0)
    with pytest.raises(ValidationError, match="n_held_out"):
        g.ccgp(X, cond, [0, 2], n_held_out=2)


def test_shattering_dimensionality():
    assert len(g._balanced_dichotomies(8)) == 35 and len(g._balanced_dichotomies(4)) == 3
    tetra = np.array([[1.0, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]])
    X, cond = _samples(tetra, n=20, noise=0.05)
    assert g.shattering_dimensionality(X, cond) == pytest.approx(1.0)
    # square: two separable dichotomies and XOR (a linear rule gets 1 to 3 of its 4 corners)
    X, cond = _samples(SQUARE, n=20, noise=0.05)
    assert 0.75 - 1e-9 <= g.shattering_dimensionality(X, cond) <= 0.92


# --- dimensionality --------------------------------------------------------------------------------
def test_participation_ratio_and_effective_rank():
    def cross(a, b):
        return np.array([[a, 0.0], [-a, 0.0], [0.0, b], [0.0, -b]])

    assert g.participation_ratio(cross(1, 1)) == pytest.approx(2.0)
    assert g.participation_ratio(cross(1, 0)) == pytest.approx(1.0)
    assert g.participation_ratio(cross(2, 1)) == pytest.approx(25 / 17)  # (4+1)^2/(16+1)
    assert g.participation_ratio(np.ones((5, 3))) == 0.0
    assert g.effective_rank(np.eye(4)) == pytest.approx(4.0, rel=1e-5)
    assert g.effective_rank(np.outer(np.arange(1.0, 6), np.ones(3))) == pytest.approx(1.0, rel=1e-5)
    # singular values (3, 1): p = (3/4, 1/4), entropy = -(.75 ln .75 + .25 ln .25)
    H = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert g.effective_rank(np.diag([3.0, 1.0])) == pytest.approx(math.exp(H), rel=1e-5)
    assert g.effective_rank(np.zeros((3, 3))) == 0.0


def test_projection_on_task_axes():
    W = np.array([[[1.0, 2.0, 0.0]], [[3.0, 0.0, 4.0]]])  # (steps=2, units=1, d=3)
    P = g.project_on_axes(W, [[2.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert P.shape == (2, 1, 2) and P[:, 0, :] == pytest.approx(np.array([[1.0, 0.0], [3.0, 4.0]]))
    axis = g.coding_axis(SQUARE, np.arange(4), [0, 2])
    assert axis == pytest.approx(np.array([1.0, 0.0]))
    with pytest.raises(ValidationError, match="dimension"):
        g.project_on_axes(W, [[1.0, 0.0]])
