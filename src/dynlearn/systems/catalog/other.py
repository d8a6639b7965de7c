"""Other flows: a small set that belongs to none of the families.

Rossler's spiral, cyclically symmetric flows (Halvorsen, Thomas, Aizawa), a
bifurcation normal form, a plasma-wave model, a quasiperiodic reference flow
and economic models. Add a system here only when no family fits it.
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import flow

FAMILY = "other"


@flow(
    params={"a": 0.2, "b": 0.2, "c": 5.7},
    x0=(6.5134412, 0.4772013, 0.34164294),
    description="Rossler's spiral attractor: one stretching-and-folding band.",
    reference="Rossler, O. E. (1976). An equation for continuous chaos. Phys. Lett. A 57, 397-398.",
    equations="dx/dt = -y - z; dy/dt = x + a y; dz/dt = b + z (x - c)",
    dt=0.01,
    period=5.85,
    max_lyapunov=0.0714,
)
def Rossler(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = -x[:, 1] - x[:, 2]
    out[:, 1] = x[:, 0] + p.a * x[:, 1]
    out[:, 2] = p.b + x[:, 2] * (x[:, 0] - p.c)
    return out


@flow(
    params={"a": 0.95, "b": 0.7, "c": 0.6, "d": 3.5, "e": 0.25, "f": 0.1},
    x0=(-0.78450179, -0.62887672, -0.17620268),
    description="Aizawa's torus-breakdown flow: a sphere-like attractor pierced by a spiralling tube.",
    reference=(
        "Aizawa, Y. & Uezu, T. (1982). Topological aspects in chaos and in 2^k-period doubling cascade. "
        "Prog. Theor. Phys. 67(3), 982-985. See also Langford, W. F. (1984). Numerical studies of torus "
        "bifurcations. Numerical Methods for Bifurcation Problems, 285-295, Birkhauser."
    ),
    equations=(
        "dx/dt = (z - b) x - d y; dy/dt = d x + (z - b) y; dz/dt = c + a z - z^3/3 - (x^2 + y^2)(1 + e z) + f z x^3"
    ),
    dt=0.02,
    period=2.58,
)
def Aizawa(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = X * Z - p.b * X - p.d * Y
    out[:, 1] = p.d * X + Y * Z - p.b * Y
    out[:, 2] = p.c + p.a * Z - Z**3 / 3 - X**2 - Y**2 - p.e * Z * X**2 - p.e * Z * Y**2 + p.f * Z * X**3
    return out


@flow(
    params={"a": 1.4, "b": 4.0},
    x0=(-8.6807408, -2.4741399, 0.070775762),
    description="Halvorsen's cyclically symmetric quadratic flow (three-fold rotational symmetry).",
    reference="Sprott, J. C. (2010). Elegant Chaos: Algebraically Simple Chaotic Flows. World Scientific.",
    equations="dx/dt = -a x - b (y + z) - y^2; dy/dt = -a y - b (z + x) - z^2; dz/dt = -a z - b (x + y) - x^2",
    dt=0.005,
    period=1.49,
)
def Halvorsen(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = -p.a * X - p.b * Y - p.b * Z - Y**2
    out[:, 1] = -p.a * Y - p.b * Z - p.b * X - Z**2
    out[:, 2] = -p.a * Z - p.b * X - p.b * Y - X**2
    return out


_THOMAS_EQ = "dx/dt = -a x + b sin(y); dy/dt = -a y + b sin(z); dz/dt = -a z + b sin(x)"


_THOMAS_REF = (
    "Thomas, R. (1999). Deterministic chaos seen in terms of feedback circuits: analysis, "
    "synthesis, 'labyrinth chaos'. Int. J. Bifurc. Chaos 9, 1889-1905."
)


def _thomas(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = -p.a * x[:, 0] + p.b * np.sin(x[:, 1])
    out[:, 1] = -p.a * x[:, 1] + p.b * np.sin(x[:, 2])
    out[:, 2] = -p.a * x[:, 2] + p.b * np.sin(x[:, 0])
    return out


Thomas = flow(
    name="Thomas",
    params={"a": 1.85, "b": 10.0},
    x0=(2.199442, 2.3634225, 3.220197),
    description="Thomas' cyclically symmetric attractor: a damped particle in a 3-D lattice of sinusoidal forces.",
    reference=_THOMAS_REF,
    equations=_THOMAS_EQ,
    dt=0.005,
    period=4.97,
)(_thomas)


ThomasLabyrinth = flow(
    name="ThomasLabyrinth",
    params={"a": 0.5, "b": 10.0},
    x0=(-4.9599545, 1.0302034, -4.6883893),
    description="Thomas' system at weak damping: labyrinth chaos, a bounded random-walk-like wandering.",
    reference=_THOMAS_REF,
    equations=_THOMAS_EQ,
    dt=0.005,
    period=6.05,
)(_thomas)


@flow(
    params={"a": 0.4, "b": 20.25, "c": 3.0, "d": 1.6, "e": 1.7, "f": 0.44},
    x0=(-0.55582369, 0.05181624, 0.37766104),
    description="Guckenheimer-Holmes normal form of a Hopf / saddle-node interaction: chaos near a torus breakdown.",
    reference=(
        "Guckenheimer, J. & Holmes, P. (1983). Nonlinear Oscillations, Dynamical Systems, and Bifurcations of "
        "Vector Fields. Applied Mathematical Sciences 42, Springer."
    ),
    equations=(
        "dx/dt = a x - b y + c z x + d z (x^2 + y^2); dy/dt = a y + b x + c z y; "
        "dz/dt = e - z^2 - f (x^2 + y^2) - a z^3"
    ),
    dt=0.002,
    period=0.308,
)
def GuckenheimerHolmes(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = p.a * X - p.b * Y + p.c * Z * X + p.d * Z * X**2 + p.d * Z * Y**2
    out[:, 1] = p.a * Y + p.b * X + p.c * Z * Y
    out[:, 2] = p.e - Z**2 - p.f * X**2 - p.f * Y**2 - p.a * Z**3
    return out


@flow(
    params={"a": 1.1, "g": 0.87},
    x0=(-1.8207276, 0.83440917, 0.2078248),
    description="Rabinovich-Fabrikant model of stochastic self-modulation of waves in a nonequilibrium medium.",
    reference=(
        "Rabinovich, M. I. & Fabrikant, A. L. (1979). Stochastic self-modulation of waves in "
        "nonequilibrium media. Sov. Phys. JETP 50, 311-317."
    ),
    equations="dx/dt = y (z - 1 + x^2) + g x; dy/dt = x (3 z + 1 - x^2) + g y; dz/dt = -2 z (a + x y)",
    dt=0.005,
    period=2.34,
)
def RabinovichFabrikant(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = Y * (Z - 1.0 + X**2) + p.g * X
    out[:, 1] = X * (3.0 * Z + 1.0 - X**2) + p.g * Y
    out[:, 2] = -2.0 * Z * (p.a + X * Y)
    return out


@flow(
    params={"a": 0.5, "n": 15.3, "r": 1.0},
    x0=(1.5, 0.0, 0.0),
    description=(
        "Quasiperiodic winding on a torus (radii r, a; n turns per revolution); the vector field "
        "depends on t only, so this is a reference non-chaotic case (all Lyapunov exponents zero)."
    ),
    reference="Strogatz, S. H. (1994). Nonlinear Dynamics and Chaos. Addison-Wesley (flows on the torus).",
    equations=(
        "dx/dt = -a n sin(n t) cos t - (r + a cos(n t)) sin t; "
        "dy/dt = -a n sin(n t) sin t + (r + a cos(n t)) cos t; dz/dt = a n cos(n t)"
    ),
    nonautonomous=True,
    dt=0.02,
    period=6.28,
)
def Torus(x, t, p):
    rad = p.r + p.a * np.cos(p.n * t)
    dr = -p.a * p.n * np.sin(p.n * t)
    out = np.empty_like(x)
    out[:, 0] = dr * np.cos(t) - rad * np.sin(t) + 0.0 * x[:, 0]
    out[:, 1] = dr * np.sin(t) + rad * np.cos(t) + 0.0 * x[:, 1]
    out[:, 2] = p.a * p.n * np.cos(p.n * t) + 0.0 * x[:, 2]
    return out


@flow(
    params={"a": 0.001, "b": 0.2, "c": 1.1},
    x0=(-0.51664739, -3.9568707, 0.0012893581),
    description="Cai-Huang finance model: interest rate, investment demand and price index.",
    reference=("Cai, G. & Huang, J. (2007). A new finance chaotic attractor. Int. J. Nonlinear Sci. 3(3), 213-220."),
    equations="dx/dt = (1/b - a) x + z + x y; dy/dt = -b y - x^2; dz/dt = -x - c z",
    dt=0.02,
    period=9.89,
)
def Finance(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = (1.0 / p.b - p.a) * X + Z + X * Y
    out[:, 1] = -p.b * Y - X**2
    out[:, 2] = -X - p.c * Z
    return out


_BOUALI_EQ = "dx/dt = a x (y0 - y) - b z; dy/dt = g y (x^2 - 1); dz/dt = -1.5 m x + m bb x z - c z"


_BOUALI_REF = (
    "Bouali, S. (1999). Feedback loop in extended van der Pol's equation applied to an economic model of "
    "cycles. Int. J. Bifurc. Chaos 9(4), 745-756."
)


def _bouali(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = p.a * p.y0 * X - p.a * X * Y - p.b * Z
    out[:, 1] = -p.g * Y + p.g * Y * X**2
    out[:, 2] = -1.5 * p.m * X + p.m * p.bb * X * Z - p.c * Z
    return out


Bouali = flow(
    name="Bouali",
    params={"a": 1.0, "b": -0.3, "bb": 1.0, "c": 0.05, "g": 1.0, "m": 1.0, "y0": 4.0},
    x0=(0.38673159, 3.0544196, -0.0067836194),
    description="Bouali's economic-cycle model (extended van der Pol with feedback), first parameter set.",
    reference=_BOUALI_REF,
    equations=_BOUALI_EQ,
    dt=0.01,
    period=3.04,
)(_bouali)


Bouali2 = flow(
    name="Bouali2",
    params={"a": 3.0, "b": 2.2, "bb": 0.0, "c": 0.0, "g": 1.0, "m": -0.0026667, "y0": 1.0},
    x0=(-0.79392257, 1.3617589, -0.030578888),
    description="Bouali's economic-cycle model, second parameter set (slow weak feedback).",
    reference=_BOUALI_REF,
    equations=_BOUALI_EQ,
    dt=0.01,
    period=7.68,
)(_bouali)
