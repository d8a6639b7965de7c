"""The dysts benchmark's metrics where dysts defines them differently from the field.

The dysts forecasting benchmark (Gilpin 2023, Phys. Rev. Research 5:043252;
``dysts/metrics.py``, ``compute_metrics``) reports 17 metrics. Eleven of
them are the usual definitions and map onto dynlearn's metrics (see the
table in ``docs/metrics.md``). The others compute a familiar name
differently, so a suite that must be comparable with the published numbers
uses the variants below. Each reproduces dysts 0.96 to rounding error on a
``(time, dim)`` array, and differs from dynlearn's namesake as follows:

- pooled over dimensions: dysts applies ``r2_score``, ``wape``, ``marre`` and
  ``coefficient_of_variation`` to the whole ``(time, dim)`` array at once
  (one mean, one range, one sum over every entry), where dynlearn (like darts
  and scikit-learn) computes per dimension and averages;
- ``coefficient_of_variation`` is the *standard deviation* of the error over
  the signed mean of the truth (dynlearn's: RMSE over ``|mean|``);
- ``rmsle`` first shifts each dimension of truth and forecast by its own
  minimum, so it is defined for data of any sign (dynlearn's is for data
  ``>= 0``);
- ``ope`` is dysts's "optimality percentage error", the absolute error over
  the absolute deviation of the truth from its mean (dynlearn's is darts's
  overall percentage error).

The two attractor metrics follow: dynlearn's
:func:`~dynlearn.metrics.state_space_divergence` and
:func:`~dynlearn.metrics.power_spectrum_distance` follow Hess et al. (ICML
2023); dysts (``estimate_kl_divergence``, ``average_hellinger_distance``)
computes the same two ideas differently, so its numbers are not comparable
with ours:

- KL between attractors: dysts always uses Gaussian mixtures (one isotropic
  unit-variance component per point of each orbit, all points), where
  dynlearn uses 30-bin histograms below 6 dimensions; dysts draws its 1,000
  Monte-Carlo samples without a seed.
- Spectrum Hellinger distance: dysts takes the two-sided ``|fft|^2`` of the raw
  (not standardised) series, keeps its first 100 bins (the mean's bin 0
  included) with no smoothing, where dynlearn z-scores, keeps the whole
  one-sided spectrum and smooths it over 20 bins.

As everywhere in :mod:`dynlearn.metrics`, ``y_true`` must be finite and a
non-finite forecast is a failed forecast: the error metrics return ``inf``
(``-inf`` for R²) where dysts would return NaN. ``eps = 1e-10`` where dysts
adds it. Arrays are ``(time, dim)`` or ``(time,)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dynlearn._validation import as_rng, check_positive

from .long_term import _log_mixture, _orbit_pair
from .short_term import _pair

__all__ = [
    "DYSTS_METRICS",
    "dysts_cv",
    "dysts_marre",
    "dysts_ope",
    "dysts_r2",
    "dysts_rmsle",
    "dysts_wape",
    "gmm_kl_divergence",
    "spectrum_hellinger",
]

_EPS = 1e-10  # dysts's guard against a zero denominator

DYSTS_METRICS: dict[str, str] = {
    "mse": "mse",
    "mae": "mae",
    "rmse": "rmse",
    "nrmse": "nrmse",
    "marre": "dysts_marre",
    "r2_score": "dysts_r2",
    "rmsle": "dysts_rmsle",
    "smape": "smape",
    "mape": "mape",
    "wape": "dysts_wape",
    "spearman": "spearman",
    "pearson": "pearson",
    "kendall": "kendall",
    "coefficient_of_variation": "dysts_cv",
    "mutual_information": "mutual_info",
    "kl_divergence": "gmm_kl",
    "hellinger_distance": "spectrum_hellinger",
}
"""The 17 keys of dysts's ``compute_metrics`` -> the dynlearn metric that computes each.

``smape`` is on the 0-200 scale of the published benchmark (dysts 0.96's
default ``scaled=True`` halves it); for one-dimensional input dysts's
``pearson`` returns Spearman's coefficient (compare with ``spearman``)."""


def _failed(yp: np.ndarray) -> bool:
    return not bool(np.all(np.isfinite(yp)))


