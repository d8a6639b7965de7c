"""Agreement between a forecast and the truth: rank and linear correlations, mutual information.

These are four of the 17 metrics of the dysts forecasting benchmark (Gilpin,
"Chaos as an interpretable benchmark for forecasting and data-driven
modelling", NeurIPS Datasets and Benchmarks 2021; Gilpin 2023, Phys. Rev.
Research 5, 043252). As there, each is computed per dimension along time and
averaged over dimensions; arrays are ``(time,)`` or ``(time, dim)``. Higher
is better for all four. A dimension in which the truth or the forecast is
constant has no correlation; it is left out of the average (NaN if all are).
scipy is imported on first use (``import dynlearn.metrics`` stays light).
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike

from dynlearn._validation import check_array, check_positive
from dynlearn.errors import ValidationError

__all__ = ["kendall", "mutual_information", "pearson", "spearman"]


def _pair(y_true: ArrayLike, y_pred: ArrayLike, min_len: int = 2) -> tuple[np.ndarray, np.ndarray]:
    yt = check_array(y_true, "y_true", ndim=(1, 2), finite=True, min_len=min_len)
    yp = check_array(y_pred, "y_pred", ndim=(1, 2), finite=False, min_len=min_len)
    yt = yt[:, None] if yt.ndim == 1 else yt
    yp = yp[:, None] if yp.ndim == 1 else yp
    if yt.shape != yp.shape:
        raise ValidationError(f"y_true and y_pred must have the same shape; got {yt.shape} and {yp.shape}")
    return yt, yp


def _per_dim(y_true, y_pred, fn) -> float:
    yt, yp = _pair(y_true, y_pred)
    if not np.all(np.isfinite(yp)):
        return float("nan")
    vals = []
    for d in range(yt.shape[1]):
        if np.ptp(yt[:, d]) == 0 or np.ptp(yp[:, d]) == 0:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # near-constant input: scipy warns, the value is still defined
            vals.append(float(fn(yt[:, d], yp[:, d])))
    vals = [v for v in vals if np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")


def pearson(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Pearson correlation ``r = cov(y, yhat) / (sd(y) sd(yhat))`` per dimension, averaged; in [-1, 1].

    Pearson 1895. (dysts's ``pearson`` returns the Spearman coefficient for
    one-dimensional input; this one is Pearson's in every case.)"""
    from scipy.stats import pearsonr

    return _per_dim(y_true, y_pred, lambda a, b: pearsonr(a, b)[0])


def spearman(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Spearman rank correlation: Pearson's ``r`` of the ranks (ties get average ranks), averaged over dims.

    Spearman 1904."""
    from scipy.stats import spearmanr

    return _per_dim(y_true, y_pred, lambda a, b: spearmanr(a, b)[0])


def kendall(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Kendall's tau-b: (concordant - discordant pairs) / sqrt((n0 - n1)(n0 - n2)), averaged over dims.

    ``n0 = n(n-1)/2``, ``n1``/``n2`` the pairs tied in ``y``/``yhat``. Kendall 1938, 1945."""
    from scipy.stats import kendalltau

    return _per_dim(y_true, y_pred, lambda a, b: kendalltau(a, b)[0])


def _ksg(x: np.ndarray, y: np.ndarray, k: int) -> float:
    """Kraskov-Stoegbauer-Grassberger estimate (their algorithm 1) of I(X; Y) in nats, scalar x and y."""
    from scipy.spatial import cKDTree
    from scipy.special import digamma

    n = len(x)
    x = (x - x.mean()) / x.std()
    y = (y - y.mean()) / y.std()
    joint = np.column_stack([x, y])
    # distance (max-norm) to the k-th neighbour in the joint space, the point itself excluded
    eps = cKDTree(joint).query(joint, k=k + 1, p=np.inf)[0][:, -1]

    def strictly_within(v: np.ndarray) -> np.ndarray:
        s = np.sort(v)
        return np.searchsorted(s, v + eps, side="left") - np.searchsorted(s, v - eps, side="right") - 1

    nx, ny = strictly_within(x), strictly_within(y)
    mi = digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1))
    return max(float(mi), 0.0)


def mutual_information(y_true: ArrayLike, y_pred: ArrayLike, *, k: int = 3) -> float:
    """Mutual information ``I(y_d; yhat_d)`` between truth and forecast per dimension (nats), averaged.

    Estimator: Kraskov, Stoegbauer & Grassberger, Phys. Rev. E 69, 066138
    (2004), algorithm 1, with ``k`` nearest neighbours: with ``eps_i`` the
    max-norm distance from sample ``i`` to its ``k``-th neighbour in the joint
    space and ``n_x(i)``, ``n_y(i)`` the numbers of other samples strictly
    closer than ``eps_i`` in each marginal,
    ``I = psi(k) + psi(N) - <psi(n_x + 1) + psi(n_y + 1)>``, clipped at 0.
    Both series are standardised first (MI is invariant to that). This is the
    estimator of scikit-learn's ``mutual_info_regression`` that dysts uses, with
    ``k = 3`` as there, but deterministic: no jitter is added to break ties.
    """
    k = check_positive(k, "k", integer=True)
    yt, yp = _pair(y_true, y_pred, min_len=k + 2)
    if not np.all(np.isfinite(yp)):
        return float("nan")
    vals = [
        _ksg(yt[:, d], yp[:, d], k) if np.ptp(yp[:, d]) > 0 else 0.0  # a constant forecast carries no information
        for d in range(yt.shape[1])
        if np.ptp(yt[:, d]) > 0
    ]
    return float(np.mean(vals)) if vals else float("nan")
