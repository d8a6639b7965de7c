"""Correlation and mutual-information metrics, and dysts's attractor metrics, against oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from dynlearn import metrics
from dynlearn.errors import ValidationError


def _pair(n=400, dim=3, noise=0.5, seed=0):
    rng = np.random.default_rng(seed)
    y = np.cumsum(rng.standard_normal((n, dim)), axis=0)
    return y, y + noise * rng.standard_normal((n, dim)) * y.std(axis=0)


@pytest.mark.parametrize(
    ("fn", "ref"),
    [
        (metrics.pearson, lambda a, b: stats.pearsonr(a, b)[0]),
        (metrics.spearman, lambda a, b: stats.spearmanr(a, b)[0]),
        (metrics.kendall, lambda a, b: stats.kendalltau(a, b)[0]),
    ],
)
def test_correlations_are_the_per_dimension_mean_of_scipy(fn, ref):
    y, yhat = _pair()
    want = np.mean([ref(y[:, d], yhat[:, d]) for d in range(3)])
    assert fn(y, yhat) == pytest.approx(want, rel=1e-12)
    assert fn(y, y) == pytest.approx(1.0)
    assert fn(y, -y) == pytest.approx(-1.0)
    assert fn(y[:, 0], yhat[:, 0]) == pytest.approx(ref(y[:, 0], yhat[:, 0]))


def test_correlations_skip_constant_dimensions_and_nan_forecasts():
    y, yhat = _pair()
    yhat[:, 1] = 3.0  # a flat forecast in one dimension has no correlation
    want = np.mean([stats.pearsonr(y[:, d], yhat[:, d])[0] for d in (0, 2)])
    assert metrics.pearson(y, yhat) == pytest.approx(want)
    assert math.isnan(metrics.pearson(y, np.full_like(y, 1.0)))
    yhat[5, 0] = np.nan
    assert math.isnan(metrics.spearman(y, yhat))
    with pytest.raises(ValidationError, match="same shape"):
        metrics.kendall(y, yhat[:-1])


def test_mutual_information_of_gaussians_matches_the_closed_form():
    rng = np.random.default_rng(1)
    rho, n = 0.8, 4000
    x = rng.standard_normal(n)
    y = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal(n)
    exact = -0.5 * math.log(1 - rho**2)  # 0.511 nats
    assert metrics.mutual_information(x, y) == pytest.approx(exact, abs=0.03)
    independent = metrics.mutual_information(x, rng.standard_normal(n))
    assert independent < 0.02
    assert metrics.mutual_information(x, np.full(n, 2.0)) == 0.0  # a constant forecast tells nothing
    # invariant to rescaling either series
    assert metrics.mutual_information(3 * x + 1, y) == pytest.approx(metrics.mutual_information(x, y), rel=1e-4)


@pytest.mark.slow  # importing scikit-learn takes seconds
def test_mutual_information_matches_scikit_learn():
    fs = pytest.importorskip("sklearn.feature_selection", reason="scikit-learn comes with the oracles extra")
    y, yhat = _pair(n=600, dim=2, noise=0.7, seed=3)
    ours = metrics.mutual_information(y, yhat)
    theirs = np.mean([fs.mutual_info_regression(y[:, [d]], yhat[:, d], n_neighbors=3, random_state=0)[0]
                      for d in range(2)])  # fmt: skip
    assert ours == pytest.approx(theirs, abs=0.02)


def _dysts_metrics():
    dm = pytest.importorskip("dysts.metrics", reason="dysts comes with the oracles extra")
    if not hasattr(dm, "average_hellinger_distance"):
        pytest.skip("the installed dysts has no average_hellinger_distance")
    return dm


def test_spectrum_hellinger_is_dysts_average_hellinger_distance():
    dm = _dysts_metrics()
    y, yhat = _pair(n=300, noise=1.0, seed=2)
    assert metrics.spectrum_hellinger(y, yhat) == pytest.approx(dm.average_hellinger_distance(y, yhat), rel=1e-10)
    assert metrics.spectrum_hellinger(y, y) == pytest.approx(0.0, abs=1e-7)
    assert metrics.spectrum_hellinger(y, np.full_like(y, np.nan)) == 1.0


def test_gmm_kl_is_dysts_estimate_up_to_monte_carlo_error():
    dm = _dysts_metrics()
    y, yhat = _pair(n=300, noise=0.0, seed=4)
    yhat = yhat + 1.5  # shifted attractor: KL of unit-variance mixtures ~ 1.5**2 * 3 / 2 at most
    np.random.seed(0)  # dysts samples from numpy's global generator
    theirs = np.mean([dm.estimate_kl_divergence(y, yhat, n_samples=2000) for _ in range(3)])
    ours = np.mean([metrics.gmm_kl_divergence(y, yhat, n_samples=2000, seed=s) for s in range(3)])
    assert ours == pytest.approx(theirs, rel=0.1)
    assert abs(metrics.gmm_kl_divergence(y, y)) < 1e-12
    assert metrics.gmm_kl_divergence(y, yhat) == metrics.gmm_kl_divergence(y, yhat)  # seeded


def test_registered_and_scored_per_window():
    y, yhat = _pair(n=100)
    for name in ("pearson", "spearman", "kendall", "mutual_info", "gmm_kl", "spectrum_hellinger"):
        info = metrics.get(name)
        assert info.kind == "short" and info.description
        assert np.isfinite(metrics.evaluate(name, y, yhat, dt=0.01))
    assert metrics.get("pearson").higher_is_better and not metrics.get("gmm_kl").higher_is_better
