"""Hamiltonian families: energies, Hamilton's equations, symplectic integrators and their order."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn import systems
from dynlearn.errors import ValidationError
from dynlearn.systems import hamiltonian as ham


def _numeric_field(system, x, prm, eps=1e-6):
    """J ∇H by central differences of the energy."""
    grad = np.empty_like(x)
    for i in range(x.shape[1]):
        e = np.zeros(x.shape[1])
        e[i] = eps
        grad[:, i] = (ham.energy(system, x + e, prm) - ham.energy(system, x - e, prm)) / (2 * eps)
    d = system.dof
    return np.concatenate([grad[:, d:], -grad[:, :d]], axis=1)


@pytest.mark.parametrize("name", ham.names())
def test_vector_field_is_symplectic_gradient_of_energy(name):
    system = ham.get(name)
    prm = system.sample_params(seed=1)
    x = system.sample_states(5, prm, seed=2)
    assert x.shape == (5, system.dim)
    np.testing.assert_allclose(system.vector_field(x, prm), _numeric_field(system, x, prm), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ham.names())
def test_energy_is_conserved_along_trajectories(name):
    system = ham.get(name)
    prm = system.sample_params(seed=3)
    trajs = ham.simulate(system, n_traj=3, n_points=40, params=prm, seed=4, substeps=5)
    for tr in trajs:
        e = ham.energy(system, tr.states, tr.meta["params"])
        assert np.ptp(e) <= 1e-3 * max(1.0, abs(e[0])), f"{name}: energy moves by {np.ptp(e):.2e}"
        assert tr.meta["system"] == name and tr.meta["dof"] == system.dof


def test_henon_heiles_matches_the_catalog_flow():
    flow = systems.get("HenonHeiles")
    x = ham.get("henon_heiles").sample_states(6, seed=0)
    np.testing.assert_allclose(ham.get("henon_heiles").vector_field(x), flow(x), rtol=1e-12)


@pytest.mark.parametrize(("method", "order"), [("leapfrog", 2), ("yoshida4", 4)])
def test_energy_error_is_bounded_and_scales_with_the_order(method, order):
    """Halving the step divides the energy error by about 2**order, and it does not drift."""
    system = ham.get("pendulum")
    x0 = system.sample_states(8, seed=0)
    errs = []
    for dt in (0.2, 0.1):
        x = ham.integrate(system, x0, 400, dt, method=method, substeps=1)
        e = ham.energy(system, x)
        dev = np.abs(e - e[:, :1]).max(axis=1)
        errs.append(dev.max())
        # bounded: the error of the last quarter is no larger than twice that of the first quarter
        assert np.abs(e[:, 300:] - e[:, :1]).max() <= 2 * np.abs(e[:, :100] - e[:, :1]).max() + 1e-14
    ratio = errs[0] / errs[1]
    assert 0.6 * 2**order <= ratio <= 1.6 * 2**order, f"{method}: error ratio {ratio:.2f} for half the step"


def test_bad_input_errors():
    with pytest.raises(ValidationError, match="no energy function.*mass_spring"):
        ham.get("Lorenz")
    with pytest.raises(ValidationError, match="not separable"):
        ham.integrate("double_pendulum", np.zeros((1, 4)), 3, 0.1, method="leapfrog")
    with pytest.raises(ValidationError, match="dimension 2"):
        ham.integrate("pendulum", np.zeros((1, 3)), 3, 0.1)
    with pytest.raises(ValidationError, match="no parameter"):
        ham.get("pendulum").params({"mass": 1.0})


def test_seeded_tasks_repeat():
    a = ham.get("two_body").sample_params(seed=5)
    assert a == ham.get("two_body").sample_params(seed=5)
    assert a != ham.get("two_body").sample_params(seed=6)
    s1 = ham.simulate("spring_chain", n_traj=2, n_points=5, seed=1)
    s2 = ham.simulate("spring_chain", n_traj=2, n_points=5, seed=1)
    assert np.array_equal(s1[1].states, s2[1].states)
