"""Model-predictive control: replan every step, execute the first action, warm-start the next plan.

``MPC(model, planner, env=env)`` checks at once that the model's observation and action dimensions
match the environment's spaces (before any planning). ``act(obs)`` plans from ``obs`` starting from
the previous plan shifted by one step (the last action repeated), and returns the first action; a
planner that returns elites (iCEM) gets them back, shifted the same way, as ``carry``.
If the planner raises :class:`~dynlearn.errors.DivergenceError` (every model rollout went NaN), the
controller warns with the control step and the horizon step, and falls back to the previous plan.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from typing import Any

import numpy as np
import torch

from dynlearn.errors import DivergenceError, ValidationError


def check_compatible(env, model) -> None:
    """Raise a one-line error if ``model``'s dimensions do not fit ``env``'s spaces."""
    obs_shape = tuple(env.observation_space.shape)
    act_shape = tuple(env.action_space.shape)
    name = getattr(env, "env_name", type(env).__name__)
    if obs_shape != (int(model.observation_dim),):
        raise ValidationError(
            f"{name} observations have shape {obs_shape} but the model takes ({model.observation_dim},); "
            "fit the model on this environment's transitions"
        )
    if act_shape != (int(model.action_dim),):
        raise ValidationError(
            f"{name} actions have shape {act_shape} but the model takes ({model.action_dim},); "
            "fit the model on this environment's transitions"
        )


class MPC:
    """Receding-horizon controller around a planner (see the module doc). ``MPC(...)(obs)`` acts."""

    def __init__(self, model, planner, *, env=None, bounds=None, seed: int = 0):
        if env is not None:
            check_compatible(env, model)
            if bounds is None:
                bounds = (env.action_space.low, env.action_space.high)
        self.model, self.planner, self.seed = model, planner, int(seed)
        if bounds is None:
            bounds = (getattr(model, "action_low", -1.0), getattr(model, "action_high", 1.0))
        A = int(model.action_dim)
        self.low, self.high = (np.broadcast_to(np.asarray(b, dtype=np.float64), (A,)).copy() for b in bounds)
        self.fallbacks: list[tuple[int, str]] = []
        self.plan_seconds: list[float] = []
        self.reset()

    def reset(self) -> None:
        """Forget the previous plan (call at the start of an episode)."""
        self._prev: torch.Tensor | None = None
        self._elites: torch.Tensor | None = None
        self._t = 0
        self._gen = torch.Generator().manual_seed(self.seed)

    def _shifted(self) -> torch.Tensor | None:
        if self._prev is None:
            return None
        return torch.cat([self._prev[1:], self._prev[-1:]])

    def act(self, obs) -> np.ndarray:
        init = self._shifted()
        t0 = time.perf_counter()
        try:
            extra = {}
            if self._elites is not None:  # iCEM: the previous elites, shifted like the mean
                extra["carry"] = torch.cat([self._elites[:, 1:], self._elites[:, -1:]], dim=1)
            plan = self.planner.plan(
                self.model, obs, bounds=(self.low, self.high), init=init, generator=self._gen, **extra
            )
            mean, action = plan.mean, plan.actions[0]
            self._elites = getattr(plan, "elites", None)
            if not np.all(np.isfinite(action)):
                raise DivergenceError("the plan holds non-finite actions")
        except DivergenceError as exc:
            msg = f"control step {self._t}: {exc}; falling back to the previous plan"
            warnings.warn(msg, RuntimeWarning, stacklevel=2)
            self.fallbacks.append((self._t, str(exc)))
            self._elites = None
            mid = torch.as_tensor((self.low + self.high) / 2, dtype=torch.float32)
            mean = init if init is not None else mid.expand(self.planner.config.horizon, len(mid)).clone()
            action = mean[0].double().numpy()
        self.plan_seconds.append(time.perf_counter() - t0)
        self._prev = mean
        self._t += 1
        return np.clip(action, self.low, self.high)

    __call__ = act


@dataclasses.dataclass
class Episode:
    """One episode: ``observations`` ``(T + 1, obs_dim)``, ``actions`` ``(T, A)``, ``rewards`` ``(T,)``."""

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    terminated: bool

    @property
    def total_reward(self) -> float:
        return float(self.rewards.sum())

    def __len__(self) -> int:
        return len(self.rewards)


def run_episode(env, policy, *, seed: int = 0, max_steps: int | None = None, callback: Any = None) -> Episode:
    """Roll ``policy(obs) -> action`` out in ``env`` from ``reset(seed=seed)`` until it terminates,
    is truncated or ``max_steps`` pass. ``callback(t, obs, action, reward)`` is called each step."""
    if hasattr(policy, "reset"):
        policy.reset()
    obs, _ = env.reset(seed=seed)
    observations, actions, rewards = [obs], [], []
    terminated = False
    t = 0
    while max_steps is None or t < max_steps:
        a = np.asarray(policy(obs), dtype=np.float64)
        obs, r, terminated, truncated, _ = env.step(a.astype(np.float32))
        observations.append(obs)
        actions.append(a)
        rewards.append(r)
        if callback is not None:
            callback(t, obs, a, r)
        t += 1
        if terminated or truncated:
            break
    A = int(env.action_space.shape[0])
    return Episode(
        np.asarray(observations, dtype=np.float64),
        np.asarray(actions).reshape(-1, A),
        np.asarray(rewards, dtype=np.float64),
        bool(terminated),
    )
