"""SINDy: coefficient recovery, libraries, optimisers, ensembles, persistence, bad input, pysindy cross-check."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dynlearn import models, systems
from dynlearn.data import Trajectory, write_csv
from dynlearn.errors import ValidationError
from dynlearn.models.sindy import CustomLibrary, SINDy, register_function

# Lorenz-63 in the polynomial library of degree 2, terms 1, x0, x1, x2, x0^2, x0x1, x0x2, x1^2, x1x2, x2^2
TRUE = np.zeros((3, 10))
TRUE[0, [1, 2]] = -10.0, 10.0
TRUE[1, [1, 2, 6]] = 28.0, -1.0, -1.0
TRUE[2, [3, 5]] = -8.0 / 3.0, 1.0


@pytest.fixture(scope="module")
def lorenz_fine():
    (tr,) = systems.simulate("Lorenz", n_points=5000, dt=0.002, seed=0)
    return tr


def test_recovers_lorenz_coefficients(lorenz_fine):
    m = models.create("sindy").fit(lorenz_fine)
    assert m.feature_names_ == ["1", "x0", "x1", "x2", "x0^2", "x0 x1", "x0 x2", "x1^2", "x1 x2", "x2^2"]
    np.testing.assert_array_equal(m.coef_ != 0, TRUE != 0)
    nz = TRUE != 0
    # the weak form (the default) at dt = 0.002: exact to well under 0.1%
    assert np.max(np.abs(m.coef_[nz] - TRUE[nz]) / np.abs(TRUE[nz])) < 1e-3
    text = m.equations()
    assert text.splitlines()[0].startswith("x0' = -10.000") and "x0 x2" in text
    # second-order differences (pysindy's default) are biased by about 1% at this step
    m2 = models.create("sindy", derivative="fd", fd_order=2).fit(lorenz_fine)
    assert np.max(np.abs(m2.coef_[nz] - TRUE[nz]) / np.abs(TRUE[nz])) > 3 * np.max(
        np.abs(m.coef_[nz] - TRUE[nz]) / np.abs(TRUE[nz])
    )


def test_agrees_with_pysindy_stlsq(lorenz_fine):
    ps = pytest.importorskip("pysindy")
    x = lorenz_fine.states
    ours = models.create("sindy", threshold=0.1, alpha=0.05, derivative="fd", fd_order=2).fit(lorenz_fine)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = ps.SINDy(optimizer=ps.STLSQ(threshold=0.1, alpha=0.05), feature_library=ps.PolynomialLibrary(degree=2))
        peer.fit(x, t=lorenz_fine.dt)
    assert peer.get_feature_names() == ours.feature_names_
    np.testing.assert_allclose(ours.coef_, peer.coefficients(), rtol=0, atol=1e-6)


def test_predict_integrates_at_the_training_step(lorenz_fine):
    m = models.create("sindy").fit(lorenz_fine)
    pred = m.predict(lorenz_fine.states[:1], 200)
    # a 1% model error grows slowly over 0.4 time units
    assert np.max(np.abs(pred - lorenz_fine.states[1:201])) < 0.5
    np.testing.assert_array_equal(m.simulate(lorenz_fine.states[0], 200), pred)


def test_sr3_and_smoothed_derivatives_find_the_lorenz_support(lorenz_fine):
    m = models.create("sindy", optimizer="sr3", threshold=0.5, nu=0.1).fit(lorenz_fine)
    np.testing.assert_array_equal(m.coef_ != 0, TRUE != 0)
    noisy = lorenz_fine.replace(states=lorenz_fine.states + 0.01 * np.random.default_rng(0).standard_normal((5000, 3)))
    m2 = models.create("sindy", derivative="smoothed_fd", smoother_window=21, threshold=0.5).fit(noisy)
    np.testing.assert_array_equal(m2.coef_ != 0, TRUE != 0)
    assert np.max(np.abs(m2.coef_ - TRUE)) < 0.1 * 28


def test_ensembles_give_uncertainty_and_round_trip(lorenz_fine, tmp_path):
    m = models.create("sindy", ensemble="both", n_models=8, seed=1).fit(lorenz_fine[:2000])
    assert m.coef_samples_.shape == (8, 3, 10)
    assert m.coef_std_.shape == (3, 10) and np.all(m.coef_std_ >= 0)
    assert m.inclusion_[0, 1] >= 0.8 and m.inclusion_[0, 9] <= 0.25  # a dropped true term can recruit a stand-in
    assert "±" in m.equations() and "±" not in m.equations(uncertainty=False)
    m.save(tmp_path / "m")
    loaded = models.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.coef_samples_, m.coef_samples_)
    again = models.create("sindy", ensemble="both", n_models=8, seed=1).fit(lorenz_fine[:2000])
    np.testing.assert_array_equal(again.coef_, m.coef_)


def test_discrete_time_recovers_the_henon_map():
    x = np.empty((300, 2))
    x[0] = 0.1, 0.1
    for k in range(299):
        x[k + 1] = 1 - 1.4 * x[k, 0] ** 2 + x[k, 1], 0.3 * x[k, 0]
    m = models.create("sindy", discrete_time=True, threshold=0.05).fit(x)
    true = np.zeros((2, 6))  # 1, x0, x1, x0^2, x0 x1, x1^2
    true[0, [0, 2, 3]] = 1.0, 1.0, -1.4
    true[1, 1] = 0.3
    np.testing.assert_allclose(m.coef_, true, atol=1e-9)
    np.testing.assert_allclose(m.predict(x[:1], 5), x[1:6], atol=1e-9)
    assert m.equations().startswith("x0[k+1] = ")


def test_control_inputs():
    dt, n = 0.01, 2000
    t = dt * np.arange(n)
    u = np.sin(t)[:, None]
    x = np.empty((n, 1))
    x[0] = 1.0
    for k in range(n - 1):  # x' = -2 x + u, exact discretisation for piecewise-linear u is close enough at dt=0.01
        x[k + 1] = x[k] + dt * (-2 * x[k] + 0.5 * (u[k] + u[k + 1])) / (1 + dt)
    traj = Trajectory(t, x, inputs=u)
    m = models.create("sindy", use_inputs=True, degree=1, threshold=0.05, alpha=0.0).fit(traj)
    assert m.feature_names_ == ["1", "x0", "u0"]
    assert m.coef_[0, 1] == pytest.approx(-2.0, rel=0.02) and m.coef_[0, 2] == pytest.approx(1.0, rel=0.02)
    sim = m.simulate(x[0], 100, inputs=u[:101])
    assert np.max(np.abs(sim - x[1:101])) < 0.01
    with pytest.raises(ValidationError, match="fitted with 1 input"):
        m.predict(x[:5], 3)
    # predict takes the inputs at the context and forecast times; it agrees with simulate
    np.testing.assert_allclose(m.predict(x[:5], 3, inputs=u[:8]), m.simulate(x[4], 3, inputs=u[4:8]), rtol=1e-12)
    with pytest.raises(ValidationError, match="inputs"):
        m.simulate(x[0], 10)


def test_fourier_tensor_and_registered_libraries(lorenz_fine, tmp_path):
    m = models.create("sindy", library="poly+fourier+poly*fourier", degree=1, threshold=0.5).fit(lorenz_fine[:500])
    assert m.library_.n_terms == 1 + 3 + 6 + 18
    assert "sin(x0)" in m.feature_names_ and "x1 cos(x2)" in m.feature_names_
    register_function("cube", lambda z: z**3, "{}^3")
    m2 = models.create("sindy", library="poly+cube", threshold=0.5).fit(lorenz_fine[:500])
    assert "x2^3" in m2.feature_names_
    m2.save(tmp_path / "c")
    np.testing.assert_array_equal(models.load(tmp_path / "c").coef_, m2.coef_)
    with pytest.raises(ValidationError, match="unknown library function family 'cubic'"):
        models.create("sindy", library="poly+cubic")


def test_custom_library_fits_but_does_not_save(lorenz_fine, tmp_path):
    lib = CustomLibrary([lambda z: z, lambda z: z**2], labels=["{}", "{}^2"])
    m = SINDy(custom_library=lib, threshold=0.5).fit(lorenz_fine[:500])
    assert m.feature_names_[:4] == ["1", "x0", "x1", "x2"]
    assert np.all(np.isfinite(m.predict(lorenz_fine.states[:1], 5)))
    with pytest.raises(ValidationError, match="register_function"):
        m.save(tmp_path / "m")
    # the custom library is a config field: it survives get_params/set_params and cloning
    assert m.get_params()["custom_library"] is lib
    clone = SINDy(**m.get_params()).fit(lorenz_fine[:500])
    np.testing.assert_array_equal(clone.coef_, m.coef_)
    assert SINDy().set_params(custom_library=lib).get_params()["custom_library"] is lib
    with pytest.raises(ValidationError, match="custom_library must be a CustomLibrary"):
        SINDy(custom_library="poly")


def test_rank_deficient_library_warns_with_the_collinear_terms(lorenz_fine):
    x = lorenz_fine.states[:500, :2].copy()
    x[:, 1] = 2.0 * x[:, 0]
    with pytest.warns(UserWarning, match=r"rank-deficient.*x1 ~ x0|rank-deficient.*x0 ~ x1"):
        models.create("sindy", threshold=0.01).fit(x, dt=lorenz_fine.dt)


@pytest.mark.parametrize("threshold", [1e6, 30.0])
def test_threshold_advice_leads_to_a_fit(lorenz_fine, threshold):
    import re

    with pytest.raises(ValidationError, match="removed every term.*smaller threshold") as info:
        models.create("sindy", threshold=threshold).fit(lorenz_fine[:500])
    suggested = float(re.search(r"smaller threshold: ([0-9.eE+-]+) keeps", str(info.value)).group(1))
    assert 0 < suggested < threshold
    m = models.create("sindy", threshold=suggested).fit(lorenz_fine[:500])  # following the advice works
    assert np.any(m.coef_)


def test_diverging_forecast_is_nan_not_an_error(lorenz_fine):
    m = models.create("sindy").fit(lorenz_fine[:500])
    m.coef_ = np.zeros_like(m.coef_)
    m.coef_[0, 4] = 1.0  # x0' = x0^2 blows up in finite time for x0 > 0
    out = m.predict(np.array([[[5.0, 0, 0]], [[-5.0, 0, 0]]]), 600)
    assert not np.all(np.isfinite(out[0])) and np.all(np.isfinite(out[0, :10]))
    assert np.all(np.isfinite(out[1]))
    np.testing.assert_allclose(out[1], m.predict(np.array([[-5.0, 0, 0]]), 600))


def test_non_uniform_sampling_is_refused(lorenz_fine):
    times = np.cumsum(np.random.default_rng(0).uniform(0.001, 0.003, 300))
    with pytest.raises(ValidationError, match="uniformly sampled"):
        models.create("sindy").fit(Trajectory(times, lorenz_fine.states[:300]))


def test_config_errors():
    with pytest.raises(ValidationError, match="optimizer"):
        models.create("sindy", optimizer="lasso")
    with pytest.raises(ValidationError, match="smoother_window"):
        models.create("sindy", smoother_window=4)


def test_cli_fit_prints_equations(lorenz_fine, tmp_path, capsys, monkeypatch):
    from dynlearn.cli.main import main

    monkeypatch.chdir(tmp_path)
    write_csv(lorenz_fine[:2000], "lorenz.csv", variables=["x", "y", "z"])
    try:
        main(["fit", "lorenz.csv", "--model", "sindy", "-o", "m"])
    except SystemExit as exc:
        assert not exc.code
    out = capsys.readouterr().out
    assert "x' = -10.000" in out and "z' = " in out and "x y" in out


def test_compiled_backend_matches_numpy(lorenz_fine):
    pytest.importorskip("numba")
    m = models.create("sindy", backend="numpy").fit(lorenz_fine)
    a = m.predict(lorenz_fine.states[:3:2], 1000)
    b = m.set_params(backend="numba").predict(lorenz_fine.states[:3:2], 1000)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
    m.coef_ = np.zeros_like(m.coef_)
    m.coef_[0, 4] = 1.0  # x0' = x0^2 blows up: NaN from the same step in both backends
    ctx = np.array([[[5.0, 0, 0]], [[-5.0, 0, 0]]])
    np.testing.assert_array_equal(
        np.isnan(m.predict(ctx, 600)), np.isnan(m.set_params(backend="numpy").predict(ctx, 600))
    )


@pytest.mark.parametrize("order", [2, 4, 6, 8])
def test_finite_differences_are_exact_on_polynomials_of_their_order(order):
    from dynlearn.models._sindy_derivatives import fd_derivative

    t = np.linspace(0.0, 2.0, 41)[:, None]
    x = (t - 0.3) ** order
    np.testing.assert_allclose(fd_derivative(x, t[1, 0] - t[0, 0], order), order * (t - 0.3) ** (order - 1), atol=1e-8)


@pytest.mark.parametrize("derivative", ["weak", "fd", "spectral"])
def test_coarse_lorenz_coefficients_within_half_a_percent(derivative):
    """The quick suite's sampling (30 points per period) biases second-order differences;
    the default and the weak form recover σ, ρ, β to 0.5%."""
    (tr,) = systems.simulate("Lorenz", n_points=3000, points_per_period=30, seed=0)
    m = models.create("sindy", derivative=derivative).fit(tr)
    nz = TRUE != 0
    np.testing.assert_array_equal(m.coef_ != 0, nz)
    assert np.max(np.abs(m.coef_[nz] - TRUE[nz]) / np.abs(TRUE[nz])) < 5e-3


def test_derivative_methods_and_optimizers_are_registered_components(lorenz_fine):
    from dynlearn.models.sindy import DERIVATIVES, OPTIMIZERS

    assert {"fd", "smoothed_fd", "spectral", "weak"} <= set(DERIVATIVES.names())
    assert {"stlsq", "sr3"} <= set(OPTIMIZERS.names())
    OPTIMIZERS.register("lstsq_test", lambda theta, y, c: np.linalg.lstsq(theta, y, rcond=None)[0].T)
    try:
        m = models.create("sindy", optimizer="lstsq_test").fit(lorenz_fine[:1000])
        assert np.all(m.coef_ != 0)  # plain least squares: nothing thresholded
    finally:
        OPTIMIZERS.unregister("lstsq_test")
    with pytest.raises(ValidationError, match="derivative must be one of"):
        models.create("sindy", derivative="nope")


def test_one_variable_warns_and_delay_embedding_learns_an_oscillation(tmp_path):
    t = np.arange(2000) * 0.05
    x = np.sin(t)[:, None]
    with pytest.warns(UserWarning, match="cannot oscillate.*embed=3"):
        models.create("sindy", threshold=1e-3).fit(x, dt=0.05)
    m = models.create("sindy", embed=2, embed_lag=5, degree=1, threshold=0.01).fit(x, dt=0.05)
    assert m.n_state_ == 2 and m.variables_ == ["x0", "x0(t-5)"]
    pred = m.predict(x[:100], 300)
    assert pred.shape == (300, 1)
    np.testing.assert_allclose(pred[:, 0], np.sin(t[100:400]), atol=0.02)
    m.save(tmp_path / "m")
    np.testing.assert_array_equal(models.load(tmp_path / "m").predict(x[:100], 300), pred)
    with pytest.raises(ValidationError, match="at least 6"):
        m.predict(x[:3], 10)
