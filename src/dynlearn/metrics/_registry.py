"""The metric registry and a uniform way to call any registered metric."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from numpy.typing import ArrayLike

from dynlearn.errors import ValidationError
from dynlearn.registry import Registry

from . import agreement as _ag
from . import dysts_protocol as _dp
from . import forecasting as _fc
from .long_term import power_spectrum_distance, state_space_divergence
from .short_term import mae, mse, nrmse, rmse, smape, valid_prediction_time

__all__ = ["METRICS", "MetricInfo", "evaluate", "get", "names", "register"]

KINDS = ("short", "long")


@dataclass(frozen=True)
class MetricInfo:
    """A registered metric: ``fn(y_true, y_pred, **kw) -> float`` plus metadata."""

    fn: Callable[..., float]
    kind: str
    higher_is_better: bool = False
    description: str = ""
    reference: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValidationError(f"metric kind must be one of {KINDS}, got {self.kind!r}")
        if not callable(self.fn):
            raise ValidationError(f"metric fn must be callable, got {type(self.fn).__name__}")

    def __call__(self, *args: Any, **kwargs: Any) -> float:
        return self.fn(*args, **kwargs)


METRICS: Registry[MetricInfo] = Registry("metric")


def register(
    name: str,
    fn: Callable[..., float] | None = None,
    *,
    kind: str,
    higher_is_better: bool = False,
    description: str = "",
    reference: str = "",
    overwrite: bool = False,
):
    """Register ``fn`` as metric ``name``; usable as a decorator when ``fn`` is omitted.

    ``fn(y_true, y_pred, **kw)`` may take any of the keywords ``dt``,
    ``lyapunov_time``, ``scale``, ``insample`` (the training states) and
    ``season``; :func:`evaluate` passes only those it accepts.
    """

    def _add(f: Callable[..., float]) -> Callable[..., float]:
        info = MetricInfo(f, kind, higher_is_better, description, reference)
        METRICS.register(name, info, overwrite=overwrite)
        return f

    return _add if fn is None else _add(fn)


def get(name: str) -> MetricInfo:
    """The :class:`MetricInfo` registered under ``name`` (UnknownNameError if none)."""
    return METRICS.get(name)


def names() -> list[str]:
    """Sorted names of all registered metrics."""
    return METRICS.names()


def evaluate(
    name: str,
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    dt: float = 1.0,
    lyapunov_time: float | None = None,
    scale: ArrayLike | None = None,
    insample: ArrayLike | None = None,
    season: int = 1,
) -> float:
    """Compute metric ``name``, passing only the keywords (dt, lyapunov_time, scale,
    insample, season) it takes."""
    info = get(name)
    offered = {"dt": dt, "lyapunov_time": lyapunov_time, "scale": scale, "insample": insample, "season": season}
    params = inspect.signature(info.fn).parameters.values()
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        accepted = {p.name for p in params}
        offered = {k: v for k, v in offered.items() if k in accepted}
    return float(info.fn(y_true, y_pred, **offered))


# --------------------------------------------------------------------------- built-ins

_VLACHAS = "Vlachas et al. 2020, Neural Networks 126:191-217; Pathak et al. 2018, Chaos 28:041101"
_GILPIN = "Gilpin 2021, NeurIPS Datasets & Benchmarks (dysts)"
_HESS = "Hess, Monfared, Brenner & Durstewitz 2023, ICML (generalized teacher forcing)"


def vpt(y_true: ArrayLike, y_pred: ArrayLike, *, dt: float, scale: ArrayLike | None = None) -> float:
    """Valid prediction time in time units, NRMSE > 0.4 criterion."""
    return valid_prediction_time(y_true, y_pred, dt=dt, scale=scale)


def vpt_lyap(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    dt: float,
    lyapunov_time: float | None = None,
    scale: ArrayLike | None = None,
) -> float:
    """Valid prediction time in Lyapunov times, NRMSE > 0.4 criterion."""
    if lyapunov_time is None:
        raise ValidationError(
            "metric 'vpt_lyap' reports Lyapunov times and needs lyapunov_time (= 1 / largest "
            "Lyapunov exponent); pass lyapunov_time=..., or use 'vpt' for time units"
        )
    return valid_prediction_time(y_true, y_pred, dt=dt, scale=scale, lyapunov_time=lyapunov_time)


def vpt_smape(y_true: ArrayLike, y_pred: ArrayLike, *, dt: float, lyapunov_time: float | None = None) -> float:
    """Valid prediction time, sMAPE > 30 criterion; Lyapunov times if ``lyapunov_time`` given."""
    return valid_prediction_time(y_true, y_pred, dt=dt, criterion="smape", lyapunov_time=lyapunov_time)


register("mse", mse, kind="short", description="mean squared error", reference="-")
register("mae", mae, kind="short", description="mean absolute error", reference="-")
register("rmse", rmse, kind="short", description="root mean squared error", reference="-")
register(
    "nrmse",
    nrmse,
    kind="short",
    reference=_VLACHAS,
    description="RMSE normalised per dimension by scale (default: std of y_true over time)",
)
register("smape", smape, kind="short", description="symmetric MAPE, 0-200 scale", reference=_GILPIN)
register(
    "vpt",
    vpt,
    kind="short",
    higher_is_better=True,
    reference=_VLACHAS,
    description="valid prediction time (time units) until per-step NRMSE > 0.4",
)
register(
    "vpt_lyap",
    vpt_lyap,
    kind="short",
    higher_is_better=True,
    reference=_VLACHAS,
    description="valid prediction time (Lyapunov times) until per-step NRMSE > 0.4",
)
register(
    "vpt_smape",
    vpt_smape,
    kind="short",
    higher_is_better=True,
    reference=_GILPIN + "; Gilpin 2023, Phys. Rev. Research 5:043252",
    description="valid prediction time until per-step sMAPE > 30 (Lyapunov times if lyapunov_time given)",
)
register(
    "dstsp",
    state_space_divergence,
    kind="long",
    reference=_HESS,
    description="state-space divergence KL(p_true || p_gen): histograms (dim < 6) or Gaussian mixture",
)
register(
    "dh",
    power_spectrum_distance,
    kind="long",
    reference=_HESS,
    description="Hellinger distance between smoothed power spectra, mean over dimensions",
)

# darts-style forecasting metrics (dynlearn.metrics.forecasting)
_HK = "Hyndman & Koehler 2006, Int. J. Forecasting 22:679-688"
_M5 = "Makridakis, Spiliotis & Assimakopoulos 2022, Int. J. Forecasting 38:1346-1364 (M5)"
for _name, _fn, _better, _desc, _ref in [
    ("mase", _fc.mase, False, "MAE / in-sample MAE of the seasonal naive forecast (season m); < 1 beats it", _HK),
    ("msse", _fc.msse, False, "MSE / in-sample MSE of the seasonal naive forecast", _M5),
    ("rmsse", _fc.rmsse, False, "sqrt(MSSE) per dimension, averaged", _M5),
    ("mape", _fc.mape, False, "mean absolute percentage error, 100 mean |y - yhat| / |y| (NaN if y has zeros)", _HK),
    ("wmape", _fc.wmape, False, "weighted MAPE (WAPE), 100 sum |y - yhat| / sum |y|", "-"),
    ("ope", _fc.ope, False, "overall percentage error, 100 |sum (y - yhat)| / |sum y|", "-"),
    ("marre", _fc.marre, False, "mean absolute ranged relative error, 100 mean |y - yhat| / (max y - min y)", "-"),
    ("rmsle", _fc.rmsle, False, "root mean squared log error, for data >= 0", "-"),
    ("r2", _fc.r2, True, "coefficient of determination 1 - SS_res / SS_tot (NaN for constant y)", "-"),
    ("cv", _fc.coefficient_of_variation, False, "coefficient of variation of the error, 100 RMSE / mean y", "-"),
    ("merr", _fc.mean_error, False, "mean error (bias) mean (y - yhat); ranks by value, 0 is best only in |.|", "-"),
]:
    register(_name, _fn, kind="short", higher_is_better=_better, description=_desc, reference=_ref)

# agreement (correlations, mutual information) and dysts's own attractor metrics: the remaining
# metrics of the dysts benchmark (Gilpin 2023), per test window like the other short-term metrics

_GILPIN23 = "Gilpin 2023, Phys. Rev. Research 5:043252 (dysts benchmark)"
for _name, _fn, _desc, _ref in [
    ("pearson", _ag.pearson, "Pearson correlation of forecast and truth, per dimension, averaged", _GILPIN23),
    ("spearman", _ag.spearman, "Spearman rank correlation, per dimension, averaged", _GILPIN23),
    ("kendall", _ag.kendall, "Kendall's tau-b, per dimension, averaged", _GILPIN23),
    (
        "mutual_info",
        _ag.mutual_information,
        "mutual information (nats), KSG k=3 estimator, per dimension, averaged",
        "Kraskov, Stoegbauer & Grassberger 2004, Phys. Rev. E 69:066138; " + _GILPIN23,
    ),
]:
    register(_name, _fn, kind="short", higher_is_better=True, description=_desc, reference=_ref)
register(
    "gmm_kl",
    _dp.gmm_kl_divergence,
    kind="short",
    reference="Mikhaeil et al. 2022, NeurIPS; " + _GILPIN23,
    description="dysts's KL between unit-variance Gaussian mixtures on the two orbits (Monte Carlo, seeded)",
)
register(
    "spectrum_hellinger",
    _dp.spectrum_hellinger,
    kind="short",
    reference="Mikhaeil et al. 2022, NeurIPS; " + _GILPIN23,
    description="dysts's Hellinger distance between the first 100 raw FFT power bins, mean over dimensions",
)

# dysts's own definitions where they differ from the field's (dynlearn.metrics.dysts_protocol);
# DYSTS_METRICS maps the 17 metrics of dysts's compute_metrics onto registered names
for _name, _fn, _better, _desc in [
    ("dysts_marre", _dp.dysts_marre, False, "dysts's MARRE: 100 mean |y - yhat| / (one range over all dimensions)"),
    ("dysts_r2", _dp.dysts_r2, True, "dysts's R^2, pooled over all dimensions (one mean, one sum)"),
    ("dysts_rmsle", _dp.dysts_rmsle, False, "dysts's RMSLE: each series shifted by its own minimum first"),
    ("dysts_wape", _dp.dysts_wape, False, "dysts's WAPE: 100 sum |y - yhat| / sum |y|, pooled over all dimensions"),
    ("dysts_cv", _dp.dysts_cv, False, "dysts's coefficient of variation: 100 std(y - yhat) / mean y, pooled, signed"),
    ("dysts_ope", _dp.dysts_ope, False, "dysts's optimality percentage error sum |y - yhat| / sum |y - mean y|"),
]:
    register(_name, _fn, kind="short", higher_is_better=_better, description=_desc, reference=_GILPIN23)
