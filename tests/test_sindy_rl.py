"""SINDy-RL: the E-SINDy surrogate, the Dyna loop's real-step counter, the distilled policy, bad input."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")

from dynlearn.control import collect, make_env  # noqa: E402
from dynlearn.control.agents.sindy_rl import (  # noqa: E402
    ESindySurrogate,
    PolynomialPolicy,
    SindyRL,
    distill_policy,
)
from dynlearn.errors import ValidationError  # noqa: E402

TINY = {"random_steps": 120, "cycles": 2, "episodes_per_cycle": 1, "updates_per_cycle": 15, "rollout_batch": 4,
        "rollout_horizon": 20, "batch_size": 32, "hidden": (16, 16), "n_models": 4}


@pytest.fixture(scope="module")
def pendulum_surrogate():
    env = make_env("pendulum")
    data = collect(env, None, n_steps=1_000, seed=0)
    return ESindySurrogate(n_models=20, degree=2, seed=0, reward=env.model()).fit(data), data


def _coef(sur, eq: int, term: str) -> float:
    names = sur.model.feature_names_
    return float(sur.coefficients()[eq, names.index(term)])


def test_surrogate_recovers_the_pendulum_equations(pendulum_surrogate):
    """θ̇[k+1] = θ̇ + 0.75 sin θ + 0.15 u exactly (g = 10, l = m = 1, dt = 0.05), and to first order in dt
    cos θ[k+1] ≈ cos θ − 0.05 sin θ θ̇, sin θ[k+1] ≈ sin θ + 0.05 cos θ θ̇ (x0 = cos, x1 = sin, x2 = θ̇)."""
    sur, data = pendulum_surrogate
    assert sur.n_models == 20
    assert _coef(sur, 2, "x2") == pytest.approx(1.0, abs=0.01)
    assert _coef(sur, 2, "x1") == pytest.approx(0.75, abs=0.01)
    assert _coef(sur, 2, "u0") == pytest.approx(0.15, abs=0.005)
    theta_dot_terms = np.flatnonzero(sur.coefficients()[2])
    assert len(theta_dot_terms) <= 5  # sparse: the three true terms and at most two small extras
    assert _coef(sur, 0, "x0") == pytest.approx(1.0, abs=0.05)
    assert _coef(sur, 0, "x1 x2") == pytest.approx(-0.05, abs=0.01)
    assert _coef(sur, 1, "x1") == pytest.approx(1.0, abs=0.05)
    assert _coef(sur, 1, "x0 x2") == pytest.approx(0.05, abs=0.01)
    # one-step error (the map cannot follow the clip of θ̇ at ±8 nor the exact rotation, so not zero)
    assert np.mean((sur.step(data.obs, data.actions) - data.next_obs) ** 2) < 1e-3
    # the member path gives each row its own ensemble member
    members = np.arange(len(data.obs)) % sur.n_models
    assert sur.step(data.obs[:5], data.actions[:5], member=members[:5]).shape == (5, 3)
    assert "u0" in sur.equations()


def test_surrogate_refuses_a_wrong_action_dimension(pendulum_surrogate):
    sur, data = pendulum_surrogate
    with pytest.raises(ValidationError, match="action of size 1"):
        sur.step(data.obs[:4], np.zeros((4, 2)))
    with pytest.raises(ValidationError, match="obs"):
        sur.step(np.zeros((4, 5)), np.zeros((4, 1)))


def test_surrogate_plans_with_cem_through_mpc(pendulum_surrogate):
    """The surrogate follows the DynamicsModel interface, so the control layer's planners use it (torch in/out)."""
    from dynlearn.control import MPC, make_planner

    sur, _ = pendulum_surrogate
    env = make_env("pendulum")
    mpc = MPC(sur, make_planner("cem", horizon=5, population=16, iterations=2, elites=4), env=env)
    obs, _ = env.reset(seed=1)
    for _ in range(2):
        a = mpc(obs)
        assert a.shape == (1,) and abs(float(a[0])) <= 2.0
        obs, *_ = env.step(a)


