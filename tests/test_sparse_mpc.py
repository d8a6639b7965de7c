"""Sparse ReLU dynamics and its exact mixed-integer encoding (dynlearn.control.sparse_mpc)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dynlearn.control import Transitions
from dynlearn.control.sparse_mpc import (
    L1Cost,
    SparseReLUDynamics,
    encode_horizon,
    interval_bounds,
    pendulum_cost,
    solve_horizon,
)
from dynlearn.errors import ValidationError


def _data(n=600, seed=0) -> Transitions:
    """A smooth nonlinear system with one action: s' = s + 0.1 (tanh(A s) + B a)."""
    rng = np.random.default_rng(seed)
    s = rng.uniform(-1, 1, (n, 3))
    a = rng.uniform(-1, 1, (n, 1))
    A = np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, 0.5], [0.3, 0.0, -0.5]])
    nxt = s + 0.1 * (np.tanh(s @ A.T) + a * np.array([0.0, 1.0, 0.5]))
    return Transitions(s, a, nxt)


@pytest.fixture(scope="module")
def model() -> SparseReLUDynamics:
    return SparseReLUDynamics(hidden=16, layers=2, active=5, epochs=15, batch_size=128, seed=0).fit(_data())


def test_pruning_keeps_the_target_count_and_the_function(model):
    assert model.active_neurons == [5, 5]
    assert [W.shape for W, _ in model.layers_] == [(5, 4), (5, 5), (3, 5)]
    assert all(len(k) == 5 for k in model.kept_)
    data = _data(200, seed=1)
    assert model.mse(data) < np.mean((data.next_obs - data.obs) ** 2)  # learned something
    # numpy and torch steps agree, and the model is deterministic for a seed
    y_np = model.step(data.obs, data.actions)
    y_t = model.step(torch.as_tensor(data.obs), torch.as_tensor(data.actions)).numpy()
    np.testing.assert_allclose(y_np, y_t, atol=1e-12)
    again = SparseReLUDynamics(hidden=16, layers=2, active=5, epochs=15, batch_size=128, seed=0).fit(_data())
    np.testing.assert_array_equal(again.step(data.obs, data.actions), y_np)


def test_dense_is_active_equal_hidden():
    m = SparseReLUDynamics(hidden=8, layers=1, active=8, epochs=2).fit(_data(100))
    assert m.active_neurons == [8]
    with pytest.raises(ValidationError, match="active"):
        SparseReLUDynamics(hidden=8, active=9)


def test_interval_bounds_contain_the_true_activations(model):
    rng = np.random.default_rng(3)
    lo, hi = np.array([-1.0, -0.5, 0.0, -1.0]), np.array([1.0, 0.5, 0.3, 1.0])
    bounds = interval_bounds(model.layers_, lo, hi)
    x = rng.uniform(lo, hi, (2000, 4))
    x[:16] = np.array(np.meshgrid(*zip(lo, hi))).reshape(4, -1).T  # the box's corners too
    for z, (L, U) in zip(model.activations(x[:, :3], x[:, 3:]), bounds):
        assert np.all(z >= L - 1e-12) and np.all(z <= U + 1e-12)


def test_the_mip_equals_the_network_on_random_inputs(model):
    pytest.importorskip("highspy", reason="needs the mip extra")
    rng = np.random.default_rng(5)
    box = (-5 * np.ones(3), 5 * np.ones(3))
    for _ in range(10):
        s0 = rng.uniform(-1, 1, 3)
        acts = rng.uniform(-1, 1, (3, 1))
        # fixing the actions (box of zero width) leaves one feasible point: the network's rollout
        sol = _fixed(model, s0, acts, box, tighten=bool(_ % 2))
        s, expected = s0, []
        for a in acts:
            s = model.step(torch.as_tensor(s[None]), torch.as_tensor(a[None])).numpy()[0]
            expected.append(s)
        assert sol.status == "Optimal"
        np.testing.assert_allclose(sol.states[1:], np.asarray(expected), atol=1e-6)


