"""Spectral tools for matrices that change during training (weights, predictors, correlations, kernels).

:func:`eigen_spectra` tracks eigenvalues over checkpoints; :func:`eigenvector_alignment` compares the
eigenbases of two symmetric matrices (e.g. a BYOL predictor and the correlation of its inputs, Tian,
Chen & Ganguli 2021); :func:`asymmetry` measures how far a square matrix is from symmetric;
:func:`principal_angles` compares two subspaces (Björck & Golub 1973).
"""

from __future__ import annotations

import numpy as np

from dynlearn._validation import check_array
from dynlearn.errors import ValidationError

__all__ = ["asymmetry", "eigen_spectra", "eigenvector_alignment", "principal_angles"]


def _square(m, name: str, *, batched: bool = False) -> np.ndarray:
    A = check_array(m, name, ndim=3 if batched else 2)
    if A.shape[-1] != A.shape[-2]:
        raise ValidationError(f"{name} must be square (..., d, d); got shape {A.shape}")
    return A


def eigen_spectra(matrices, *, symmetric: bool = True) -> np.ndarray:
    """Eigenvalues of each matrix of a sequence (steps, d, d), sorted in decreasing order per step.

    ``symmetric=True``: the symmetric part (A + Aᵀ)/2 is diagonalised (real eigenvalues, ``eigvalsh``);
    ``symmetric=False``: complex eigenvalues of A, sorted by decreasing real part. Returns (steps, d).
    """
    A = _square(matrices, "matrices", batched=True)
    if symmetric:
        return np.linalg.eigvalsh(0.5 * (A + np.swapaxes(A, -1, -2)))[:, ::-1]
    ev = np.linalg.eigvals(A)
    order = np.argsort(-ev.real, axis=1, kind="stable")
    return np.take_along_axis(ev, order, axis=1)


def _eigh_desc(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    w, V = np.linalg.eigh(0.5 * (A + A.T))
    return w[::-1], V[:, ::-1]


def eigenvector_alignment(a, b, *, k: int | None = None) -> np.ndarray:
    """|cos| between the eigenvectors of two symmetric matrices, both sorted by decreasing eigenvalue.

    Returns C (k, k) with Cᵢⱼ = |uᵢ · vⱼ|, uᵢ the i-th eigenvector of (A + Aᵀ)/2 and vⱼ the j-th of
    (B + Bᵀ)/2. Two matrices that share an eigenbasis in the same eigenvalue order give the identity
    (up to degenerate eigenvalues, whose eigenvectors are not unique); ``np.diag(C)`` is the per-mode
    alignment Tian et al. (2021) track between a linear predictor W_p and the correlation F of its inputs.
    """
    A, B = _square(a, "a"), _square(b, "b")
    if A.shape != B.shape:
        raise ValidationError(f"a and b must have one shape; got {A.shape} and {B.shape}")
    d = A.shape[0]
    k = d if k is None else int(k)
    if not 1 <= k <= d:
        raise ValidationError(f"k must be between 1 and {d}; got {k}")
    U, V = _eigh_desc(A)[1][:, :k], _eigh_desc(B)[1][:, :k]
    return np.abs(U.T @ V)


def asymmetry(m) -> float:
    """‖A − Aᵀ‖_F / (2‖A‖_F) = ‖antisymmetric part‖_F / ‖A‖_F: 0 for symmetric, 1 for antisymmetric
    matrices (and 0 for the zero matrix)."""
    A = _square(m, "m")
    n = float(np.linalg.norm(A))
    return 0.0 if n == 0.0 else float(np.linalg.norm(A - A.T)) / (2.0 * n)


def _orth(M: np.ndarray, name: str) -> np.ndarray:
    U, s, _ = np.linalg.svd(M, full_matrices=False)
    r = int(np.sum(s > s.max(initial=0.0) * max(M.shape) * np.finfo(float).eps)) if s.size else 0
    if r == 0:
        raise ValidationError(f"{name} spans no subspace (all columns are zero)")
    return U[:, :r]


def principal_angles(a, b) -> np.ndarray:
    """Principal angles (radians, increasing) between the column spaces of A (d, p) and B (d, q)
    (Björck & Golub 1973): with orthonormal bases Qa, Qb, cos θᵢ are the singular values of QaᵀQb.
    Returns min(rank A, rank B) angles in [0, π/2]; the angles are clipped to stay finite when two
    directions coincide to rounding error."""
    A, B = check_array(a, "a", ndim=2), check_array(b, "b", ndim=2)
    if A.shape[0] != B.shape[0]:
        raise ValidationError(f"a and b must live in one space (same number of rows); got {A.shape[0]} and {B.shape[0]}")
    s = np.linalg.svd(_orth(A, "a").T @ _orth(B, "b"), compute_uv=False)
    return np.sort(np.arccos(np.clip(s, 0.0, 1.0)))
