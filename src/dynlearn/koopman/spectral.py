"""DMD, EDMD, kernel EDMD and ResDMD: Koopman spectra from snapshot pairs, with residuals.

Snapshots are rows: ``X`` and ``Y`` are ``(M, d)`` with ``Y[m] = F(X[m])`` one sampling
step later (dynlearn's ``(time, dim)`` convention; PyDMD's snapshot matrix is ``X.T``).

**Exact DMD** (Schmid 2010; Tu et al. 2014). With the snapshot matrices X, Y (d × M),
the thin SVD X = UΣV* truncated to rank r, Ã = U*YVΣ⁻¹ (r × r), Ã W = W Λ; the DMD
eigenvalues are Λ and the exact modes Φ = YVΣ⁻¹W. The SVD is taken through the r × r
(or M × M) Gram matrix XX* when that is accurate (kept singular values above 10⁻⁶ of the
largest), which is several times faster than an SVD of the tall matrix.

**EDMD** (Williams, Kevrekidis & Rowley 2015). With a dictionary ψ_1..ψ_N and the
matrices Ψ_X[m, j] = ψ_j(x_m), Ψ_Y[m, j] = ψ_j(y_m) and quadrature weights w_m (1/M),

    G = Ψ_X* W Ψ_X,   A = Ψ_X* W Ψ_Y,   L = Ψ_Y* W Ψ_Y,

K = G⁺A is the Galerkin projection of the Koopman operator 𝒦g = g∘F onto span{ψ_j} in
L²(μ); its eigenpairs K v = λ v give candidate eigenfunctions φ = Ψ v.

**ResDMD** (Colbrook & Townsend 2024; Colbrook, Mezić & Stepanenko, *Limits and powers
of Koopman learning*). The relative residual of a candidate pair,

    res(λ, v)² = v*(L − λA* − λ̄A + |λ|²G) v / (v*Gv)  ≈  ‖𝒦φ − λφ‖² / ‖φ‖²,

uses L, the one matrix EDMD ignores. It converges (M → ∞) to the true residual, so a pair
with res ≤ ε is an ε-approximate eigenpair of 𝒦 (for a normal 𝒦: dist(λ, Sp 𝒦) ≤ ε);
ResDMD discards candidates above a tolerance. The same quadratic form minimised over the
span, τ_N(z) = min_g ‖(𝒦 − z)g‖/‖g‖, is computed on a grid of z: its sublevel sets
{τ_N < ε} converge from inside to the ε-pseudospectrum of 𝒦 as N grows.

Computation: G is eigendecomposed, G = U S U*, and the problem is written in the
orthonormal basis B = U S^{-1/2} (directions with S below ``rcond``·max S dropped, with a
warning naming G's condition number), where G̃ = I, Ã = B*AB and L̃ = B*LB. Then the EDMD
eigenpairs are those of Ã, residuals are quadratic forms with unit vectors, and τ_N(z)² is
the smallest eigenvalue of the Hermitian matrix L̃ − zÃ* − z̄Ã + |z|²I.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np

from dynlearn.errors import ValidationError


class IllConditionedWarning(UserWarning):
    """EDMD's Gram matrix was ill-conditioned and was regularised by spectral truncation."""


