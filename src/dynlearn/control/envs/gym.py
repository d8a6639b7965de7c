"""Gymnasium's own classic-control tasks behind a thin adapter that adds their batched true model.

The adapter keeps Gymnasium's environment (its ``step``, ``reset``, spaces and time limit) and writes
its equations once more, batched, for planners (``env.model()``); the tests check both agree step by
step. Parameter variants by keyword set the matching attributes of the wrapped environment:

- ``pendulum`` (``Pendulum-v1``): ``gravity``, ``mass``, ``length``, ``torque_gain`` (the torque sent is
  ``torque_gain · a``, then clipped to ±2 by the environment), ``max_episode_steps``.
- ``mountain_car_continuous`` (``MountainCarContinuous-v0``): ``power``, ``max_episode_steps``.
- ``cartpole`` (``CartPole-v1``): ``gravity``, ``cart_mass``, ``pole_mass``, ``pole_length`` (half
  length, Gymnasium's ``length``), ``force_mag``. Its discrete push left/right is exposed as a
  continuous action ``a ∈ [-1, 1]`` (push right when ``a > 0``), so every planner applies.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from dynlearn.config import build_config
from dynlearn.control.envs._base import TrueDynamics, require_gymnasium

try:
    import gymnasium
except ImportError:  # pragma: no cover
    gymnasium = None


class _Physics:
    """The batched equations of one Gymnasium task (class methods over ``ops``)."""


@dataclasses.dataclass
class PendulumParams:
    gravity: float = 10.0
    mass: float = 1.0
    length: float = 1.0
    torque_gain: float = 1.0
    max_episode_steps: int = 200


class PendulumPhysics(_Physics):
    """``Pendulum-v1``: obs ``(cos θ, sin θ, θ̇)``, ``θ̇' = clip(θ̇ + (3g/(2l) sin θ + 3u/(m l²)) dt, ±8)``,
    ``θ' = θ + θ̇' dt``, ``dt = 0.05``; reward ``−(θ² + 0.1 θ̇² + 0.001 u²)`` with θ wrapped to (−π, π]."""

    @classmethod
    def _step(cls, o, s, a, p):
        th = o.atan2(s[..., 1], s[..., 0])
        u = o.clip(p.torque_gain * a[..., 0], -2.0, 2.0)
        thd = s[..., 2] + (3 * p.gravity / (2 * p.length) * o.sin(th) + 3.0 / (p.mass * p.length**2) * u) * 0.05
        thd = o.clip(thd, -8.0, 8.0)
        th = th + thd * 0.05
        return o.stack([o.cos(th), o.sin(th), thd])

    @classmethod
    def _reward(cls, o, s, a, y, p):
        th = o.atan2(s[..., 1], s[..., 0])
        u = o.clip(p.torque_gain * a[..., 0], -2.0, 2.0)
        return -(th**2 + 0.1 * s[..., 2] ** 2 + 0.001 * u**2)

    @classmethod
    def _terminated(cls, o, y, p):
        return o.full_like(y[..., 0], 0.0) != 0.0


@dataclasses.dataclass
class MountainCarParams:
    power: float = 0.0015
    max_episode_steps: int = 999


class MountainCarPhysics(_Physics):
    """``MountainCarContinuous-v0``: ``v' = clip(v + 0.0015 a − 0.0025 cos 3x, ±0.07)``,
    ``x' = clip(x + v', [−1.2, 0.6])`` (``v' = 0`` at the left wall); reward ``100·[x' ≥ 0.45] − 0.1 a²``."""

    @classmethod
    def _step(cls, o, s, a, p):
        x, v = s[..., 0], s[..., 1]
        v = o.clip(v + o.clip(a[..., 0], -1.0, 1.0) * p.power - 0.0025 * o.cos(3 * x), -0.07, 0.07)
        x = o.clip(x + v, -1.2, 0.6)
        v = o.where((x <= -1.2) & (v < 0), o.full_like(v, 0.0), v)
        return o.stack([x, v])

    @classmethod
    def _terminated(cls, o, y, p):
        return (y[..., 0] >= 0.45) & (y[..., 1] >= 0.0)

    @classmethod
    def _reward(cls, o, s, a, y, p):
        goal = o.where(cls._terminated(o, y, p), 100.0, o.full_like(y[..., 0], 0.0))
        return goal - 0.1 * o.clip(a[..., 0], -1.0, 1.0) ** 2


@dataclasses.dataclass
class CartPoleParams:
    gravity: float = 9.8
    cart_mass: float = 1.0
    pole_mass: float = 0.1
    pole_length: float = 0.5
    force_mag: float = 10.0
    max_episode_steps: int = 500


class CartPolePhysics(_Physics):
    """``CartPole-v1`` (Barto et al. 1983), explicit Euler with ``τ = 0.02``; force ``±force_mag``
    by the sign of ``a``; terminated when ``|x| > 2.4`` or ``|θ| > 12°``; reward 1 per step."""

    @classmethod
    def _step(cls, o, s, a, p):
        x, xd, th, thd = (s[..., i] for i in range(4))
        force = o.where(a[..., 0] > 0, p.force_mag, o.full_like(x, -p.force_mag))
        mt, pml = p.cart_mass + p.pole_mass, p.pole_mass * p.pole_length
        c, sn = o.cos(th), o.sin(th)
        temp = (force + pml * thd * thd * sn) / mt
        thacc = (p.gravity * sn - c * temp) / (p.pole_length * (4.0 / 3.0 - p.pole_mass * c * c / mt))
        xacc = temp - pml * thacc * c / mt
        return o.stack([x + 0.02 * xd, xd + 0.02 * xacc, th + 0.02 * thd, thd + 0.02 * thacc])

    @classmethod
    def _terminated(cls, o, y, p):
        lim = 12 * 2 * math.pi / 360
        return (y[..., 0] < -2.4) | (y[..., 0] > 2.4) | (y[..., 2] < -lim) | (y[..., 2] > lim)

    @classmethod
    def _reward(cls, o, s, a, y, p):
        return o.full_like(y[..., 0], 1.0)


_SPECS: dict[str, tuple[str, type, type]] = {
    "pendulum": ("Pendulum-v1", PendulumParams, PendulumPhysics),
    "mountain_car_continuous": ("MountainCarContinuous-v0", MountainCarParams, MountainCarPhysics),
    "cartpole": ("CartPole-v1", CartPoleParams, CartPolePhysics),
}


def _base_class():
    return gymnasium.Wrapper if gymnasium is not None else object


class GymEnv(_base_class()):
    """A Gymnasium classic-control environment with ``model()``, ``params`` and ``dt`` like dynlearn's own."""

    def __init__(self, name: str, **params: Any):
        gym = require_gymnasium()
        gym_id, params_cls, physics = _SPECS[name]
        self.params = build_config(params_cls, None, params)
        env = gym.make(gym_id, max_episode_steps=self.params.max_episode_steps)
        super().__init__(env)
        self.env_name, self.physics, self.gym_id = name, physics, gym_id
        raw = env.unwrapped
        p = self.params
        if name == "pendulum":
            raw.g, raw.m, raw.l = p.gravity, p.mass, p.length
        elif name == "mountain_car_continuous":
            raw.power = p.power
        else:
            raw.gravity, raw.masscart, raw.masspole, raw.length, raw.force_mag = (
                p.gravity,
                p.cart_mass,
                p.pole_mass,
                p.pole_length,
                p.force_mag,
            )
            raw.total_mass = p.cart_mass + p.pole_mass
            raw.polemass_length = p.pole_mass * p.pole_length
            self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        self.observation_dim = int(self.observation_space.shape[0])
        self.action_dim = int(self.action_space.shape[0])
        self.dt = {"pendulum": 0.05, "mountain_car_continuous": 1.0, "cartpole": 0.02}[name]
        self.max_episode_steps = int(p.max_episode_steps)

    @property
    def spec(self):
        """None: the adapter is built by ``make_env``, not by ``gymnasium.make``."""
        return None

    def step(self, action):
        a = np.asarray(action, dtype=np.float32)
        if a.shape != (self.action_dim,):
            from dynlearn.errors import ValidationError

            raise ValidationError(f"{self.env_name} takes actions of shape ({self.action_dim},); got {a.shape}")
        if self.env_name == "pendulum":
            a = np.clip(a, -2.0, 2.0) * np.float32(self.params.torque_gain)
        elif self.env_name == "cartpole":
            a = int(a[0] > 0)
        return self.env.step(a)

    def model(self) -> TrueDynamics:
        return TrueDynamics(self)

    def draw(self, ax, obs) -> None:
        s = np.asarray(obs, dtype=np.float64)
        if self.env_name == "pendulum":
            ax.plot([0, s[1]], [0, s[0]], color="tab:red", lw=3)
            ax.set_xlim(-1.2, 1.2)
            ax.set_ylim(-1.2, 1.2)
        elif self.env_name == "mountain_car_continuous":
            xs = np.linspace(-1.2, 0.6, 100)
            ax.plot(xs, np.sin(3 * xs), color="0.5")
            ax.plot([s[0]], [np.sin(3 * s[0])], "o", color="tab:blue", ms=8)
            ax.axvline(0.45, color="tab:green", ls=":")
        else:
            ax.plot([-2.4, 2.4], [0, 0], color="0.6")
            ax.plot(
                [s[0], s[0] + 2 * self.params.pole_length * np.sin(s[2])],
                [0, 2 * self.params.pole_length * np.cos(s[2])],
                color="tab:red",
                lw=3,
            )
            ax.set_xlim(-2.6, 2.6)
            ax.set_ylim(-0.5, 1.3)
