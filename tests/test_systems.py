"""Catalog basics: simulation, errors, invariants against literature values."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn import systems
from dynlearn.errors import DivergenceError, UnknownNameError, ValidationError


def test_lookup_is_forgiving_and_misses_suggest():
    assert systems.get("lorenz") is systems.get("Lorenz")
    with pytest.raises(UnknownNameError, match="did you mean 'Lorenz'"):
        systems.get("Lorenzz")


def test_simulate_metadata_and_sampling():
    (tr,) = systems.simulate("Lorenz", n_points=300, points_per_period=30, seed=0)
    assert tr.system == "Lorenz" and len(tr) == 300 and tr.dim == 3
    assert tr.dt == pytest.approx(systems.get("Lorenz").period / 30)
    assert tr.lyapunov_time == pytest.approx(1 / systems.get("Lorenz").max_lyapunov)
    assert tr.meta["params"] == {"sigma": 10.0, "rho": 28.0, "beta": 8.0 / 3.0}


def test_batched_seeds_equal_individual_runs():
    batch = systems.simulate("Rossler", n_points=200, seed=[3, 4])
    single = systems.simulate("Rossler", n_points=200, seed=[4])
    np.testing.assert_allclose(batch[1].states, single[0].states, rtol=1e-12)
    assert batch[0].meta["seed"] == 3


def test_parameter_overrides_and_errors():
    (a,) = systems.simulate("Lorenz", n_points=100, seed=0, params={"rho": 28.0})
    (b,) = systems.simulate("Lorenz", n_points=100, seed=0, params={"rho": 30.0})
    assert not np.allclose(a.states, b.states)
    with pytest.raises(ValidationError, match="did you mean 'rho'"):
        systems.simulate("Lorenz", n_points=100, params={"rh": 1.0})
    with pytest.raises(ValidationError, match="dimension 3"):
        systems.simulate("Lorenz", n_points=100, x0=[1.0, 2.0])
    with pytest.raises(ValidationError, match="n_points must be > 0"):
        systems.simulate("Lorenz", n_points=0)
    with pytest.raises(ValidationError, match="dt must be > 0"):
        systems.simulate("Lorenz", n_points=10, dt=-0.1)
    with pytest.raises(ValidationError, match="GiB"):
        systems.simulate("Lorenz", n_points=10**9, n_trajectories=10)


def test_divergence_names_system_trajectory_and_time():
    with pytest.raises(DivergenceError, match=r"Lorenz: trajectory 1 diverged at t="):
        systems.simulate("Lorenz", n_points=2000, x0=[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], params={"beta": -5.0})


def test_lorenz_lyapunov_exponent_matches_literature():
    # lambda_max = 0.9056 for the classic parameters (Sprott 2003, Chaos and Time-Series Analysis, App. A).
    spectrum = systems.lyapunov_spectrum(systems.get("Lorenz"), n_steps=15_000, dt=0.01, transient=500)
    assert spectrum[0] == pytest.approx(0.9056, rel=0.05)
    assert abs(spectrum[1]) < 0.05
    # the exponents sum to the (constant) divergence of the flow: -(sigma + 1 + beta)
    assert spectrum.sum() == pytest.approx(-(10 + 1 + 8 / 3), rel=1e-3)


def test_dominant_period_of_a_sine():
    t = np.arange(4000) * 0.01
    assert systems.dominant_period(np.sin(2 * np.pi * t / 2.0)[:, None], 0.01) == pytest.approx(2.0, rel=0.01)


def test_simulate_standardises_adds_seeded_noise_and_samples_per_lyapunov_time():
    a = systems.simulate("Lorenz", n_points=800, seed=1, standardize=True, noise=0.05)[0]
    b = systems.simulate("Lorenz", n_points=800, seed=1, standardize=True, noise=0.05)[0]
    clean = systems.simulate("Lorenz", n_points=800, seed=1, standardize=True)[0]
    np.testing.assert_array_equal(a.states, b.states)
    np.testing.assert_allclose(clean.states.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(clean.states.std(0), 1, rtol=1e-12)
    assert (a.states - clean.states).std() == pytest.approx(0.05, rel=0.15)
    assert clean.meta["standardization"]["std"][0] > 1
    c = systems.simulate("Lorenz", n_points=10, seed=1, points_per_lyapunov_time=50)[0]
    assert c.dt == pytest.approx(systems.get("Lorenz").lyapunov_time / 50)
