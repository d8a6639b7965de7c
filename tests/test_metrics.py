"""Known-answer tests for dynlearn.metrics."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from dynlearn import metrics as M
from dynlearn.errors import UnknownNameError, ValidationError

POINTWISE = [M.mse, M.mae, M.rmse, M.nrmse, M.smape]


@pytest.fixture
def orbit() -> np.ndarray:
    t = np.arange(200) * 0.05
    return np.column_stack([np.sin(t), np.cos(1.3 * t) + 0.5, 0.1 * t])


# --------------------------------------------------------------------------- pointwise


@pytest.mark.parametrize("fn", POINTWISE)
def test_identical_is_zero(fn, orbit):
    assert fn(orbit, orbit.copy()) == 0.0


def test_curves_identical_zero(orbit):
    assert np.all(M.nrmse_curve(orbit, orbit) == 0.0)
    assert np.all(M.smape_curve(orbit, orbit) == 0.0)
    assert M.nrmse_curve(orbit, orbit).shape == (200,)


def test_hand_computed_mse_mae_rmse():
    y = np.array([[0.0, 1.0], [2.0, 3.0]])
    p = np.array([[1.0, 1.0], [2.0, 5.0]])  # errors 1, 0, 0, 2
    assert M.mse(y, p) == pytest.approx(1.25)
    assert M.mae(y, p) == pytest.approx(0.75)
    assert M.rmse(y, p) == pytest.approx(np.sqrt(1.25))


def test_one_dimensional_input_is_dim_one():
    assert M.mse([0.0, 1.0, 2.0], [0.0, 1.0, 4.0]) == pytest.approx(4.0 / 3.0)
    assert M.mse([0.0, 1.0], [[0.0], [2.0]]) == pytest.approx(0.5)


def test_smape_known_values():
    assert M.smape([1.0], [3.0]) == pytest.approx(100.0)
    assert M.smape([0.0], [1.0]) == pytest.approx(200.0)
    # terms: 2*2/4 = 1, 0, and 0/0 counted as 0 -> 100 * 1/3
    assert M.smape([1.0, 2.0, 0.0], [3.0, 2.0, 0.0]) == pytest.approx(100.0 / 3.0)
    assert np.allclose(M.smape_curve([[1.0, 2.0], [0.0, 0.0]], [[3.0, 2.0], [0.0, 0.0]]), [50.0, 0.0])


def test_nrmse_scale_and_default():
    y = np.zeros((2, 2))
    p = np.array([[1.0, 2.0], [1.0, 2.0]])
    assert M.nrmse(y, p, scale=[1.0, 2.0]) == pytest.approx(1.0)
    assert M.nrmse(y, p, scale=2.0) == pytest.approx(np.sqrt((0.25 + 1.0) / 2))
    assert np.allclose(M.nrmse_curve(y, p, scale=[1.0, 2.0]), [1.0, 1.0])
    # default scale: std of y_true over time = 1 for [0, 2]
    assert M.nrmse([0.0, 2.0], [1.0, 2.0]) == pytest.approx(np.sqrt(0.5))


def test_nrmse_zero_std_needs_scale():
    with pytest.raises(ValidationError, match="scale"):
        M.nrmse(np.ones((5, 2)), np.zeros((5, 2)))
    with pytest.raises(ValidationError, match="scale"):
        M.nrmse(np.arange(4.0), np.arange(4.0), scale=[1.0, 2.0])
    with pytest.raises(ValidationError, match="scale"):
        M.nrmse(np.arange(4.0), np.arange(4.0), scale=0.0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("fn", POINTWISE)
def test_nonfinite_prediction_is_inf(fn, bad, orbit):
    p = orbit.copy()
    p[17, 1] = bad
    assert fn(orbit, p) == float("inf")


def test_curves_inf_at_nonfinite_steps(orbit):
    p = orbit.copy()
    p[5, 0] = np.nan
    p[9, 2] = np.inf
    for curve in (M.nrmse_curve(orbit, p), M.smape_curve(orbit, p)):
        assert np.isposinf(curve[[5, 9]]).all()
        assert np.isfinite(np.delete(curve, [5, 9])).all()


# --------------------------------------------------------------------------- VPT


def test_vpt_departs_at_known_step(orbit):
    p = orbit.copy()
    p[37:] += 10.0
    assert M.valid_steps(orbit, p) == 37
    assert M.valid_prediction_time(orbit, p, dt=0.05) == pytest.approx(37 * 0.05)
    assert M.valid_prediction_time(orbit, p, dt=0.05, lyapunov_time=1 / 0.9) == pytest.approx(37 * 0.05 * 0.9)


def test_vpt_extremes(orbit):
    assert M.valid_prediction_time(orbit, orbit, dt=0.01) == pytest.approx(200 * 0.01)
    p = orbit.copy()
    p[0] += 10.0  # the very first forecast step fails: nothing after it counts
    assert M.valid_prediction_time(orbit, p, dt=0.01) == 0.0


def test_vpt_nan_counts_as_failure(orbit):
    k, dt = 60, 0.02
    p = orbit.copy()
    p[k:] = np.nan
    assert M.valid_prediction_time(orbit, p, dt=dt) == pytest.approx(k * dt)
    assert M.valid_prediction_time(orbit, p, dt=dt, criterion="smape") == pytest.approx(k * dt)
    # the naive comparison would have called the whole horizon valid
    with np.errstate(invalid="ignore"):
        naive_err = np.sqrt(np.mean(((p - orbit) / orbit.std(axis=0)) ** 2, axis=1))
    naive_fail = naive_err > 0.4
    assert not naive_fail.any()
    naive_vpt = (np.argmax(naive_fail) if naive_fail.any() else len(p)) * dt
    assert naive_vpt == pytest.approx(len(p) * dt)
    # a single NaN also ends the valid period
    q = orbit.copy()
    q[k, 0] = np.nan
    assert M.valid_steps(orbit, q) == k


def test_vpt_smape_criterion():
    y = np.full((50, 2), 2.0)
    p = y.copy()
    p[20:] = 4.0  # sMAPE = 100 * 2*2/6 = 66.7 > 30
    p[10:20] = 2.4  # sMAPE = 100 * 0.8/4.4 = 18.2 <= 30
    assert M.valid_steps(y, p, criterion="smape") == 20
    assert M.valid_steps(y, p, criterion="smape", threshold=10.0) == 10
    assert M.valid_steps(y, p, criterion="smape", threshold=70.0) == 50
    assert M.valid_prediction_time(y, p, dt=0.5, criterion="smape", lyapunov_time=2.0) == pytest.approx(5.0)


def test_vpt_threshold_and_scale(orbit):
    p = orbit + 0.3 * orbit.std(axis=0)  # constant NRMSE 0.3
    assert M.valid_steps(orbit, p) == 200
    assert M.valid_steps(orbit, p, threshold=0.25) == 0
    assert M.valid_steps(orbit, p, scale=orbit.std(axis=0) / 2) == 0  # NRMSE 0.6


def test_vpt_bad_inputs(orbit):
    with pytest.raises(ValidationError, match="dt"):
        M.valid_prediction_time(orbit, orbit, dt=0.0)
    with pytest.raises(ValidationError, match="dt"):
        M.valid_prediction_time(orbit, orbit, dt=-1.0)
    with pytest.raises(ValidationError, match=r"'nrmse', 'smape'"):
        M.valid_steps(orbit, orbit, criterion="mape")
    with pytest.raises(ValidationError, match="lyapunov_time"):
        M.valid_prediction_time(orbit, orbit, dt=0.1, lyapunov_time=0.0)


# --------------------------------------------------------------------------- input checks


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValidationError, match=r"\(10, 3\).*\(10, 2\)"):
        M.mse(np.zeros((10, 3)), np.zeros((10, 2)))
    with pytest.raises(ValidationError, match=r"\(10,\).*\(9,\)"):
        M.valid_steps(np.arange(10.0), np.arange(9.0))


def test_nan_in_y_true_rejected(orbit):
    y = orbit.copy()
    y[3, 1] = np.nan
    for fn in POINTWISE:
        with pytest.raises(ValidationError, match="y_true.*NaN"):
            fn(y, orbit)


# --------------------------------------------------------------------------- D_stsp


def test_dstsp_1d_gaussians_close_to_analytic():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(100_000)
    values = []
    for mu in (0.5, 1.0, 1.5):
        d = M.state_space_divergence(x, rng.standard_normal(100_000) + mu)
        assert d == pytest.approx(mu**2 / 2, rel=0.1)  # measured within ~3% (binning bias)
        values.append(d)
    assert values[0] < values[1] < values[2]
    same = M.state_space_divergence(x, rng.standard_normal(100_000))
    assert 0.0 <= same < 0.01
    assert M.state_space_divergence(x, x) == pytest.approx(0.0, abs=1e-12)


def test_dstsp_5d_is_sparse():
    # 30**5 bins would be 194 MB of float64; only the occupied bins may be allocated.
    # (Its speed is measured by the benchmarks, not asserted here: timings flake on a busy machine.)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((50_000, 5))
    tracemalloc.start()
    try:
        d0 = M.state_space_divergence(x, x)
        d1 = M.state_space_divergence(x, x + 0.5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6, f"peak {peak / 1e6:.0f} MB: a dense histogram was allocated"
    assert d0 == pytest.approx(0.0, abs=1e-12)
    assert d1 > 0.1


def test_dstsp_generated_outside_box_and_nonfinite():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2000, 2))
    # all generated points fall outside the box of x_true and are dropped: p_gen is
    # the smoothed empty histogram, i.e. uniform, and D_stsp = KL(p_true || uniform)
    far = M.state_space_divergence(x, x + 100.0)
    assert np.isfinite(far) and far > 0.5
    assert far == pytest.approx(M.state_space_divergence(x, x + 200.0))
    g = x.copy()
    g[5, 0] = np.nan
    assert M.state_space_divergence(x, g) == float("inf")
    with pytest.raises(ValidationError, match="x_true"):
        M.state_space_divergence(g, x)
    with pytest.raises(ValidationError, match=r"\(2000, 2\).*\(2000, 3\)"):
        M.state_space_divergence(x, np.zeros((2000, 3)))


def test_dstsp_gmm_path_6d():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2000, 6))
    assert M.state_space_divergence(x, x) == pytest.approx(0.0, abs=1e-12)
    d = [M.state_space_divergence(x, x + mu) for mu in (0.25, 0.5, 1.0)]
    assert d[0] < d[1] < d[2]
    # unit kernels on N(0, I) samples ~ N(0, 2I): KL(N(0,2I) || N(mu,2I)) = 6 mu^2 / 4
    assert d[2] == pytest.approx(1.5, rel=0.15)
    # subsampling and seed are honoured
    long = rng.standard_normal((30_000, 6))
    a = M.state_space_divergence(long, long + 0.5, max_points=500, n_samples=200, seed=7)
    b = M.state_space_divergence(long, long + 0.5, max_points=500, n_samples=200, seed=7)
    assert a == b > 0


# --------------------------------------------------------------------------- D_H

_K = np.arange(4000)
_SINE = np.sin(2 * np.pi * _K / 50)


def test_dh_phase_shift_is_zero_and_frequency_is_far():
    assert M.power_spectrum_distance(_SINE, _SINE) == 0.0
    assert M.power_spectrum_distance(_SINE, np.sin(2 * np.pi * _K / 50 + 1.0)) < 1e-3
    far = M.power_spectrum_distance(_SINE, np.sin(2 * np.pi * _K / 10))
    assert 0.5 < far <= 1.0
    # amplitude and offset do not matter (z-scoring)
    assert M.power_spectrum_distance(_SINE, 3 * _SINE + 7) < 1e-9


def test_dh_multidim_lengths_and_constant_forecast():
    x = np.column_stack([_SINE, np.sin(2 * np.pi * _K / 20)])
    g = np.column_stack([_SINE, np.sin(2 * np.pi * _K / 5)])
    d = M.power_spectrum_distance(x, g)
    assert d == pytest.approx(M.power_spectrum_distance(x[:, 1], g[:, 1]) / 2)
    assert M.power_spectrum_distance(x, x[:3000]) == 0.0  # common leading length
    const = M.power_spectrum_distance(_SINE, np.full(4000, 2.0))
    assert 0.5 < const <= 1.0


def test_dh_nonfinite_and_bad_inputs():
    g = _SINE.copy()
    g[100] = np.inf
    assert M.power_spectrum_distance(_SINE, g) == 1.0
    with pytest.raises(ValidationError, match="constant"):
        M.power_spectrum_distance(np.ones(100), _SINE[:100])
    with pytest.raises(ValidationError, match="x_true"):
        M.power_spectrum_distance(g, _SINE)


# --------------------------------------------------------------------------- PE(n)

_RAMP = np.column_stack([0.5 * np.arange(30.0), -2.0 * np.arange(30.0)])
_SLOPE = np.array([0.5, -2.0])


def _perfect(ctx: np.ndarray, horizon: int) -> np.ndarray:
    steps = np.arange(1, horizon + 1)[None, :, None]
    return ctx[:, -1:, :] + steps * _SLOPE


def _persistence(ctx: np.ndarray, horizon: int) -> np.ndarray:
    return np.repeat(ctx[:, -1:, :], horizon, axis=1)


def test_pe_perfect_and_persistence():
    assert M.prediction_error(_perfect, _RAMP, n=5) == 0.0
    # persistence misses by n * slope in every dimension
    n = 3
    expected = ((0.5 * n) ** 2 + (2.0 * n) ** 2) / 2
    assert M.prediction_error(_persistence, _RAMP, n=n) == pytest.approx(expected)
    assert M.prediction_error(_persistence, _RAMP, n=n, context=4, stride=3) == pytest.approx(expected)
    assert M.prediction_error(_persistence, 0.5 * np.arange(10.0), n=2) == pytest.approx(1.0)


def test_pe_context_windows_and_starts():
    seen = []

    def recorder(ctx, horizon):
        seen.append(ctx.copy())
        return _persistence(ctx, horizon)

    M.prediction_error(recorder, _RAMP, n=2, context=3, stride=5)
    ctx = np.concatenate(seen)
    assert ctx.shape == (6, 3, 2)  # starts 2, 7, ..., 27 with s + 2 < 30
    np.testing.assert_array_equal(ctx[1], _RAMP[5:8])


def test_pe_bad_inputs():
    with pytest.raises(ValidationError, match="at least"):
        M.prediction_error(_persistence, _RAMP[:5], n=5)
    with pytest.raises(ValidationError, match="shape"):
        M.prediction_error(lambda c, h: c, _RAMP, n=3)
    with pytest.raises(ValidationError, match="callable"):
        M.prediction_error(None, _RAMP)

    def diverging(ctx, horizon):
        return np.full((len(ctx), horizon, ctx.shape[2]), np.nan)

    assert M.prediction_error(diverging, _RAMP, n=2) == float("inf")


# --------------------------------------------------------------------------- registry


def test_registry_contents():
    expected = {"mse", "mae", "rmse", "nrmse", "smape", "vpt", "vpt_lyap", "vpt_smape", "dstsp", "dh"}
    assert expected <= set(M.names())
    for name in expected:
        info = M.get(name)
        assert isinstance(info, M.MetricInfo)
        assert info.higher_is_better == name.startswith("vpt")
        assert info.kind == ("long" if name in {"dstsp", "dh"} else "short")
        assert info.description
    assert M.get("VPT-Lyap") is M.get("vpt_lyap")
    with pytest.raises(UnknownNameError, match="vpt"):
        M.get("vtp")


def test_evaluate_uniform_call(orbit):
    p = orbit.copy()
    p[37:] += 10.0
    kw = {"dt": 0.05, "lyapunov_time": 2.0, "scale": None}
    assert M.evaluate("mse", orbit, p, **kw) == pytest.approx(M.mse(orbit, p))
    assert M.evaluate("nrmse", orbit, p, dt=0.05, scale=2.0) == pytest.approx(M.nrmse(orbit, p, scale=2.0))
    assert M.evaluate("vpt", orbit, p, **kw) == pytest.approx(37 * 0.05)
    assert M.evaluate("vpt_lyap", orbit, p, **kw) == pytest.approx(37 * 0.05 / 2.0)
    assert M.evaluate("vpt_smape", orbit, orbit, dt=0.05) == pytest.approx(200 * 0.05)
    assert M.evaluate("vpt_smape", orbit, orbit, **kw) == pytest.approx(200 * 0.05 / 2.0)
    assert M.evaluate("dh", orbit, orbit, **kw) == 0.0
    assert M.evaluate("dstsp", orbit, orbit, **kw) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValidationError, match="lyapunov_time"):
        M.evaluate("vpt_lyap", orbit, p, dt=0.05)


def test_register_custom_metric(orbit):
    @M.register("test_max_abs_error", kind="short", description="max |error|", overwrite=True)
    def max_abs(y_true, y_pred, *, scale=None):
        return float(np.max(np.abs(np.asarray(y_pred) - y_true)))

    assert M.evaluate("test_max_abs_error", orbit, orbit + 0.25, dt=0.1, lyapunov_time=1.0) == pytest.approx(0.25)
    with pytest.raises(ValidationError, match="kind"):
        M.register("test_bad_kind", max_abs, kind="medium")
