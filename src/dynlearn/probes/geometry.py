"""Representational geometry: how a population of units arranges conditions, inputs or samples.

Every function takes numpy arrays of activations ``X`` of shape ``(n_samples, n_units)`` (rows are
stimuli/samples, columns are units) and returns plain floats or arrays. Nothing here needs torch.

Similarity of two representations of the same samples
    :func:`linear_cka`, :func:`rbf_cka` (Kornblith et al. 2019), :func:`kernel_alignment`
    (Cristianini et al. 2002; Cortes et al. 2012), :func:`rdm` and :func:`rsa` (Kriegeskorte et al. 2008).
Abstraction of binary variables over conditions (Bernardi et al. 2020, Cell 183:954)
    :func:`parallelism_score`, :func:`ccgp`, :func:`shattering_dimensionality`.
Dimensionality
    :func:`participation_ratio` (Gao et al. 2017), :func:`effective_rank` (RankMe; Roy & Vetterli 2007,
    Garrido et al. 2023).
Weight trajectories
    :func:`project_on_axes`, :func:`coding_axis`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from dynlearn._validation import check_array
from dynlearn.errors import ValidationError

__all__ = [
    "ccgp",
    "coding_axis",
    "condition_means",
    "effective_rank",
    "kernel_alignment",
    "linear_cka",
    "parallelism_score",
    "participation_ratio",
    "project_on_axes",
    "rbf_cka",
    "rdm",
    "rsa",
    "shattering_dimensionality",
]


# --- helpers ---------------------------------------------------------------------------------------
def _features(x, name: str) -> np.ndarray:
    arr = check_array(x, name, ndim=(1, 2))
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[0] < 2:
        raise ValidationError(f"{name} needs at least 2 samples (rows); got shape {arr.shape}")
    return arr


def _pair(x, y) -> tuple[np.ndarray, np.ndarray]:
    X, Y = _features(x, "X"), _features(y, "Y")
    if X.shape[0] != Y.shape[0]:
        raise ValidationError(
            f"X and Y must describe the same samples (same number of rows); got {X.shape[0]} and {Y.shape[0]}"
        )
    return X, Y


def _no_variance(X: np.ndarray) -> bool:
    """Every row equal, up to the rounding of the column means (relative 1e-10)."""
    spread = float(np.linalg.norm(X - X.mean(0)))
    return spread <= 1e-10 * float(np.linalg.norm(X)) or spread == 0.0


def _safe_ratio(num: float, den: float) -> float:
    """num / den, with 0 when the denominator vanishes (a representation with no variance is similar to
    nothing: the defined value for rank-deficient inputs, never NaN)."""
    if not np.isfinite(den) or den <= 1e-300 * max(1.0, abs(num)) or den <= 0.0:
        return 0.0
    return float(num / den)


# --- CKA and kernel alignment ----------------------------------------------------------------------
def _hsic_linear(X: np.ndarray, Y: np.ndarray, debiased: bool) -> float:
    """HSIC of the linear kernels K = XXᵀ, L = YYᵀ, computed in feature space (O(n p q), no n × n matrix).

    Biased: tr(KHLH)/(n−1)² = ‖X̄ᵀȲ‖²_F/(n−1)² with X̄, Ȳ column-centred.
    Debiased (Song et al. 2012, eq. 5): with K̃, L̃ the kernels with zeroed diagonals,
    [tr(K̃L̃) + 1ᵀK̃1·1ᵀL̃1/((n−1)(n−2)) − 2/(n−2)·1ᵀK̃L̃1] / (n(n−3)).
    """
    n = X.shape[0]
    if not debiased:
        Xc, Yc = X - X.mean(0), Y - Y.mean(0)
        return float(np.sum((Xc.T @ Yc).astype(np.float64) ** 2)) / (n - 1) ** 2
    if n < 4:
        raise ValidationError(f"debiased CKA needs at least 4 samples; got {n} (use debiased=False)")
    # centring does not change the debiased estimator; it improves the floating-point cancellation
    X, Y = X - X.mean(0), Y - Y.mean(0)
    dk = np.einsum("ij,ij->i", X, X).astype(np.float64)
    dl = np.einsum("ij,ij->i", Y, Y).astype(np.float64)
    tr_kl = float(np.sum((X.T @ Y).astype(np.float64) ** 2)) - float(dk @ dl)
    k1 = (X @ X.sum(0)).astype(np.float64) - dk  # K̃ 1
    l1 = (Y @ Y.sum(0)).astype(np.float64) - dl  # L̃ 1
    s_k, s_l = float(k1.sum()), float(l1.sum())
    return (tr_kl + s_k * s_l / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * float(k1 @ l1)) / (n * (n - 3))


def linear_cka(x, y, *, debiased: bool = False) -> float:
    """Linear centred kernel alignment (Kornblith, Norouzi, Lee & Hinton 2019, ICML).

    CKA(X, Y) = HSIC(K, L) / √(HSIC(K, K) HSIC(L, L)) with K = XXᵀ, L = YYᵀ; for the (biased) linear
    kernel this is ‖X̄ᵀȲ‖²_F / (‖X̄ᵀX̄‖_F ‖ȲᵀȲ‖_F), X̄ and Ȳ column-centred. It lies in [0, 1], is
    invariant to orthogonal transformations and isotropic scaling of either representation, and compares
    representations with different numbers of units. ``debiased=True`` uses the unbiased HSIC estimator
    (Song et al. 2012), which removes the upward bias of CKA when units outnumber samples; it can be
    slightly negative. Cost O(n·p·q) with no n × n matrix when samples outnumber units,
    O(n²(p + q)) through the Gram matrices otherwise.

    A representation with zero variance (every row equal) has no geometry: CKA is defined as 0, not NaN.
    """
    X, Y = _pair(x, y)
    return _cka_features(X, Y, debiased)


def _cka_features(X: np.ndarray, Y: np.ndarray, debiased: bool) -> float:
    if _no_variance(X) or _no_variance(Y):
        return 0.0
    if X.shape[0] <= max(X.shape[1], Y.shape[1]):  # fewer samples than units: n x n Grams are cheaper
        K, L = (X @ X.T).astype(np.float64), (Y @ Y.T).astype(np.float64)
        hxy, hxx, hyy = (_hsic_gram(a, b, debiased) for a, b in ((K, L), (K, K), (L, L)))
    else:
        hxy = _hsic_linear(X, Y, debiased)
        hxx = _hsic_linear(X, X, debiased)
        hyy = _hsic_linear(Y, Y, debiased)
    if hxx <= 0.0 or hyy <= 0.0:
        return 0.0
    return _safe_ratio(hxy, math.sqrt(hxx * hyy))


def _center_gram(K: np.ndarray) -> np.ndarray:
    return K - K.mean(0, keepdims=True) - K.mean(1, keepdims=True) + K.mean()


def _hsic_gram(K: np.ndarray, L: np.ndarray, debiased: bool) -> float:
    n = K.shape[0]
    if not debiased:
        return float(np.sum(_center_gram(K) * _center_gram(L))) / (n - 1) ** 2
    if n < 4:
        raise ValidationError(f"debiased CKA needs at least 4 samples; got {n} (use debiased=False)")
    K, L = K.copy(), L.copy()
    np.fill_diagonal(K, 0.0)
    np.fill_diagonal(L, 0.0)
    k1, l1 = K.sum(1), L.sum(1)
    return (
        float(np.sum(K * L)) + k1.sum() * l1.sum() / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * float(k1 @ l1)
    ) / (n * (n - 3))


def _sq_dists(X: np.ndarray) -> np.ndarray:
    sq = np.einsum("ij,ij->i", X, X)
    D = sq[:, None] + sq[None, :] - 2.0 * (X @ X.T)
    np.maximum(D, 0.0, out=D)
    np.fill_diagonal(D, 0.0)
    return D


def _rbf_bandwidth(X: np.ndarray, D: np.ndarray | None, sigma: float | None, rng) -> float:
    """σ = ``sigma`` × median pairwise distance (Kornblith et al. use a fraction of the median)."""
    frac = 1.0 if sigma is None else float(sigma)
    if D is None:  # median over at most 1,000 rows (~500,000 pairs; the Nyström path never forms D)
        idx = rng.choice(X.shape[0], size=min(X.shape[0], 1000), replace=False)
        D = _sq_dists(X[idx])
    iu = np.triu_indices(D.shape[0], 1)
    med = float(np.sqrt(np.median(D[iu]))) if iu[0].size else 0.0
    return frac * med


def rbf_cka(
    x, y, *, sigma: float | None = None, debiased: bool = False, n_landmarks: int | None = None, seed: int = 0
) -> float:
    """CKA with Gaussian kernels k(a, b) = exp(−‖a − b‖² / (2σ²)) (Kornblith et al. 2019).

    σ is ``sigma`` (default 1) times the median pairwise distance of each representation. The exact
    version forms two n × n Gram matrices (O(n²(p + q)) time, O(n²) memory). ``n_landmarks=m`` uses
    the Nyström approximation K ≈ K_nm K_mm⁻¹ K_mn with m landmark rows drawn at random (Williams &
    Seeger 2001): features Φ = K_nm K_mm^{-1/2} with K ≈ ΦΦᵀ, and the linear CKA of the features,
    O(nm(p + q) + nm²). The spectra of these kernels fall fast, so a few hundred landmarks suffice
    (m = 256 gave 0.9745 against the exact 0.9711 on the benchmark's activations at n = 2,000; random Fourier features
    were tried first and rejected: their independent Monte-Carlo noise biased CKA down by 0.04 at
    1,024 features and n = 2,000). Zero-variance inputs give 0.
    """
    X, Y = _pair(x, y)
    if _no_variance(X) or _no_variance(Y):
        return 0.0
    rng = np.random.default_rng(seed)
    if n_landmarks is None:
        Dx, Dy = _sq_dists(X), _sq_dists(Y)
        sx, sy = _rbf_bandwidth(X, Dx, sigma, rng), _rbf_bandwidth(Y, Dy, sigma, rng)
        if sx <= 0.0 or sy <= 0.0:
            return 0.0
        K, L = np.exp(-Dx / (2 * sx**2)), np.exp(-Dy / (2 * sy**2))
        hxy, hxx, hyy = (_hsic_gram(a, b, debiased) for a, b in ((K, L), (K, K), (L, L)))
        if hxx <= 0.0 or hyy <= 0.0:
            return 0.0
        return _safe_ratio(hxy, math.sqrt(hxx * hyy))
    m = int(n_landmarks)
    if m < 2:
        raise ValidationError(f"n_landmarks must be at least 2; got {n_landmarks}")
    idx = rng.choice(X.shape[0], size=min(m, X.shape[0]), replace=False)

    def nystrom(A: np.ndarray) -> np.ndarray | None:
        s = _rbf_bandwidth(A, None, sigma, rng)
        if s <= 0.0:
            return None
        Lm = A[idx]
        sq_a, sq_l = np.einsum("ij,ij->i", A, A), np.einsum("ij,ij->i", Lm, Lm)
        Knm = np.exp(-np.maximum(sq_a[:, None] + sq_l[None, :] - 2.0 * (A @ Lm.T), 0.0) / (2 * s**2))
        w, V = np.linalg.eigh(Knm[idx])
        keep = w > 1e-8 * w.max()
        return Knm @ (V[:, keep] / np.sqrt(w[keep]))

    Zx, Zy = nystrom(X), nystrom(Y)
    if Zx is None or Zy is None:
        return 0.0
    return _cka_features(Zx, Zy, debiased)


def kernel_alignment(k1, k2, *, centered: bool = True) -> float:
    """Alignment of two Gram matrices: ⟨K₁, K₂⟩_F / (‖K₁‖_F ‖K₂‖_F) (Cristianini et al. 2002).

    ``centered=True`` (default) first centres both kernels, K ↦ HKH with H = I − 11ᵀ/n (Cortes, Mohri &
    Rostamizadeh 2012); with linear kernels this equals linear CKA. A zero kernel gives 0.
    """
    K1 = check_array(k1, "k1", ndim=2)
    K2 = check_array(k2, "k2", ndim=2)
    if K1.shape != K2.shape or K1.shape[0] != K1.shape[1]:
        raise ValidationError(f"k1 and k2 must be square Gram matrices of one shape; got {K1.shape} and {K2.shape}")
    if centered:
        K1, K2 = _center_gram(K1), _center_gram(K2)
    return _safe_ratio(float(np.sum(K1 * K2)), float(np.linalg.norm(K1) * np.linalg.norm(K2)))


# --- RDM / RSA -------------------------------------------------------------------------------------
def condition_means(x, conditions) -> tuple[np.ndarray, np.ndarray]:
    """Mean activation per condition: returns (labels sorted, means of shape (n_conditions, n_units))."""
    X = _features(x, "X")
    c = np.asarray(conditions)
    if c.shape != (X.shape[0],):
        raise ValidationError(f"conditions must give one label per row of X ({X.shape[0]}); got shape {c.shape}")
    labels, inv = np.unique(c, return_inverse=True)
    sums = np.zeros((labels.size, X.shape[1]))
    np.add.at(sums, inv, X)
    return labels, sums / np.bincount(inv)[:, None]


def rdm(x, conditions=None, *, metric: str = "correlation") -> np.ndarray:
    """Representational dissimilarity matrix (Kriegeskorte, Mur & Bandettini 2008).

    Rows of ``x`` (or their means per condition, if ``conditions`` is given) are compared pairwise:
    ``"correlation"``: 1 − Pearson r of the two activity patterns (a constant pattern has r = 0);
    ``"euclidean"``: ‖a − b‖; ``"sqeuclidean"``: ‖a − b‖². Returns a symmetric (m, m) matrix, zero diagonal.
    """
    X = _features(x, "X")
    if conditions is not None:
        X = condition_means(X, conditions)[1]
    if metric == "correlation":
        Z = X - X.mean(1, keepdims=True)
        nrm = np.linalg.norm(Z, axis=1)
        Z = np.divide(Z, nrm[:, None], out=np.zeros_like(Z), where=nrm[:, None] > 0)
        D = 1.0 - Z @ Z.T
    elif metric in ("euclidean", "sqeuclidean"):
        D = _sq_dists(X)
        if metric == "euclidean":
            D = np.sqrt(D)
    else:
        raise ValidationError(f"unknown RDM metric {metric!r}; use 'correlation', 'euclidean' or 'sqeuclidean'")
    D = 0.5 * (D + D.T)
    np.fill_diagonal(D, 0.0)
    return D


def _rank(a: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank."""
    ranks = np.empty(a.size)
    ranks[np.argsort(a, kind="stable")] = np.arange(1, a.size + 1)
    _, inv, counts = np.unique(a, return_inverse=True, return_counts=True)
    return (np.bincount(inv, weights=ranks) / counts)[inv]