def _fixed(model, s0, acts, box, tighten=False):
    """Solve the horizon's MIP with each step's action pinned (a box of zero width per step)."""
    highspy = pytest.importorskip("highspy")
    hp = encode_horizon(model.layers_, s0, len(acts), (-1.0, 1.0), box, tighten=tighten)
    for t, a in enumerate(acts):
        for k, col in enumerate(hp.actions[t]):
            hp.program.lb[col] = hp.program.ub[col] = float(a[k])
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.passModel(hp.program.to_highs(highspy))
    h.run()

    class Out:
        status = h.modelStatusToString(h.getModelStatus())
        states = np.asarray(h.getSolution().col_value)[hp.states]

    return Out


def test_one_step_solve_finds_the_known_optimum():
    pytest.importorskip("highspy", reason="needs the mip extra")
    # s' = s + relu(a) − relu(−a) − 0.5 relu(a − 0.5): s + a for a ≤ 0.5, s + 0.5a + 0.25 above (a kink).
    # From s = 2 with cost |s' − 1.6| + 0.01|a| the optimum is a = −0.4 (cost 0.004)
    layers = [
        (np.array([[0.0, 1.0], [0.0, -1.0], [0.0, 1.0]]), np.array([0.0, 0.0, -0.5])),
        (np.array([[1.0, -1.0, -0.5]]), np.array([0.0])),
    ]
    cost = L1Cost(state_weights=[1.0], action_weights=[0.01], target=[1.6])
    sol = solve_horizon(layers, [2.0], 1, (-1.0, 1.0), (-10.0, 10.0), cost)
    assert sol.status == "Optimal" and sol.gap <= 1e-6
    np.testing.assert_allclose(sol.actions, [[-0.4]], atol=1e-7)
    np.testing.assert_allclose(sol.objective, 0.004, atol=1e-9)
    # target above what the kinked branch reaches: a = 1 gives s' = 2 + 1 − 0.25 = 2.75 < 3
    sol = solve_horizon(layers, [2.0], 1, (-1.0, 1.0), (-10.0, 10.0), L1Cost([1.0], [0.0], target=[3.0]))
    np.testing.assert_allclose(sol.actions, [[1.0]], atol=1e-7)
    np.testing.assert_allclose(sol.objective, 0.25, atol=1e-9)
    assert sol.binaries >= 1


def test_mip_mpc_matches_exhaustive_search_on_the_learned_model(model):
    pytest.importorskip("highspy", reason="needs the mip extra")
    cost = L1Cost(state_weights=[1.0, 1.0, 0.0], action_weights=[0.01])
    box = (-3 * np.ones(3), 3 * np.ones(3))
    s0 = np.array([0.5, -0.4, 0.2])
    sol = solve_horizon(model.layers_, s0, 2, (-1.0, 1.0), box, cost)
    grid = np.linspace(-1, 1, 201)
    a0, a1 = (g.ravel()[:, None] for g in np.meshgrid(grid, grid, indexing="ij"))
    s1 = model.step(np.repeat(s0[None], len(a0), 0), a0)
    s2 = model.step(s1, a1)
    best = np.min(cost.value(s1, a0) + cost.value(s2, a1))
    assert sol.objective <= best + 1e-9  # the grid cannot beat the global optimum
    assert sol.objective >= best - 0.05  # and the grid is fine enough to come close
    # the plan's cost re-evaluated through the network equals the MIP's objective
    p1 = model.step(s0[None], sol.actions[:1])
    p2 = model.step(p1, sol.actions[1:2])
    np.testing.assert_allclose(
        cost.value(p1, sol.actions[:1]) + cost.value(p2, sol.actions[1:2]), sol.objective, atol=1e-6
    )


