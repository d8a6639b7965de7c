"""Forecasting metrics for real series, the set darts, statsforecast and sktime users expect.

Arrays are ``(time, dim)`` (or ``(time,)``); every metric is computed per
dimension and averaged over dimensions. ``y_true`` must be finite; a
non-finite ``y_pred`` is a failed forecast and scores ``inf`` (``-inf`` for
R², where higher is better). Where a metric is undefined on the data (a zero
denominator: zeros in MAPE, a constant series in R² or MASE) it returns
``NaN`` rather than a huge number; leaderboards show it as ``-``. Formulas in
``docs/metrics.md``.

Scaled errors (MASE, MSSE, RMSSE) divide by the in-sample error of the
seasonal naive forecast ``y_t = y_{t-m}`` on the training series
(``insample``), as defined by Hyndman & Koehler (2006), "Another look at
measures of forecast accuracy", Int. J. Forecasting 22:679-688; MSSE and
RMSSE as in the M5 competition (Makridakis et al. 2022, Int. J. Forecasting
38:1346-1364).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dynlearn._validation import check_array
from dynlearn.errors import ValidationError

from .short_term import _pair

__all__ = [
    "coefficient_of_variation",
    "marre",
    "mape",
    "mase",
    "mean_error",
    "msse",
    "ope",
    "r2",
    "rmsle",
    "rmsse",
    "wmape",
]


def _prepared(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray, bool]:
    yt, yp = _pair(y_true, y_pred)
    return yt, yp, bool(np.all(np.isfinite(yp)))


def _ratio(num: np.ndarray, den: np.ndarray) -> float:
    """mean over dimensions of num/den; NaN if any denominator is 0 (the metric is undefined)."""
    if np.any(den == 0):
        return float("nan")
    return float(np.mean(num / den))


def mean_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean error (bias) ``mean_{t,d} (y - ŷ)``: positive when the forecast is too low."""
    yt, yp, ok = _prepared(y_true, y_pred)
    return float(np.mean(yt - yp)) if ok else float("inf")


def mape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute percentage error ``100 · mean |y - ŷ| / |y|``; NaN if ``y_true`` has a zero."""
    yt, yp, ok = _prepared(y_true, y_pred)
    if not ok:
        return float("inf")
    if np.any(yt == 0):
        return float("nan")
    return float(100.0 * np.mean(np.abs(yt - yp) / np.abs(yt)))


def wmape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Weighted MAPE (WAPE) ``100 · Σ_t |y - ŷ| / Σ_t |y|`` per dimension; NaN if ``Σ|y| = 0``."""
    yt, yp, ok = _prepared(y_true, y_pred)
    if not ok:
        return float("inf")
    return 100.0 * _ratio(np.abs(yt - yp).sum(axis=0), np.abs(yt).sum(axis=0))


