"""A planar two-link reacher: move the fingertip of a horizontal arm to a target.

State = observation ``(cos q1, sin q1, cos q2, sin q2, q̇1, q̇2, tx, ty)``: joint angles (``q2``
relative to the first link), joint velocities and the target, fixed during an episode (so the
batched model knows it). Links of length ``l1, l2`` carry point masses ``m1, m2`` at their ends; the
joints are driven by torques ``τ = torque_gain · a`` against viscous damping ``c``. Manipulator
equations (no gravity, the arm is horizontal)::

    M(q) q̈ + h(q, q̇) + c q̇ = τ,
    M = [[(m1 + m2) l1² + m2 l2² + 2 m2 l1 l2 cos q2,  m2 l2² + m2 l1 l2 cos q2],
         [m2 l2² + m2 l1 l2 cos q2,                    m2 l2²]],
    h = m2 l1 l2 sin q2 · (−(2 q̇1 q̇2 + q̇2²), q̇1²),

semi-implicit Euler with step ``dt`` and ``frame_skip`` sub-steps. Reward: ``−|fingertip − target|
− control_cost · |a|²`` (as Gymnasium's ``Reacher``), so 0 is the best possible per step.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dynlearn.control.envs._base import ControlEnv
from dynlearn.errors import ValidationError


@dataclasses.dataclass
class ReacherParams:
    link1: float = 0.12
    link2: float = 0.12
    mass1: float = 1.0
    mass2: float = 1.0
    torque_gain: float = 0.05
    damping: float = 0.01
    control_cost: float = 0.01
    dt: float = 0.01
    frame_skip: int = 2
    max_episode_steps: int = 200

    def validate(self) -> None:
        for name in ("link1", "link2", "mass1", "mass2", "dt"):
            if not getattr(self, name) > 0:
                raise ValidationError(f"reacher: {name} must be > 0, got {getattr(self, name)}")
        if self.frame_skip < 1 or self.max_episode_steps < 1:
            raise ValidationError("reacher: frame_skip and max_episode_steps must be >= 1")


class Reacher(ControlEnv):
    """Reach a random target in the plane with a two-link arm."""

    env_name = "reacher"
    observation_dim = 8
    action_dim = 2
    Params = ReacherParams

    @classmethod
    def _initial(cls, rng, p):
        q = rng.uniform(-np.pi, np.pi, 2)
        reach = p.link1 + p.link2
        r, phi = reach * np.sqrt(rng.uniform(0.05, 0.9)), rng.uniform(-np.pi, np.pi)
        return np.array(
            [np.cos(q[0]), np.sin(q[0]), np.cos(q[1]), np.sin(q[1]), 0.0, 0.0, r * np.cos(phi), r * np.sin(phi)]
        )

    @classmethod
    def _step(cls, o, s, a, p):
        c1, s1, c2, s2, w1, w2, tx, ty = (s[..., i] for i in range(8))
        t1, t2 = p.torque_gain * a[..., 0], p.torque_gain * a[..., 1]
        m1, m2, l1, l2 = p.mass1, p.mass2, p.link1, p.link2
        for _ in range(p.frame_skip):
            m11 = (m1 + m2) * l1 * l1 + m2 * l2 * l2 + 2 * m2 * l1 * l2 * c2
            m12 = m2 * l2 * l2 + m2 * l1 * l2 * c2
            m22 = m2 * l2 * l2
            h = m2 * l1 * l2 * s2
            r1 = t1 + h * (2 * w1 * w2 + w2 * w2) - p.damping * w1
            r2 = t2 - h * w1 * w1 - p.damping * w2
            det = m11 * m22 - m12 * m12
            w1 = w1 + p.dt * (m22 * r1 - m12 * r2) / det
            w2 = w2 + p.dt * (m11 * r2 - m12 * r1) / det
            d1c, d1s, d2c, d2s = o.cos(p.dt * w1), o.sin(p.dt * w1), o.cos(p.dt * w2), o.sin(p.dt * w2)
            c1, s1 = c1 * d1c - s1 * d1s, s1 * d1c + c1 * d1s
            c2, s2 = c2 * d2c - s2 * d2s, s2 * d2c + c2 * d2s
        return o.stack([c1, s1, c2, s2, w1, w2, tx, ty])

    @classmethod
    def fingertip(cls, o, s, p):
        c1, s1, c2, s2 = s[..., 0], s[..., 1], s[..., 2], s[..., 3]
        c12, s12 = c1 * c2 - s1 * s2, s1 * c2 + c1 * s2
        return p.link1 * c1 + p.link2 * c12, p.link1 * s1 + p.link2 * s12

    @classmethod
    def _reward(cls, o, s, a, y, p):
        fx, fy = cls.fingertip(o, y, p)
        dist = o.sqrt((fx - y[..., 6]) ** 2 + (fy - y[..., 7]) ** 2)
        return -dist - p.control_cost * (a[..., 0] ** 2 + a[..., 1] ** 2)

    def draw(self, ax, obs) -> None:
        p = self.params
        s = np.asarray(obs, dtype=np.float64)
        ex, ey = p.link1 * s[0], p.link1 * s[1]
        fx, fy = self.fingertip(np, s, p)
        ax.plot([0, ex, fx], [0, ey, fy], "-o", color="tab:blue", lw=3, ms=4)
        ax.plot([s[6]], [s[7]], "x", color="tab:red", ms=10, mew=2)
        r = 1.15 * (p.link1 + p.link2)
        ax.set_xlim(-r, r)
        ax.set_ylim(-r, r)
