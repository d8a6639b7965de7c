"""The environment protocol of ``dynlearn.control``: a Gymnasium ``Env`` that also exposes its batched true model.

Every environment is a :class:`gymnasium.Env` (``reset(seed=...)``, ``step(action)`` returning
``(obs, reward, terminated, truncated, info)``) whose state *is* its observation, so its exact
one-step dynamics and reward are functions of observations:

``env.model()`` returns a :class:`TrueDynamics` with ``step(obs, actions) -> next_obs``,
``reward(obs, actions, next_obs)`` and ``terminated(next_obs)`` over a batch ``(batch, dim)``, in
numpy (float64) or torch (any dtype; differentiable). Learned models offer the same three methods
(:class:`dynlearn.control.DynamicsModel`), so a planner runs on the truth or on a learned model
through one interface.

Physical parameters (gravity, masses, gains) are keywords of the constructor, collected in the
environment's ``Params`` dataclass; an unknown keyword is an error that suggests the closest one.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import numpy as np

from dynlearn.config import build_config, config_to_dict
from dynlearn.control.envs._backend import is_torch, ops
from dynlearn.errors import DynlearnError, ValidationError

try:
    import gymnasium
    from gymnasium import spaces
except ImportError:  # pragma: no cover - exercised only without the extra
    gymnasium = None
    spaces = None

NEEDS_GYMNASIUM = "dynlearn.control environments need gymnasium: pip install 'dynlearn[control]'"


def require_gymnasium():
    if gymnasium is None:
        raise DynlearnError(NEEDS_GYMNASIUM)
    return gymnasium


def _as_batch(x, dim: int, name: str, env: str):
    """``x`` as ``(batch, dim)`` (numpy float64 or a torch tensor) and whether it was one row."""
    if not is_torch(x):
        x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (1, 2) or x.shape[-1] != dim:
        raise ValidationError(f"{name} for {env} must have shape ({dim},) or (batch, {dim}); got {tuple(x.shape)}")
    return (x[None], True) if x.ndim == 1 else (x, False)


class TrueDynamics:
    """The exact batched dynamics and reward of one environment (with its parameters).

    ``step(obs, actions)``: ``(batch, obs_dim)``, ``(batch, action_dim)`` -> ``(batch, obs_dim)``;
    ``reward(obs, actions, next_obs)`` -> ``(batch,)``; ``terminated(next_obs)`` -> ``(batch,)`` bool.
    Actions outside the action box are clipped, as the environment does. Single rows ``(dim,)`` are
    accepted too. numpy in, numpy out; torch in, torch out.
    """

    def __init__(self, env: ControlEnv):
        self.name = env.env_name
        self.observation_dim = env.observation_dim
        self.action_dim = env.action_dim
        self.action_low = np.asarray(env.action_space.low, dtype=np.float64)
        self.action_high = np.asarray(env.action_space.high, dtype=np.float64)
        self.params = dataclasses.replace(env.params)
        self._cls = getattr(env, "physics", type(env))

    def __repr__(self) -> str:
        return f"TrueDynamics({self.name!r}, {config_to_dict(self.params)})"

    def _clip(self, a):
        o = ops(a)
        if is_torch(a):
            import torch

            lo = torch.as_tensor(self.action_low, dtype=a.dtype, device=a.device)
            hi = torch.as_tensor(self.action_high, dtype=a.dtype, device=a.device)
            return torch.maximum(torch.minimum(a, hi), lo)
        return o.clip(a, self.action_low, self.action_high)

    def step(self, obs, actions, *, generator=None):
        x, single = _as_batch(obs, self.observation_dim, "obs", self.name)
        a, _ = _as_batch(actions, self.action_dim, "actions", self.name)
        if a.shape[0] != x.shape[0]:
            raise ValidationError(f"obs has batch {x.shape[0]} but actions has {a.shape[0]}; give one action per row")
        out = self._cls._step(ops(x), x, self._clip(a), self.params)
        return out[0] if single else out

    def reward(self, obs, actions, next_obs):
        x, single = _as_batch(obs, self.observation_dim, "obs", self.name)
        a, _ = _as_batch(actions, self.action_dim, "actions", self.name)
        y, _ = _as_batch(next_obs, self.observation_dim, "next_obs", self.name)
        out = self._cls._reward(ops(x), x, self._clip(a), y, self.params)
        return out[0] if single else out

    def terminated(self, next_obs):
        y, single = _as_batch(next_obs, self.observation_dim, "next_obs", self.name)
        out = self._cls._terminated(ops(y), y, self.params)
        return out[0] if single else out


class ControlEnv(gymnasium.Env if gymnasium is not None else object):
    """Base class of dynlearn's numpy environments. Subclasses define ``Params`` and the class methods
    ``_step``, ``_reward``, ``_terminated`` (default: never) and ``_initial`` over batches, written once
    against :func:`~dynlearn.control.envs._backend.ops` so they run in numpy and torch alike."""

    env_name: ClassVar[str] = "env"
    observation_dim: ClassVar[int]
    action_dim: ClassVar[int]
    Params: ClassVar[type]
    #: observation bounds for the Box space (inf where unbounded)
    obs_high: ClassVar[float | tuple[float, ...]] = np.inf
    metadata: ClassVar[dict[str, Any]] = {"render_modes": []}

    def __init__(self, render_mode: str | None = None, **params: Any):
        require_gymnasium()
        if render_mode is not None:
            raise ValidationError(f"{self.env_name} does not render frames; use dynlearn.control.filmstrip instead")
        self.params = build_config(self.Params, None, params)
        self.render_mode = None
        high = np.broadcast_to(np.asarray(self.obs_high, dtype=np.float32), (self.observation_dim,)).copy()
        self.observation_space = spaces.Box(-high, high, dtype=np.float32)
        self.action_space = spaces.Box(-1.0, 1.0, shape=(self.action_dim,), dtype=np.float32)
        self._obs: np.ndarray | None = None
        self._t = 0

    @property
    def dt(self) -> float:
        """Seconds of simulated time per ``step``."""
        return float(self.params.dt * getattr(self.params, "frame_skip", 1))

    @property
    def max_episode_steps(self) -> int:
        return int(self.params.max_episode_steps)

    def model(self) -> TrueDynamics:
        """The batched true dynamics and reward (see :class:`TrueDynamics`)."""
        return TrueDynamics(self)

    # the gymnasium API ---------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._obs = np.asarray(self._initial(self.np_random, self.params), dtype=np.float64)
        self._t = 0
        return self._obs.astype(np.float32), {}

    def step(self, action):
        if self._obs is None:
            raise ValidationError(f"{self.env_name}: call reset() before step()")
        a = np.asarray(action, dtype=np.float64)
        if a.shape != (self.action_dim,):
            raise ValidationError(f"{self.env_name} takes actions of shape ({self.action_dim},); got {a.shape}")
        a = np.clip(a, -1.0, 1.0)[None]
        x = self._obs[None]
        y = self._step(ops(x), x, a, self.params)
        reward = float(self._reward(ops(x), x, a, y, self.params)[0])
        terminated = bool(self._terminated(ops(y), y, self.params)[0])
        self._obs = y[0]
        self._t += 1
        truncated = self._t >= self.max_episode_steps and not terminated
        return self._obs.astype(np.float32), reward, terminated, truncated, {}

    # subclasses -----------------------------------------------------------------
    @classmethod
    def _terminated(cls, o, y, p):
        return o.full_like(y[..., 0], 0.0) != 0.0  # never terminates

    @classmethod
    def _initial(cls, rng: np.random.Generator, p) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def _step(cls, o, x, a, p):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def _reward(cls, o, x, a, y, p):  # pragma: no cover - abstract
        raise NotImplementedError

    def draw(self, ax, obs) -> None:  # pragma: no cover - overridden
        """Draw the state ``obs`` on a matplotlib axis (used by :func:`dynlearn.control.filmstrip`)."""
        ax.text(0.5, 0.5, np.array2string(np.asarray(obs), precision=2), ha="center", va="center")