def test_real_steps_are_counted_exactly_and_the_policy_distils():
    env = make_env("pendulum", max_episode_steps=30)
    agent = SindyRL(seed=0, **TINY)
    records = agent.train(env)
    # 120 random steps, then one 30-step on-policy episode per cycle
    assert agent.real_steps_ == 120 + 2 * 30
    assert len(agent.transitions()) == agent.real_steps_
    assert [r["real_steps"] for r in records] == [120, 150, 180]
    assert [r["cycle"] for r in records] == [0, 1, 2]
    assert agent.sac_.updates_ == 2 * 15
    assert agent.surrogate_steps_ > 0
    # the distilled policy: a degree-3 polynomial in 3 variables has 20 terms at most
    policy = agent.distill()
    assert 0 <= policy.n_params <= 20 and policy.squash  # an untrained actor may distil to no term at all
    report = agent.distill_report_
    assert len(report["candidates"]) == len(agent.config.policy_thresholds)
    assert report["chosen_threshold"] in agent.config.policy_thresholds
    assert agent.real_steps_ == 180  # distillation spends no real steps
    assert policy.n_params == np.count_nonzero(policy.coef)
    assert agent.n_policy_params == (3 * 16 + 16) + (16 * 16 + 16) + (16 * 2 + 2)
    a = policy(np.zeros((7, 3)))
    assert a.shape == (7, 1) and np.all(np.abs(a) <= 2.0)
    assert agent.evaluate(env, 1, policy=policy).shape == (1,)
    # an environment with another action size is refused before any training
    with pytest.raises(ValidationError, match="actions of size 1"):
        agent.train(make_env("point_mass"))
    with pytest.raises(ValidationError, match="expects"):
        agent.act(np.zeros(4))


def test_the_default_networks_are_over_100x_a_cubic_policy():
    agent = SindyRL(seed=0)
    agent._setup(make_env("pendulum"))
    assert agent.n_policy_params == (3 * 64 + 64) + (64 * 64 + 64) + (64 * 2 + 2) == 4_546
    assert agent.n_policy_params / 20 >= 100  # 20: every term of a degree-3 policy in 3 variables


def test_distillation_recovers_a_sparse_polynomial_policy():
    rng = np.random.default_rng(0)
    s = rng.uniform(-1, 1, (500, 3))
    a = (-1.5 * s[:, 0] + 0.8 * s[:, 1] * s[:, 2])[:, None]
    policy = distill_policy(s, a, [-2.0], [2.0], degree=3, threshold=0.05, variables=("c", "s", "w"))
    assert policy.n_params == 2
    np.testing.assert_allclose(policy(s), np.clip(a, -2, 2), atol=1e-3)
    assert "s w" in policy.equations()
    with pytest.raises(ValidationError, match="size 3"):
        policy(np.zeros(4))
    with pytest.raises(ValidationError, match="expected"):
        PolynomialPolicy(np.zeros((1, 5)), 3, [-2.0], [2.0], ("c", "s", "w"))


def test_config_errors_name_the_field():
    with pytest.raises(ValidationError, match="propagation"):
        SindyRL(propagation="mean")
    with pytest.raises(ValidationError, match="n_models"):
        SindyRL(n_models=1)
    with pytest.raises(ValidationError, match="reward"):
        SindyRL(reward="learned")
    with pytest.raises(ValidationError, match="policy_thresholds"):
        SindyRL(policy_thresholds=())


def test_resume_after_an_interruption_gives_the_same_run(tmp_path):
    def run(folder, stop_after=None):
        agent = SindyRL(seed=3, **{**TINY, "cycles": 2})

        def cb(rec):
            if stop_after is not None and rec["cycle"] == stop_after:
                raise KeyboardInterrupt

        try:
            agent.train(make_env("pendulum", max_episode_steps=30), run_dir=folder, callback=cb)
        except KeyboardInterrupt:
            agent = SindyRL(seed=3, **{**TINY, "cycles": 2})
            agent.train(make_env("pendulum", max_episode_steps=30), run_dir=folder)
        return agent

    a = run(tmp_path / "a")
    b = run(tmp_path / "b", stop_after=1)
    assert a.real_steps_ == b.real_steps_ == 180
    np.testing.assert_array_equal(a.transitions().obs, b.transitions().obs)
    for pa, pb in zip(a.sac_.actor_.parameters(), b.sac_.actor_.parameters()):
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())
    np.testing.assert_array_equal(a.surrogate_.coefficients(), b.surrogate_.coefficients())


def test_learned_reward_option():
    env = make_env("pendulum", max_episode_steps=30)
    agent = SindyRL(seed=0, reward="sindy", **{**TINY, "cycles": 1})
    agent.train(env)
    d = agent.transitions()
    r = agent.surrogate_.reward(d.obs, d.actions, d.next_obs)
    assert r.shape == (len(d),) and np.all(np.isfinite(r))
    # a degree-2 polynomial in (cos, sin) explains most of the pendulum's reward
    assert np.corrcoef(r, d.rewards)[0, 1] > 0.8


@pytest.mark.slow
def test_smoke_recipe_writes_a_page(tmp_path):
    from dynlearn import repro

    result = repro.run("sindy-rl", out_dir=tmp_path, smoke=True, progress=lambda m: None, doc=tmp_path / "p.md")
    page = (tmp_path / "p.md").read_text()
    assert result.verdict in ("reproduced", "partially reproduced", "not reproduced")
    assert "SINDy-RL final" in page and "x2[k+1]" in page
    assert result.metrics["actor_params"] == 4_546
    assert {p.name for p in result.figures} == {"sindy-rl-curves.png", "sindy-rl-policies.png"}
