"""A 2-D point mass pushed towards the origin (in the spirit of DeepMind Control ``point_mass-easy``).

State = observation ``(x, y, ẋ, ẏ)``; action ``a ∈ [-1, 1]²`` is a force ``F = force_gain · a`` on a
mass ``m`` with linear damping ``c``: ``m v̇ = F − c v``, ``ṗ = v``, semi-implicit Euler with step
``dt``. Episodes start at rest, uniformly in ``[-0.3, 0.3]²``. Reward per step in [0, 1]:
``near · small_control`` with ``near = tol(|p|, [0, target_size], margin)`` (gaussian) and
``small_control = (4 + mean tol(a, margin 1, quadratic))/5``.
"""

from __future__ import annotations

import dataclasses

from dynlearn.control.envs._backend import tolerance
from dynlearn.control.envs._base import ControlEnv
from dynlearn.errors import ValidationError


@dataclasses.dataclass
class PointMassParams:
    mass: float = 1.0
    damping: float = 1.0
    force_gain: float = 1.0
    target_size: float = 0.015
    margin: float = 0.3
    dt: float = 0.02
    max_episode_steps: int = 500

    def validate(self) -> None:
        for name in ("mass", "dt", "margin"):
            if not getattr(self, name) > 0:
                raise ValidationError(f"point_mass: {name} must be > 0, got {getattr(self, name)}")
        if self.damping < 0 or self.max_episode_steps < 1:
            raise ValidationError("point_mass: damping must be >= 0 and max_episode_steps >= 1")


class PointMass(ControlEnv):
    """Bring a damped 2-D point mass to the origin and keep it there."""

    env_name = "point_mass"
    observation_dim = 4
    action_dim = 2
    Params = PointMassParams

    @classmethod
    def _initial(cls, rng, p):
        import numpy as np

        return np.concatenate([rng.uniform(-0.3, 0.3, 2), np.zeros(2)])

    @classmethod
    def _step(cls, o, s, a, p):
        px, py, vx, vy = (s[..., i] for i in range(4))
        vx = vx + p.dt * (p.force_gain * a[..., 0] - p.damping * vx) / p.mass
        vy = vy + p.dt * (p.force_gain * a[..., 1] - p.damping * vy) / p.mass
        return o.stack([px + p.dt * vx, py + p.dt * vy, vx, vy])

    @classmethod
    def _reward(cls, o, s, a, y, p):
        dist = o.sqrt(y[..., 0] ** 2 + y[..., 1] ** 2)
        near = tolerance(o, dist, 0.0, p.target_size, margin=p.margin)
        ctl = [
            tolerance(o, a[..., i], 0.0, 0.0, margin=1.0, sigmoid="quadratic", value_at_margin=0.0) for i in range(2)
        ]
        return near * (4.0 + 0.5 * (ctl[0] + ctl[1])) / 5.0

    def draw(self, ax, obs) -> None:
        from matplotlib.patches import Circle

        ax.add_patch(Circle((0, 0), max(self.params.target_size, 0.02), color="tab:green", alpha=0.5))
        ax.plot([float(obs[0])], [float(obs[1])], "o", color="tab:blue", ms=8)
        ax.set_xlim(-0.4, 0.4)
        ax.set_ylim(-0.4, 0.4)