def test_bound_tightening_keeps_the_optimum_with_fewer_binaries(model):
    pytest.importorskip("highspy", reason="needs the mip extra")
    cost = L1Cost(state_weights=[1.0, 1.0, 0.5], action_weights=[0.01], constant=2.0)  # an offset too
    box = (-3 * np.ones(3), 3 * np.ones(3))
    for s0 in (np.array([0.5, -0.4, 0.2]), np.array([-0.8, 0.9, -0.3])):
        plain = solve_horizon(model.layers_, s0, 4, (-1.0, 1.0), box, cost, mip_gap=1e-9, time_limit=30)
        tight = solve_horizon(model.layers_, s0, 4, (-1.0, 1.0), box, cost, mip_gap=1e-9, time_limit=30, tighten=True)
        assert plain.status == tight.status == "Optimal"
        assert tight.binaries <= plain.binaries
        np.testing.assert_allclose(tight.objective, plain.objective, atol=1e-6)


def test_soft_box_penalises_leaving_it_and_stays_feasible():
    pytest.importorskip("highspy", reason="needs the mip extra")
    layers = [(np.array([[0.0, 1.0], [0.0, -1.0]]), np.zeros(2)), (np.array([[1.0, -1.0]]), np.array([0.0]))]
    # s' = s + a from s = 0.9; the cost wants s' = 2 but leaving the soft box [−1, 1] costs 10 per unit
    cost = L1Cost(state_weights=[1.0], action_weights=[0.0], target=[2.0])
    sol = solve_horizon(layers, [0.9], 1, (-1.0, 1.0), (-5.0, 5.0), cost, soft_box=(-1.0, 1.0), warm_start=[[0.0]])
    np.testing.assert_allclose(sol.actions, [[0.1]], atol=1e-7)
    np.testing.assert_allclose(sol.objective, 1.0, atol=1e-7)
    loose = solve_horizon(layers, [0.9], 1, (-1.0, 1.0), (-5.0, 5.0), cost, soft_box=(-1.0, 1.0), soft_penalty=0.5)
    np.testing.assert_allclose(loose.actions, [[1.0]], atol=1e-7)  # a cheap penalty is paid: 0.1 + 0.5 · 0.9


def test_missing_highspy_names_the_extra(monkeypatch):
    import sys

    from dynlearn.control.sparse_mpc import require_highspy
    from dynlearn.errors import DynlearnError

    monkeypatch.setitem(sys.modules, "highspy", None)
    with pytest.raises(DynlearnError, match=r"dynlearn\[mip\]"):
        require_highspy()
    with pytest.raises(DynlearnError, match="highspy"):
        solve_horizon([(np.ones((1, 2)), np.zeros(1)), (np.ones((1, 1)), np.zeros(1))], [0.0], 1, (-1, 1), (-1, 1))


def test_pendulum_cost_is_zero_upright_at_rest():
    c = pendulum_cost()
    np.testing.assert_allclose(c.value(np.array([[1.0, 0.0, 0.0]]), np.zeros((1, 1))), [0.0])
    np.testing.assert_allclose(c.value(np.array([[-1.0, 0.0, 2.0]]), np.array([[1.0]])), [2.201])
    t = c.reward(None, torch.ones(2, 1), torch.tensor([[-1.0, 0.0, 2.0], [1.0, 0.0, 0.0]]))
    np.testing.assert_allclose(t.numpy(), [-2.201, -0.001], atol=1e-6)


@pytest.mark.slow
def test_recipe_smoke(tmp_path):
    pytest.importorskip("highspy", reason="needs the mip extra")
    from dynlearn import repro

    result = repro.run(
        "sparse-mpc", smoke=True, out_dir=tmp_path, doc=tmp_path / "sparse-mpc.md", progress=lambda m: None
    )
    assert result.verdict in ("reproduced", "partially reproduced", "not reproduced")
    assert set(result.metrics["verdicts"]) == {"error", "cost", "solve_time"}
    assert result.metrics["episodes"] and (tmp_path / "sparse-mpc.md").is_file()
