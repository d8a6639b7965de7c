"""Sparse regression for SINDy: find a sparse Ξ with Y ≈ Θ Ξᵀ.

Every optimiser takes the candidate matrix ``theta`` ``(n, p)`` and targets
``y`` ``(n, t)`` and returns ``Ξ`` ``(t, p)``.

* :func:`stlsq`: sequentially thresholded ridge regression (Brunton, Proctor &
  Kutz 2016, PNAS 113:3932). For each target, solve the ridge problem
  ``min ||y - Θ_S c||² + α||c||²`` on the active set S (initially every term),
  drop the terms with ``|c| < threshold``, repeat until S no longer changes;
  finally (``unbias``) refit the surviving terms by ordinary least squares.
  This is the same iteration as pysindy's ``STLSQ`` (α unscaled, as in
  ``sklearn.linear_model.ridge_regression``).
* :func:`sr3`: sparse relaxed regularised regression (Zheng, Askham, Brunton,
  Kutz & Aravkin 2019, IEEE Access 7:1404; Champion et al. 2020, IEEE Access
  8:169259). Minimises ``½||y - Θw||² + λ R(v) + (1/2ν)||w - v||²`` by
  alternating the exact w-update ``w = (ΘᵀΘ + I/ν)⁻¹ (Θᵀy + v/ν)`` with the
  proximal v-update: hard thresholding at ``sqrt(2λν)`` for ``R = ||·||₀``,
  soft thresholding at ``λν`` for ``R = ||·||₁``.
* :func:`ensemble`: bagging (bootstrap resamples of the rows) and library
  bagging (each model drops ``n_drop`` random terms), after Fasel, Kutz,
  Brunton & Brunton 2022 (Proc. R. Soc. A 478:20210904): the spread of the
  coefficients over the models is their uncertainty, the fraction of models
  keeping a term its inclusion probability.

Optimisers are registered by name in :data:`OPTIMIZERS` (the config's
``optimizer``) as ``fn(theta, y, config) -> Ξ``; users add their own with
``OPTIMIZERS.register(name, fn)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg

from dynlearn.registry import Registry

#: name -> ``fn(theta (n, p), y (n, t), config) -> Ξ (t, p)``
OPTIMIZERS: Registry[Callable[[np.ndarray, np.ndarray, Any], np.ndarray]] = Registry("sindy optimizer")


def _solve_spd(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return scipy.linalg.solve(A, b, assume_a="pos", check_finite=False)
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
        return np.linalg.lstsq(A, b, rcond=None)[0]


def _unbias(theta: np.ndarray, y: np.ndarray, coef: np.ndarray) -> np.ndarray:
    out = np.zeros_like(coef)
    for i in range(coef.shape[0]):
        s = coef[i] != 0
        if s.any():
            out[i, s] = np.linalg.lstsq(theta[:, s], y[:, i], rcond=None)[0]
    return out


def _normalized(theta: np.ndarray, normalize: bool) -> tuple[np.ndarray, np.ndarray]:
    if not normalize:
        return theta, np.ones(theta.shape[1])
    norms = np.linalg.norm(theta, axis=0)
    norms = np.where(norms > 0, norms, 1.0)
    return theta / norms, norms


def stlsq(
    theta: np.ndarray,
    y: np.ndarray,
    *,
    threshold: float,
    alpha: float = 0.05,
    max_iter: int = 20,
    unbias: bool = True,
    normalize_columns: bool = False,
) -> np.ndarray:
    """Sequentially thresholded least squares (ridge). See the module docstring."""
    X, norms = _normalized(theta, normalize_columns)
    p, t = X.shape[1], y.shape[1]
    G, B = X.T @ X, X.T @ y
    ind = np.ones((t, p), dtype=bool)
    previous = np.linalg.lstsq(X, y, rcond=None)[0].T != 0
    coef = np.zeros((t, p))
    for _ in range(max_iter):
        if not ind.any():
            break
        coef = np.zeros((t, p))
        for i in range(t):
            s = ind[i]
            if not s.any():
                continue
            c = _solve_spd(G[np.ix_(s, s)] + alpha * np.eye(int(s.sum())), B[s, i])
            full = np.zeros(p)
            full[s] = c
            full[np.abs(full) < threshold] = 0.0
            coef[i] = full
            ind[i] = full != 0
        support = coef != 0
        if np.array_equal(support, previous):
            break
        previous = support
    if unbias:
        coef = _unbias(X, y, coef)
    return coef / norms


def sr3(
    theta: np.ndarray,
    y: np.ndarray,
    *,
    threshold: float,
    nu: float = 1.0,
    regularizer: str = "l0",
    max_iter: int = 1000,
    tol: float = 1e-8,
    unbias: bool = True,
    normalize_columns: bool = False,
) -> np.ndarray:
    """Sparse relaxed regularised regression. See the module docstring."""
    X, norms = _normalized(theta, normalize_columns)
    p = X.shape[1]
    G, B = X.T @ X, X.T @ y
    cho = scipy.linalg.cho_factor(G + np.eye(p) / nu, check_finite=False)
    w = np.linalg.lstsq(X, y, rcond=None)[0]  # (p, t)
    if regularizer == "l0":
        cut = np.sqrt(2.0 * threshold * nu)
        prox = lambda z: np.where(np.abs(z) >= cut, z, 0.0)  # noqa: E731
    elif regularizer == "l1":
        cut = threshold * nu
        prox = lambda z: np.sign(z) * np.maximum(np.abs(z) - cut, 0.0)  # noqa: E731
    else:
        raise ValueError(f"unknown SR3 regularizer {regularizer!r}")
    v = prox(w)
    for _ in range(max_iter):
        w_new = scipy.linalg.cho_solve(cho, B + v / nu, check_finite=False)
        v = prox(w_new)
        done = np.linalg.norm(w_new - w) <= tol * max(1.0, np.linalg.norm(w))
        w = w_new
        if done:
            break
    coef = v.T.copy()
    if unbias:
        coef = _unbias(X, y, coef)
    return coef / norms


def ensemble(
    theta: np.ndarray,
    y: np.ndarray,
    solve: Callable[[np.ndarray, np.ndarray], np.ndarray],
    *,
    n_models: int,
    bagging: bool,
    library_bagging: bool,
    n_drop: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Coefficients of ``n_models`` sub-models, shape ``(n_models, t, p)``.

    Bagging draws ``n`` rows with replacement; library bagging removes
    ``n_drop`` random terms (their coefficients are 0 in that model).
    """
    n, p = theta.shape
    out = np.zeros((n_models, y.shape[1], p))
    for k in range(n_models):
        rows = rng.integers(0, n, n) if bagging else slice(None)
        keep = np.ones(p, dtype=bool)
        if library_bagging:
            keep[rng.choice(p, size=min(n_drop, p - 1), replace=False)] = False
        out[k][:, keep] = solve(theta[rows][:, keep], y[rows])
    return out


OPTIMIZERS.register(
    "stlsq",
    lambda theta, y, c: stlsq(
        theta,
        y,
        threshold=c.threshold,
        alpha=c.alpha,
        max_iter=c.max_iter,
        unbias=c.unbias,
        normalize_columns=c.normalize_columns,
    ),
)
OPTIMIZERS.register(
    "sr3",
    lambda theta, y, c: sr3(
        theta,
        y,
        threshold=c.threshold,
        nu=c.nu,
        regularizer=c.regularizer,
        unbias=c.unbias,
        normalize_columns=c.normalize_columns,
    ),
)
