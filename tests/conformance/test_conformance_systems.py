"""Every system in the catalog passes the same checks (generated from the registry)."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn import systems

NAMES = systems.names()


@pytest.mark.parametrize("name", NAMES)
class TestSystemConformance:
    def test_record_is_complete(self, name):
        s = systems.get(name)
        assert s.dim == len(s.x0) >= 1
        assert s.reference and s.description and s.params
        assert s.dt > 0 and s.period > 0
        assert s.max_lyapunov is None or np.isfinite(s.max_lyapunov)  # chaos is checked by `repro dysts`

    def test_rhs_is_vectorised(self, name):
        s = systems.get(name)
        x = np.asarray(s.x0) + np.random.default_rng(0).normal(0, 0.1, (5, s.dim))
        batch = s(x)
        assert batch.shape == (5, s.dim)
        for i in range(5):
            np.testing.assert_allclose(s(x[i]), batch[i], rtol=1e-12)

    def test_jacobian_matches_finite_differences(self, name):
        s = systems.get(name)
        (traj,) = systems.simulate(s, n_points=50, seed=1)
        x = traj.states[::10]
        J = s.jac(x)
        eps = 1e-6
        for j in range(s.dim):
            e = np.zeros(s.dim)
            e[j] = eps * max(1.0, np.abs(x[:, j]).max())
            fd = (s(x + e) - s(x - e)) / (2 * e[j])
            np.testing.assert_allclose(J[:, :, j], fd, rtol=1e-5, atol=1e-5)

    def test_bounded_finite_and_deterministic(self, name):
        s = systems.get(name)
        a = systems.simulate(name, n_points=2000, seed=5)[0].states
        b = systems.simulate(name, n_points=2000, seed=5)[0].states
        c = systems.simulate(name, n_points=2000, seed=6)[0].states
        np.testing.assert_array_equal(a, b)
        assert not np.allclose(a, c)
        assert np.all(np.isfinite(a))
        scale = 100 * max(1.0, np.abs(s.x0).max())
        assert np.abs(a).max() < scale
        assert np.all(a.std(axis=0) > 0), "a trajectory on the attractor should not be constant"
