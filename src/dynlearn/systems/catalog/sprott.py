"""Chaotic flows of the dysts collection, names S to Z (Sakarya to Zhou-Chen).

Equations, published parameters and initial conditions follow the papers
cited in each entry, as collected by Gilpin (2021), "Chaos as an
interpretable benchmark for forecasting and data-driven modelling", NeurIPS
Datasets and Benchmarks (the dysts package), with the same parameter names,
so ``tests/oracles/test_dysts.py`` compares right-hand sides directly.
Driven systems read ``t`` explicitly (``nonautonomous=True``) instead of
carrying a phase variable in the state. Sprott's parameter-free cases expose
one published constant as the parameter ``a`` (every catalog entry has a
parameter), which is why the oracle skips them (checked by hand instead).
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import flow
from dynlearn.systems.catalog.lorenz import _DEQUANLI_EQ, DYSTS_HAS_NO_PARAMS, _dequanli_rhs, _sakarya_rhs


def _turchin_phase(params, t):
    return 2.0 * np.pi * params["lamb"] * t


SPROTT_1994 = "Sprott, J. C. (1994). Some simple chaotic flows. Phys. Rev. E 50, R647-R650."

# ---------------------------------------------------------------- Sa - Sh


@flow(
    params={"a": -1.0, "b": 1.0, "c": 1.0, "h": 1.0, "p": 1.0, "q": 0.4, "r": 0.3, "s": 1.0},
    x0=(-2.8976045, 3.8877978, 3.07465),
    description="Sakarya four-wing attractor, born from the merger of two bistable attractors.",
    reference=(
        "Li, C., Pehlivan, I., Sprott, J. C. & Akgul, A. (2015). A novel four-wing strange attractor "
        "born in bistability. IEICE Electron. Express 12(4)."
    ),
    equations="dx/dt = a x + h y + s y z; dy/dt = -b y - p x + q x z; dz/dt = c z - r x y",
    dt=0.01,
    period=4.98,
)
def Sakarya(x, t, p):
    return _sakarya_rhs(x, p)


@flow(
    params={"a": 15.0, "d": 8.3, "k": 400.0, "lam": 0.06, "m": 15.5, "mu": 3.4, "r": 22.0, "th": 10.0},
    x0=(231.92548, 89.511944, 56.753804),
    description="Eco-epidemiological model of Salton Sea fish (susceptible, infected) and their bird predators.",
    reference=(
        "Upadhyay, R. K., Bairagi, N., Kundu, K. & Chattopadhyay, J. (2007). Chaos in "
        "eco-epidemiological problem of the Salton Sea and its possible control. Appl. Math. Comput."
    ),
    equations=(
        "dx/dt = r x (1 - (x + y)/k) - lam x y; dy/dt = lam x y - m y z / (y + a) - mu y; "
        "dz/dt = th y z / (y + a) - d z"
    ),
    dt=0.002,
    period=0.97,
)
def SaltonSea(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    sat = Y / (Y + p.a)
    out = np.empty_like(x)
    out[:, 0] = p.r * X * (1.0 - (X + Y) / p.k) - p.lam * X * Y
    out[:, 1] = p.lam * X * Y - p.m * Z * sat - p.mu * Y
    out[:, 2] = p.th * Z * sat - p.d * Z
    return out


def _san_um_jac(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    J = np.zeros((len(x), 3, 3))
    J[:, 0, 0], J[:, 0, 1] = -1.0, 1.0
    J[:, 1, 0], J[:, 1, 2] = -Z / np.cosh(X) ** 2, -np.tanh(X)
    J[:, 2, 0], J[:, 2, 1] = Y, X + np.sign(Y)
    return J


@flow(
    params={"a": 2.0},
    x0=(0.63878078, 1.0901873, 2.4479814),
    description="Two-scroll flow with tanh and absolute-value nonlinearities (the Wimol-Banlue system).",
    reference=(
        "San-Um, W. & Srisuchinwong, B. (2012). Highly complex chaotic system with piecewise linear "
        "nonlinearity and compound structures. J. Comput. (2012)."
    ),
    equations="dx/dt = y - x; dy/dt = -z tanh(x); dz/dt = -a + x y + |y|",
    jacobian=_san_um_jac,
    dt=0.005,
    period=7.47,
)
def SanUmSrisuchinwong(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1] - x[:, 0]
    out[:, 1] = -x[:, 2] * np.tanh(x[:, 0])
    out[:, 2] = -p.a + x[:, 0] * x[:, 1] + np.abs(x[:, 1])
    return out


@flow(
    params={"a": 0.85, "b": 0.5},
    x0=(0.016838697, 0.03489384, 0.35346848),
    description="Shimizu-Morioka model: Lorenz-like switching born from a symmetric limit cycle.",
    reference=(
        "Shimizu, T. & Morioka, N. (1980). On the bifurcation of a symmetric limit cycle to an "
        "asymmetric one in a simple model. Phys. Lett. A 76, 201-204."
    ),
    equations="dx/dt = y; dy/dt = x - a y - x z; dz/dt = -b z + x^2",
    dt=0.02,
    period=12.0,
)
def ShimizuMorioka(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1]
    out[:, 1] = x[:, 0] - p.a * x[:, 1] - x[:, 0] * x[:, 2]
    out[:, 2] = -p.b * x[:, 2] + x[:, 0] ** 2
    return out


# ---------------------------------------------------------------- Sprott's cases A-S (1994)


@flow(
    params={"a": 1.0},
    x0=(1.54131864, 1.43079727, -1.52555412),
    description="Sprott case A (the Nose-Hoover oscillator at a = 1): conservative chaos.",
    reference=SPROTT_1994,
    equations="dx/dt = y; dy/dt = -x + y z; dz/dt = a - y^2  (published: a = 1)",
    dt=0.02,
    period=6.37,
    dysts_params=DYSTS_HAS_NO_PARAMS,
)
def SprottA(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1]
    out[:, 1] = -x[:, 0] + x[:, 1] * x[:, 2]
    out[:, 2] = p.a - x[:, 1] ** 2
    return out


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


# ---------------------------------------------------------------- St - Tu


@flow(
    params={"a": 1.0, "alpha": 0.3, "b": 1.0, "beta": 0.3, "eps": 0.05, "gamma": 1.0, "t0": 0.3, "vs": 0.4, "w": 2.0},
    x0=(0.85539847, -0.39125834),
    description=(
        "Weakly forced Duffing-type oscillator on a belt with stick-slip friction "
        "(discontinuous in the relative velocity v - vs); gamma controls the onset of chaos."
    ),
    reference=(
        "Awrejcewicz, J. & Holicke, M. M. (1999). Melnikov's method and stick-slip chaotic "
        "oscillations in very weakly forced mechanical systems. Int. J. Bifurc. Chaos 9 (1999)."
    ),
    equations=(
        "dx/dt = v; dv/dt = eps (gamma cos(w t) - T(v)) + a x - b x^3, "
        "T(v) = t0 sign(v - vs) - alpha v + beta (v - vs)^3"
    ),
    nonautonomous=True,
    jacobian="fd",
    dt=0.005,
    period=1.61,
    dysts_time_phase="w",
)
def StickSlipOscillator(x, t, p):
    X, V = x[:, 0], x[:, 1]
    rel = V - p.vs
    torque = p.t0 * np.sign(rel) - p.alpha * V + p.beta * rel**3
    out = np.empty_like(x)
    out[:, 0] = V
    out[:, 1] = p.eps * (p.gamma * np.cos(p.w * t) - torque) + p.a * X - p.b * X**3
    return out


def _thomas_rhs(x, p):
    out = np.empty_like(x)
    out[:, 0] = -p.a * x[:, 0] + p.b * np.sin(x[:, 1])
    out[:, 1] = -p.a * x[:, 1] + p.b * np.sin(x[:, 2])
    out[:, 2] = -p.a * x[:, 2] + p.b * np.sin(x[:, 0])
    return out


_THOMAS_REF = (
    "Thomas, R. (1999). Deterministic chaos seen in terms of feedback circuits: analysis, "
    "synthesis, 'labyrinth chaos'. Int. J. Bifurc. Chaos 9, 1889-1905."
)
_THOMAS_EQ = "dx/dt = -a x + b sin(y); dy/dt = -a y + b sin(z); dz/dt = -a z + b sin(x)"


@flow(
    params={"a": 1.85, "b": 10.0},
    x0=(2.199442, 2.3634225, 3.220197),
    description="Thomas' cyclically symmetric attractor: a damped particle in a 3-D lattice of sinusoidal forces.",
    reference=_THOMAS_REF,
    equations=_THOMAS_EQ,
    dt=0.005,
    period=4.97,
)
def Thomas(x, t, p):
    return _thomas_rhs(x, p)


@flow(
    params={"a": 0.5, "b": 10.0},
    x0=(-4.9599545, 1.0302034, -4.6883893),
    description="Thomas' system at weak damping: labyrinth chaos, a bounded random-walk-like wandering.",
    reference=_THOMAS_REF,
    equations=_THOMAS_EQ,
    dt=0.005,
    period=6.05,
)
def ThomasLabyrinth(x, t, p):
    return _thomas_rhs(x, p)


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
    params={"a": 40.0, "c": 0.833, "d": 0.5, "eps": 0.65, "f": 20.0, "k": 0.0},
    x0=(1.2969944, 1.12138, 50.028988),
    description="Three-scroll unified chaotic system (TSUCS-2), a member of the Dequan Li family.",
    reference=(
        "Pan, L., Zhou, W. & Li, D. (2013). Synchronization of three-scroll unified chaotic system "
        "(TSUCS) and its hyper-chaotic system using active pinning control."
    ),
    equations=_DEQUANLI_EQ,
    dt=0.001,
    period=0.35,
)
def Tsucs2(x, t, p):
    return _dequanli_rhs(x, p)


@flow(
    params={"a": 8.0, "d": 0.04, "e": 0.5, "g": 0.1, "h": 0.8, "lamb": 1.0, "r": 8.12, "s": 1.25},
    x0=(0.97617104, 0.30819288),
    description=(
        "Seasonally forced vole-weasel food web (prey n, specialist predator p) with generalist "
        "predation; growth rate r raised from the published value so that chaos persists. x0 is a "
        "point of the attractor at a whole forcing period, away from n = 0."
    ),
    reference=(
        "Turchin, P. & Hanski, I. (1997). An empirically based model for latitudinal gradient in vole "
        "population dynamics. Am. Nat. 149, 842-874; Turchin, P. & Hanski, I. (2000). Ecology."
    ),
    equations=(
        "season = 1 - e sin(2 pi lamb t); dn/dt = r season n - r n^2 - g n^2 / (n^2 + h^2) - a n p / (n + d); "
        "dp/dt = s season p - s p^2 / n"
    ),
    nonautonomous=True,
    dt=0.01,
    period=4.4,
    dysts_time_phase=_turchin_phase,  # dysts appends z = 2 pi lamb t to the state
)
def TurchinHanski(x, t, p):
    n, q = x[:, 0], x[:, 1]
    season = 1.0 - p.e * np.sin(2.0 * np.pi * p.lamb * t)
    out = np.empty_like(x)
    out[:, 0] = p.r * season * n - p.r * n**2 - p.g * n**2 / (n**2 + p.h**2) - p.a * n * q / (n + p.d)
    out[:, 1] = p.s * season * q - p.s * q**2 / n
    return out


# ---------------------------------------------------------------- V - Z


@flow(
    params={"b": 102.0, "c": 3.0, "p": 0.0},
    x0=(-6.99286331487343, 0.023254276622294345, -0.1658177563067799),
    description="Vallis' three-variable El Nino model: ocean current and east-west temperature contrast.",
    reference=(
        "Vallis, G. K. (1988). Conceptual models of El Nino and the southern oscillation. "
        "J. Geophys. Res. 93(C11), 13979-13991."
    ),
    equations="dx/dt = b y - c (x + p); dy/dt = -y + x z; dz/dt = -z - x y + 1",
    dt=0.005,
    period=2.21,
)
def VallisElNino(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.b * x[:, 1] - p.c * (x[:, 0] + p.p)
    out[:, 1] = -x[:, 1] + x[:, 0] * x[:, 2]
    out[:, 2] = -x[:, 2] - x[:, 0] * x[:, 1] + 1.0
    return out


@flow(
    params={"a": 0.2, "b": -0.01, "d": -0.4, "e": -1.0, "f": -1.0, "q": 1.0},
    x0=(-0.54770787, 0.73876479, -0.0049284531),
    description="Wang-Sun quadratic flow with a four-wing attractor.",
    reference=(
        "Wang, Z., Sun, Y., van Wyk, B. J., Qi, G. & van Wyk, M. A. (2009). A 3-D four-wing attractor "
        "and its analysis. Braz. J. Phys. 39 (2009)."
    ),
    equations="dx/dt = a x + q y z; dy/dt = b x + d y - x z; dz/dt = e z + f x y",
    dt=0.02,
    period=27.0,
)
def WangSun(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * x[:, 0] + p.q * x[:, 1] * x[:, 2]
    out[:, 1] = p.b * x[:, 0] + p.d * x[:, 1] - x[:, 0] * x[:, 2]
    out[:, 2] = p.e * x[:, 2] + p.f * x[:, 0] * x[:, 1]
    return out


@flow(
    params={"a1": 0.247, "b1": 10.8, "b2": 0.0752, "b3": 1.06, "d1": 2200.0, "vsw": 5.0},
    x0=(0.93337506, 6.2678923, 41.969547),
    description=(
        "Reduced WINDMI model: solar-wind energy loading of the magnetosphere (current i, voltage v, "
        "plasma pressure p); vsw controls the onset of chaos."
    ),
    reference=(
        "Smith, J. P., Thiffeault, J.-L. & Horton, W. (2000). Dynamical range of the WINDMI model. "
        "J. Geophys. Res. 105, 12983-12996; Horton, W., Weigel, R. S. & Sprott, J. C. (2001). Chaos "
        "and the limits of predictability for the solar-wind-driven magnetosphere-ionosphere system. "
        "Phys. Plasmas 8, 2946-2952."
    ),
    equations=(
        "di/dt = a1 (vsw - v); dv/dt = b1 i - b2 p / 2 - b3 v; "
        "dp/dt = vsw^2 - p^(5/4) vsw^(1/2) (1 + tanh(d1 (i - 1))) / 2  (p term as in dysts)"
    ),
    dt=0.002,
    period=4.67,
)
def WindmiReduced(x, t, p):
    i, v, q = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = p.a1 * (p.vsw - v)
    out[:, 1] = p.b1 * i - p.b2 * q / 2.0 - p.b3 * v
    out[:, 2] = p.vsw**2 - q**1.25 * p.vsw**0.5 * (1.0 + np.tanh(p.d1 * (i - 1.0))) / 2.0
    return out


_YUWANG_REF = (
    "Yu, F. & Wang, C. (2012). A novel three dimension autonomous chaotic system with a quadratic "
    "exponential nonlinear term. Eng. Technol. Appl. Sci. Res. 2(2)."
)


@flow(
    params={"a": 10.0, "b": 40.0, "c": 2.0, "d": 2.5},
    x0=(-0.21422356, -0.17935495, 14.105516),
    description="Yu-Wang flow with an exponential nonlinearity exp(x y) (op-amp temperature-compensation circuit).",
    reference=_YUWANG_REF,
    equations="dx/dt = a (y - x); dy/dt = b x - c x z; dz/dt = exp(x y) - d z",
    dt=0.001,
    period=1.34,
)
def YuWang(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * (x[:, 1] - x[:, 0])
    out[:, 1] = p.b * x[:, 0] - p.c * x[:, 0] * x[:, 2]
    out[:, 2] = np.exp(x[:, 0] * x[:, 1]) - p.d * x[:, 2]
    return out


@flow(
    params={"a": 10.0, "b": 30.0, "c": 2.0, "d": 2.5},
    x0=(0.12581483, 1.2467348, 18.358568),
    description="Yu-Wang variant with a hyperbolic-cosine nonlinearity cosh(x y).",
    reference=_YUWANG_REF,
    equations="dx/dt = a (y - x); dy/dt = b x - c x z; dz/dt = cosh(x y) - d z",
    dt=0.001,
    period=0.39,
)
def YuWang2(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * (x[:, 1] - x[:, 0])
    out[:, 1] = p.b * x[:, 0] - p.c * x[:, 0] * x[:, 2]
    out[:, 2] = np.cosh(x[:, 0] * x[:, 1]) - p.d * x[:, 2]
    return out


@flow(
    params={"a": 2.97, "b": 0.15, "c": -3.0, "d": 1.0, "e": -8.78},
    x0=(-0.60390203, 0.012111953, 0.00083277923),
    description="Zhou-Chen smooth quadratic flow with a three-layer attractor.",
    reference=(
        "Zhou, T. & Chen, G. (2004). A simple smooth chaotic system with a 3-layer attractor. "
        "Int. J. Bifurc. Chaos (2004)."
    ),
    equations="dx/dt = a x + b y + y z; dy/dt = c y - x z + d y z; dz/dt = e z - x y",
    dt=0.002,
    period=0.88,
)
def ZhouChen(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * x[:, 0] + p.b * x[:, 1] + x[:, 1] * x[:, 2]
    out[:, 1] = p.c * x[:, 1] - x[:, 0] * x[:, 2] + p.d * x[:, 1] * x[:, 2]
    out[:, 2] = p.e * x[:, 2] - x[:, 0] * x[:, 1]
    return out