def _snapshots(X, Y, name: str = "snapshots") -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(X)
    if x.dtype.kind not in "fciu":
        raise ValidationError(f"{name} must be a numeric array (M, d), got dtype {x.dtype}")
    x = x.astype(np.complex128 if np.iscomplexobj(x) else np.float64, copy=False)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValidationError(f"{name} must have shape (M, d) (one snapshot per row); got {x.shape}")
    if Y is None:
        if len(x) < 2:
            raise ValidationError(f"{name} need at least 2 rows to form a snapshot pair; got {len(x)}")
        x, y = x[:-1], x[1:]
    else:
        y = np.asarray(Y)
        y = y.astype(np.complex128 if np.iscomplexobj(y) else np.float64, copy=False)
        if y.ndim == 1:
            y = y[:, None]
        if y.shape != x.shape:
            raise ValidationError(f"X and Y must have the same shape (M, d); got {x.shape} and {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValidationError(f"{name} hold non-finite values (NaN or inf); drop or repair those rows first")
    return x, y


# --- DMD ------------------------------------------------------------------------------------------
@dataclasses.dataclass
class DMDResult:
    """Exact DMD of snapshot pairs: ``eigenvalues`` (r,), ``modes`` Φ (d, r), ``amplitudes`` b = Φ⁺x_0,
    ``singular_values`` of X (all of them), the ``rank`` r kept, and the reduced operator Ã (r, r)."""

    eigenvalues: np.ndarray
    modes: np.ndarray
    amplitudes: np.ndarray
    singular_values: np.ndarray
    rank: int
    reduced_operator: np.ndarray
    basis: np.ndarray  # U_r (d, r)
    lift: np.ndarray  # YVΣ⁻¹ (d, r)
    real: bool

    def continuous_eigenvalues(self, dt: float) -> np.ndarray:
        """ω = log(λ)/Δt, the eigenvalues of the generator of the fitted linear flow."""
        return np.log(self.eigenvalues.astype(np.complex128)) / dt

    def forecast(self, x0, steps: int) -> np.ndarray:
        """x_h = A_r^h x_0, h = 1..steps, with A_r = YVΣ⁻¹U* the rank-r DMD operator.

        ``x0`` ``(d,)`` or ``(batch, d)``; returns ``(steps, d)`` or ``(batch, steps, d)``; real for real data."""
        x = np.asarray(x0)
        if self.real and np.iscomplexobj(x):
            raise ValidationError(
                "this DMD was fitted on real snapshots, so its forecasts are real; got a complex x0: "
                "pass x0.real, or fit on complex snapshots to forecast complex states"
            )
        single = x.ndim == 1
        x = np.atleast_2d(x)
        a = x @ self.basis.conj()  # U* x, as rows
        out = np.empty((len(x), steps, self.lift.shape[0]), dtype=np.result_type(a, self.lift))
        At = self.reduced_operator.T
        for h in range(steps):
            out[:, h] = a @ self.lift.T
            a = a @ At
        if self.real:
            out = out.real
        return out[0] if single else out


def dmd(X, Y=None, *, rank: int | None = None, rcond: float = 1e-10, method: str = "auto") -> DMDResult:
    """Exact DMD of the pairs (X[m], Y[m]) (or of consecutive rows of X when ``Y`` is None).

    ``rank``: modes kept (default: every singular value above ``rcond`` × the largest).
    ``method``: ``"svd"`` (thin SVD of X), ``"gram"`` (eigendecomposition of the smaller Gram
    matrix XX* or X*X) or ``"auto"`` (the Gram route unless it would lose accuracy)."""
    x, y = _snapshots(X, Y)
    if method not in ("auto", "svd", "gram"):
        raise ValidationError(f"method must be 'auto', 'svd' or 'gram', got {method!r}")
    if rank is not None and (isinstance(rank, bool) or int(rank) != rank or rank < 1):
        raise ValidationError(f"rank must be a whole number >= 1 or None, got {rank!r}")
    real = not (np.iscomplexobj(x) or np.iscomplexobj(y))
    xs, ys = x.T, y.T  # (d, M) snapshot matrices
    d, m = xs.shape
    parts = None
    if method in ("auto", "gram"):
        parts = _dmd_gram(xs, ys, rank, rcond, strict=method == "auto")
    if parts is None:
        U, s, Vh = np.linalg.svd(xs, full_matrices=False)
        r = _rank(s, rank, rcond)
        lift = (ys @ Vh[:r].conj().T) / s[:r]
        parts = (U[:, :r], s, lift, r)
    U, s, lift, r = parts
    At = U.conj().T @ lift
    lam, W = np.linalg.eig(At)
    modes = lift @ W
    b = np.linalg.lstsq(modes, xs[:, 0], rcond=None)[0]
    return DMDResult(lam, modes, b, s, r, At, U, lift, real)


def _rank(s: np.ndarray, rank, rcond: float) -> int:
    tol_rank = int(np.sum(s > rcond * s[0])) if s[0] > 0 else 0
    if tol_rank == 0:
        raise ValidationError("the snapshot matrix X is zero; DMD needs non-zero snapshots")
    return min(int(rank), len(s)) if rank is not None else tol_rank


def _dmd_gram(xs, ys, rank, rcond, strict):
    """The SVD of X through its smaller Gram matrix; singular values below 1e-7 of the largest are not resolved."""
    d, m = xs.shape
    xh = xs.conj().T if np.iscomplexobj(xs) else xs.T  # a transposed view lets numpy use a symmetric product
    if d <= m:
        lam, U = np.linalg.eigh(xs @ xh)
        lam, U = lam[::-1], U[:, ::-1]
    else:
        lam, V = np.linalg.eigh(xh @ xs)
        lam, V = lam[::-1], V[:, ::-1]
    s = np.sqrt(np.maximum(lam, 0.0))
    r = _rank(s, rank, max(rcond, 1e-7))
    if strict and s[r - 1] < 1e-6 * s[0]:
        return None  # the squared singular values would lose too many digits: use the SVD
    if d <= m:
        U = U[:, :r]
        lift = (ys @ xh) @ U / s[:r] ** 2  # YVΣ⁻¹ with V = X*UΣ⁻¹
    else:
        V = V[:, :r]
        U = (xs @ V) / s[:r]
        lift = (ys @ V) / s[:r]
    return U, s, lift, r


# --- EDMD and ResDMD ------------------------------------------------------------------------------
@dataclasses.dataclass
class KoopmanEstimate:
    """EDMD eigenpairs with ResDMD residuals, and what pseudospectra need.

    ``eigenvalues`` (n,); ``eigenvectors`` (N, n), coefficients of φ_j = Ψ v_j in the dictionary,
    normalised so ‖φ_j‖_{L²(μ_M)} = 1; ``residuals`` (n,), res(λ_j, v_j) above;
    ``condition_number`` of G; ``n_dropped`` directions of G removed by the regularisation.
    In the orthonormal basis B (Ψ_X B orthonormal in L²(μ_M)), ``A_tilde`` = B*AB and
    ``E`` = B*LB − Ã*Ã ⪰ 0, the part of 𝒦 leaving the span, so that for unit w
    ‖(𝒦 − z)Ψ_X B w‖² = ‖(Ã − z)w‖² + w*Ew.
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    residuals: np.ndarray
    condition_number: float
    n_dropped: int
    basis: np.ndarray  # B (N, r)
    A_tilde: np.ndarray  # B*AB (r, r)
    E: np.ndarray  # B*LB − Ã*Ã (r, r)
    C: np.ndarray  # B*A (r, N): Ψ_Y projected on the orthonormal basis Ψ_X B

    @property
    def koopman_matrix(self) -> np.ndarray:
        """K = G⁺A (N × N, G⁺ the regularised pseudo-inverse): Ψ_Y ≈ Ψ_X K."""
        return self.basis @ self.C  # G⁺ = BB* on the kept directions

    def verified(self, tol: float) -> np.ndarray:
        """ResDMD: the mask of eigenpairs whose residual is at most ``tol`` (the others are spurious)."""
        return self.residuals <= tol

    def eigenfunctions(self, Psi, which=None) -> np.ndarray:
        """φ_j evaluated on dictionary rows ``Psi`` (n_points, N): ``Psi @ eigenvectors[:, which]``."""
        V = self.eigenvectors if which is None else self.eigenvectors[:, which]
        return np.asarray(Psi) @ V

    def _D(self, z: np.ndarray) -> np.ndarray:
        """(Ã − z)*(Ã − z) + E for each z: stacked (len(z), r, r)."""
        At = self.A_tilde
        idx = np.arange(len(At))
        T = np.broadcast_to(At, (len(z), *At.shape)).astype(np.complex128)
        T[:, idx, idx] -= z[:, None]
        return np.conj(np.swapaxes(T, 1, 2)) @ T + self.E[None]

    def pseudospectrum(self, z, *, chunk_bytes: float = 6e7) -> np.ndarray:
        """τ_N(z) = min over g in the span of ‖(𝒦 − z)g‖/‖g‖ at each point of ``z`` (any shape).

        The smallest eigenvalue of (Ã − z)*(Ã − z) + E, square-rooted; {z: τ_N(z) < ε} is the
        computed ε-pseudospectrum (contained in the true one up to quadrature error)."""
        z = np.asarray(z, dtype=np.complex128)
        flat = z.ravel()
        r = len(self.A_tilde)
        step = max(1, int(chunk_bytes // (48 * r * r)))
        out = np.empty(flat.shape)
        for i in range(0, len(flat), step):
            ev = np.linalg.eigvalsh(self._D(flat[i : i + step]))
            out[i : i + step] = np.sqrt(np.maximum(ev[:, 0], 0.0))
        return out.reshape(z.shape)

    def pseudo_eigenfunction(self, z: complex) -> tuple[np.ndarray, float]:
        """(coefficients v (N,), τ_N(z)): the function in the span with the smallest residual
        ‖(𝒦 − z)φ‖/‖φ‖ at ``z`` (‖φ‖ = 1), an approximate eigenfunction when z is in the spectrum."""
        lam, W = np.linalg.eigh(self._D(np.array([z], dtype=np.complex128))[0])
        return self.basis @ W[:, 0], float(np.sqrt(max(lam[0], 0.0)))


def gram_matrices(PsiX, PsiY, weights=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(G, A, L) = (Ψ_X*WΨ_X, Ψ_X*WΨ_Y, Ψ_Y*WΨ_Y) with W = diag(weights) (default 1/M)."""
    px, py, sw = _weighted(PsiX, PsiY, weights)
    if sw is not None:
        px, py = px * sw[:, None], py * sw[:, None]
    # px.T @ px is recognised as a symmetric product (half the work); .conj() would copy
    hx, hy = (px.conj().T, py.conj().T) if np.iscomplexobj(px) or np.iscomplexobj(py) else (px.T, py.T)
    G, A, L = hx @ px, hx @ py, hy @ py
    if sw is None:
        c = 1.0 / len(px)
        G *= c
        A *= c
        L *= c
    return G, A, L


def _weighted(PsiX, PsiY, weights):
    px, py = _snapshots(PsiX, PsiY, "dictionary matrices")
    if px.shape[1] > px.shape[0]:
        raise ValidationError(
            f"the dictionary has {px.shape[1]} functions but there are only {px.shape[0]} snapshot pairs; "
            "EDMD needs at least as many pairs as functions: use a smaller dictionary or more data"
        )
    if weights is None:
        return px, py, None
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape != (len(px),) or np.any(w < 0) or not np.all(np.isfinite(w)):
        raise ValidationError(f"weights must be {len(px)} finite non-negative numbers, one per snapshot pair")
    return px, py, np.sqrt(w)


def edmd(
    PsiX, PsiY, *, weights=None, rank: int | None = None, rcond: float = 1e-12, method: str = "gram"
) -> KoopmanEstimate:
    """EDMD with ResDMD residuals from dictionary matrices Ψ_X, Ψ_Y ``(M, N)`` (rows: snapshot pairs).

    ``rank`` keeps the r leading directions of G (kernel EDMD's truncation); ``rcond`` drops the
    directions whose eigenvalue is below ``rcond`` × G's largest, warning with G's condition number
    (:class:`IllConditionedWarning`). A dictionary larger than the number of snapshot pairs is an error:
    its Gram matrix is singular by construction and the Galerkin projection is not defined.

    ``method="gram"`` forms G, A, L (fast: three products over the data); its residuals lose
    accuracy as cond(G) grows (rounding error ≈ 1e-16·cond(G) in res²). ``method="qr"`` takes a
    Householder QR of √W[Ψ_X Ψ_Y] = Q[[R₁₁, R₁₂], [0, R₂₂]] instead, so that
    ‖(𝒦 − z)g‖² = ‖(R₁₂ − zR₁₁)g‖² + ‖R₂₂g‖² is a sum of squares with no cancellation
    (about twice the work)."""
    if method == "gram":
        G, A, L = gram_matrices(PsiX, PsiY, weights)
        return edmd_from_gram(G, A, L, rank=rank, rcond=rcond)
    if method != "qr":
        raise ValidationError(f"method must be 'gram' or 'qr', got {method!r}")
    px, py, sw = _weighted(PsiX, PsiY, weights)
    c = np.sqrt(1.0 / len(px)) if sw is None else sw[:, None]
    n = px.shape[1]
    R = np.linalg.qr(np.concatenate([px, py], axis=1) * c, mode="r")
    R11, R12, R22 = R[:n, :n], R[:n, n:], R[n:, n:]
    U, sv, Vh = np.linalg.svd(R11)
    B, keep, cond = _whiten(sv**2, Vh.conj().T, rank, rcond, stacklevel=3)
    Uk = U[:, :keep]
    C = Uk.conj().T @ R12
    At = C @ B
    F = np.concatenate([R12 @ B - Uk @ At, R22 @ B])  # the part of 𝒦Ψ_X B outside the span
    return _estimate(At, F.conj().T @ F, B, C, cond, n - keep)


def _whiten(s: np.ndarray, U: np.ndarray, rank, rcond, stacklevel: int = 4):
    """B = U S^{-1/2} on the kept directions of a Gram matrix with eigenvalues ``s`` (descending)."""
    top = s[0]
    if not top > 0:
        raise ValidationError("the dictionary is zero on the data (G = 0); choose functions that do not vanish")
    cond = float(top / s[-1]) if s[-1] > 0 else float("inf")
    keep = int(np.sum(s > rcond * top))
    if keep < len(s):
        warnings.warn(
            f"EDMD's Gram matrix G is ill-conditioned (condition number {cond:.3g}); regularised by dropping "
            f"{len(s) - keep} of {len(s)} directions with eigenvalue below rcond={rcond:g} times the largest",
            IllConditionedWarning,
            stacklevel=stacklevel,  # the warning names the line that called edmd
        )
    r = keep if rank is None else min(int(rank), keep)
    return U[:, :r] / np.sqrt(s[:r]), r, cond


def edmd_from_gram(G, A, L, *, rank: int | None = None, rcond: float = 1e-12) -> KoopmanEstimate:
    """EDMD + ResDMD from the three Gram matrices (see :func:`edmd`)."""
    s, U = np.linalg.eigh(G)
    B, keep, cond = _whiten(s[::-1], U[:, ::-1], rank, rcond)
    Bh = B.conj().T
    C = Bh @ A
    At, Lt = C @ B, Bh @ L @ B
    E = Lt - At.conj().T @ At
    return _estimate(At, E, B, C, cond, len(s) - keep)


def _estimate(At, E, B, C, cond, dropped) -> KoopmanEstimate:
    E = 0.5 * (E + E.conj().T)
    lam, W = np.linalg.eig(At)
    W = W / np.linalg.norm(W, axis=0)
    # res_j² = ‖(Ã − λ_j)w_j‖² + w_j*Ew_j (‖w_j‖ = 1; the Gram matrix is I in this basis)
    q = np.linalg.norm(At @ W - W * lam, axis=0) ** 2 + np.einsum("ij,ij->j", W.conj(), E @ W).real
    res = np.sqrt(np.maximum(q, 0.0))
    return KoopmanEstimate(lam, B @ W, res, cond, dropped, B, At, E, C)


def kernel_edmd(X, Y, *, bandwidth: float, rank: int, max_snapshots: int = 20_000) -> np.ndarray:
    """Eigenvalues of exact kernel EDMD (Williams, Rowley & Kevrekidis 2015) with the Gaussian kernel
    k(x, z) = exp(−‖x − z‖²/(2σ²)): Ĝ_ij = k(x_i, x_j), Â_ij = k(y_i, x_j), Ĝ = QΣ²Qᵀ truncated to
    ``rank``, K̂ = Σ⁻¹QᵀÂQΣ⁻¹. It builds two M × M matrices, so M is capped at ``max_snapshots``;
    the low-rank form for large M is EDMD on :class:`~dynlearn.koopman.Nystrom` features."""
    from dynlearn.koopman.dictionaries import check_states, gaussian_kernel

    x, y = check_states(X, "X"), check_states(Y, "Y")
    if x.shape != y.shape:
        raise ValidationError(f"X and Y must have the same shape; got {x.shape} and {y.shape}")
    if len(x) > max_snapshots:
        raise ValidationError(
            f"exact kernel EDMD on {len(x)} snapshots needs two {len(x)}² matrices "
            f"({2 * 8 * len(x) ** 2 / 1e9:.1f} GB); use EDMD with a Nystrom dictionary, or raise max_snapshots"
        )
    Gh = gaussian_kernel(x, x, bandwidth)
    Ah = gaussian_kernel(y, x, bandwidth)
    s2, Q = np.linalg.eigh(Gh)
    s2, Q = s2[::-1][:rank], Q[:, ::-1][:, :rank]
    sig = np.sqrt(np.maximum(s2, 1e-300))
    Kh = (Q.T @ Ah @ Q) / sig[:, None] / sig[None, :]
    return np.linalg.eigvals(Kh)
