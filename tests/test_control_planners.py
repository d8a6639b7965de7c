"""Planners and MPC: they improve on doing nothing, are seeded, survive NaN rollouts, and refuse
mismatched shapes before any work."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")
torch = pytest.importorskip("torch")

from dynlearn.control import MPC, make_env, make_planner, run_episode  # noqa: E402
from dynlearn.control.planners import colored_noise  # noqa: E402
from dynlearn.errors import DivergenceError, UnknownNameError, ValidationError  # noqa: E402

SMALL = {"horizon": 10, "population": 64, "iterations": 3, "elites": 8}


@pytest.mark.parametrize("name", ["random", "cem", "icem", "mppi"])
def test_mpc_beats_doing_nothing(name):
    env = make_env("pendulum", max_episode_steps=25)
    mpc = MPC(env.model(), make_planner(name, horizon=10, population=32, iterations=2, elites=4), env=env)
    planned = run_episode(env, mpc, seed=4).total_reward
    idle = run_episode(env, lambda o: np.zeros(1), seed=4).total_reward
    assert planned > idle + 5.0


def test_same_seed_same_plan():
    env = make_env("pendulum")
    obs, _ = env.reset(seed=0)
    p = make_planner("icem", **SMALL)
    a = p.plan(env.model(), obs, generator=torch.Generator().manual_seed(3)).actions
    b = p.plan(env.model(), obs, generator=torch.Generator().manual_seed(3)).actions
    np.testing.assert_array_equal(a, b)


class _Poisoned:
    """The pendulum's true model, returning NaN from rollout step ``at`` for rows chosen by ``rows``."""

    def __init__(self, at: int, rows=lambda a: torch.ones(len(a), dtype=torch.bool)):
        self.true, self.at, self.rows, self.calls = make_env("pendulum").model(), at, rows, 0
        self.observation_dim, self.action_dim = 3, 1
        self.action_low, self.action_high = self.true.action_low, self.true.action_high

    def step(self, obs, actions, *, generator=None):
        y = self.true.step(obs, actions)
        if self.calls % SMALL["horizon"] >= self.at:
            y = torch.where(self.rows(actions)[:, None], torch.full_like(y, float("nan")), y)
        self.calls += 1
        return y

    def reward(self, obs, actions, next_obs):
        return self.true.reward(obs, actions, next_obs)

    def terminated(self, next_obs):
        return self.true.terminated(next_obs)


def test_all_rollouts_diverging_names_the_step():
    obs = np.array([1.0, 0.0, 0.0])
    with pytest.raises(DivergenceError, match="step 3 of the horizon 10"):
        make_planner("cem", **SMALL).plan(_Poisoned(3), obs)


def test_some_rollouts_diverging_are_dropped_and_counted():
    model = _Poisoned(2, rows=lambda a: a[:, 0] > 1.0)
    plan = make_planner("random", **SMALL).plan(model, np.array([1.0, 0.0, 0.0]))
    assert plan.diverged > 0 and plan.diverged_step == 2
    assert np.all(np.isfinite(plan.actions))


def test_mpc_falls_back_to_previous_plan_and_warns():
    model = _Poisoned(10**6)  # healthy at first
    env = make_env("pendulum")
    mpc = MPC(model, make_planner("cem", **SMALL), env=env)
    obs, _ = env.reset(seed=0)
    mpc(obs)
    previous = mpc._prev.clone()
    model.at = 0
    with pytest.warns(RuntimeWarning, match="control step 1: .*step 0.*falling back"):
        a = mpc(obs)
    assert a[0] == pytest.approx(float(previous[1, 0]))
    assert mpc.fallbacks and mpc.fallbacks[0][0] == 1


def test_shape_mismatches_fail_before_work():
    env = make_env("pendulum")
    p = make_planner("cem", **SMALL)
    with pytest.raises(ValidationError, match=r"shape \(3,\)"):
        p.plan(env.model(), np.zeros(4))
    with pytest.raises(ValidationError, match=r"init must have shape \(10, 1\)"):
        p.plan(env.model(), np.zeros(3), init=np.zeros((5, 1)))
    with pytest.raises(ValidationError, match="reacher observations have shape"):
        MPC(env.model(), p, env=make_env("reacher"))
    with pytest.raises(ValidationError, match="elites"):
        make_planner("cem", population=10, elites=20)


def test_unknown_planner_gets_suggestions():
    with pytest.raises(UnknownNameError, match="icem"):
        make_planner("icme")


def test_colored_noise_is_unit_variance_and_smooth_for_beta_2():
    g = torch.Generator().manual_seed(0)
    smooth, white = colored_noise(2.0, 400, 30, 1, g), colored_noise(0.0, 400, 30, 1, g)
    assert float(smooth.std()) == pytest.approx(1.0, abs=0.1)

    def lag1(x):
        x = x[..., 0]
        return float((x[:, 1:] * x[:, :-1]).mean() / (x * x).mean())

    assert lag1(smooth) > 0.6 and abs(lag1(white)) < 0.1
