"""SAC, the replay buffer and the run log (issue 17, lane rl). Tiny networks and budgets: seconds in all.

The learning check uses a one-step task solved in a few hundred updates (reward -(a - s)^2); the
Pendulum-v1 target (return >= -200 within 20,000 steps) is measured by benchmarks/bench_sac.py.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("gymnasium")
import gymnasium as gym  # noqa: E402
from gymnasium import spaces  # noqa: E402

from dynlearn.control.agents import get_agent  # noqa: E402
from dynlearn.control.agents._loop import OffPolicyAgent  # noqa: E402
from dynlearn.control.agents.sac import SAC  # noqa: E402
from dynlearn.control.replay import ReplayBuffer  # noqa: E402
from dynlearn.control.runlog import RunLog, pack, read_log, unpack  # noqa: E402
from dynlearn.errors import FileFormatError, NotFittedError, UnknownNameError, ValidationError  # noqa: E402

TINY = {"hidden": (32, 32), "batch_size": 32, "learning_starts": 50, "lr": 3e-3}


class Track(gym.Env):
    """One-step task: observe s ~ U(-1, 1), act a in [-2, 2], reward -(a - s)^2. Optimal: a = s."""

    observation_space = spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = spaces.Box(-2.0, 2.0, (1,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.s = self.np_random.uniform(-1, 1, 1).astype(np.float32)
        return self.s, {}

    def step(self, a):
        r = -float((np.asarray(a)[0] - self.s[0]) ** 2)
        return self.s, r, True, False, {}


def test_replay_ring_sampling_and_roundtrip(tmp_path):
    buf = ReplayBuffer(2, 1, capacity=5)
    for i in range(7):
        buf.add([i, i], [i / 10], float(i), [i + 1, i + 1], i == 6)
    assert len(buf) == 5 and buf.pos == 2
    assert buf.arrays()["rewards"].tolist() == [2, 3, 4, 5, 6]  # the oldest two were overwritten
    a = buf.sample(8, np.random.default_rng(3))
    b = buf.sample(8, np.random.default_rng(3))
    assert all(np.array_equal(a[k], b[k]) for k in a)
    back = ReplayBuffer.load(buf.save(tmp_path / "r.npz"))
    assert (back.pos, back.size) == (buf.pos, buf.size)
    assert np.array_equal(back.observations, buf.observations)
    buf.add_batch(np.ones((3, 2)), np.zeros((3, 1)), np.arange(3), np.ones((3, 2)), np.zeros(3))
    assert buf.arrays()["rewards"].tolist() == [5, 6, 0, 1, 2]


def test_replay_refuses_bad_files(tmp_path):
    with pytest.raises(ValidationError, match="empty"):
        ReplayBuffer(1, 1, 3).sample(2, np.random.default_rng(0))
    p = tmp_path / "bad.npz"
    p.write_bytes(b"not a zip")
    with pytest.raises(FileFormatError):
        ReplayBuffer.load(p)
    arrays = ReplayBuffer(1, 1, 3).state_arrays()
    arrays["meta"] = arrays["meta"].copy()
    arrays["meta"][0] = 99
    np.savez(tmp_path / "v.npz", **arrays)
    with pytest.raises(FileFormatError, match="format 99"):
        ReplayBuffer.load(tmp_path / "v.npz")
    np.savez(tmp_path / "o.npz", meta=np.array([object()], dtype=object))
    with pytest.raises(FileFormatError, match="pickle"):
        ReplayBuffer.load(tmp_path / "o.npz")


def test_pack_roundtrip_of_optimizer_state():
    import torch

    net = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(net.parameters())
    net(torch.ones(1, 3)).sum().backward()
    opt.step()
    arrays: dict = {}
    skel = pack({"opt": opt.state_dict(), "t": (1, "x")}, arrays, "s")
    back = unpack(skel, arrays)
    opt2 = torch.optim.Adam(torch.nn.Linear(3, 2).parameters())
    opt2.load_state_dict(back["opt"])
    assert torch.equal(opt2.state_dict()["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    assert back["t"] == (1, "x")


def test_sac_learns_a_one_step_task():
    agent = SAC(seed=0, **TINY)
    agent.train(Track(), 600)
    s = np.linspace(-0.9, 0.9, 7, dtype=np.float32)
    acts = np.array([agent.act(np.array([v]))[0] for v in s])
    assert np.max(np.abs(acts - s)) < 0.25, acts


def _no_wall(recs):
    return [{k: v for k, v in r.items() if "wall" not in k and k != "s_per_step"} for r in recs]


def test_sac_interrupted_run_resumes_to_the_same_numbers(tmp_path):
    env = gym.make("Pendulum-v1", max_episode_steps=40)
    full = SAC(seed=1, **TINY)
    ref = full.train(env, 200, run_dir=tmp_path / "full")

    class Stop(Exception):
        pass

    def interrupt(step):
        if step == 130:  # mid-episode: the last checkpoint was at step 120
            raise Stop

    with pytest.raises(Stop):
        SAC(seed=1, **TINY).train(env, 200, run_dir=tmp_path / "cut", callback=interrupt)
    assert len(read_log(tmp_path / "cut", "episode")) == 3
    resumed = SAC(seed=1, **TINY)
    got = resumed.train(env, 200, run_dir=tmp_path / "cut")
    assert _no_wall(got) == _no_wall(ref)
    assert _no_wall(read_log(tmp_path / "cut")) == _no_wall(read_log(tmp_path / "full"))
    for k, v in full.actor_.state_dict().items():
        assert np.array_equal(v.numpy(), resumed.actor_.state_dict()[k].numpy())
    # the same seed gives the same numbers; another seed does not
    other = SAC(seed=2, **TINY).train(env, 80)
    assert _no_wall(other) != _no_wall(ref[:2])


def test_runlog_refuses_a_different_config(tmp_path):
    RunLog(tmp_path, {"a": 1})
    with pytest.raises(ValidationError, match="different config"):
        RunLog(tmp_path, {"a": 2})
    (tmp_path / "checkpoint.npz").write_bytes(b"garbage")
    with pytest.raises(FileFormatError):
        RunLog(tmp_path, {"a": 1})


def test_sac_save_load_and_bad_input(tmp_path):
    env = gym.make("Pendulum-v1", max_episode_steps=30)
    agent = SAC(seed=0, **TINY)
    with pytest.raises(NotFittedError):
        agent.act(np.zeros(3))
    agent.train(env, 60)
    agent.save(tmp_path / "a")
    back = OffPolicyAgent.load(tmp_path / "a")
    assert isinstance(back, SAC)
    o = np.array([1.0, 0.0, 0.5], np.float32)
    assert np.array_equal(back.act(o), agent.act(o))
    assert -2.0 <= agent.act(o)[0] <= 2.0
    with pytest.raises(ValidationError, match="expects"):
        agent.act(np.zeros(4))
    with pytest.raises(ValidationError, match="observations of size 3"):
        agent.train(Track(), 10)
    with pytest.raises(ValidationError, match="continuous"):
        SAC(**TINY).train(gym.make("CartPole-v1"), 10)
    with pytest.raises(ValidationError, match="no field 'hiden'"):
        SAC(hiden=(3,))
    with pytest.raises(UnknownNameError, match="did you mean 'sac'"):
        get_agent("sack")
    (tmp_path / "a" / "weights.safetensors").write_bytes(b"xx")
    with pytest.raises(FileFormatError):
        OffPolicyAgent.load(tmp_path / "a")


MBPO_TINY = {"hidden": (32, 32), "batch_size": 32, "members": 3, "model_hidden": 32, "model_layers": 2,
             "model_epochs": 2, "model_train_freq": 40, "learning_starts": 40, "rollout_batch": 64,
             "rollout_schedule": (40, 120, 1, 3), "updates_per_step": 1}


def test_mbpo_branches_rollouts_on_the_schedule_and_resumes_exactly(tmp_path):
    from dynlearn.control.agents._loop import make_env
    from dynlearn.control.agents.mbpo import MBPO, MBPOConfig

    cfg = MBPOConfig(rollout_schedule=(1000, 3000, 1, 5))
    assert [cfg.rollout_length(s) for s in (0, 1000, 2000, 3000, 9000)] == [1, 1, 3, 5, 5]
    env = make_env("pendulum", max_episode_steps=40)
    ref_agent = MBPO(seed=0, **MBPO_TINY)
    ref = ref_agent.train(env, 160, run_dir=tmp_path / "full")
    eps = [r for r in ref if r["kind"] == "episode"]
    assert [r["rollout_length"] for r in eps] == [1.0, 2.0, 3.0, 3.0]  # fits at steps 40, 80, 120, 160
    assert "model_mse_new" in eps[1] and np.isfinite(eps[1]["model_mse_new"])
    # model data: 64 branches of length 1 + 2 + 3 + 3 (Pendulum never terminates)
    assert len(ref_agent.model_buffer_) == 64 * 9

    class Stop(Exception):
        pass

    def interrupt(step):
        if step == 100:
            raise Stop

    with pytest.raises(Stop):
        MBPO(seed=0, **MBPO_TINY).train(env, 160, run_dir=tmp_path / "cut", callback=interrupt)
    resumed = MBPO(seed=0, **MBPO_TINY)
    assert _no_wall(resumed.train(env, 160, run_dir=tmp_path / "cut")) == _no_wall(ref)
    with pytest.raises(ValidationError, match="reward function"):
        MBPO(seed=0, **MBPO_TINY).train(gym.make("Pendulum-v1"), 10)


def test_mbpo_passes_its_entropy_target_to_sac():
    from dynlearn.control import make_env
    from dynlearn.control.agents._loop import EnvSpec
    from dynlearn.control.agents.mbpo import MBPO

    agent = MBPO(target_entropy=-3.5, hidden=(8,), members=2, model_hidden=8, model_layers=1)
    agent._setup(EnvSpec.of(make_env("pendulum")))
    assert agent.sac_.target_entropy_ == -3.5
