"""Conformance of track B: every registered dynamics model with actions and every environment.

Dynamics models (``dynlearn.control.DYNAMICS``): step shapes in numpy and torch, seed determinism,
save/load through JSON + safetensors (never pickle), a fit that lowers the loss (iterative models),
planning through MPC, and shape errors before any work. Environments (``dynlearn.control.ENVS``):
batched true-model shapes, seed determinism of reset and step, and the true model agreeing with step.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")
torch = pytest.importorskip("torch")

from dynlearn.control import DYNAMICS, ENVS, MPC, collect, load_dynamics, make_dynamics, make_env, make_planner  # noqa: E402
from dynlearn.errors import NotFittedError, ValidationError  # noqa: E402

SMALL = {
    "mlp": {"hidden": 16, "layers": 2, "epochs": 8, "batch_size": 64},
    "ensemble": {"hidden": 16, "layers": 2, "members": 3, "epochs": 8, "batch_size": 64},
    "sindy": {},
}
ITERATIVE = {"mlp", "ensemble"}
MODEL_NAMES = DYNAMICS.names()
ENV_NAMES = ENVS.names()

_CACHE: dict = {}


def _data():
    if "data" not in _CACHE:
        env = make_env("pendulum")
        _CACHE["env"], _CACHE["data"] = env, collect(env, None, 300, seed=0)
    return _CACHE["env"], _CACHE["data"]


def _fitted(name):
    if name not in _CACHE:
        env, data = _data()
        _CACHE[name] = make_dynamics(name, reward=env.model(), **SMALL.get(name, {})).fit(data)
    return _CACHE[name]


def test_every_model_has_a_small_config():
    assert set(MODEL_NAMES) <= set(SMALL), "give a new dynamics model a small config in SMALL"


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_step_shapes_numpy_and_torch(name):
    model = _fitted(name)
    _, data = _data()
    obs, act = data.obs[:10], data.actions[:10]
    out = model.step(obs, act, generator=torch.Generator().manual_seed(0))
    assert isinstance(out, np.ndarray) and out.shape == (10, model.observation_dim)
    assert model.step(obs[0], act[0]).shape == (model.observation_dim,)
    t = model.step(torch.tensor(obs, dtype=torch.float32), torch.tensor(act, dtype=torch.float32))
    assert isinstance(t, torch.Tensor) and t.shape == (10, model.observation_dim)
    assert model.reward(obs, act, out).shape == (10,) and model.terminated(out).shape == (10,)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_same_seed_same_model(name):
    env, data = _data()
    a = make_dynamics(name, reward=env.model(), **SMALL[name]).fit(data)
    b = _fitted(name)
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    np.testing.assert_array_equal(
        a.step(data.obs[:20], data.actions[:20], generator=g1), b.step(data.obs[:20], data.actions[:20], generator=g2)
    )


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_save_load_round_trip_without_pickle(name, tmp_path):
    model = _fitted(name)
    _, data = _data()
    model.save(tmp_path / "m")
    files = {p.suffix for p in (tmp_path / "m").rglob("*") if p.is_file()}
    assert files <= {".json", ".safetensors", ".npz"}
    back = load_dynamics(tmp_path / "m", reward=model.reward_model)
    g1, g2 = torch.Generator().manual_seed(1), torch.Generator().manual_seed(1)
    np.testing.assert_array_equal(
        model.step(data.obs[:7], data.actions[:7], generator=g1),
        back.step(data.obs[:7], data.actions[:7], generator=g2),
    )


@pytest.mark.parametrize("name", sorted(ITERATIVE & set(MODEL_NAMES)))
def test_fit_lowers_the_loss(name):
    model = _fitted(name)
    assert model.history_[-1] < model.history_[0]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_plans_through_mpc(name):
    env, _ = _data()
    mpc = MPC(_fitted(name), make_planner("cem", horizon=5, population=20, iterations=2, elites=4), env=env)
    obs, _ = env.reset(seed=0)
    a = mpc(obs)
    assert a.shape == (1,) and env.action_space.low[0] <= a[0] <= env.action_space.high[0]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shape_errors_before_work(name):
    model = _fitted(name)
    with pytest.raises(ValidationError, match="obs"):
        model.step(np.zeros((4, model.observation_dim + 1)), np.zeros((4, model.action_dim)))
    with pytest.raises(ValidationError, match="point_mass (observations|actions) have shape"):
        MPC(model, make_planner("cem"), env=make_env("point_mass"))
    with pytest.raises(NotFittedError):
        make_dynamics(name, **SMALL[name]).step(np.zeros((1, 3)), np.zeros((1, 1)))


@pytest.mark.parametrize("name", ENV_NAMES)
def test_env_true_model_batched_shapes(name):
    env = make_env(name)
    m = env.model()
    obs = np.stack([env.reset(seed=i)[0] for i in range(6)]).astype(np.float64)
    act = np.random.default_rng(0).uniform(env.action_space.low, env.action_space.high, (6, m.action_dim))
    nxt = m.step(obs, act)
    assert nxt.shape == (6, m.observation_dim) == (6, env.observation_space.shape[0])
    assert m.reward(obs, act, nxt).shape == (6,) and m.terminated(nxt).dtype == bool


@pytest.mark.parametrize("name", ENV_NAMES)
def test_env_same_seed_same_episode(name):
    def run():
        env = make_env(name)
        obs, _ = env.reset(seed=11)
        out = [obs]
        for a in np.linspace(-1, 1, 15):
            obs, _, term, trunc, _ = env.step(np.full(env.action_space.shape, a, dtype=np.float32))
            out.append(obs)
            if term or trunc:
                env.reset(seed=12)
        return np.stack(out)

    np.testing.assert_array_equal(run(), run())


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_fused_rollout_if_any_has_the_planners_shape_and_seed(name):
    """A model's optional ``rollout(obs, actions, generator=)`` (planners use it in place of H steps):
    ``(H, batch, obs_dim)`` torch, finite, the same numbers for the same generator seed, and for a
    deterministic model the first step equals ``step``."""
    model = _fitted(name)
    if not hasattr(model, "rollout"):
        pytest.skip(f"{name} has no fused rollout; planners call its step")
    _, data = _data()
    x = torch.tensor(data.obs[:10], dtype=torch.float32)
    a = torch.tensor(np.repeat(data.actions[:10, None], 4, axis=1), dtype=torch.float32)
    out = model.rollout(x, a, generator=torch.Generator().manual_seed(0))
    assert isinstance(out, torch.Tensor) and out.shape == (4, 10, model.observation_dim)
    assert torch.isfinite(out).all()
    again = model.rollout(x, a, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, again)
    if getattr(model, "members", 1) == 1:
        np.testing.assert_allclose(out[0].numpy(), model.step(x, a[:, 0]).numpy(), rtol=1e-4, atol=1e-5)
