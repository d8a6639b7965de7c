"""Sim-to-real components (ASAP's delta-action model and its baselines): identity at zero, env checker,
sysid recovering a known mass, shapes and bad input. All fast."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")
torch = pytest.importorskip("torch")

from dynlearn.control import make_env, run_episode  # noqa: E402
from dynlearn.control.sim2real import (  # noqa: E402
    DeltaActionModel,
    DeltaActionWrapper,
    ModelEnv,
    RandomizedEnv,
    ResidualDynamics,
    clone_agent,
    rollout_error,
    sysid_grid,
)
from dynlearn.errors import NotFittedError, ValidationError  # noqa: E402


def _random_policy(seed):
    rng = np.random.default_rng(seed)
    return lambda obs: rng.uniform(-2.0, 2.0, size=1)


def _episodes(n=3, steps=40, seed=0, **params):
    env = make_env("pendulum", max_episode_steps=steps, **params)
    return [run_episode(env, _random_policy(seed + i), seed=seed + i) for i in range(n)]


def test_zero_delta_is_the_simulator_exactly():
    sim = make_env("pendulum").model()
    model = DeltaActionModel(sim, hidden=(16,), seed=3)
    rng = np.random.default_rng(0)
    th = rng.uniform(-np.pi, np.pi, 64)
    obs = np.stack([np.cos(th), np.sin(th), rng.uniform(-8, 8, 64)], -1)
    act = rng.uniform(-2, 2, (64, 1))
    assert np.array_equal(model.step(obs, act), sim.step(obs, act))
    assert np.array_equal(model.delta(obs, act), np.zeros((64, 1)))
    res = ResidualDynamics(sim, hidden=(16,))
    assert np.array_equal(res.step(obs, act), sim.step(obs, act))
    # torch path too, and single rows
    t = model.step(torch.as_tensor(obs), torch.as_tensor(act))
    assert torch.equal(t, sim.step(torch.as_tensor(obs), torch.as_tensor(act)))
    assert model.step(obs[0], act[0]).shape == (3,)


def test_zero_delta_wrapper_reproduces_the_simulator_env():
    plain = make_env("pendulum", max_episode_steps=30)
    wrapped = DeltaActionWrapper(make_env("pendulum", max_episode_steps=30), DeltaActionModel(plain.model()))
    a = run_episode(plain, _random_policy(1), seed=5)
    b = run_episode(wrapped, _random_policy(1), seed=5)
    assert np.array_equal(a.observations, b.observations)
    assert np.array_equal(a.rewards, b.rewards)


def test_wrapped_envs_pass_gymnasium_checker():
    from gymnasium.utils.env_checker import check_env

    sim = make_env("pendulum")
    check_env(DeltaActionWrapper(sim, DeltaActionModel(sim.model())), skip_render_check=True)
    check_env(ModelEnv(make_env("pendulum"), ResidualDynamics(sim.model())), skip_render_check=True)
    check_env(RandomizedEnv("pendulum", {"mass": (0.8, 1.5)}), skip_render_check=True)


def test_delta_fit_learns_the_gain_mismatch():
    real = _episodes(n=4, steps=50, seed=0, mass=1.3, torque_gain=0.8)
    held = _episodes(n=2, steps=50, seed=10, mass=1.3, torque_gain=0.8)
    sim = make_env("pendulum").model()
    model = DeltaActionModel(sim, hidden=(32,), epochs=30, lr=2e-2, seed=0).fit(real)
    assert model.history_[-1] < model.history_[0]
    plain = rollout_error(sim, held, (1, 10))
    fitted = rollout_error(model, held, (1, 10))
    assert fitted[10] < 0.3 * plain[10]
    # the real effect of a on the velocity is (0.8 / 1.3) of the simulator's: delta ~ -0.385 a
    obs = held[0].observations[:20]
    a = np.full((20, 1), 1.0)
    assert np.all(np.abs(model.delta(obs, a) + 0.385) < 0.15)


def test_fit_is_seeded_and_save_load_round_trips(tmp_path):
    from dynlearn.errors import FileFormatError

    real = _episodes(n=2, steps=30, seed=0, mass=1.3, torque_gain=0.8)
    sim = make_env("pendulum").model()
    a = ResidualDynamics(sim, hidden=(16,), epochs=5, horizon=3, seed=1).fit(real)
    b = ResidualDynamics(sim, hidden=(16,), epochs=5, horizon=3, seed=1).fit(real)
    obs, act = real[0].observations[:-1], real[0].actions
    assert np.array_equal(a.step(obs, act), b.step(obs, act))
    a.save(tmp_path / "res")
    back = ResidualDynamics.load(tmp_path / "res", sim)
    assert np.array_equal(back.step(obs, act), a.step(obs, act))
    assert not list(tmp_path.glob("res/*.pkl"))
    with pytest.raises(FileFormatError, match="not a version-1 DeltaActionModel"):
        DeltaActionModel.load(tmp_path / "res", sim)
    with pytest.raises(FileFormatError, match="not a saved correction"):
        DeltaActionModel.load(tmp_path / "nothing", sim)


def test_sysid_grid_recovers_a_known_mass_from_its_own_data():
    data = _episodes(n=2, steps=40, seed=3, mass=1.4)
    out = sysid_grid("pendulum", data, {"mass": [0.8, 1.0, 1.2, 1.4, 1.6, 1.8]}, horizon=5)
    assert out.params == {"mass": 1.4}
    assert out.error < 1e-3
    assert len(out.table) == 6


def test_randomized_env_draws_in_range_and_is_seeded():
    env = RandomizedEnv("pendulum", {"mass": (0.7, 1.8)})
    masses = []
    for s in range(5):
        _, info = env.reset(seed=s)
        masses.append(info["params"]["mass"])
    assert all(0.7 <= m <= 1.8 for m in masses) and len(set(masses)) == 5
    assert env.reset(seed=2)[1]["params"]["mass"] == masses[2]


def test_clone_agent_is_independent():
    from dynlearn.control import SAC

    agent = SAC(seed=0, hidden=(8,), learning_starts=10, batch_size=8)
    agent.train(make_env("pendulum", max_episode_steps=20), 20)
    twin = clone_agent(agent)
    obs = np.array([1.0, 0.0, 0.0], np.float32)
    assert np.array_equal(agent.act(obs), twin.act(obs))
    twin.train(make_env("pendulum", max_episode_steps=20), 40)
    assert agent.steps_ == 20 and twin.steps_ == 40
    with pytest.raises(NotFittedError):
        clone_agent(SAC())


def test_bad_input_is_refused_with_a_message():
    sim = make_env("pendulum").model()
    model = DeltaActionModel(sim)
    with pytest.raises(ValidationError, match="needs obs"):
        model.step(np.zeros((4, 2)), np.zeros((4, 1)))
    with pytest.raises(ValidationError, match="non-empty list"):
        model.fit([])
    bad = _episodes(n=1, steps=5)
    bad[0].observations[2, 0] = np.nan
    with pytest.raises(ValidationError, match="NaN"):
        model.fit(bad)
    with pytest.raises(ValidationError, match="horizon"):
        DeltaActionModel(sim, horizon=50).fit(_episodes(n=1, steps=5))
    with pytest.raises(ValidationError, match="epochs"):
        DeltaActionModel(sim, epochs=0)
    with pytest.raises(ValidationError, match="non-empty list of values"):
        sysid_grid("pendulum", _episodes(n=1, steps=5), {"mass": []})
    with pytest.raises(ValidationError, match="low <= high"):
        RandomizedEnv("pendulum", {"mass": (2.0, 1.0)})
    with pytest.raises(ValidationError, match="horizons"):
        rollout_error(sim, _episodes(n=1, steps=5), (0,))
    wrapped = DeltaActionWrapper(make_env("pendulum"), model)
    with pytest.raises(ValidationError, match="reset"):
        wrapped.step(np.zeros(1, np.float32))


@pytest.mark.slow
def test_asap_recipe_smoke_measures_and_judges(tmp_path):
    from dynlearn import repro

    result = repro.run("asap", out_dir=tmp_path, smoke=True, progress=lambda m: None, doc=tmp_path / "asap.md")
    page = (tmp_path / "asap.md").read_text()
    assert result.verdict in {"reproduced", "partially reproduced", "not reproduced"}
    assert "smoke-sized run: not evidence" in page
    assert set(result.metrics["real_return_mean"]) == {"pretrained", "asap", "sysid", "residual", "dr",
                                                       "real_finetune"}
    ratio = result.metrics["rollout_ratio_sim_over_delta_mean"]
    assert all(np.isfinite(v) and v > 0 for v in ratio.values())
    assert result.metrics["claim_a"] == all(v >= 5 for k, v in
                                            result.metrics["rollout_ratio_sim_over_delta_min"].items() if k != "1")
    assert (tmp_path / "asap.png").is_file()
