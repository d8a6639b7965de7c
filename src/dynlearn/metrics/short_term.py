"""Short-term (pointwise) forecast metrics and the valid prediction time.

All functions take ``y_true`` and ``y_pred`` of shape ``(time, dim)`` (or
``(time,)``, treated as ``dim = 1``) and compute in float64.  ``y_true`` must be
finite.  A non-finite ``y_pred`` is a *failed forecast*, not an input error:
the scalar error metrics return ``inf`` and the per-step curves are ``inf`` at
every step that contains a NaN/inf.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dynlearn._validation import check_array, check_positive
from dynlearn.errors import ValidationError

__all__ = [
    "DEFAULT_THRESHOLDS",
    "mae",
    "mse",
    "nrmse",
    "nrmse_curve",
    "rmse",
    "smape",
    "smape_curve",
    "valid_prediction_time",
    "valid_steps",
]

DEFAULT_THRESHOLDS: dict[str, float] = {"nrmse": 0.4, "smape": 30.0}
"""Default failure thresholds of :func:`valid_steps` per criterion."""


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate a (truth, forecast) pair and return both as ``(time, dim)`` float64."""
    yt = check_array(y_true, "y_true", ndim=(1, 2), finite=True, min_len=1)
    yp = check_array(y_pred, "y_pred", ndim=(1, 2), finite=False)
    t2 = yt[:, None] if yt.ndim == 1 else yt
    p2 = yp[:, None] if yp.ndim == 1 else yp
    if t2.shape != p2.shape:
        raise ValidationError(
            f"y_true and y_pred must have the same shape (time, dim); got y_true {yt.shape} and y_pred {yp.shape}"
        )
    return t2, p2


def _scale(yt: np.ndarray, scale: ArrayLike | None) -> np.ndarray:
    """Per-dimension normaliser sigma_d, shape ``(dim,)``."""
    dim = yt.shape[1]
    if scale is None:
        sigma = yt.std(axis=0)
        zero = np.flatnonzero(sigma == 0)
        if zero.size:
            raise ValidationError(
                f"y_true has zero standard deviation over time in dimension(s) {zero.tolist()} "
                f"(shape {yt.shape}); pass scale=... (e.g. the attractor std of the training data)"
            )
        return sigma
    sigma = check_array(scale, "scale", ndim=(0, 1))
    if sigma.ndim == 1 and sigma.shape != (dim,):
        raise ValidationError(f"scale must be a scalar or have shape ({dim},); got shape {sigma.shape}")
    if np.any(sigma <= 0):
        raise ValidationError(f"scale must be > 0 in every dimension; got {sigma.tolist()}")
    return np.broadcast_to(sigma, (dim,)).astype(np.float64)


def _row_finite(yp: np.ndarray) -> np.ndarray:
    return np.all(np.isfinite(yp), axis=1)


def mse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean squared error, ``mean_{t,d} (yhat_{t,d} - y_{t,d})^2``.

    Returns ``inf`` if ``y_pred`` contains NaN/inf.
    """
    yt, yp = _pair(y_true, y_pred)
    if not np.all(np.isfinite(yp)):
        return float("inf")
    with np.errstate(over="ignore"):
        return float(np.mean((yp - yt) ** 2))


def mae(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean absolute error, ``mean_{t,d} |yhat_{t,d} - y_{t,d}|``.

    Returns ``inf`` if ``y_pred`` contains NaN/inf.
    """
    yt, yp = _pair(y_true, y_pred)
    if not np.all(np.isfinite(yp)):
        return float("inf")
    with np.errstate(over="ignore"):
        return float(np.mean(np.abs(yp - yt)))


