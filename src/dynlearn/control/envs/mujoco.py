"""MuJoCo v5 tasks of Gymnasium (``InvertedPendulum-v5``, ``HalfCheetah-v5``) behind the same adapter.

Optional: needs ``pip install 'dynlearn[mujoco]'`` (Gymnasium's MuJoCo extra). The batched true model
is exact but runs in numpy, one row at a time through a private MuJoCo simulator (set the state from
the observation, simulate ``frame_skip`` steps, read it back): fine for checking learned models and
for small planners, too slow for CEM with hundreds of candidates, and not differentiable. Torch
inputs are converted and the answer returned as a tensor.

Observations hold the full state except HalfCheetah's forward position, on which nothing depends
(it is set to 0); its reward ``forward_reward_weight · Δx / dt − ctrl_cost_weight · |a|²`` needs
``Δx``, so ``reward`` simulates the step once more. Parameter variants: ``gravity`` (m/s²),
``mass_scale`` (all body masses), ``max_episode_steps``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from dynlearn.config import build_config
from dynlearn.control.envs._backend import is_torch
from dynlearn.control.envs._base import require_gymnasium
from dynlearn.errors import DynlearnError, ValidationError

try:
    import gymnasium
except ImportError:  # pragma: no cover
    gymnasium = None

IDS = {"inverted_pendulum_v5": "InvertedPendulum-v5", "half_cheetah_v5": "HalfCheetah-v5"}


@dataclasses.dataclass
class MujocoParams:
    gravity: float = 9.81
    mass_scale: float = 1.0
    max_episode_steps: int = 1000


def _make(gym_id: str, p: MujocoParams):
    gym = require_gymnasium()
    try:
        env = gym.make(gym_id, max_episode_steps=p.max_episode_steps)
    except (gym.error.DependencyNotInstalled, ImportError) as exc:
        raise DynlearnError(f"{gym_id} needs MuJoCo: pip install 'dynlearn[mujoco]' ({exc})") from None
    raw = env.unwrapped
    raw.model.opt.gravity[2] = -p.gravity
    raw.model.body_mass[:] = raw.model.body_mass * p.mass_scale
    return env


class MujocoDynamics:
    """The exact batched model of a MuJoCo task (numpy, row by row; see the module doc)."""

    def __init__(self, name: str, params: MujocoParams, action_space):
        self.name, self.params = name, dataclasses.replace(params)
        self._sim = _make(IDS[name], params).unwrapped
        self._sim.reset(seed=0)
        self.action_low = np.asarray(action_space.low, dtype=np.float64)
        self.action_high = np.asarray(action_space.high, dtype=np.float64)
        self.action_dim = int(action_space.shape[0])
        self._skip_x = name == "half_cheetah_v5"
        self.observation_dim = self._sim.model.nq + self._sim.model.nv - int(self._skip_x)

    def _rows(self, x, dim, what):
        arr = x.detach().cpu().double().numpy() if is_torch(x) else np.asarray(x, dtype=np.float64)
        if arr.ndim not in (1, 2) or arr.shape[-1] != dim:
            raise ValidationError(f"{what} for {self.name} must have shape ({dim},) or (batch, {dim}); got {arr.shape}")
        return arr.reshape(-1, dim)

    def _simulate(self, obs, actions):
        sim, nq = self._sim, self._sim.model.nq
        out, dx = np.empty_like(obs), np.empty(len(obs))
        for i, (o, a) in enumerate(zip(obs, np.clip(actions, self.action_low, self.action_high))):
            qpos = np.concatenate([[0.0], o[: nq - 1]]) if self._skip_x else o[:nq]
            qvel = o[nq - int(self._skip_x) :]
            sim.set_state(qpos, qvel)
            sim.do_simulation(a, sim.frame_skip)
            q, v = sim.data.qpos.copy(), sim.data.qvel.copy()
            dx[i] = q[0]
            out[i] = np.concatenate([q[1:] if self._skip_x else q, v])
        return out, dx

    def _back(self, y, like, single):
        y = y[0] if single else y
        if is_torch(like):
            import torch

            return torch.as_tensor(y, dtype=like.dtype, device=like.device)
        return y

    def step(self, obs, actions, *, generator=None):
        x = self._rows(obs, self.observation_dim, "obs")
        a = self._rows(actions, self.action_dim, "actions")
        if len(a) != len(x):
            raise ValidationError(f"obs has batch {len(x)} but actions has {len(a)}; give one action per row")
        return self._back(self._simulate(x, a)[0], obs, np.ndim(obs) == 1)

    def terminated(self, next_obs):
        y = self._rows(next_obs, self.observation_dim, "next_obs")
        if self.name == "inverted_pendulum_v5":
            done = ~np.isfinite(y).all(axis=1) | (np.abs(y[:, 1]) > 0.2)
        else:
            done = np.zeros(len(y), dtype=bool)
        if is_torch(next_obs):
            import torch

            done = torch.as_tensor(done)
        return done[0] if np.ndim(next_obs) == 1 else done

    def reward(self, obs, actions, next_obs):
        y = self._rows(next_obs, self.observation_dim, "next_obs")
        if self.name == "inverted_pendulum_v5":
            r = (~(~np.isfinite(y).all(axis=1) | (np.abs(y[:, 1]) > 0.2))).astype(np.float64)
        else:
            x = self._rows(obs, self.observation_dim, "obs")
            a = np.clip(self._rows(actions, self.action_dim, "actions"), self.action_low, self.action_high)
            _, dx = self._simulate(x, a)
            sim = self._sim
            r = sim._forward_reward_weight * dx / sim.dt - sim._ctrl_cost_weight * np.sum(a * a, axis=1)
        return self._back(r, obs, np.ndim(obs) == 1)


class MujocoEnv(gymnasium.Wrapper if gymnasium is not None else object):
    """A Gymnasium MuJoCo v5 task with ``model()``, ``params`` and ``dt`` like dynlearn's own."""

    def __init__(self, name: str, **params: Any):
        self.params = build_config(MujocoParams, None, params)
        super().__init__(_make(IDS[name], self.params))
        self.env_name = name
        self.observation_dim = int(self.observation_space.shape[0])
        self.action_dim = int(self.action_space.shape[0])
        self.dt = float(self.env.unwrapped.dt)
        self.max_episode_steps = int(self.params.max_episode_steps)

    @property
    def spec(self):
        return None

    def model(self) -> MujocoDynamics:
        return MujocoDynamics(self.env_name, self.params, self.action_space)

    def draw(self, ax, obs) -> None:
        ax.bar(range(len(obs)), np.asarray(obs, dtype=np.float64), color="tab:blue")
        ax.set_title(self.env_name, fontsize=7)