def ope(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Overall percentage error ``100 · |Σ_t (y - ŷ)| / |Σ_t y|``; NaN if ``Σ y = 0``."""
    yt, yp, ok = _prepared(y_true, y_pred)
    if not ok:
        return float("inf")
    return 100.0 * _ratio(np.abs((yt - yp).sum(axis=0)), np.abs(yt.sum(axis=0)))


def marre(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute ranged relative error ``100 · mean_t |y - ŷ| / (max y - min y)``; NaN for a constant ``y_true``."""
    yt, yp, ok = _prepared(y_true, y_pred)
    if not ok:
        return float("inf")
    return 100.0 * _ratio(np.abs(yt - yp).mean(axis=0), np.ptp(yt, axis=0))


def rmsle(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared log error ``sqrt(mean (log(1 + ŷ) - log(1 + y))²)`` for data ``>= 0``.

    Raises ValidationError if ``y_true`` has a value below 0 (the metric is for
    counts and amounts); NaN if a forecast value is ``<= -1`` (log undefined).
    """
    yt, yp, ok = _prepared(y_true, y_pred)
    if np.any(yt < 0):
        raise ValidationError("rmsle is defined for data >= 0 (counts, amounts); y_true has negative values")
    if not ok:
        return float("inf")
    if np.any(yp <= -1):
        return float("nan")
    return float(np.sqrt(np.mean((np.log1p(yp) - np.log1p(yt)) ** 2)))


def r2(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of determination ``1 - Σ_t (y - ŷ)² / Σ_t (y - ȳ)²`` per dimension; NaN for a constant ``y_true``."""
    yt, yp, ok = _prepared(y_true, y_pred)
    if not ok:
        return float("-inf")
    ss_tot = ((yt - yt.mean(axis=0)) ** 2).sum(axis=0)
    if np.any(ss_tot == 0):
        return float("nan")
    return float(np.mean(1.0 - ((yt - yp) ** 2).sum(axis=0) / ss_tot))


def coefficient_of_variation(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Coefficient of variation of the error ``100 · RMSE / ȳ`` per dimension; NaN if ``ȳ = 0``."""
    yt, yp, ok = _prepared(y_true, y_pred)
    if not ok:
        return float("inf")
    return 100.0 * _ratio(np.sqrt(((yt - yp) ** 2).mean(axis=0)), np.abs(yt.mean(axis=0)))


def _seasonal_scale(insample: ArrayLike | None, season: int, dim: int, power: int, name: str) -> np.ndarray:
    """``mean_t |x_t - x_{t-m}|^power`` of the training series, per dimension."""
    if insample is None:
        raise ValidationError(
            f"{name} scales by the training series: pass insample=<training states> (the benchmark does this)"
        )
    x = check_array(insample, "insample", ndim=(1, 2), finite=True)
    x = x[:, None] if x.ndim == 1 else x
    if isinstance(season, bool) or int(season) != season or season < 1:
        raise ValidationError(f"{name}: season must be a whole number >= 1, got {season!r}")
    m = int(season)
    if x.shape[1] != dim:
        raise ValidationError(f"{name}: insample has {x.shape[1]} dimension(s) but y_true has {dim}")
    if len(x) <= m:
        raise ValidationError(f"{name} with season {m} needs more than {m} training steps; insample has {len(x)}")
    return (np.abs(x[m:] - x[:-m]) ** power).mean(axis=0)


def mase(y_true: ArrayLike, y_pred: ArrayLike, *, insample: ArrayLike | None = None, season: int = 1) -> float:
    """Mean absolute scaled error ``mean_t |y - ŷ| / mean_t |x_t - x_{t-m}|`` (x: training
    series, m: season); below 1 beats the in-sample seasonal naive forecast.

    NaN if the training series is constant at lag m (Hyndman & Koehler 2006).
    """
    yt, yp, ok = _prepared(y_true, y_pred)
    scale = _seasonal_scale(insample, season, yt.shape[1], 1, "mase")
    if not ok:
        return float("inf")
    return _ratio(np.abs(yt - yp).mean(axis=0), scale)


def msse(y_true: ArrayLike, y_pred: ArrayLike, *, insample: ArrayLike | None = None, season: int = 1) -> float:
    """Mean squared scaled error ``mean_t (y - ŷ)² / mean_t (x_t - x_{t-m})²``; NaN for a constant training series."""
    yt, yp, ok = _prepared(y_true, y_pred)
    scale = _seasonal_scale(insample, season, yt.shape[1], 2, "msse")
    if not ok:
        return float("inf")
    return _ratio(((yt - yp) ** 2).mean(axis=0), scale)


def rmsse(y_true: ArrayLike, y_pred: ArrayLike, *, insample: ArrayLike | None = None, season: int = 1) -> float:
    """Root mean squared scaled error, per dimension ``sqrt(MSSE_d)``, averaged (M5 competition)."""
    yt, yp, ok = _prepared(y_true, y_pred)
    scale = _seasonal_scale(insample, season, yt.shape[1], 2, "rmsse")
    if not ok:
        return float("inf")
    return _ratio(np.sqrt(((yt - yp) ** 2).mean(axis=0)), np.sqrt(scale))