def rsa(rdm1, rdm2, *, method: str = "spearman") -> float:
    """Representational similarity: the correlation of the upper triangles of two RDMs
    (Kriegeskorte et al. 2008); ``"spearman"`` (rank, default) or ``"pearson"``. A constant RDM gives 0."""
    A, B = check_array(rdm1, "rdm1", ndim=2), check_array(rdm2, "rdm2", ndim=2)
    if A.shape != B.shape or A.shape[0] != A.shape[1] or A.shape[0] < 3:
        raise ValidationError(f"rdm1 and rdm2 must be square, of one shape, with >= 3 conditions; got {A.shape}, {B.shape}")
    iu = np.triu_indices(A.shape[0], 1)
    a, b = A[iu], B[iu]
    if method == "spearman":
        a, b = _rank(a), _rank(b)
    elif method != "pearson":
        raise ValidationError(f"unknown RSA method {method!r}; use 'spearman' or 'pearson'")
    a, b = a - a.mean(), b - b.mean()
    return _safe_ratio(float(a @ b), float(np.linalg.norm(a) * np.linalg.norm(b)))


# --- abstraction: PS, CCGP, SD (Bernardi et al. 2020) ----------------------------------------------
def _dichotomy_sides(labels: np.ndarray, dichotomy) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays (into ``labels``) of the two sides of a balanced dichotomy of the conditions."""
    side = [lab for lab in np.atleast_1d(np.asarray(dichotomy)).tolist()]
    lab_list = labels.tolist()
    missing = [s for s in side if s not in lab_list]
    if missing:
        raise ValidationError(f"dichotomy names condition(s) {missing} absent from the data; conditions are {lab_list}")
    a = np.array(sorted(lab_list.index(s) for s in set(side)))
    b = np.array([i for i in range(labels.size) if i not in set(a.tolist())])
    if a.size != b.size:
        raise ValidationError(
            f"a dichotomy must split the {labels.size} conditions in two halves; got {a.size} vs {b.size} "
            "(pass the conditions of one side, half of all)"
        )
    return a, b


def parallelism_score(x, conditions, dichotomy) -> float:
    """Parallelism score of a dichotomy (Bernardi et al. 2020).

    The conditions are split into two equal sides A and B (``dichotomy`` lists the labels of side A).
    For a one-to-one pairing π of A with B, each pair gives a coding vector v_a = μ_{π(a)} − μ_a between
    condition means; PS(π) is the mean cosine similarity over all pairs of coding vectors. The parallelism
    score is the maximum of PS(π) over all |A|! pairings. It is 1 when the variable is encoded along one
    direction whatever the other variables are (a factorised, "disentangled" code). Zero-length coding
    vectors count as cosine 0. Exhaustive over pairings: sides of at most 8 conditions.
    """
    labels, M = condition_means(x, conditions)
    a, b = _dichotomy_sides(labels, dichotomy)
    m = a.size
    if m < 2:
        raise ValidationError("the parallelism score needs at least 2 conditions per side (4 in all)")
    if m > 8:
        raise ValidationError(f"parallelism score: {m}! pairings is too many to search; use at most 16 conditions")
    iu = np.triu_indices(m, 1)
    best = -np.inf
    for perm in itertools.permutations(range(m)):
        V = M[b[list(perm)]] - M[a]
        nrm = np.linalg.norm(V, axis=1)
        U = np.divide(V, nrm[:, None], out=np.zeros_like(V), where=nrm[:, None] > 0)
        best = max(best, float((U @ U.T)[iu].mean()))
    return best


def _ridge_fit(G: np.ndarray, r: np.ndarray, reg: float) -> np.ndarray:
    """Solve (G + λ·tr(G)/p·I) w = r on the augmented (features + bias) normal equations; bias unpenalised."""
    p = G.shape[0]
    lam = reg * max(np.trace(G[:-1, :-1]) / max(p - 1, 1), 1e-12)
    A = G.copy()
    A[np.arange(p - 1), np.arange(p - 1)] += lam
    try:
        return np.linalg.solve(A, r)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(A, r, rcond=None)[0]


def _cond_stats(X: np.ndarray, inv: np.ndarray, n_cond: int):
    """Per-condition sufficient statistics of the augmented features [X, 1]: Gram and column sums."""
    Xa = np.hstack([X, np.ones((X.shape[0], 1))])
    grams = np.stack([Xa[inv == c].T @ Xa[inv == c] for c in range(n_cond)])
    sums = np.stack([Xa[inv == c].sum(0) for c in range(n_cond)])
    return Xa, grams, sums


def ccgp(x, conditions, dichotomy, *, n_held_out: int = 1, reg: float = 1e-3, max_splits: int | None = None) -> float:
    """Cross-condition generalisation performance of a dichotomy (Bernardi et al. 2020).

    A linear classifier of side A vs side B is trained on the samples of all conditions except
    ``n_held_out`` conditions of each side, and tested on the samples of the held-out conditions: it must
    generalise to conditions it never saw. CCGP is the test accuracy averaged over every choice of held-out
    conditions (C(m, k)² splits for m conditions per side; ``max_splits`` keeps the first ones of that
    enumeration). The classifier is ridge regression on ±1 labels with an unpenalised bias,
    w = (XᵀX + λI)⁻¹Xᵀy, λ = ``reg`` × mean eigenvalue of XᵀX (Bernardi et al. used a linear SVM); it is
    built from per-condition sufficient statistics, so each split costs one p × p solve.
    Chance is 0.5; an abstract (parallel, well-separated) variable gives 1.
    """
    X = _features(x, "X")
    labels, inv = np.unique(np.asarray(conditions), return_inverse=True)
    if np.asarray(conditions).shape != (X.shape[0],):
        raise ValidationError(f"conditions must give one label per row of X ({X.shape[0]})")
    a, b = _dichotomy_sides(labels, dichotomy)
    k = int(n_held_out)
    if not 1 <= k < a.size:
        raise ValidationError(f"n_held_out must be between 1 and {a.size - 1} for {a.size} conditions per side; got {k}")
    Xa, grams, sums = _cond_stats(X, inv, labels.size)
    y_cond = np.zeros(labels.size)
    y_cond[a], y_cond[b] = -1.0, 1.0
    G_all = grams.sum(0)
    r_all = (sums * y_cond[:, None]).sum(0)
    accs = []
    splits = itertools.product(itertools.combinations(a.tolist(), k), itertools.combinations(b.tolist(), k))
    for n_split, (ha, hb) in enumerate(splits):
        if max_splits is not None and n_split >= max_splits:
            break
        held = list(ha) + list(hb)
        G = G_all - grams[held].sum(0)
        r = r_all - (sums[held] * y_cond[held, None]).sum(0)
        w = _ridge_fit(G, r, reg)
        mask = np.isin(inv, held)
        pred = np.sign(Xa[mask] @ w)
        accs.append(float(np.mean(pred == y_cond[inv[mask]])))
    return float(np.mean(accs))


def _balanced_dichotomies(n_cond: int) -> list[tuple[int, ...]]:
    """Every split of n conditions in two halves, each counted once (the side holding condition 0)."""
    return [(0, *rest) for rest in itertools.combinations(range(1, n_cond), n_cond // 2 - 1)]


def shattering_dimensionality(
    x, conditions, *, test_fraction: float = 0.5, reg: float = 1e-3, seed: int = 0, max_dichotomies: int = 2000
) -> float:
    """Shattering dimensionality (Rigotti et al. 2013; Bernardi et al. 2020).

    The mean cross-validated accuracy of linear classifiers over *all* balanced dichotomies of the
    conditions (C(n, n/2)/2 of them: 35 for 8 conditions). Samples of each condition are split at random
    into train and test (``test_fraction``); one ridge classifier per dichotomy (as in :func:`ccgp`),
    all solved together. 1 means every dichotomy is linearly decodable (high-dimensional geometry);
    a low-dimensional (e.g. factorised) code decodes only some of them. Needs >= 2 samples per condition.
    """
    X = _features(x, "X")
    c = np.asarray(conditions)
    if c.shape != (X.shape[0],):
        raise ValidationError(f"conditions must give one label per row of X ({X.shape[0]})")
    labels, inv = np.unique(c, return_inverse=True)
    n_cond = labels.size
    if n_cond < 2 or n_cond % 2:
        raise ValidationError(f"shattering dimensionality needs an even number (>= 2) of conditions; got {n_cond}")
    dich = _balanced_dichotomies(n_cond)
    if len(dich) > max_dichotomies:
        raise ValidationError(
            f"{len(dich)} balanced dichotomies of {n_cond} conditions exceed max_dichotomies={max_dichotomies}; "
            "raise it or use fewer conditions"
        )
    rng = np.random.default_rng(seed)
    test = np.zeros(X.shape[0], bool)
    for cond in range(n_cond):
        idx = np.flatnonzero(inv == cond)
        if idx.size < 2:
            raise ValidationError(f"condition {labels[cond]!r} has {idx.size} sample(s); each needs >= 2 to split")
        n_test = min(max(1, int(round(test_fraction * idx.size))), idx.size - 1)
        test[rng.choice(idx, n_test, replace=False)] = True
    Ycond = -np.ones((n_cond, len(dich)))
    for j, side in enumerate(dich):
        Ycond[list(side), j] = 1.0
    Xa = np.hstack([X, np.ones((X.shape[0], 1))])
    Xtr = Xa[~test]
    W = _ridge_fit(Xtr.T @ Xtr, Xtr.T @ Ycond[inv[~test]], reg)
    pred = np.sign(Xa[test] @ W)
    return float(np.mean(pred == Ycond[inv[test]]))


# --- dimensionality --------------------------------------------------------------------------------
def _cov_eigs(X: np.ndarray) -> np.ndarray:
    Xc = X - X.mean(0)
    if X.shape[0] < X.shape[1]:
        ev = np.linalg.eigvalsh(Xc @ Xc.T)
    else:
        ev = np.linalg.eigvalsh(Xc.T @ Xc)
    return np.clip(ev, 0.0, None) / max(X.shape[0] - 1, 1)


def participation_ratio(x) -> float:
    """Participation ratio PR = (Σᵢ λᵢ)² / Σᵢ λᵢ² of the covariance eigenvalues λ (Gao et al. 2017):
    between 1 (one direction carries all variance) and the number of units (isotropic). 0 for no variance."""
    ev = _cov_eigs(_features(x, "X"))
    return _safe_ratio(float(ev.sum()) ** 2, float(np.sum(ev**2)))


def effective_rank(x, *, center: bool = False, eps: float = 1e-7) -> float:
    """Effective rank (Roy & Vetterli 2007), RankMe of Garrido et al. (2023, ICML):
    exp(−Σₖ pₖ log pₖ) with pₖ = σₖ / ‖σ‖₁ + ε over the singular values σ of the embedding matrix
    (uncentred, as in RankMe; ``center=True`` for the covariance version). 1 for rank one; up to
    min(n, p) for a flat spectrum; 0 for an all-zero matrix."""
    X = _features(x, "X")
    if center:
        X = X - X.mean(0)
    G = X.T @ X if X.shape[0] >= X.shape[1] else X @ X.T
    s = np.sqrt(np.clip(np.linalg.eigvalsh(G), 0.0, None))
    total = float(s.sum())
    if total <= 0.0:
        return 0.0
    p = s / total + eps
    return float(np.exp(-np.sum(p * np.log(p))))


# --- weight trajectories ---------------------------------------------------------------------------
def coding_axis(x, conditions, dichotomy) -> np.ndarray:
    """Unit vector from the mean of side A's conditions to the mean of side B's (in input space when ``x``
    are inputs): the "inter-class" task axis of Alleman et al. (2024) for a dichotomy."""
    labels, M = condition_means(x, conditions)
    a, b = _dichotomy_sides(labels, dichotomy)
    v = M[b].mean(0) - M[a].mean(0)
    n = float(np.linalg.norm(v))
    if n == 0.0:
        raise ValidationError("the two sides of the dichotomy have the same mean: the coding axis is undefined")
    return v / n


def project_on_axes(weights, axes: Sequence | np.ndarray, *, orthonormalize: bool = False) -> np.ndarray:
    """Coordinates of weight vectors along task axes: ``weights`` (..., d) (e.g. (steps, units, d), the
    input weights of every hidden unit over training), ``axes`` (k, d) → (..., k), each axis normalised to
    unit length first (Gram–Schmidt if ``orthonormalize``)."""
    W = check_array(weights, "weights")
    A = check_array(axes, "axes", ndim=(1, 2))
    A = A[None, :] if A.ndim == 1 else A
    if W.shape[-1] != A.shape[1]:
        raise ValidationError(f"weights end in dimension {W.shape[-1]} but axes have dimension {A.shape[1]}")
    if orthonormalize:
        A = np.linalg.qr(A.T)[0].T * np.sign(np.diag(np.linalg.qr(A.T)[1]))[:, None]
    nrm = np.linalg.norm(A, axis=1)
    if np.any(nrm == 0):
        raise ValidationError("an axis has zero length; every task axis must be a nonzero vector")
    return W @ (A / nrm[:, None]).T