def rmse(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Root mean squared error, ``sqrt(mean_{t,d} (yhat - y)^2)``.

    Returns ``inf`` if ``y_pred`` contains NaN/inf.
    """
    return float(np.sqrt(mse(y_true, y_pred)))


def nrmse_curve(y_true: ArrayLike, y_pred: ArrayLike, *, scale: ArrayLike | None = None) -> np.ndarray:
    """Per-step normalised RMSE, shape ``(time,)``.

    ``e_t = sqrt( mean_d ((yhat_{t,d} - y_{t,d}) / sigma_d)^2 )`` with ``sigma_d = scale``
    (scalar or per-dimension, e.g. the attractor std of the training data) or,
    if ``scale`` is None, the std of ``y_true`` over time in dimension ``d``.
    This is the error used for the valid prediction time by Vlachas et al.
    (2020, Neural Networks 126:191-217).  Steps where ``y_pred`` is non-finite
    are ``+inf``.
    """
    yt, yp = _pair(y_true, y_pred)
    sigma = _scale(yt, scale)
    ok = _row_finite(yp)
    out = np.full(len(yt), np.inf)
    with np.errstate(over="ignore"):
        out[ok] = np.sqrt(np.mean(((yp[ok] - yt[ok]) / sigma) ** 2, axis=1))
    return out


def nrmse(y_true: ArrayLike, y_pred: ArrayLike, *, scale: ArrayLike | None = None) -> float:
    """Normalised RMSE, ``sqrt( mean_{t,d} ((yhat_{t,d} - y_{t,d}) / sigma_d)^2 )``.

    ``sigma_d`` as in :func:`nrmse_curve`; zero std of ``y_true`` without an
    explicit ``scale`` raises :class:`ValidationError`.  Returns ``inf`` if
    ``y_pred`` contains NaN/inf.
    """
    curve = nrmse_curve(y_true, y_pred, scale=scale)
    if not np.all(np.isfinite(curve)):
        return float("inf")
    return float(np.sqrt(np.mean(curve**2)))


def _smape_terms(yt: np.ndarray, yp: np.ndarray) -> np.ndarray:
    """Elementwise ``2|yhat - y| / (|yhat| + |y|)``, 0 where the denominator is 0."""
    den = np.abs(yp) + np.abs(yt)
    num = 2.0 * np.abs(yp - yt)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def smape_curve(y_true: ArrayLike, y_pred: ArrayLike) -> np.ndarray:
    """Per-step symmetric MAPE over dimensions (0-200 scale), shape ``(time,)``.

    ``s_t = 100 * mean_d 2|yhat_{t,d} - y_{t,d}| / (|yhat_{t,d}| + |y_{t,d}|)``, terms with a
    zero denominator count as 0.  Steps where ``y_pred`` is non-finite are ``+inf``.
    """
    yt, yp = _pair(y_true, y_pred)
    ok = _row_finite(yp)
    out = np.full(len(yt), np.inf)
    out[ok] = 100.0 * np.mean(_smape_terms(yt[ok], yp[ok]), axis=1)
    return out


def smape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Symmetric mean absolute percentage error on the 0-200 scale.

    ``sMAPE = 100 * mean_{t,d} 2|yhat - y| / (|yhat| + |y|)``, terms with
    ``|yhat| + |y| = 0`` counting as 0; as used in the dysts benchmark (Gilpin,
    "Chaos as an interpretable benchmark for forecasting and data-driven
    modelling", NeurIPS Datasets & Benchmarks 2021).  Returns ``inf`` if
    ``y_pred`` contains NaN/inf.
    """
    yt, yp = _pair(y_true, y_pred)
    if not np.all(np.isfinite(yp)):
        return float("inf")
    return float(100.0 * np.mean(_smape_terms(yt, yp)))


def valid_steps(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    criterion: str = "nrmse",
    threshold: float | None = None,
    scale: ArrayLike | None = None,
) -> int:
    """Number of leading forecast steps whose error is ``<= threshold``.

    ``criterion`` is ``"nrmse"`` (per-step :func:`nrmse_curve`, default
    threshold 0.4) or ``"smape"`` (per-step :func:`smape_curve`, default
    threshold 30).  Counting stops at the first failed step; a step with a
    non-finite prediction always fails (a plain ``err > threshold`` test would
    miss it because ``nan > 0.4`` is False).  ``scale`` is only used by
    ``"nrmse"``.
    """
    if criterion not in DEFAULT_THRESHOLDS:
        raise ValidationError(
            f"unknown criterion {criterion!r}; choose one of {', '.join(map(repr, DEFAULT_THRESHOLDS))}"
        )
    thr = (
        DEFAULT_THRESHOLDS[criterion] if threshold is None else check_positive(threshold, "threshold", allow_zero=True)
    )
    if criterion == "nrmse":
        curve = nrmse_curve(y_true, y_pred, scale=scale)
    else:
        curve = smape_curve(y_true, y_pred)
    ok = np.isfinite(curve) & (curve <= thr)
    return int(len(ok) if ok.all() else np.argmin(ok))


def valid_prediction_time(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    dt: float,
    criterion: str = "nrmse",
    threshold: float | None = None,
    scale: ArrayLike | None = None,
    lyapunov_time: float | None = None,
) -> float:
    """Valid prediction time ``VPT = valid_steps * dt`` (divided by ``lyapunov_time`` if given).

    Row 0 of ``y_pred`` is the first forecast point, one step ``dt`` after the
    last context point, so VPT is 0 if the first step already fails and
    ``horizon * dt`` if no step fails.  With ``lyapunov_time`` (= 1/lambda_max)
    the result is in Lyapunov times.  NRMSE criterion: Pathak et al. (2018,
    Chaos 28:041101), Vlachas et al. (2020, Neural Networks 126:191-217);
    sMAPE > 30 criterion: Gilpin's dysts benchmarks (2021, 2023).
    """
    step = check_positive(dt, "dt")
    n = valid_steps(y_true, y_pred, criterion=criterion, threshold=threshold, scale=scale)
    vpt = n * step
    if lyapunov_time is not None:
        vpt /= check_positive(lyapunov_time, "lyapunov_time")
    return float(vpt)
