"""Batched integrators: orders of convergence, per-trajectory step control,
dense output, batched parameters, forcing, maps, divergence, compiled path."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import types
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from dynlearn import systems
from dynlearn.errors import DivergenceError, ValidationError
from dynlearn.systems import _adaptive, _codegen, _compiled, _stepper, _tableau
from dynlearn.systems.base import System
from dynlearn.systems.integrate import integrate


def _osc(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.w * x[:, 1]
    out[:, 1] = -p.w * x[:, 0]
    return out


def _forced(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * np.cos(t) + 0.0 * x[:, 0]
    out[:, 1] = -x[:, 1] + t
    return out


def _square(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.c * x[:, 0] * x[:, 0]
    return out


def _logistic(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.r * x[:, 0] * (1.0 - x[:, 0])
    return out


def _system(name, rhs, params, x0, **kw) -> System:
    return System(name=name, rhs=rhs, params=params, x0=x0, description="test", reference="test", **kw)


OSC = _system("Oscillator", _osc, {"w": 1.0}, (0.0, 1.0))


def _osc_exact(t, w=1.0):
    # x(0) = (0, 1): x = sin(w t), y = cos(w t)
    return np.stack([np.sin(w * t), np.cos(w * t)], axis=-1)


def test_rk4_is_fourth_order():
    errs = []
    for h in (0.1, 0.05, 0.025):
        y = integrate(OSC, OSC.x0, n_points=2, dt=2.0, max_step=h, backend="numpy")[0, -1]
        errs.append(np.abs(y - _osc_exact(2.0)).max())
    rates = np.log2(np.array(errs[:-1]) / errs[1:])
    np.testing.assert_allclose(rates, 4.0, atol=0.15)


def test_dopri5_is_fifth_order_with_fixed_steps():
    # a huge tolerance accepts every step, so max_step fixes the step size
    errs = []
    for h in (0.2, 0.1, 0.05):
        y = integrate(OSC, OSC.x0, n_points=2, dt=2.0, method="dopri5", rtol=1e3, atol=1e3, max_step=h)[0, -1]
        errs.append(np.abs(y - _osc_exact(2.0)).max())
    rates = np.log2(np.array(errs[:-1]) / errs[1:])
    np.testing.assert_allclose(rates, 5.0, atol=0.25)


def test_dopri5_error_follows_the_tolerance():
    t = 0.05 * np.arange(201)
    errs = []
    for tol in (1e-5, 1e-8, 1e-11):
        y = integrate(OSC, OSC.x0, n_points=201, dt=0.05, method="dopri5", rtol=tol, atol=tol)[0]
        errs.append(np.abs(y - _osc_exact(t)).max())
        assert errs[-1] < 100 * tol
    assert errs[1] < errs[0] / 100 and errs[2] < errs[1] / 100


def test_dense_output_is_fourth_order_inside_a_step():
    f = lambda y: _osc(y, 0.0, types.SimpleNamespace(w=1.0))
    tab = _adaptive.DOPRI5
    errs = []
    for h in (0.4, 0.2, 0.1):
        y0 = np.array([[0.0, 1.0]])
        K = np.empty((tab.stages, 1, 2))
        K[0] = f(y0)
        for s in range(1, tab.stages):
            K[s] = f(y0 + h * np.einsum("s,sbd->bd", tab.a_f[s, :s], K[:s]))
        y1 = y0 + h * np.einsum("s,sbd->bd", tab.b_f, K)
        mid = _adaptive._dense_dopri(np.array([0.37]), y0, y1, K[0], K[-1], K, np.array([h]), tab.dense_f)
        errs.append(np.abs(mid[0] - _osc_exact(0.37 * h)).max())
    # local interpolation error O(h^5): a factor ~32 per halving
    assert all(16 < a / b < 64 for a, b in zip(errs, errs[1:]))


def test_dense_output_samples_the_grid_between_large_steps():
    # steps are far longer than the output spacing: every output point comes from the interpolant
    t = 0.01 * np.arange(1001)
    y = integrate(OSC, OSC.x0, n_points=1001, dt=0.01, method="dopri5", rtol=1e-9, atol=1e-9)[0]
    assert np.abs(y - _osc_exact(t)).max() < 1e-7


def test_each_trajectory_controls_its_own_step():
    w = np.array([1.0, 40.0])  # one slow, one fast oscillation in one batch
    x0 = np.array([[0.0, 1.0], [0.0, 1.0]])
    t = 0.05 * np.arange(41)
    p = OSC.make_params({"w": w})
    out, stats = _adaptive.integrate_adaptive(lambda y, tt: _osc(y, tt, p), x0, t, rtol=1e-8, atol=1e-8)
    for i in range(2):
        assert np.abs(out[i] - _osc_exact(t, w[i])).max() < 1e-6
    assert stats["accepted"][1] > 10 * stats["accepted"][0]
    # and the easy trajectory's numbers do not depend on its batch-mate
    alone, _ = _adaptive.integrate_adaptive(
        lambda y, tt: _osc(y, tt, OSC.make_params({"w": 1.0})), x0[:1], t, rtol=1e-8, atol=1e-8
    )
    np.testing.assert_array_equal(alone[0], out[0])


@pytest.mark.parametrize("method", ["rk4", "dopri5"])
def test_batched_parameters_equal_separate_calls(method):
    L = systems.get("Lorenz")
    x0 = np.array([L.x0, L.x0]) + [[0.0, 0.0, 0.0], [0.5, -0.5, 0.0]]
    rho = np.array([28.0, 35.0])
    batch = integrate(L, x0, n_points=200, dt=0.01, params={"rho": rho}, method=method, backend="numpy")
    for i in range(2):
        single = integrate(L, x0[i], n_points=200, dt=0.01, params={"rho": rho[i]}, method=method, backend="numpy")
        np.testing.assert_allclose(batch[i], single[0], rtol=1e-12, atol=1e-12)


def test_parameter_arrays_must_match_the_batch():
    L = systems.get("Lorenz")
    with pytest.raises(ValidationError, match=r"'rho' must be a number or an array of shape \(2,\)"):
        integrate(L, [L.x0, L.x0], n_points=5, dt=0.01, params={"rho": [28.0, 29.0, 30.0]})


@pytest.mark.parametrize("method", ["rk4", "dopri5"])
def test_non_autonomous_forcing_has_the_known_solution(method):
    s = _system("Forced", _forced, {"a": 2.0}, (0.0, 0.0), nonautonomous=True)
    x0 = np.array([[0.0, 0.0], [1.0, 3.0]])
    t0, dt, n = 0.5, 0.02, 151
    y = integrate(s, x0, n_points=n, dt=dt, t0=t0, method=method, rtol=1e-10, atol=1e-10)
    t = t0 + dt * np.arange(n)
    # x1 = x1(t0) + a (sin t - sin t0);  x2' = -x2 + t  =>  x2 = t - 1 + (x2(t0) - t0 + 1) e^{-(t - t0)}
    for i in range(2):
        np.testing.assert_allclose(y[i, :, 0], x0[i, 0] + 2.0 * (np.sin(t) - np.sin(t0)), atol=1e-8)
        np.testing.assert_allclose(y[i, :, 1], t - 1 + (x0[i, 1] - t0 + 1) * np.exp(-(t - t0)), atol=1e-8)


def test_maps_iterate():
    s = _system("Logistic", _logistic, {"r": 3.9}, (0.2,), kind="map")
    y = integrate(s, [[0.2], [0.3]], n_points=50, dt=1.0)
    x = np.array([0.2, 0.3])
    for i in range(50):
        np.testing.assert_allclose(y[:, i, 0], x, rtol=1e-12)
        x = 3.9 * x * (1 - x)


def test_delay_systems_are_routed_to_the_delay_integrator(monkeypatch):
    calls = {}

    def fake(system, x0, *, n_points, dt, t0, params, max_step):
        calls.update(n_points=n_points, dt=dt, shape=x0.shape)
        return np.zeros((len(x0), n_points, system.dim))

    monkeypatch.setattr(sys.modules["dynlearn.systems.integrate"], "integrate_delay", fake)
    s = _system("Delayed", lambda x, xd, t, p: -xd, {"tau": 1.0}, (1.0,), kind="delay", delay_param="tau")
    out = integrate(s, [1.0], n_points=7, dt=0.1)
    assert out.shape == (1, 7, 1) and calls == {"n_points": 7, "dt": 0.1, "shape": (1, 1)}


def test_finite_time_blow_up_names_trajectory_and_time():
    # x' = x^2 from x0 = 1 blows up at t = 1; from x0 = 0.1 at t = 10
    s = _system("Square", _square, {"c": 1.0}, (1.0,))
    with pytest.raises(DivergenceError, match=r"Square: trajectory 1 diverged at t=(0\.9\d*|1|1\.0\d*) ") as err:
        integrate(s, [[0.1], [1.0]], n_points=30, dt=0.1, method="dopri5")
    assert "trajectory 0" not in str(err.value)


def test_lorenz_agrees_with_scipy_for_one_lyapunov_time():
    L = systems.get("Lorenz")
    n = int(np.ceil(L.lyapunov_time / 0.01)) + 1
    t = 0.01 * np.arange(n)
    p = L.make_params()
    ref = solve_ivp(lambda tt, y: L.rhs(y[None], tt, p)[0], (0, t[-1]), L.x0, "DOP853", t, rtol=1e-13, atol=1e-13)
    y = integrate(L, L.x0, n_points=n, dt=0.01, method="dopri5", rtol=1e-11, atol=1e-11)[0]
    assert np.abs(y - ref.y.T).max() < 1e-7
    y4 = integrate(L, L.x0, n_points=n, dt=0.01, method="rk4", max_step=0.001)[0]
    assert np.abs(y4 - ref.y.T).max() < 1e-7


def test_memory_estimate_refuses_with_the_figure():
    with pytest.raises(ValidationError, match=r"needs 22\.4 GiB for the output \(1000 trajectories"):
        integrate(systems.get("Lorenz"), np.zeros((1000, 3)), n_points=10**6, dt=0.01)


def test_bad_arguments_are_named():
    L = systems.get("Lorenz")
    with pytest.raises(ValidationError, match="method must be one of euler, midpoint, rk3, rk4, rk38, dopri5"):
        integrate(L, L.x0, n_points=5, dt=0.01, method="leapfrog")
    with pytest.raises(ValidationError, match="initial condition 1 is not finite"):
        integrate(L, [L.x0, [np.nan, 0, 0]], n_points=5, dt=0.01)


needs_numba = pytest.mark.skipif(not _compiled.available(), reason="numba not installed")


@needs_numba
def test_compiled_rk4_gives_the_numpy_numbers():
    L = systems.get("Lorenz")
    x0 = np.array(L.x0) + np.random.default_rng(0).normal(0, 1, (40, 3))
    rho = np.linspace(25, 35, 40)
    for params in (None, {"rho": rho}):
        a = integrate(L, x0, n_points=300, dt=0.01, params=params, backend="numpy")
        b = integrate(L, x0, n_points=300, dt=0.01, params=params, backend="numba", threads=2)
        np.testing.assert_array_equal(a, b)


@needs_numba
def test_compiled_path_falls_back_and_reports_divergence():
    L96 = systems.get("Lorenz96")  # np.roll(..., axis=1) does not compile: numpy fallback
    a = integrate(L96, L96.x0, n_points=50, dt=0.05, backend="numba")
    np.testing.assert_array_equal(a, integrate(L96, L96.x0, n_points=50, dt=0.05, backend="numpy"))
    L = systems.get("Lorenz")
    with pytest.raises(DivergenceError, match=r"Lorenz: trajectory 1 diverged at t="):
        integrate(L, [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], n_points=2000, dt=0.01, params={"beta": -5.0}, backend="numba")


def _sakarya_helper(x, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * x[:, 0] + p.h * x[:, 1] + p.s * x[:, 1] * x[:, 2]
    out[:, 1] = -p.b * x[:, 1] - p.p * x[:, 0] + p.q * x[:, 0] * x[:, 2]
    out[:, 2] = p.c * x[:, 2] - p.r * x[:, 0] * x[:, 1]
    return out


def _delegating_rhs(x, t, p):
    """The catalog once wrote shared right-hand sides this way (the catalog now declares the helper itself)."""
    return _sakarya_helper(x, p)


def test_loop_rewrite_applies_only_to_the_column_convention():
    assert _codegen.loop_form(systems.get("Lorenz").rhs) is not None
    assert _codegen.loop_form(systems.get("Lorenz96").rhs) is None
    assert _codegen.loop_form(_delegating_rhs) is not None  # through the helper it returns
    ns = {"np": np}
    exec(_codegen.loop_form(_osc, ("w",)), ns)
    x = np.random.default_rng(1).normal(size=(4, 2))
    p = types.SimpleNamespace(w=np.arange(4.0))
    out = np.empty_like(x)
    ns["_rhs_rows"](x, 0.0, p, out, 0, 4)
    np.testing.assert_array_equal(out, _osc(x, 0.0, p))


# --------------------------------------------------------------------------- the tableau engine


@pytest.mark.parametrize("name", sorted(_tableau.FIXED))
def test_each_fixed_tableau_reaches_its_order(name):
    tab = _tableau.FIXED[name]
    hs = (0.1, 0.05, 0.025) if tab.order > 1 else (0.02, 0.01, 0.005)
    errs = []
    for h in hs:
        y = integrate(OSC, OSC.x0, n_points=2, dt=2.0, max_step=h, method=name, backend="numpy")[0, -1]
        errs.append(np.abs(y - _osc_exact(2.0)).max())
    slopes = np.log2(np.array(errs[:-1]) / errs[1:])
    np.testing.assert_allclose(slopes, tab.order, atol=0.2)


@pytest.mark.parametrize("name", sorted(_tableau.TABLEAUS))
def test_tableaus_satisfy_the_order_conditions_they_claim(name):
    # sum b = 1, sum b c = 1/2, sum b c^2 = 1/3, sum b A c = 1/6 (orders 1-3); order 4 and 5 add more
    tab = _tableau.TABLEAUS[name]
    b, c, A = tab.b_f, tab.c_f, tab.a_f
    conditions = [
        b.sum() - 1,
        b @ c - 1 / 2,
        b @ c**2 - 1 / 3,
        b @ A @ c - 1 / 6,
        b @ c**3 - 1 / 4,
        b @ (c * (A @ c)) - 1 / 8,
    ]
    conditions += [b @ A @ c**2 - 1 / 12, b @ A @ A @ c - 1 / 24]
    n_conditions = {1: 1, 2: 2, 3: 4, 4: 8, 5: 8}[tab.order]
    np.testing.assert_allclose(conditions[:n_conditions], 0.0, atol=1e-14)
    if tab.order < 4:  # and the next order's conditions fail: the order is not higher than claimed
        nxt = {1: 2, 2: 4, 3: 8}[tab.order]
        assert np.abs(conditions[n_conditions:nxt]).max() > 1e-3


def test_delay_stepper_accepts_any_tableau_with_nodes_in_the_unit_interval():
    # x' = -x(t - 1) with constant history 1: x = 1 - t on [0, 1]; a stepper of order p is exact there for p >= 1
    f = lambda x, xd, t: -xd
    for tab in (_tableau.EULER, _tableau.RK3, _tableau.RK4, _tableau.RK38):
        run = _stepper.DelayStepper(f, np.ones((1, 1)), 0.0, 0.1, 10, tab)
        for _ in range(10):
            run.step()
        assert run.x[0, 0] == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="nodes in"):
        bad = _tableau.Tableau("bad", c=(F(0), F(2)), a=((), (F(2),)), b=(F(3, 4), F(1, 4)), order=2)
        _stepper.DelayStepper(f, np.ones((1, 1)), 0.0, 0.1, 10, bad)


def test_systems_modules_import_no_cycle():
    # every systems module imports on its own in a fresh interpreter, integrate without delay first
    code = (
        "import sys; import dynlearn.systems.delay as d; import dynlearn.systems.integrate as i;"
        "import dynlearn.systems._stepper, dynlearn.systems._tableau, dynlearn.systems._checks;"
        "print('numba' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # numba is imported only when something is compiled
    src = Path(systems.__file__).parent
    assert "dynlearn.systems.integrate" not in (src / "delay.py").read_text()


@needs_numba
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_tableau.FIXED))
def test_compiled_fixed_step_gives_the_numpy_numbers_for_every_tableau(name):
    L = systems.get("Lorenz")
    x0 = np.array(L.x0) + np.random.default_rng(0).normal(0, 1, (20, 3))
    a = integrate(L, x0, n_points=100, dt=0.01, method=name, backend="numpy")
    b = integrate(L, x0, n_points=100, dt=0.01, method=name, backend="numba", threads=2)
    np.testing.assert_array_equal(a, b)


@needs_numba
def test_compiled_dopri5_agrees_with_numpy_per_trajectory():
    L = systems.get("Lorenz")
    x0 = np.array(L.x0) + np.random.default_rng(2).normal(0, 1, (24, 3))
    rho = np.linspace(26, 32, 24)
    kw = dict(n_points=200, dt=0.01, method="dopri5", rtol=1e-8, atol=1e-8, params={"rho": rho})
    a = integrate(L, x0, backend="numpy", **kw)
    b = integrate(L, x0, backend="numba", threads=2, **kw)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)
    # a trajectory's numbers do not depend on its batch
    c = integrate(L, x0[5], backend="numba", **{**kw, "params": {"rho": rho[5]}})
    np.testing.assert_array_equal(b[5], c[0])


@needs_numba
@pytest.mark.slow
def test_compiled_dopri5_forcing_and_blow_up():
    s = _system("Forced2", _forced, {"a": 2.0}, (0.0, 0.0), nonautonomous=True)
    x0 = np.array([[0.0, 0.0], [1.0, 3.0]])
    kw = dict(n_points=151, dt=0.02, t0=0.5, method="dopri5", rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(
        integrate(s, x0, backend="numba", **kw), integrate(s, x0, backend="numpy", **kw), atol=1e-9
    )
    sq = _system("Square2", _square, {"c": 1.0}, (1.0,))
    with pytest.raises(DivergenceError, match=r"Square2: trajectory 1 diverged at t=(0\.9\d*|1|1\.0\d*) "):
        integrate(sq, [[0.1], [1.0]], n_points=30, dt=0.1, method="dopri5", backend="numba")


@needs_numba
@pytest.mark.slow
def test_systems_calling_a_helper_compile():
    # a right-hand side that returns a shared helper's result: the helper is rewritten into the loop
    S = dataclasses.replace(systems.get("LiuChen"), rhs=_delegating_rhs)
    assert _codegen.loop_form(S.rhs) is not None
    a = integrate(S, S.x0, n_points=200, dt=S.dt, backend="numpy")
    b = integrate(S, S.x0, n_points=200, dt=S.dt, backend="numba")
    np.testing.assert_array_equal(a, b)


@needs_numba
@pytest.mark.slow
def test_kernels_are_cached_on_disk_across_processes(tmp_path):
    code = (
        "import numpy as np; from dynlearn import systems; from dynlearn.systems import _compiled\n"
        "L = systems.get('Lorenz')\n"
        "y = systems.integrate(L, np.ones((2, 3)), n_points=50, dt=0.01, backend='numba')\n"
        "(m,) = [v for v in _compiled._LOADED.values() if v is not None]\n"
        "print(sum(m.fixed_kernel.stats.cache_hits.values()), repr(y.sum()))\n"
    )
    env = {**os.environ, "DYNLEARN_CACHE_DIR": str(tmp_path)}
    first, second = (
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
        for _ in range(2)
    )
    assert first[0] == "0" and int(second[0]) >= 1  # compiled once, then loaded from the cache
    assert first[1] == second[1]
    assert list((tmp_path / "kernels").glob("k_*.py"))


def test_kernel_cache_is_used_only_from_a_private_directory(tmp_path, monkeypatch):
    # numba's cache index is a pickle: a directory others can write is never used
    from dynlearn.systems import _compiled

    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path))
    path = _compiled.cache_dir()
    assert path == tmp_path / "kernels" and (path.stat().st_mode & 0o077) == 0
    path.chmod(0o777)
    assert _compiled.cache_dir() is None
