"""Forecasting metrics (darts' set) against hand computations, edge cases, and the seasonal baselines."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn import metrics, models
from dynlearn.errors import ValidationError

Y = np.array([[2.0, 10.0], [4.0, 20.0], [6.0, 30.0], [8.0, 50.0]])
P = np.array([[3.0, 10.0], [3.0, 25.0], [6.0, 30.0], [10.0, 40.0]])
X = np.array([[1.0, 5.0], [2.0, 9.0], [4.0, 8.0], [3.0, 12.0], [5.0, 15.0]])  # training series


def per_dim(f):
    return float(np.mean([f(Y[:, d], P[:, d], X[:, d]) for d in range(2)]))


def test_values_match_the_formulas():
    e = Y - P
    assert metrics.mean_error(Y, P) == pytest.approx(e.mean())
    assert metrics.mape(Y, P) == pytest.approx(100 * np.mean(np.abs(e) / np.abs(Y)))
    assert metrics.wmape(Y, P) == pytest.approx(per_dim(lambda y, p, x: 100 * np.abs(y - p).sum() / np.abs(y).sum()))
    assert metrics.ope(Y, P) == pytest.approx(per_dim(lambda y, p, x: 100 * abs((y - p).sum()) / abs(y.sum())))
    assert metrics.marre(Y, P) == pytest.approx(per_dim(lambda y, p, x: 100 * np.abs(y - p).mean() / np.ptp(y)))
    assert metrics.rmsle(Y, P) == pytest.approx(np.sqrt(np.mean((np.log1p(P) - np.log1p(Y)) ** 2)))
    assert metrics.r2(Y, P) == pytest.approx(
        per_dim(lambda y, p, x: 1 - ((y - p) ** 2).sum() / ((y - y.mean()) ** 2).sum())
    )
    assert metrics.coefficient_of_variation(Y, P) == pytest.approx(
        per_dim(lambda y, p, x: 100 * np.sqrt(((y - p) ** 2).mean()) / y.mean())
    )


@pytest.mark.parametrize("m", [1, 2])
def test_scaled_errors_use_the_seasonal_naive_in_sample(m):
    mase = per_dim(lambda y, p, x: np.abs(y - p).mean() / np.abs(x[m:] - x[:-m]).mean())
    msse = per_dim(lambda y, p, x: ((y - p) ** 2).mean() / ((x[m:] - x[:-m]) ** 2).mean())
    rmsse = per_dim(lambda y, p, x: np.sqrt(((y - p) ** 2).mean() / ((x[m:] - x[:-m]) ** 2).mean()))
    assert metrics.mase(Y, P, insample=X, season=m) == pytest.approx(mase)
    assert metrics.msse(Y, P, insample=X, season=m) == pytest.approx(msse)
    assert metrics.rmsse(Y, P, insample=X, season=m) == pytest.approx(rmsse)
    assert metrics.evaluate("mase", Y, P, insample=X, season=m, dt=0.1) == pytest.approx(mase)


def test_mase_of_the_naive_forecast_in_sample_is_one():
    x = np.cumsum(np.random.default_rng(0).normal(size=50))
    assert metrics.mase(x[1:], x[:-1], insample=x) == pytest.approx(1.0)


def test_edge_cases_give_nan_or_a_clear_error():
    zero = np.array([0.0, 1.0, 2.0])
    assert np.isnan(metrics.mape(zero, zero + 1))
    assert np.isnan(metrics.r2(np.ones(4), np.arange(4.0)))
    assert np.isnan(metrics.marre(np.ones(4), np.arange(4.0)))
    assert np.isnan(metrics.wmape(np.zeros(3), np.ones(3)))
    assert np.isnan(metrics.coefficient_of_variation(np.array([-1.0, 1.0]), np.zeros(2)))
    assert np.isnan(metrics.mase(Y[:, 0], P[:, 0], insample=np.ones(6)))  # constant training series
    assert np.isnan(metrics.rmsle(Y[:, 0], np.array([-1.0, 1, 1, 1])))
    with pytest.raises(ValidationError, match="insample"):
        metrics.mase(Y, P)
    with pytest.raises(ValidationError, match="season 5 needs more than 5"):
        metrics.mase(Y, P, insample=X, season=5)
    with pytest.raises(ValidationError, match=">= 0"):
        metrics.rmsle(-Y, P)
    bad = P.copy()
    bad[1, 0] = np.nan
    assert metrics.mape(Y, bad) == np.inf and metrics.r2(Y, bad) == -np.inf
    assert metrics.mase(Y, bad, insample=X) == np.inf


def test_registered_with_direction():
    for name in ("mase", "msse", "rmsse", "mape", "wmape", "ope", "marre", "rmsle", "cv", "merr"):
        assert metrics.get(name).kind == "short" and not metrics.get(name).higher_is_better
    assert metrics.get("r2").higher_is_better


def test_seasonal_naive_repeats_the_last_season():
    x = np.arange(1.0, 11.0)[:, None]
    m = models.create("seasonal_naive", season=4).fit(x)
    np.testing.assert_array_equal(m.predict(x, 6)[:, 0], [7, 8, 9, 10, 7, 8])
    assert m.min_context == 4
    np.testing.assert_array_equal(models.create("naive").fit(x).predict(x, 3)[:, 0], [10, 10, 10])
    with pytest.raises(ValidationError, match="season >= 1"):
        models.create("seasonal_naive", season=0)
