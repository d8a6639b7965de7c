"""Forecast metrics: pure functions on numpy arrays of shape ``(time, dim)``.

Short-term: :func:`mse`, :func:`mae`, :func:`rmse`, :func:`nrmse`,
:func:`smape`, the per-step curves :func:`nrmse_curve` / :func:`smape_curve`
and the valid prediction time (:func:`valid_steps`,
:func:`valid_prediction_time`).  Long-term: :func:`state_space_divergence`
(D_stsp), :func:`power_spectrum_distance` (D_H) and :func:`prediction_error`
(PE(n)).  Forecasting metrics for real series (darts' set: MASE, MSSE,
RMSSE, MAPE, wMAPE, OPE, MARRE, RMSLE, R², CV, mean error) are in
:mod:`dynlearn.metrics.forecasting`.  Every metric a benchmark reports is in the registry :data:`METRICS`
and can be called uniformly with :func:`evaluate`; :data:`DYSTS_METRICS` names the registered metric for each
of the 17 metrics of the dysts benchmark.  See ``docs/metrics.md``.
"""

from __future__ import annotations

from ._registry import METRICS, MetricInfo, evaluate, get, names, register
from .agreement import kendall, mutual_information, pearson, spearman
from .dysts_protocol import (
    DYSTS_METRICS,
    dysts_cv,
    dysts_marre,
    dysts_ope,
    dysts_r2,
    dysts_rmsle,
    dysts_wape,
    gmm_kl_divergence,
    spectrum_hellinger,
)
from .forecasting import (
    coefficient_of_variation,
    mape,
    marre,
    mase,
    mean_error,
    msse,
    ope,
    r2,
    rmsle,
    rmsse,
    wmape,
)
from .long_term import power_spectrum_distance, prediction_error, state_space_divergence
from .short_term import (
    DEFAULT_THRESHOLDS,
    mae,
    mse,
    nrmse,
    nrmse_curve,
    rmse,
    smape,
    smape_curve,
    valid_prediction_time,
    valid_steps,
)

__all__ = [
    "DYSTS_METRICS",
    "dysts_cv",
    "dysts_marre",
    "dysts_ope",
    "dysts_r2",
    "dysts_rmsle",
    "dysts_wape",
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
    "gmm_kl_divergence",
    "kendall",
    "mutual_information",
    "pearson",
    "spearman",
    "spectrum_hellinger",
    "DEFAULT_THRESHOLDS",
    "METRICS",
    "MetricInfo",
    "evaluate",
    "get",
    "mae",
    "mse",
    "names",
    "nrmse",
    "nrmse_curve",
    "power_spectrum_distance",
    "prediction_error",
    "register",
    "rmse",
    "smape",
    "smape_curve",
    "state_space_divergence",
    "valid_prediction_time",
    "valid_steps",
]
