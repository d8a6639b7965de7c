"""The delay-equation integrator (method of steps, RK4 with Hermite history)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dynlearn import systems
from dynlearn.errors import DivergenceError, ValidationError
from dynlearn.systems.base import System
from dynlearn.systems.delay import delay_grid, integrate_delay

DELAYS = ["IkedaDelay", "MackeyGlass", "ScrollDelay", "SprottDelay", "VossDelay"]


def _system(rhs, name="Test", tau=1.0, **params):
    return System(
        name=name,
        rhs=rhs,
        params={"tau": tau, **params},
        x0=(1.0,),
        description="test",
        reference="test",
        kind="delay",
        delay_param="tau",
        jacobian="fd",
        dt=0.1,
    )


def _neg_delayed(x, xd, t, p):
    return -xd


def exact_neg_delayed(t):
    """x' = -x(t - 1), x = 1 on [-1, 0], by the method of steps:
    x(t) = sum_{k=0}^{floor(t)+1} (-1)^k (t - k + 1)^k / k!  (each term counts where t >= k - 1)."""
    t = np.asarray(t, dtype=float)
    total = np.zeros_like(t)
    for k in range(int(np.max(t)) + 2):
        total += np.where(t >= k - 1, (-1.0) ** k * np.clip(t - k + 1, 0, None) ** k / math.factorial(k), 0.0)
    return total


def test_closed_form_helper_is_the_known_piecewise_solution():
    t = np.array([0.0, 0.5, 1.0, 1.5, 2.0])
    expected = np.where(t <= 1, 1 - t, 1 - t + (t - 1) ** 2 / 2)
    np.testing.assert_allclose(exact_neg_delayed(t), expected, atol=1e-15)


def test_quadratic_pieces_are_exact():
    # on [0, 2] the solution is piecewise of degree <= 2: RK4 (Simpson) and the cubic
    # Hermite history reproduce it to rounding
    s = _system(_neg_delayed)
    out = integrate_delay(s, [1.0], n_points=9, dt=0.25, max_step=0.25)[0, :, 0]
    np.testing.assert_allclose(out, exact_neg_delayed(0.25 * np.arange(9)), atol=1e-14)


def _errors(dt, steps):
    s = _system(_neg_delayed)
    n = int(round(8.0 / dt)) + 1
    exact = exact_neg_delayed(dt * np.arange(n))
    return [
        np.abs(integrate_delay(s, [1.0], n_points=n, dt=dt, max_step=1.0 / m)[0, :, 0] - exact).max() for m in steps
    ]


def test_fourth_order_convergence_on_grid_outputs():
    # on [0, 8] the solution has degree up to 9: the error of RK4 + Hermite history shrinks like h^4
    steps = [4, 8, 16, 32]
    err = _errors(0.5, steps)
    orders = np.log2(np.array(err[:-1]) / np.array(err[1:]))
    assert np.all((orders > 3.7) & (orders < 4.3)), (err, orders)


def test_fourth_order_convergence_with_interpolated_outputs():
    dt = 0.1234567  # incommensurate with the delay: outputs are Hermite interpolants
    assert delay_grid(1.0, dt, 1 / 8)[1] is None
    err = _errors(dt, [8, 16, 32])
    orders = np.log2(np.array(err[:-1]) / np.array(err[1:]))
    assert np.all((orders > 3.5) & (orders < 4.5)), (err, orders)


def test_grid_divides_delay_and_output_step():
    m, stride = delay_grid(17.0, 0.5, 0.25)  # h = 0.25 divides 17 and 0.5
    assert (m, stride) == (68, 2)
    m, stride = delay_grid(1.0, 0.3, 0.1)  # dt/tau = 3/10: h = 1/10
    assert (m, stride) == (10, 3)
    m, stride = delay_grid(2.0, 0.01, 0.5)  # output much finer than the step: interpolated, h stays 0.5
    assert (m, stride) == (4, None)
    m, stride = delay_grid(1.0, 1 / math.pi, 0.1)
    assert (m, stride) == (10, None)


def test_mackey_glass_stays_in_its_range_and_is_chaotic():
    # beta = 0.2, gamma = 0.1, n = 10, tau = 17 (Mackey & Glass 1977; Farmer 1982, Physica D 4, 366):
    # a chaotic attractor with x roughly in [0.4, 1.35]
    s = systems.get("MackeyGlass")
    assert s.params["tau"] == 17.0
    x0 = np.array([[1.2], [1.2 + 1e-6]])
    out = integrate_delay(s, x0, n_points=3001, dt=1.0)[:, :, 0]
    rec = out[:, 500:]
    assert 0.3 < rec.min() < 0.6 and 1.1 < rec.max() < 1.45
    # sensitive dependence: a 1e-6 change of the history grows to order one
    sep = np.abs(rec[0] - rec[1])
    assert sep[:200].max() < 1e-3 and sep[-500:].max() > 0.1
    # not periodic: the heights of successive maxima keep changing (a cycle would repeat a few values)
    y = rec[0]
    peaks = y[1:-1][(y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:])]
    assert len(peaks) > 30 and len(np.unique(peaks.round(3))) > 0.8 * len(peaks)


def test_batch_equals_separate_runs_and_per_trajectory_parameters():
    s = systems.get("MackeyGlass")
    x0 = np.array([[0.5], [1.0], [1.3]])
    beta = np.array([0.2, 0.25, 0.18])
    both = integrate_delay(s, x0, n_points=200, dt=0.7, params={"beta": beta})
    for i in range(3):
        one = integrate_delay(s, x0[i], n_points=200, dt=0.7, params={"beta": beta[i]})
        np.testing.assert_allclose(both[i], one[0], rtol=1e-14, atol=1e-15)


def test_delay_must_be_shared_by_the_batch():
    s = systems.get("MackeyGlass")
    same = integrate_delay(s, [[1.0], [1.0]], n_points=20, dt=1.0, params={"tau": np.array([17.0, 17.0])})
    np.testing.assert_array_equal(same[0], same[1])
    with pytest.raises(ValidationError, match="same for every trajectory"):
        integrate_delay(s, [[1.0], [1.0]], n_points=20, dt=1.0, params={"tau": np.array([17.0, 20.0])})


def test_bad_arguments_are_refused():
    s = systems.get("MackeyGlass")
    with pytest.raises(ValidationError, match="dimension 1"):
        integrate_delay(s, [1.0, 2.0], n_points=5, dt=1.0)
    with pytest.raises(ValidationError, match="not a delay equation"):
        integrate_delay(systems.get("Lorenz"), [1.0, 1.0, 1.0], n_points=5, dt=0.1)
    with pytest.raises(ValidationError, match="delay"):
        integrate_delay(s, [1.0], n_points=5, dt=1.0, params={"tau": -1.0})


def test_divergence_names_system_trajectory_and_time():
    s = _system(lambda x, xd, t, p: xd**2, name="Blowup")  # x' = x(t-1)^2 blows up in finite time
    with pytest.raises(DivergenceError, match=r"Blowup: trajectory 1 diverged at t=\d"):
        integrate_delay(s, [[0.0], [2.0]], n_points=100, dt=0.5)


def test_constant_history_is_respected():
    # x' = x(t - 1) - x(t) with history 1 is at rest: 1 - 1 = 0 for all t
    s = _system(lambda x, xd, t, p: xd - x)
    out = integrate_delay(s, [1.0], n_points=50, dt=0.3)
    np.testing.assert_allclose(out, 1.0, atol=1e-15)


@pytest.mark.parametrize("name", DELAYS)
def test_catalog_delay_equations_run_through_integrate(name):
    s = systems.get(name)
    tau = s.params[s.delay_param]
    direct = integrate_delay(s, s.x0, n_points=60, dt=tau / 10)
    routed = systems.integrate(s, s.x0, n_points=60, dt=tau / 10)
    np.testing.assert_array_equal(direct, routed)
    assert np.isfinite(direct).all() and direct.std() > 0
