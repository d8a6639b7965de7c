"""The planners' fast paths keep the mathematics: the ensemble's fused rollout samples the same
distributions as its step, the batched scoring equals step-by-step scoring, iCEM carries elites
within and between plans, and the ensemble's public API (predict, get_state/set_state) round-trips."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")
torch = pytest.importorskip("torch")

from dynlearn.control import MPC, GaussianEnsemble, MLPDynamics, collect, make_env, make_planner  # noqa: E402
from dynlearn.errors import ValidationError  # noqa: E402


@pytest.fixture(scope="module")
def fitted():
    env = make_env("pendulum")
    data = collect(env, None, 300, seed=0)
    kw = {"hidden": 16, "layers": 2, "epochs": 3, "reward": env.model()}
    return env, data, {
        "ts1": GaussianEnsemble(members=3, propagation="ts1", **kw).fit(data),
        "tsinf": GaussianEnsemble(members=3, propagation="tsinf", **kw).fit(data),
        "mean": GaussianEnsemble(members=3, propagation="mean", **kw).fit(data),
        "mlp": MLPDynamics(**kw).fit(data),
    }


class _StepOnly:
    """A model seen without its fused rollout (the planner then calls ``step`` H times)."""

    def __init__(self, model):
        self.m = model
        self.observation_dim, self.action_dim = model.observation_dim, model.action_dim

    def step(self, obs, actions, *, generator=None):
        return self.m.step(obs, actions, generator=generator)

    def reward(self, obs, actions, next_obs):
        return self.m.reward(obs, actions, next_obs)

    def terminated(self, next_obs):
        return self.m.terminated(next_obs)


@pytest.mark.parametrize("kind", ["mean", "mlp"])
def test_deterministic_rollout_equals_repeated_steps(fitted, kind):
    _, data, models = fitted
    m = models[kind]
    x = torch.as_tensor(data.obs[:40], dtype=torch.float32)
    a = torch.as_tensor(np.random.default_rng(0).uniform(-2, 2, (40, 6, 1)), dtype=torch.float32)
    fused = m.rollout(x, a)
    s, steps = x, []
    for t in range(6):
        s = m.step(s, a[:, t])
        steps.append(s)
    np.testing.assert_allclose(fused.numpy(), torch.stack(steps).numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("prop", ["ts1", "tsinf"])
def test_sampled_rollout_draws_from_the_members_gaussians(fitted, prop):
    _, data, models = fitted
    m = models[prop]
    n = 3 * 400
    x0 = data.obs[5]
    a0 = np.array([0.7])
    x = torch.as_tensor(np.tile(x0, (n, 1)), dtype=torch.float32)
    a = torch.as_tensor(np.tile(a0, (n, 1, 1)), dtype=torch.float32)
    y = m.rollout(x, a, generator=torch.Generator().manual_seed(1))[0].double().numpy()
    mean, var = m.predict(x0[None], a0[None])  # (M, 1, d)
    mean, sd = mean[:, 0], np.sqrt(var[:, 0])
    if prop == "tsinf":  # row j on member j mod M: standardised residuals are N(0, 1) member by member
        for k in range(3):
            z = (y[k::3] - mean[k]) / sd[k]
            assert abs(z.mean()) < 0.2 and 0.8 < z.std() < 1.2
    else:  # a balanced random assignment: the sample mean is the members' average
        assert np.all(np.abs(y.mean(0) - mean.mean(0)) < 4 * np.sqrt((var[:, 0].mean(0) + mean.var(0)) / n) + 1e-6)
    # the fused rollout and the step agree in distribution (first two moments, one step)
    steps = m.step(x, a[:, 0], generator=torch.Generator().manual_seed(2)).double().numpy()
    scale = np.sqrt(var[:, 0].mean(0) + mean.var(0))
    assert np.all(np.abs(y.mean(0) - steps.mean(0)) < 0.25 * scale + 1e-6)
    assert np.all(np.abs(y.std(0) - steps.std(0)) < 0.25 * scale + 1e-6)


def test_rollout_checks_shapes(fitted):
    _, _, models = fitted
    with pytest.raises(ValidationError, match="rollout needs obs"):
        models["ts1"].rollout(torch.zeros(4, 3), torch.zeros(4, 2))


def test_batched_scoring_equals_step_by_step(fitted):
    env, _, models = fitted
    p = make_planner("cem", horizon=8, population=32, elites=4)
    x = torch.as_tensor([0.3, -0.9, 0.5], dtype=torch.float32)
    acts = torch.rand(32, 8, 1, generator=torch.Generator().manual_seed(0)) * 4 - 2
    for model in (models["mlp"], env.model()):
        p._stats = {"diverged": 0, "step": None}
        fused = p.evaluate(model, x, acts, torch.Generator().manual_seed(0))
        slow = p.evaluate(_StepOnly(model), x, acts, torch.Generator().manual_seed(0))
        np.testing.assert_allclose(fused.numpy(), slow.numpy(), rtol=1e-4, atol=1e-4)


def test_termination_drops_later_rewards():
    class _Counter:
        observation_dim, action_dim = 1, 1

        def step(self, obs, actions, *, generator=None):
            return obs + 1

        def reward(self, obs, actions, next_obs):
            return torch.ones(len(obs))

        def terminated(self, next_obs):
            return next_obs[:, 0] >= 3  # the step reaching 3 still counts, later ones do not

    p = make_planner("random", horizon=6, population=4, elites=2)
    p._stats = {"diverged": 0, "step": None}
    ret = p.evaluate(_Counter(), torch.zeros(1), torch.zeros(4, 6, 1), torch.Generator())
    np.testing.assert_array_equal(ret.numpy(), np.full(4, 3.0))


class _Quadratic:
    """Reward -Σ (a - target)² per step, state ignored: the optimum is known."""

    observation_dim, action_dim = 1, 1

    def __init__(self, target):
        self.target = target

    def step(self, obs, actions, *, generator=None):
        return obs

    def reward(self, obs, actions, next_obs):
        return -((actions[:, 0] - self.target) ** 2)

    def terminated(self, next_obs):
        return torch.zeros(len(next_obs), dtype=torch.bool)


def test_icem_carried_elites_join_the_first_iteration():
    H = 5
    model = _Quadratic(0.9)
    p = make_planner("icem", horizon=H, population=16, elites=4, iterations=1, keep_elites=0.5, init_std=0.05)
    cold = p.plan(model, np.zeros(1), bounds=(-1, 1))
    assert cold.value < -0.5  # samples near the mean 0 cannot reach 0.9
    best = torch.full((1, H, 1), 0.9)
    warm = p.plan(model, np.zeros(1), bounds=(-1, 1), carry=best)
    assert warm.value == pytest.approx(0.0, abs=1e-6)
    assert warm.elites.shape == (4, H, 1)
    np.testing.assert_allclose(warm.elites[0].numpy(), best[0].numpy())
    with pytest.raises(ValidationError, match="carry must have shape"):
        p.plan(model, np.zeros(1), carry=torch.zeros(2, H + 1, 1))


def test_icem_keeps_elites_between_iterations():
    model = _Quadratic(0.5)
    p = make_planner("icem", horizon=4, population=32, elites=4, iterations=3, keep_elites=0.5, seed=3)
    values = []
    orig = p.evaluate

    def spy(m, x, cand, gen):
        ret = orig(m, x, cand, gen)
        values.append(float(ret.max()))
        return ret

    p.evaluate = spy
    p.plan(model, np.zeros(1), bounds=(-1, 1))
    assert values == sorted(values)  # the best candidate survives into each next iteration


def test_mpc_passes_icem_its_shifted_elites():
    seen = []

    class _Spy(type(make_planner("icem"))):
        def plan(self, model, obs, **kw):
            seen.append(kw.get("carry"))
            return super().plan(model, obs, **kw)

    env = make_env("pendulum", max_episode_steps=3)
    mpc = MPC(env.model(), _Spy(horizon=6, population=16, elites=4, iterations=1), env=env)
    obs, _ = env.reset(seed=0)
    mpc(obs)
    first = mpc._elites.clone()
    mpc(obs)
    assert seen[0] is None and seen[1].shape == (4, 6, 1)
    np.testing.assert_array_equal(seen[1][:, :-1].numpy(), first[:, 1:].numpy())
    np.testing.assert_array_equal(seen[1][:, -1].numpy(), first[:, -1].numpy())


def test_ensemble_public_api_round_trips(fitted):
    _, data, models = fitted
    m = models["ts1"]
    mean, var = m.predict(data.obs[:7], data.actions[:7])
    assert mean.shape == var.shape == (3, 7, 3) and np.all(var > 0)
    m1, v1 = m.predict(data.obs[:7], data.actions[:7], member=1)
    np.testing.assert_array_equal(m1, mean[1])
    np.testing.assert_allclose(mean.mean(0), m.predict_mean(data.obs[:7], data.actions[:7]), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValidationError, match="member must be"):
        m.predict(data.obs[:7], data.actions[:7], member=3)
    clone = GaussianEnsemble(members=3, propagation="ts1", hidden=16, layers=2).set_state(m.get_state())
    np.testing.assert_array_equal(clone.predict(data.obs[:7], data.actions[:7])[0], mean)
    assert clone.history_ == m.history_


def test_warm_iterations_apply_only_to_warm_started_plans():
    calls = []
    p = make_planner("cem", horizon=4, population=16, elites=4, iterations=5, warm_iterations=2)
    orig = p.evaluate
    p.evaluate = lambda *a: (calls.append(1), orig(*a))[1]
    model = _Quadratic(0.2)
    p.plan(model, np.zeros(1), bounds=(-1, 1))
    assert len(calls) == 5
    calls.clear()
    p.plan(model, np.zeros(1), bounds=(-1, 1), init=np.zeros((4, 1)))
    assert len(calls) == 2
    with pytest.raises(ValidationError, match="warm_iterations"):
        make_planner("cem", warm_iterations=0)
