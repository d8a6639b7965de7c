"""Sprott's algebraically simple flows and other jerk systems.

Sprott's nineteen cases A-S (Sprott 1994), his later minimal flows, and jerk
equations (a third derivative as a function of lower ones) written as
first-order systems (Arneodo-Coullet-Tresser, Genesio-Tesi, Linz-Sprott,
Malasoma). Case A is the Nose-Hoover thermostatted oscillator, declared here
with it from one right-hand side. Sprott's parameter-free cases expose one published constant as
the parameter ``a`` (every catalog entry has a parameter), which is why the
dysts oracle does not pass it (``DYSTS_HAS_NO_PARAMS``). LinzSprottJerk and MalasomaJerk are not in dysts.
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import DYSTS_HAS_NO_PARAMS, flow

FAMILY = "sprott"

SPROTT_1994 = "Sprott, J. C. (1994). Some simple chaotic flows. Phys. Rev. E 50, R647-R650."


#: the Nose-Hoover thermostatted oscillator, which is also Sprott's case A (at a = 1)
def _nose_hoover(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1]
    out[:, 1] = -x[:, 0] + x[:, 1] * x[:, 2]
    out[:, 2] = p.a - x[:, 1] ** 2
    return out


SprottA = flow(
    name="SprottA",
    params={"a": 1.0},
    # in the chaotic sea: dysts's (1.54131864, 1.43079727, -1.52555412) lies on an invariant torus, where the
    # 8-trajectory estimate of lambda_1 fell as 1/T (0.0028 after 62,500 steps, 0.0007 after 500,000)
    x0=(0.0, 5.0, 0.0),
    description="Sprott case A (the Nose-Hoover oscillator at a = 1): conservative chaos.",
    reference=SPROTT_1994,
    equations="dx/dt = y; dy/dt = -x + y z; dz/dt = a - y^2  (published: a = 1)",
    dt=0.02,
    period=6.37,
    dysts_params=DYSTS_HAS_NO_PARAMS,
)(_nose_hoover)

NoseHoover = flow(
    name="NoseHoover",
    params={"a": 1.5},
    x0=(-1.9758582, 0.24647527, 0.79024299),
    description="Nose-Hoover thermostatted oscillator: conservative (volume-preserving on average) chaos.",
    reference=(
        "Nose, S. (1984). A unified formulation of the constant temperature molecular dynamics "
        "methods. J. Chem. Phys. 81, 511-519; Hoover, W. G. (1985). Canonical dynamics: equilibrium "
        "phase-space distributions. Phys. Rev. A 31, 1695-1697."
    ),
    equations="dx/dt = y; dy/dt = -x + y z; dz/dt = a - y^2",
    dt=0.01,
    period=5.87,
)(_nose_hoover)


@flow(
    params={"a": 1.0},
    x0=(1.6878282, 1.4848132, -0.53706628),
    description="Sprott case B: five terms, two quadratic nonlinearities.",
    reference=SPROTT_1994,
    equations="dx/dt = y z; dy/dt = x - y; dz/dt = a - x y  (published: a = 1)",
    dt=0.02,
    period=11.05,
    dysts_params=DYSTS_HAS_NO_PARAMS,
)
def SprottB(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1] * x[:, 2]
    out[:, 1] = x[:, 0] - x[:, 1]
    out[:, 2] = p.a - x[:, 0] * x[:, 1]
    return out


@flow(
    params={"a": 1.0},
    x0=(-0.47199823, -0.27198066, 1.9418244),
    description="Sprott case C: like case B with x^2 in place of x y.",
    reference=SPROTT_1994,
    equations="dx/dt = y z; dy/dt = x - y; dz/dt = a - x^2  (published: a = 1)",
    dt=0.02,
    period=8.89,
    dysts_params=DYSTS_HAS_NO_PARAMS,
)
def SprottC(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1] * x[:, 2]
    out[:, 1] = x[:, 0] - x[:, 1]
    out[:, 2] = p.a - x[:, 0] ** 2
    return out


@flow(
    params={"a": 3.0},
    x0=(-1.3396906, -0.21238338, 0.32982163),
    description="Sprott case D: a rotation in (x, y) driven by a quadratic z equation.",
    reference=SPROTT_1994,
    equations="dx/dt = -y; dy/dt = x + z; dz/dt = x z + a y^2  (published: a = 3)",
    dt=0.01,
    period=4.83,
    dysts_params=DYSTS_HAS_NO_PARAMS,
)
def SprottD(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = -x[:, 1]
    out[:, 1] = x[:, 0] + x[:, 2]
    out[:, 2] = x[:, 0] * x[:, 2] + p.a * x[:, 1] ** 2
    return out


@flow(
    params={"a": 4.0},
    x0=(0.6173759, 0.66599285, -1.6575023),
    description="Sprott case E: two quadratic terms and a linear z equation.",
    reference=SPROTT_1994,
    equations="dx/dt = y z; dy/dt = x^2 - y; dz/dt = 1 - a x  (published: a = 4)",
    dt=0.02,
    period=7.63,
    dysts_params=DYSTS_HAS_NO_PARAMS,
)
def SprottE(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1] * x[:, 2]
    out[:, 1] = x[:, 0] ** 2 - x[:, 1]
    out[:, 2] = 1.0 - p.a * x[:, 0]
    return out


@flow(
    params={"a": 0.5},
    x0=(-0.98941275, -1.4191706, 0.85797204),
    description="Sprott case F: a single quadratic nonlinearity x^2.",
    reference=SPROTT_1994,
    equations="dx/dt = y + z; dy/dt = -x + a y; dz/dt = x^2 - z",
    dt=0.02,
    period=19.2,
)
def SprottF(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1] + x[:, 2]
    out[:, 1] = -x[:, 0] + p.a * x[:, 1]
    out[:, 2] = x[:, 0] ** 2 - x[:, 2]
    return out


@flow(
    params={"a": 0.4},
    x0=(-0.77182478, -0.74756595, 1.3073285),
    description="Sprott case G: one x z product nonlinearity.",
    reference=SPROTT_1994,
    equations="dx/dt = a x + z; dy/dt = x z - y; dz/dt = -x + y",
    dt=0.02,
    period=8.71,
)
def SprottG(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * x[:, 0] + x[:, 2]
    out[:, 1] = x[:, 0] * x[:, 2] - x[:, 1]
    out[:, 2] = -x[:, 0] + x[:, 1]
    return out


@flow(
    params={"a": 0.5},
    x0=(-1.360042, 0.62585352, -1.2788196),
    description="Sprott case H: one z^2 nonlinearity.",
    reference=SPROTT_1994,
    equations="dx/dt = -y + z^2; dy/dt = x + a y; dz/dt = x - z",
    dt=0.02,
    period=20.2,
)
def SprottH(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = -x[:, 1] + x[:, 2] ** 2
    out[:, 1] = x[:, 0] + p.a * x[:, 1]
    out[:, 2] = x[:, 0] - x[:, 2]
    return out


@flow(
    params={"a": 0.2},
    x0=(-0.060099389, -0.49558355, 0.023159035),
    description="Sprott case I: one y^2 nonlinearity.",
    reference=SPROTT_1994,
    equations="dx/dt = -a y; dy/dt = x + z; dz/dt = x + y^2 - z",
    dt=0.02,
    period=10.9,
)
def SprottI(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = -p.a * x[:, 1]
    out[:, 1] = x[:, 0] + x[:, 2]
    out[:, 2] = x[:, 0] + x[:, 1] ** 2 - x[:, 2]
    return out


@flow(
    params={"a": 2.0},
    x0=(4.4786928, 2.2977432, 6.5847115),
    description="Sprott case J: one y^2 nonlinearity with strong damping.",
    reference=SPROTT_1994,
    equations="dx/dt = a z; dy/dt = -a y + z; dz/dt = -x + y + y^2  (published: a = 2)",
    dt=0.01,
    period=4.84,
    dysts_params=DYSTS_HAS_NO_PARAMS,
)
def SprottJ(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * x[:, 2]
    out[:, 1] = -p.a * x[:, 1] + x[:, 2]
    out[:, 2] = -x[:, 0] + x[:, 1] + x[:, 1] ** 2
    return out


@flow(
    params={"a": 0.3},
    x0=(-1.3165015, -1.5429951, 0.664053),
    description="Sprott case K: one x y product nonlinearity.",
    reference=SPROTT_1994,
    equations="dx/dt = x y - z; dy/dt = x - y; dz/dt = x + a z",
    dt=0.02,
    period=7.0,
)
def SprottK(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 0] * x[:, 1] - x[:, 2]
    out[:, 1] = x[:, 0] - x[:, 1]
    out[:, 2] = x[:, 0] + p.a * x[:, 2]
    return out


@flow(
    params={"a": 0.9, "b": 3.9},
    x0=(4.3611557, 13.705573, -2.6835659),
    description="Sprott case L: one x^2 nonlinearity, a large scroll.",
    reference=SPROTT_1994,
    equations="dx/dt = y + b z; dy/dt = a x^2 - y; dz/dt = 1 - x",
    dt=0.01,
    period=6.73,
)
def SprottL(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1] + p.b * x[:, 2]
    out[:, 1] = p.a * x[:, 0] ** 2 - x[:, 1]
    out[:, 2] = 1.0 - x[:, 0]
    return out


@flow(
    params={"a": 1.7},
    x0=(1.6024402, -1.5983203, -2.6236374),
    description="Sprott case M: one x^2 nonlinearity.",
    reference=SPROTT_1994,
    equations="dx/dt = -z; dy/dt = -x^2 - y; dz/dt = a (1 + x) + y",
    dt=0.01,
    period=5.36,
)
def SprottM(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = -x[:, 2]
    out[:, 1] = -(x[:, 0] ** 2) - x[:, 1]
    out[:, 2] = p.a + p.a * x[:, 0] + x[:, 1]
    return out


@flow(
    params={"a": 2.0},
    x0=(-8.3258705, 7.3033716, 3.2798909),
    description="Sprott case N: one z^2 nonlinearity.",
    reference=SPROTT_1994,
    equations="dx/dt = -a y; dy/dt = x + z^2; dz/dt = 1 + y - a z  (published: a = 2)",
    dt=0.01,
    period=4.81,
    dysts_params=DYSTS_HAS_NO_PARAMS,
)
def SprottN(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = -p.a * x[:, 1]
    out[:, 1] = x[:, 0] + x[:, 2] ** 2
    out[:, 2] = 1.0 + x[:, 1] - p.a * x[:, 2]
    return out


@flow(
    params={"a": 2.7},
    x0=(0.20549455, 0.022792985, 0.93636949),
    description="Sprott case O: one x z product nonlinearity.",
    reference=SPROTT_1994,
    equations="dx/dt = y; dy/dt = x - z; dz/dt = x + x z + a y",
    dt=0.02,
    period=9.76,
)
def SprottO(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1]
    out[:, 1] = x[:, 0] - x[:, 2]
    out[:, 2] = x[:, 0] + x[:, 0] * x[:, 2] + p.a * x[:, 1]
    return out


@flow(
    params={"a": 2.7},
    x0=(0.83420675, 0.14915817, 0.44028635),
    description="Sprott case P: one y^2 nonlinearity.",
    reference=SPROTT_1994,
    equations="dx/dt = a y + z; dy/dt = -x + y^2; dz/dt = x + y",
    dt=0.01,
    period=5.34,
)
def SprottP(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * x[:, 1] + x[:, 2]
    out[:, 1] = -x[:, 0] + x[:, 1] ** 2
    out[:, 2] = x[:, 0] + x[:, 1]
    return out


@flow(
    params={"a": 3.1, "b": 0.5},
    x0=(0.55649264, -0.32083238, -1.0295389),
    description="Sprott case Q: one y^2 nonlinearity.",
    reference=SPROTT_1994,
    equations="dx/dt = -z; dy/dt = x - y; dz/dt = a x + y^2 + b z",
    dt=0.01,
    period=4.84,
)
def SprottQ(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = -x[:, 2]
    out[:, 1] = x[:, 0] - x[:, 1]
    out[:, 2] = p.a * x[:, 0] + x[:, 1] ** 2 + p.b * x[:, 2]
    return out


@flow(
    params={"a": 0.9, "b": 0.4},
    x0=(-1.6914909, -1.9783678, 1.9807775),
    description="Sprott case R: one x y product nonlinearity.",
    reference=SPROTT_1994,
    equations="dx/dt = a - y; dy/dt = b + z; dz/dt = x y - z",
    dt=0.02,
    period=7.01,
)
def SprottR(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a - x[:, 1]
    out[:, 1] = p.b + x[:, 2]
    out[:, 2] = x[:, 0] * x[:, 1] - x[:, 2]
    return out


@flow(
    params={"a": 4.0},
    x0=(0.12635702, 0.12260693, 1.2215429),
    description="Sprott case S: one z^2 nonlinearity.",
    reference=SPROTT_1994,
    equations="dx/dt = -x - a y; dy/dt = x + z^2; dz/dt = 1 + x  (published: a = 4)",
    dt=0.01,
    period=3.35,
    dysts_params=DYSTS_HAS_NO_PARAMS,
)
def SprottS(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = -x[:, 0] - p.a * x[:, 1]
    out[:, 1] = x[:, 0] + x[:, 2] ** 2
    out[:, 2] = 1.0 + x[:, 0]
    return out


@flow(
    params={"a": 1.0},
    x0=(-1.3396906, -0.21238338, 0.32982163),
    description="Sprott's 2020 multifractal flow with a nearly three-dimensional attractor (sign nonlinearity).",
    reference=("Sprott, J. C. (2020). Do we need more chaos examples? Chaos Theory and Applications 2(2), 1-3."),
    equations="dx/dt = y; dy/dt = -x - sign(z) y; dz/dt = y^2 - a exp(-x^2)  (published: a = 1)",
    jacobian="fd",
    dt=0.01,
    period=6.62,
    dysts_params=DYSTS_HAS_NO_PARAMS,
    # sign(z) switches the vector field: two error-controlled integrators cross the switching
    # surface at slightly different times, so trajectories separate faster than the Lyapunov rate
    dysts_trajectory_skip="discontinuous right-hand side (sign z)",
)
def SprottMore(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1]
    out[:, 1] = -x[:, 0] - np.sign(x[:, 2]) * x[:, 1]
    out[:, 2] = x[:, 1] ** 2 - p.a * np.exp(-(x[:, 0] ** 2))
    return out


@flow(
    params={"a": 2.0},
    x0=(0.6883476, -0.18017646, 0.58539724),
    description="Sprott's 2014 flow whose strange attractor coexists with nested invariant tori.",
    reference=(
        "Sprott, J. C. (2014). A dynamical system with a strange attractor and invariant tori. "
        "Phys. Lett. A 378, 1361-1363."
    ),
    equations="dx/dt = y + a x y + x z; dy/dt = 1 - a x^2 + y z; dz/dt = x - x^2 - y^2  (published: a = 2)",
    dt=0.02,
    period=13.6,
    dysts_params=DYSTS_HAS_NO_PARAMS,
)
def SprottTorus(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = Y + p.a * X * Y + X * Z
    out[:, 1] = 1.0 - p.a * X**2 + Y * Z
    out[:, 2] = X - X**2 - Y**2
    return out


@flow(
    params={"mu": 2.017},
    x0=(-0.14329832, 0.87369267, 0.46046641),
    description=(
        "Sprott's simplest dissipative chaotic jerk flow x''' = -mu x'' + x'^2 - x; its basin is thin, "
        "so x0 is a point of the attractor from which 60 perturbed starts all stay bounded."
    ),
    reference="Sprott, J. C. (1997). Simplest dissipative chaotic flow. Phys. Lett. A 228, 271-274.",
    equations="dx/dt = y; dy/dt = z; dz/dt = -x + y^2 - mu z",
    dt=0.02,
    period=11.9,
)
def SprottJerk(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1]
    out[:, 1] = x[:, 2]
    out[:, 2] = -x[:, 0] + x[:, 1] ** 2 - p.mu * x[:, 2]
    return out


def _linz_sprott_jac(x, t, p):
    J = np.zeros((len(x), 3, 3))
    J[:, 0, 1] = 1.0
    J[:, 1, 2] = 1.0
    J[:, 2, 0] = -np.sign(x[:, 0])
    J[:, 2, 1] = -1.0
    J[:, 2, 2] = -p.A
    return J


@flow(
    params={"A": 0.6},
    x0=(1.70070572, -1.29702953, -1.19839201),
    description=(
        "Linz-Sprott elementary piecewise-linear jerk flow x''' = -A x'' - x' - |x| + 1, the simplest "
        "known dissipative chaotic flow with an absolute-value nonlinearity (lambda ~ 0.057)."
    ),
    reference=(
        "Linz, S. J. & Sprott, J. C. (1999). Elementary chaotic flow. Phys. Lett. A 259, 240-245; "
        "Sprott, J. C. & Linz, S. J. (2000). Algebraically simple chaotic flows. Int. J. Chaos Theory "
        "Appl. 5(2), 3-22 (A = 0.6)."
    ),
    equations="dx/dt = y; dy/dt = z; dz/dt = -A z - y - |x| + 1",
    jacobian=_linz_sprott_jac,
    dt=0.005,
    period=6.5,
)
def LinzSprottJerk(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1]
    out[:, 1] = x[:, 2]
    out[:, 2] = -p.A * x[:, 2] - x[:, 1] - np.abs(x[:, 0]) + 1.0
    return out


@flow(
    params={"A": 2.027717},
    x0=(-3.2395181, 1.2159662, 0.37985822),
    description=(
        "Malasoma's parity-invariant jerk flow x''' = -A x'' + x x'^2 - x, the simplest dissipative "
        "chaotic jerk with inversion symmetry (lambda ~ 0.09; thin basin, x0 chosen well inside it)."
    ),
    reference=(
        "Malasoma, J.-M. (2000). What is the simplest dissipative chaotic jerk equation which is parity "
        "invariant? Phys. Lett. A 264, 383-389; A = 2.027717 as in Letellier, C. & Malasoma, J.-M. "
        "(2001). Unimodal order in the image of the simplest equivariant jerk system. Phys. Rev. E 64, "
        "067202."
    ),
    equations="dx/dt = y; dy/dt = z; dz/dt = -A z + x y^2 - x",
    dt=0.02,
    period=15.3,
)
def MalasomaJerk(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1]
    out[:, 1] = x[:, 2]
    out[:, 2] = -p.A * x[:, 2] + x[:, 0] * x[:, 1] ** 2 - x[:, 0]
    return out


_ARNEODO_EQ = "dx/dt = y; dy/dt = z; dz/dt = -a x - b y - c z + d x^3"


_ARNEODO_REF = (
    "Arneodo, A., Coullet, P. & Tresser, C. (1980). Occurrence of strange attractors in three-dimensional "
    "Volterra equations. Phys. Lett. A 79, 259-263."
)


def _arneodo(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = Y
    out[:, 1] = Z
    out[:, 2] = -p.a * X - p.b * Y - p.c * Z + p.d * X**3
    return out


Arneodo = flow(
    name="Arneodo",
    params={"a": -5.5, "b": 4.5, "c": 1.0, "d": -1.0},
    x0=(-2.7515698, 0.19079818, 3.4703629),
    description="Arneodo-Coullet-Tresser jerk flow with cubic nonlinearity, Shilnikov-type spiral chaos.",
    reference=_ARNEODO_REF,
    equations=_ARNEODO_EQ,
    dt=0.02,
    period=3.16,
)(_arneodo)


Coullet = flow(
    name="Coullet",
    params={"a": -0.8, "b": 1.1, "c": 0.45, "d": -1.0},
    x0=(0.34539837958549907, 0.4284701181998099, 0.086983698175975),
    description="Arneodo-Coullet-Tresser cubic jerk flow at the parameters of their second (Coullet) attractor.",
    reference=_ARNEODO_REF,
    equations=_ARNEODO_EQ,
    dt=0.02,
    period=5.77,
)(_arneodo)


@flow(
    params={"a": 0.44, "b": 1.1, "c": 1.0},
    x0=(-0.053772565, -0.26162564, 0.33501557),
    description="Genesio-Tesi jerk flow with a quadratic nonlinearity.",
    reference=(
        "Genesio, R. & Tesi, A. (1992). Harmonic balance methods for the analysis of chaotic dynamics in "
        "nonlinear systems. Automatica 28(3), 531-548."
    ),
    equations="dx/dt = y; dy/dt = z; dz/dt = -c x - b y - a z + x^2",
    dt=0.05,
    period=5.94,
)
def GenesioTesi(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = Y
    out[:, 1] = Z
    out[:, 2] = -p.c * X - p.b * Y - p.a * Z + X**2
    return out