def dysts_marre(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """``100 · mean_{t,d} |y - ŷ| / (max_{t,d} y - min_{t,d} y + eps)``: one range over all dimensions.

    dysts's ``marre``; dynlearn's ``marre`` divides each dimension by its own range."""
    yt, yp = _pair(y_true, y_pred)
    if _failed(yp):
        return float("inf")
    return float(100.0 * np.mean(np.abs(yt - yp) / (np.ptp(yt) + _EPS)))


def dysts_r2(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """``1 - Σ_{t,d} (y - ŷ)² / Σ_{t,d} (y - ȳ)²`` with ``ȳ`` the mean over all entries (pooled R²).

    dysts's ``r2_score``; dynlearn's ``r2`` (scikit-learn's default) averages
    the R² of each dimension. Pooling rewards a forecast that gets the
    offsets between dimensions right. NaN for a constant ``y_true``."""
    yt, yp = _pair(y_true, y_pred)
    if _failed(yp):
        return float("-inf")
    ss_tot = float(np.sum((yt - yt.mean()) ** 2))
    if ss_tot == 0:
        return float("nan")
    return float(1.0 - np.sum((yt - yp) ** 2) / ss_tot)


def dysts_rmsle(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """RMSLE after shifting each dimension to start at ``eps``: ``y' = y - min_t y + eps``, likewise ``ŷ'``;
    ``sqrt(mean_{t,d} (log(1 + ŷ') - log(1 + y'))²)``.

    dysts's ``rmsle``. Each series is shifted by its *own* minimum, so a
    forecast with the right shape but a constant offset scores 0."""
    yt, yp = _pair(y_true, y_pred)
    if _failed(yp):
        return float("inf")
    a = yt - yt.min(axis=0, keepdims=True) + _EPS
    b = yp - yp.min(axis=0, keepdims=True) + _EPS
    return float(np.sqrt(np.mean((np.log1p(b) - np.log1p(a)) ** 2)))


def dysts_wape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """``100 · Σ_{t,d} |y - ŷ| / (Σ_{t,d} |y| + eps)``: one ratio over all dimensions.

    dysts's ``wape``; dynlearn's ``wmape`` averages the ratio of each dimension."""
    yt, yp = _pair(y_true, y_pred)
    if _failed(yp):
        return float("inf")
    return float(100.0 * np.sum(np.abs(yt - yp)) / (np.sum(np.abs(yt)) + _EPS))


def dysts_cv(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """``100 · std_{t,d}(y - ŷ) / (mean_{t,d} y + eps)``: spread of the error over the signed mean of the truth.

    dysts's ``coefficient_of_variation``. The standard deviation (ddof 0) of
    the error ignores its bias, and the mean is signed and pooled, so on
    standardised data (mean near 0) the value is large and of either sign:
    report it, do not rank by it."""
    yt, yp = _pair(y_true, y_pred)
    if _failed(yp):
        return float("inf")
    return float(100.0 * np.std(yt - yp) / (np.mean(yt) + _EPS))


def dysts_ope(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """``Σ_{t,d} |y - ŷ| / Σ_{t,d} |y - ȳ|`` (dysts's "optimality percentage error"; not a percentage).

    Below 1 beats forecasting the test window's own mean ``ȳ``. dysts's
    ``ope``, which is not part of its ``compute_metrics``; dynlearn's ``ope``
    is darts's overall percentage error. NaN for a constant ``y_true``."""
    yt, yp = _pair(y_true, y_pred)
    if _failed(yp):
        return float("inf")
    den = float(np.sum(np.abs(yt - yt.mean())))
    return float(np.sum(np.abs(yt - yp)) / den) if den > 0 else float("nan")


def gmm_kl_divergence(
    x_true: ArrayLike, x_gen: ArrayLike, *, n_samples: int = 1_000, seed: int | np.random.Generator | None = 0
) -> float:
    """``KL(p || q)`` between Gaussian mixtures on the two orbits, estimated by Monte Carlo (nats).

    ``p = (1/T) sum_t N(x_t, I)`` on the true orbit, ``q`` likewise on the
    generated one (unit variance in data units); with ``z_i ~ p``,
    ``KL ~ (1/n) sum_i log p(z_i) / q(z_i)``. dysts's ``estimate_kl_divergence``
    with its default ``sigma_scale=1``; after Mikhaeil et al., NeurIPS 2022 and
    Hess et al., ICML 2023. May be slightly negative when the orbits agree.
    ``inf`` for a non-finite forecast."""
    xt, xg = _orbit_pair(x_true, x_gen, min_len=1)
    n_samples = check_positive(n_samples, "n_samples", integer=True)
    if not np.all(np.isfinite(xg)):
        return float("inf")
    rng = as_rng(seed)
    z = xt[rng.integers(len(xt), size=n_samples)] + rng.standard_normal((n_samples, xt.shape[1]))
    return float(np.mean(_log_mixture(z, xt) - _log_mixture(z, xg)))


def spectrum_hellinger(x_true: ArrayLike, x_gen: ArrayLike, *, n_bins: int = 100) -> float:
    """Mean over dimensions of the Hellinger distance between the first ``n_bins`` FFT power bins.

    Per dimension ``d``: ``P_k = |FFT(x_d)_k|^2`` for ``k < n_bins`` (raw series,
    bin 0 included), normalised to sum 1 into ``p`` (truth) and ``q``
    (forecast); ``H = sqrt(1 - sum_k sqrt(p_k q_k))``, in [0, 1]. dysts's
    ``average_hellinger_distance``; after Mikhaeil et al., NeurIPS 2022.
    Series of different length are cut to the shorter. 1.0 for a non-finite
    or all-zero forecast."""
    xt, xg = _orbit_pair(x_true, x_gen, min_len=2)
    n_bins = check_positive(n_bins, "n_bins", integer=True)
    if not np.all(np.isfinite(xg)):
        return 1.0
    n = min(len(xt), len(xg))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = np.abs(np.fft.fft(xt[:n], axis=0)[:n_bins]) ** 2
        q = np.abs(np.fft.fft(xg[:n], axis=0)[:n_bins]) ** 2
        p, q = p / p.sum(axis=0), q / q.sum(axis=0)
        h = np.sqrt(np.clip(1.0 - np.sum(np.sqrt(p * q), axis=0), 0.0, 1.0))
    return float(np.mean(np.where(np.isfinite(h), h, 1.0)))
