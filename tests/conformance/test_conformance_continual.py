"""Conformance of the continual dynamics learners (``dynlearn.control.continual.CONTINUAL``).

Every learner, after two tasks, gives per-task models that follow the planners' DynamicsModel
protocol: step shapes in numpy and torch, seed determinism, save/load through JSON + safetensors
(never pickle), planning through MPC, and one-line errors for wrong shapes, unknown tasks and
revisiting an old task.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")
torch = pytest.importorskip("torch")

from dynlearn.control import MPC, DynamicsModel, collect, make_env, make_planner  # noqa: E402
from dynlearn.control.continual import CONTINUAL, load_continual, make_continual  # noqa: E402
from dynlearn.errors import NotFittedError, UnknownNameError, ValidationError  # noqa: E402

SMALL = {"hidden": 16, "layers": 2, "epochs": 3, "batch_size": 64, "hnet_hidden": 16, "fisher_samples": 32}
NAMES = CONTINUAL.names()
_CACHE: dict = {}


def _data():
    if "data" not in _CACHE:
        envs = [make_env("pendulum"), make_env("pendulum", gravity=15.0)]
        _CACHE["envs"] = envs
        _CACHE["data"] = [collect(e, None, 200, seed=i) for i, e in enumerate(envs)]
    return _CACHE["envs"], _CACHE["data"]


def _learned(name):
    if name not in _CACHE:
        envs, data = _data()
        learner = make_continual(name, reward=envs[0].model(), **SMALL)
        for t, d in enumerate(data):
            learner.learn_task(t, d)
        _CACHE[name] = learner
    return _CACHE[name]


@pytest.mark.parametrize("name", NAMES)
def test_task_models_follow_the_protocol_numpy_and_torch(name):
    learner = _learned(name)
    _, data = _data()
    obs, act = data[0].obs[:10], data[0].actions[:10]
    for task in (0, 1):
        model = learner.dynamics(task)
        assert isinstance(model, DynamicsModel)
        out = model.step(obs, act)
        assert isinstance(out, np.ndarray) and out.shape == (10, 3) and np.all(np.isfinite(out))
        assert model.step(obs[0], act[0]).shape == (3,)
        t = model.step(torch.tensor(obs, dtype=torch.float32), torch.tensor(act, dtype=torch.float32))
        assert isinstance(t, torch.Tensor) and t.shape == (10, 3)
        assert model.reward(obs, act, out).shape == (10,) and model.terminated(out).shape == (10,)
    assert learner.tasks_ == ["0", "1"]


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_models(name):
    envs, data = _data()
    a = make_continual(name, reward=envs[0].model(), **SMALL)
    for t, d in enumerate(data):
        a.learn_task(t, d)
    b = _learned(name)
    for task in (0, 1):
        np.testing.assert_array_equal(
            a.dynamics(task).step(data[task].obs[:20], data[task].actions[:20]),
            b.dynamics(task).step(data[task].obs[:20], data[task].actions[:20]),
        )


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip_without_pickle_and_learning_continues(name, tmp_path):
    learner = _learned(name)
    envs, data = _data()
    learner.save(tmp_path / "m")
    assert {p.suffix for p in (tmp_path / "m").rglob("*") if p.is_file()} <= {".json", ".safetensors"}
    back = load_continual(tmp_path / "m", reward=envs[0].model())
    assert back.tasks_ == learner.tasks_
    for task in (0, 1):
        np.testing.assert_array_equal(
            learner.dynamics(task).step(data[0].obs[:7], data[0].actions[:7]),
            back.dynamics(task).step(data[0].obs[:7], data[0].actions[:7]),
        )
    back.learn_task("third", data[0], epochs=1)  # the restored state (snapshot, Fisher, coreset) carries on
    assert back.tasks_[-1] == "third"
    assert back.dynamics("third").step(data[0].obs[:3], data[0].actions[:3]).shape == (3, 3)


@pytest.mark.parametrize("name", NAMES)
def test_plans_through_mpc(name):
    envs, _ = _data()
    mpc = MPC(_learned(name).dynamics(1, reward=envs[1].model()), make_planner("mppi", horizon=5, population=20,
              iterations=2, elites=4), env=envs[1])  # fmt: skip
    obs, _ = envs[1].reset(seed=0)
    a = mpc(obs)
    assert a.shape == (1,) and envs[1].action_space.low[0] <= a[0] <= envs[1].action_space.high[0]


@pytest.mark.parametrize("name", NAMES)
def test_errors_before_work(name):
    learner = _learned(name)
    _, data = _data()
    with pytest.raises(ValidationError, match="obs"):
        learner.dynamics(0).step(np.zeros((4, 4)), np.zeros((4, 1)))
    with pytest.raises(UnknownNameError, match="unknown learned task"):
        learner.dynamics(7)
    with pytest.raises(NotFittedError):
        make_continual(name, **SMALL).dynamics(0)
    with pytest.raises(ValidationError, match="latest task"):
        make_continual(name, **SMALL).learn_task(0, data[0], epochs=1).learn_task(1, data[1], epochs=1).learn_task(
            0, data[0], epochs=1
        )
    with pytest.raises(ValidationError, match="reward source"):
        make_continual(name, **SMALL).learn_task(0, data[0], epochs=1).dynamics(0).reward(
            data[0].obs[:2], data[0].actions[:2], data[0].obs[:2]
        )
