"""The cart-pole swing-up of the DeepMind Control Suite (Tassa et al. 2018), in numpy.

State = observation ``(x, cos θ, sin θ, ẋ, θ̇)``; ``θ = 0`` is the pole upright, an episode starts
hanging down (``θ ≈ π``). The cart is pushed by ``F = force_gain · a``, ``a ∈ [-1, 1]``. Dynamics
(Barto, Sutton & Anderson 1983, with half-length ``l`` of a pole of length ``pole_length``)::

    θ̈ = (g sin θ − cos θ · (F + m_p l θ̇² sin θ)/(m_c + m_p)) / (l (4/3 − m_p cos² θ/(m_c + m_p)))
    ẍ = (F + m_p l (θ̇² sin θ − θ̈ cos θ)) / (m_c + m_p)

integrated by semi-implicit Euler with step ``dt``, ``frame_skip`` sub-steps per action.
Reward as in ``dm_control.suite.cartpole``: dense ``upright · centered · small_control · small_velocity``
with ``upright = (cos θ + 1)/2``, ``centered = (1 + tol(x, margin 2))/2``,
``small_control = (4 + tol(a, margin 1, quadratic))/5``, ``small_velocity = (1 + tol(θ̇, margin 5))/2``;
sparse ``tol(x, ±0.25) · tol(cos θ, [0.995, 1])``. Both lie in [0, 1] per step, so an episode of
``max_episode_steps`` steps returns at most that number.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dynlearn.control.envs._backend import tolerance
from dynlearn.control.envs._base import ControlEnv
from dynlearn.errors import ValidationError


@dataclasses.dataclass
class CartpoleParams:
    gravity: float = 9.81
    cart_mass: float = 1.0
    pole_mass: float = 0.1
    pole_length: float = 1.0
    force_gain: float = 10.0
    dt: float = 0.01
    frame_skip: int = 1
    max_episode_steps: int = 1000
    sparse: bool = False

    def validate(self) -> None:
        for name in ("gravity", "cart_mass", "pole_mass", "pole_length", "dt"):
            if not getattr(self, name) > 0:
                raise ValidationError(f"cartpole_swingup: {name} must be > 0, got {getattr(self, name)}")
        if self.frame_skip < 1 or self.max_episode_steps < 1:
            raise ValidationError("cartpole_swingup: frame_skip and max_episode_steps must be >= 1")


class CartpoleSwingup(ControlEnv):
    """Swing the pole up from hanging and balance it (DeepMind Control ``cartpole-swingup``)."""

    env_name = "cartpole_swingup"
    observation_dim = 5
    action_dim = 1
    Params = CartpoleParams

    @classmethod
    def _initial(cls, rng, p):
        theta = np.pi + 0.01 * rng.standard_normal()
        x, xd, td = 0.01 * rng.standard_normal(3)
        return np.array([x, np.cos(theta), np.sin(theta), xd, td])

    @classmethod
    def _step(cls, o, s, a, p):
        x, c, sn, xd, td = (s[..., i] for i in range(5))
        force = p.force_gain * a[..., 0]
        mt, half = p.cart_mass + p.pole_mass, 0.5 * p.pole_length
        for _ in range(p.frame_skip):
            tmp = (force + p.pole_mass * half * td * td * sn) / mt
            tdd = (p.gravity * sn - c * tmp) / (half * (4.0 / 3.0 - p.pole_mass * c * c / mt))
            xdd = tmp - p.pole_mass * half * tdd * c / mt
            xd = xd + p.dt * xdd
            td = td + p.dt * tdd
            x = x + p.dt * xd
            dc, ds = o.cos(p.dt * td), o.sin(p.dt * td)
            c, sn = c * dc - sn * ds, sn * dc + c * ds  # rotate by θ̇ dt: stays on the unit circle
        return o.stack([x, c, sn, xd, td])

    @classmethod
    def _reward(cls, o, s, a, y, p):
        x, c = y[..., 0], y[..., 1]
        if p.sparse:
            return tolerance(o, x, -0.25, 0.25) * tolerance(o, c, 0.995, 1.0)
        upright = (c + 1.0) / 2.0
        centered = (1.0 + tolerance(o, x, 0.0, 0.0, margin=2.0)) / 2.0
        small_control = (
            4.0 + tolerance(o, a[..., 0], 0.0, 0.0, margin=1.0, sigmoid="quadratic", value_at_margin=0.0)
        ) / 5.0
        small_velocity = (1.0 + tolerance(o, y[..., 4], 0.0, 0.0, margin=5.0)) / 2.0
        return upright * centered * small_control * small_velocity

    def draw(self, ax, obs) -> None:
        x, c, s = float(obs[0]), float(obs[1]), float(obs[2])
        L = self.params.pole_length
        lo, hi = min(-2.5, x - 1.4), max(2.5, x + 1.4)  # follow a cart that leaves the centre
        ax.plot([lo, hi], [0, 0], color="0.6", lw=1)
        ax.axvline(0.0, color="tab:green", lw=0.8, ls=":")
        ax.add_patch(_rect(x - 0.2, -0.1, 0.4, 0.2))
        ax.plot([x, x + L * s], [0, L * c], color="tab:red", lw=3)
        ax.set_xlim(lo, hi)
        ax.set_ylim(-1.3, 1.3)


def _rect(x, y, w, h):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, color="tab:blue")
