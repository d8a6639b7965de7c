"""Environments of dynlearn.control: Gymnasium's checker, true models that match step() exactly,
parameter variants, registry suggestions."""

from __future__ import annotations

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")
torch = pytest.importorskip("torch")

from dynlearn.control import env_names, make_env  # noqa: E402
from dynlearn.errors import UnknownNameError, ValidationError  # noqa: E402

ENVS = [
    "cartpole_swingup",
    "cartpole_swingup_sparse",
    "point_mass",
    "reacher",
    "pendulum",
    "mountain_car_continuous",
    "cartpole",
]


def test_registry_lists_every_env():
    assert set(ENVS) <= set(env_names())


@pytest.mark.parametrize("name", ENVS)
def test_true_model_matches_env_step(name):
    env = make_env(name)
    model = env.model()
    obs, _ = env.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(40):
        a = rng.uniform(env.action_space.low, env.action_space.high).astype(np.float32)
        nxt, r, term, trunc, _ = env.step(a)
        pred = model.step(obs.astype(np.float64), a.astype(np.float64))
        np.testing.assert_allclose(pred, nxt, atol=2e-4, rtol=1e-4)
        assert model.reward(obs.astype(np.float64), a, pred) == pytest.approx(r, abs=2e-3)
        assert bool(model.terminated(pred)) == term
        obs = nxt
        if term or trunc:
            obs, _ = env.reset()


@pytest.mark.parametrize("name", ["cartpole_swingup", "reacher", "pendulum"])
def test_true_model_runs_batched_in_torch(name):
    env = make_env(name)
    model = env.model()
    rng = np.random.default_rng(1)
    obs = np.stack([env.reset(seed=i)[0] for i in range(5)]).astype(np.float64)
    act = rng.uniform(-1, 1, (5, model.action_dim))
    ref = model.step(obs, act)
    out = model.step(torch.tensor(obs), torch.tensor(act))
    assert isinstance(out, torch.Tensor) and out.shape == (5, model.observation_dim)
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-12)
    r = model.reward(torch.tensor(obs), torch.tensor(act), out)
    np.testing.assert_allclose(r.numpy(), model.reward(obs, act, ref), atol=1e-12)


def test_parameter_variants_change_the_dynamics():
    base, heavy = make_env("pendulum").model(), make_env("pendulum", mass=1.3, torque_gain=0.8).model()
    obs, act = np.array([[1.0, 0.0, 0.0]]), np.array([[1.0]])
    assert not np.allclose(base.step(obs, act), heavy.step(obs, act))
    assert make_env("cartpole_swingup", gravity=3.0).params.gravity == 3.0


def test_unknown_names_get_suggestions():
    with pytest.raises(UnknownNameError, match="cartpole_swingup"):
        make_env("cartpol_swingup")
    with pytest.raises(ValidationError, match="gravity"):
        make_env("cartpole_swingup", gravty=3.0)


def test_wrong_action_shape_is_refused():
    env = make_env("point_mass")
    env.reset(seed=0)
    with pytest.raises(ValidationError, match=r"\(2,\)"):
        env.step(np.zeros(3))
    with pytest.raises(ValidationError, match="batch"):
        env.model().step(np.zeros((4, 4)), np.zeros((3, 2)))


def test_dense_swingup_reward_is_highest_upright_and_centered():
    m = make_env("cartpole_swingup").model()
    up, down = np.array([0, 1.0, 0, 0, 0]), np.array([0, -1.0, 0, 0, 0])
    a = np.zeros(1)
    assert m.reward(up, a, up) == pytest.approx(1.0)
    assert m.reward(down, a, down) == pytest.approx(0.0)
    sparse = make_env("cartpole_swingup_sparse").model()
    assert sparse.reward(up, a, up) == 1.0 and sparse.reward(down, a, down) == 0.0


@pytest.mark.parametrize("name", ENVS)
def test_gymnasium_env_checker(name):
    from gymnasium.utils.env_checker import check_env

    env = make_env(name)
    check_env(env, skip_render_check=True)


@pytest.mark.parametrize("name", ["inverted_pendulum_v5", "half_cheetah_v5"])
def test_mujoco_true_model_matches_env_step(name):
    pytest.importorskip("mujoco")
    from gymnasium.utils.env_checker import check_env

    env = make_env(name, max_episode_steps=50)
    check_env(env, skip_render_check=True)
    model = env.model()
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(10):
        a = rng.uniform(env.action_space.low, env.action_space.high).astype(np.float32)
        nxt, r, term, _, _ = env.step(a)
        pred = model.step(obs, a)
        np.testing.assert_allclose(pred, nxt, atol=1e-5)
        assert model.reward(obs, a, pred) == pytest.approx(r, abs=1e-4)
        assert bool(model.terminated(pred)) == term
        if term:
            break
        obs = nxt
