"""Mechanics and Hamiltonian systems.

Conservative or nearly conservative mechanical systems: pendulums, Hamiltonian
potentials (Henon-Heiles, quadrupole bosons, the Arnold web) and rigid bodies
with feedback (Chen-Lee, Newton-Leipnik). Angles are not reduced modulo 2 pi,
so coordinates may wander while the dynamics stay on the attractor. The
Nose-Hoover thermostat is Sprott's case A and lives with it in ``sprott``.
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import flow

FAMILY = "mechanics"


@flow(
    params={"g": 9.81, "l1": 1.0, "l2": 1.0, "m1": 1.0, "m2": 1.0},
    x0=(-44.334542, 223.53554, -1.2249799, 2.535486),
    description=(
        "Frictionless planar double pendulum in canonical coordinates (angles not reduced mod 2 pi). The "
        "equations are dysts's (kept for parity with its benchmark); their h2 term is not the symplectic "
        "gradient of the textbook energy (the p1 p2 cos(th1 - th2) part differs), so they do not conserve it. "
        "For an energy-conserving double pendulum use dynlearn.systems.hamiltonian ('double_pendulum')."
    ),
    reference="Marion, J. B. & Thornton, S. T. Classical Dynamics of Particles and Systems. (e.g. 5th ed., 2003).",
    equations=(
        "D = l1 l2 (m1 + m2 sin^2(th1 - th2)); dth1/dt = (l2 p1 - l1 p2 cos(th1 - th2)) / (l1 D); "
        "dth2/dt = ((m1 + m2) l1 p2 - m2 l2 p1 cos(th1 - th2)) / (m2 l2 D); h1 = p1 p2 sin(th1 - th2) / D; "
        "h2 = (m2 l2 p1^2 / (2 l1 D^2) + m2 l1 l2 p2 dth2/dt / (2 D)) sin(2 (th1 - th2)); "
        "dp1/dt = -(m1 + m2) g l1 sin th1 - h1 + h2; dp2/dt = -m2 g l2 sin th2 + h1 - h2"
    ),
    dt=0.01,
    period=4.02,
)
def DoublePendulum(x, t, p):
    th1, th2, p1, p2 = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
    cd = np.cos(th1 - th2)
    sd = np.sin(th1 - th2)
    den = p.l1 * p.l2 * (p.m1 + p.m2 * sd**2)
    th1dot = (p.l2 * p1 - p.l1 * p2 * cd) / (p.l1 * den)
    th2dot = ((p.m1 + p.m2) * p.l1 * p2 - p.m2 * p.l2 * p1 * cd) / (p.m2 * p.l2 * den)
    h1 = p1 * p2 * sd / den
    h2 = (p.m2 * p.l2 * p1**2) / (2.0 * p.l1 * den**2) + 0.5 * p.m2 * p2 * p.l2 * p.l1 * th2dot / den
    h2 = h2 * np.sin(2.0 * (th1 - th2))
    out = np.empty_like(x)
    out[:, 0] = th1dot
    out[:, 1] = th2dot
    out[:, 2] = -(p.m1 + p.m2) * p.g * p.l1 * np.sin(th1) - h1 + h2
    out[:, 3] = -p.m2 * p.g * p.l2 * np.sin(th2) + h1 - h2
    return out


@flow(
    params={"lam": 1.0},
    x0=(-0.29707259, -0.0031367513, 0.42548865, 0.071905482),
    description="Henon-Heiles Hamiltonian for a star in a galactic potential (conservative; chaotic sea at this energy).",
    reference=(
        "Henon, M. & Heiles, C. (1964). The applicability of the third integral of motion: some numerical "
        "experiments. Astron. J. 69, 73-79."
    ),
    equations="dx/dt = px; dy/dt = py; dpx/dt = -x - 2 lam x y; dpy/dt = -y - lam x^2 + lam y^2",
    dt=0.02,
    period=6.37,
)
def HenonHeiles(x, t, p):
    X, Y, px, py = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
    out = np.empty_like(x)
    out[:, 0] = px
    out[:, 1] = py
    out[:, 2] = -X - 2.0 * p.lam * X * Y
    out[:, 3] = -Y - p.lam * X**2 + p.lam * Y**2
    return out


@flow(
    params={"a": 1.0, "b": 0.55, "d": 0.4},
    x0=(-0.85591178, 1.48078342, -0.85075322, 1.63576085),
    description="Quadrupole boson Hamiltonian (two degrees of freedom) with chaos from resonance overlap.",
    reference=(
        "Baran, V. & Raduta, A. A. (1998). Int. J. Mod. Phys. E (quadrupole boson Hamiltonian with "
        "chaos from resonance overlap)."
    ),
    equations=(
        "dq1/dt = a p1; dq2/dt = a p2; dp1/dt = -a q1 + (3/sqrt2) b (q1^2 - q2^2) - d q1 (q1^2 + q2^2); "
        "dp2/dt = -a q2 - 3 sqrt2 b q1 q2 - d q2 (q1^2 + q2^2)"
    ),
    dt=0.02,
    period=6.02,
)
def NuclearQuadrupole(x, t, p):
    q1, q2, p1, p2 = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
    rr = q1**2 + q2**2
    out = np.empty_like(x)
    out[:, 0] = p.a * p1
    out[:, 1] = p.a * p2
    out[:, 2] = -p.a * q1 + 3.0 / np.sqrt(2.0) * p.b * (q1**2 - q2**2) - p.d * q1 * rr
    out[:, 3] = -p.a * q2 - 3.0 * np.sqrt(2.0) * p.b * q1 * q2 - p.d * q2 * rr
    return out


@flow(
    params={"mu": 0.01, "w": 1.0},
    x0=(0.10469507, 0.0892929984, 11025.3686, 6055.32273),
    description=(
        "Froeschle-Guzzo-Lega quasi-integrable Hamiltonian with time-periodic perturbation: "
        "weak diffusion along the Arnold web (angles not reduced mod 2 pi). The period on record (about 319) is "
        "what the power spectrum of the unreduced angles gives (their ramps dominate it); the rotation period "
        "2 pi / |p| (about 60-78, dysts's timescale) is the one to use (docs/systems.md, 'Odd records')."
    ),
    reference=(
        "Froeschle, C., Guzzo, M. & Lega, E. (2000). Graphical evolution of the Arnold web: from order to "
        "chaos. Science 289, 2108-2110."
    ),
    equations=(
        "D = 4 + cos(w t) + cos x1 + cos x2; dp1/dt = -mu sin(x1) / D^2; dp2/dt = -mu sin(x2) / D^2; "
        "dx1/dt = p1; dx2/dt = p2   (state: p1, p2, x1, x2)"
    ),
    nonautonomous=True,
    dt=0.1,
    period=67.25,
    dysts_time_phase="w",
)
def ArnoldWeb(x, t, p):
    p1, p2, x1, x2 = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
    denom = 4.0 + np.cos(p.w * t) + np.cos(x1) + np.cos(x2)
    out = np.empty_like(x)
    out[:, 0] = -p.mu * np.sin(x1) / denom**2
    out[:, 1] = -p.mu * np.sin(x2) / denom**2
    out[:, 2] = p1
    out[:, 3] = p2
    return out


@flow(
    params={"a": 5.0, "b": -10.0, "c": -0.38},
    x0=(0.17177112, 0.10360479, 6.2553878),
    description="Chen-Lee rigid-body (gyro) equations with feedback: a chaotic spinning top.",
    reference="Chen, H.-K. & Lee, C.-I. (2004). Anti-control of chaos in rigid body motion. Chaos Solitons Fractals 21, 957-965.",
    equations="dx/dt = a x - y z; dy/dt = b y + x z; dz/dt = c z + x y / 3",
    dt=0.005,
    period=2.8,
)
def ChenLee(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = p.a * X - Y * Z
    out[:, 1] = p.b * Y + X * Z
    out[:, 2] = p.c * Z + (1.0 / 3.0) * X * Y
    return out


@flow(
    params={"a": 0.4, "b": 0.175},
    x0=(0.29430753, 0.10649486, 0.29081125),
    description="Newton-Leipnik rigid-body equations with linear feedback: two coexisting strange attractors.",
    reference=(
        "Leipnik, R. B. & Newton, T. A. (1981). Double strange attractors in rigid body motion with "
        "linear feedback control. Phys. Lett. A 86, 63-67."
    ),
    equations="dx/dt = -a x + y + 10 y z; dy/dt = -x - 0.4 y + 5 x z; dz/dt = b z - 5 x y",
    dt=0.02,
    period=8.5,
)
def NewtonLiepnik(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = -p.a * x[:, 0] + x[:, 1] + 10.0 * x[:, 1] * x[:, 2]
    out[:, 1] = -x[:, 0] - 0.4 * x[:, 1] + 5.0 * x[:, 0] * x[:, 2]
    out[:, 2] = p.b * x[:, 2] - 5.0 * x[:, 0] * x[:, 1]
    return out
