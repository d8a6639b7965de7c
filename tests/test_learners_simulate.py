"""Simulated students: the exact OU transition against a fine Euler-Maruyama run, the planted DAG,
seeding, and the interaction log's validation and file format."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm, solve_continuous_lyapunov

from dynlearn.errors import FileFormatError, ValidationError
from dynlearn.graphs.learners import InteractionLog, ou_transition, planted_dag, simulate_students


def _coupled_ou():
    W = np.array([[0.0, 1.0, 0.5], [0.0, 0.0, 0.5], [0.0, 0.0, 0.0]])  # 0 -> 1 -> 2, 0 -> 2
    alpha, gamma = 0.8, 0.7
    F = alpha * (gamma * W.T - np.eye(3))
    u = alpha * np.array([-1.0, 0.5, 0.2])
    G = np.array([[0.4, 0.0, 0.0], [0.1, 0.3, 0.0], [0.0, 0.0, 0.5]])
    return F, u, G @ G.T, G


def test_exact_transition_matches_a_fine_euler_maruyama_simulation():
    F, u, D, G = _coupled_ou()
    z0 = np.array([1.0, -0.5, 0.3])
    gap, n_steps, n_paths = 1.5, 300, 6_000
    Phi, c, Q = ou_transition(F, u, D, gap)
    rng = np.random.default_rng(0)
    h = gap / n_steps
    z = np.tile(z0, (n_paths, 1))
    for _ in range(n_steps):
        z = z + h * (z @ F.T + u) + np.sqrt(h) * rng.standard_normal((n_paths, 3)) @ G.T
    mean_em, cov_em = z.mean(0), np.cov(z.T)
    mean_exact = Phi @ z0 + c
    se = np.sqrt(np.diag(Q) / n_paths)
    assert np.all(np.abs(mean_em - mean_exact) < 4 * se + 5e-3)
    assert np.allclose(cov_em, Q, atol=0.006, rtol=0.06)
    assert not np.allclose(cov_em, np.diag(np.diag(Q)), atol=0.006, rtol=0.06)  # the coupling is resolved
    # and the exact mean against the closed form mu* + Phi (z0 - mu*)
    mu = np.linalg.solve(-F, u)
    assert np.allclose(mean_exact, mu + expm(F * gap) @ (z0 - mu), atol=1e-12)


def test_transition_over_no_gap_is_the_identity_and_q_is_the_lyapunov_integral():
    F, u, D, _ = _coupled_ou()
    Phi, c, Q = ou_transition(F, u, D, 0.0)
    assert np.allclose(Phi, np.eye(3)) and np.allclose(c, 0) and np.allclose(Q, 0)
    P = solve_continuous_lyapunov(F, -D)  # stationary covariance
    for gap in (0.01, 0.7, 5.0):
        Phi, _, Q = ou_transition(F, u, D, gap)
        assert np.allclose(Q, P - Phi @ P @ Phi.T, atol=1e-10)
    with pytest.raises(ValidationError, match="negative"):
        ou_transition(F, u, D, -1.0)


def test_planted_dag_is_acyclic_with_unit_incoming_weight():
    W = planted_dag(7, 0.3, np.random.default_rng(3))
    assert np.allclose(np.linalg.matrix_power(W, 7), 0)  # nilpotent: no cycle
    sums = W.sum(0)
    assert sums[0] == 0 and np.allclose(sums[1:], 1.0)


def test_simulation_is_seeded_and_carries_its_ground_truth():
    a = simulate_students(seed=4, n_learners=6, n_concepts=4, interactions=12)
    b = simulate_students(seed=4, n_learners=6, n_concepts=4, interactions=12)
    c = simulate_students(seed=5, n_learners=6, n_concepts=4, interactions=12)
    assert np.array_equal(a.log.correct, b.log.correct) and np.array_equal(a.log.time, b.log.time)
    assert not np.array_equal(a.log.time, c.log.time)
    assert len(a.log) == 72 and a.graph.shape == (4, 4)
    K = 4
    assert np.allclose(np.linalg.matrix_power(a.graph, K), 0)
    assert set(a.traits) == {"forgetting", "transfer", "learning"} and all(v.shape == (6,) for v in a.traits.values())
    assert np.all((a.p_correct > 0) & (a.p_correct < 1))
    with pytest.raises(ValidationError, match="link"):
        simulate_students(n_learners=2, interactions=2, link="cauchit")


def test_log_validation_names_the_bad_row():
    with pytest.raises(ValidationError, match="time goes backwards for learner 1 at row 3"):
        InteractionLog.from_arrays([0, 1, 0, 1], [0, 0, 1, 1], [0.0, 2.0, 1.0, 1.5], [1, 0, 1, 1])
    with pytest.raises(ValidationError, match=r"concept\[1\] = 5 is out of range for n_concepts=3"):
        InteractionLog.from_arrays([0, 0], [0, 5], [0.0, 1.0], [1, 0], n_concepts=3)
    with pytest.raises(ValidationError, match=r"correct\[0\] = 2"):
        InteractionLog.from_arrays([0], [0], [0.0], [2])
    with pytest.raises(ValidationError, match="finite"):
        InteractionLog.from_arrays([0], [0], [np.nan], [1])
    with pytest.raises(ValidationError, match=">= 0"):
        InteractionLog.from_arrays([-1], [0], [0.0], [1])
    ok = InteractionLog.from_arrays([0, 1, 0], [2, 0, 2], [0.0, 0.0, 0.0], [1, 0, 1])  # ties allowed
    assert ok.n_learners == 2 and ok.n_concepts == 3


def test_log_split_padding_and_file_round_trip(tmp_path):
    log = simulate_students(seed=0, n_learners=3, n_concepts=3, interactions=10).log
    past, future = log.split(0.8)
    assert len(past) == 24 and len(future) == 6
    pad = past.padded()
    assert pad["concept"].shape == (3, 8) and pad["mask"].all()
    path = log.save(tmp_path / "log.npz")
    back = InteractionLog.load(path)
    assert np.array_equal(back.time, log.time) and back.n_concepts == 3
    np.savez(tmp_path / "bad.npz", learner=np.array([0]))
    with pytest.raises(FileFormatError, match="not an interaction log"):
        InteractionLog.load(tmp_path / "bad.npz")
    np.savez(tmp_path / "pickled.npz", learner=np.array([{"a": 1}], dtype=object))
    with pytest.raises(FileFormatError, match="pickle"):
        InteractionLog.load(tmp_path / "pickled.npz")
