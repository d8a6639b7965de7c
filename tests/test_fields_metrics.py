"""Field metrics against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn.errors import ValidationError
from dynlearn.fields import metrics


def _field(n=2, t=3, c=1, shape=(16, 16), seed=0):
    return np.random.default_rng(seed).standard_normal((n, t, c, *shape))


def test_relative_l2_and_nmse_by_hand():
    true = _field()
    assert metrics.relative_l2(true, true) == 0.0
    assert metrics.relative_l2(np.zeros_like(true), true) == pytest.approx(1.0)
    assert metrics.relative_l2(1.1 * true, true) == pytest.approx(0.1)
    assert metrics.nmse(1.1 * true, true) == pytest.approx(0.01)
    per = metrics.relative_l2(true + 0.5, true, reduce="none")
    assert per.shape == (2, 3)
    j = (1, 2)
    expected = np.linalg.norm(0.5 * np.ones(256)) / np.linalg.norm(true[j].ravel())
    assert per[j] == pytest.approx(expected)


def test_rollout_error_grows_with_the_frame_of_a_drifting_prediction():
    true = _field(t=5)
    pred = true + np.arange(5)[None, :, None, None, None] * 0.1
    curve = metrics.rollout_error(pred, true)
    assert curve.shape == (5,) and curve[0] == 0 and np.all(np.diff(curve) > 0)
    per_frame_nmse = metrics.rollout_error(pred, true, metric="nmse")
    assert per_frame_nmse == pytest.approx(metrics.nmse(pred, true, reduce="frame"))
    assert metrics.nmse(pred, true, reduce="none") == pytest.approx(metrics.relative_l2(pred, true, reduce="none") ** 2)


def test_energy_spectrum_of_one_mode_and_parseval():
    n = 32
    x = np.arange(n) * 2 * np.pi / n
    X, Y = np.meshgrid(x, x, indexing="ij")
    u = (np.cos(3 * X) + 0.5 * np.sin(4 * Y))[None, None, None]
    E = metrics.energy_spectrum(u)
    assert E[3] == pytest.approx(0.5) and E[4] == pytest.approx(0.125)
    assert E.sum() == pytest.approx((u**2).mean())
    one_d = np.cos(5 * x)[None, None, None]
    assert np.argmax(metrics.energy_spectrum(one_d)) == 5


def test_spectrum_error_sees_lost_small_scales():
    n = 32
    x = np.arange(n) * 2 * np.pi / n
    X, Y = np.meshgrid(x, x, indexing="ij")
    true = (np.cos(2 * X) + 0.3 * np.cos(10 * Y))[None, None, None]
    smooth = np.cos(2 * X)[None, None, None]
    err = metrics.spectrum_error(smooth, true)
    assert abs(err[2]) < 1e-9 and err[10] < -10


@pytest.mark.parametrize(
    "pred, true, match",
    [
        (np.zeros((2, 3, 1, 8, 8)), np.zeros((2, 3, 1, 8, 9)), "same frames and grid"),
        (np.zeros((3, 8, 8)), np.zeros((3, 8, 8)), r"\(N, T, C, X\)"),
        (np.full((1, 1, 1, 8), np.nan), np.zeros((1, 1, 1, 8)), "NaN"),
    ],
)
def test_bad_input_is_named(pred, true, match):
    with pytest.raises(ValidationError, match=match):
        metrics.relative_l2(pred, true)
    with pytest.raises(ValidationError, match="reduce"):
        metrics.nmse(np.zeros((1, 1, 1, 8)), np.ones((1, 1, 1, 8)), reduce="sum")
