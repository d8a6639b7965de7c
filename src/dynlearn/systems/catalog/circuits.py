"""Electronic circuits.

Flows realised as, or derived from, analogue circuits: Chua's double scroll
and its variants, the Colpitts oscillator, jerk and op-amp circuits, a
cellular neural network. Piecewise-linear diodes and transistors make several
right-hand sides non-smooth: those give an analytic ``jacobian`` (or ``"fd"``).
ChuaCubic is not in dysts.
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import DYSTS_HAS_NO_PARAMS, flow

FAMILY = "circuits"


def _chua_jac(x, t, p):
    slope = np.where(np.abs(x[:, 0]) < 1.0, p.m0, p.m1)
    J = np.zeros((len(x), 3, 3))
    J[:, 0, 0], J[:, 0, 1] = -p.alpha * (1.0 + slope), p.alpha
    J[:, 1, 0], J[:, 1, 1], J[:, 1, 2] = 1.0, -1.0, 1.0
    J[:, 2, 1] = -p.beta
    return J


@flow(
    params={"alpha": 15.6, "beta": 28.0, "m0": -1.142857, "m1": -0.71429},
    x0=(1.1262351, -0.11386474, -0.78324421),
    description="Chua's circuit with a piecewise-linear diode: the double-scroll attractor.",
    reference=(
        "Chua, L. O., Komuro, M. & Matsumoto, T. (1986). The double scroll family. IEEE Trans. Circuits Syst. "
        "33(11), 1072-1118; Chua, L. O. (1969). Introduction to Nonlinear Network Theory. McGraw-Hill."
    ),
    equations=(
        "g(x) = m1 x + (m0 - m1)(|x + 1| - |x - 1|)/2; dx/dt = alpha (y - x - g(x)); dy/dt = x - y + z; dz/dt = -beta y"
    ),
    jacobian=_chua_jac,
    dt=0.005,
    period=1.42,
)
def Chua(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    g = p.m1 * X + 0.5 * (p.m0 - p.m1) * (np.abs(X + 1.0) - np.abs(X - 1.0))
    out = np.empty_like(x)
    out[:, 0] = p.alpha * (Y - X - g)
    out[:, 1] = X - Y + Z
    out[:, 2] = -p.beta * Y
    return out


@flow(
    params={"a": 15.4, "b": 28.0},
    x0=(0.77935173, -0.37055078, -1.17559215),
    description="Chua's circuit with a smooth cubic diode characteristic: double-scroll chaos (lambda ~ 0.28).",
    reference=(
        "Hirsch, M. W., Smale, S. & Devaney, R. L. (2004). Differential Equations, Dynamical Systems, "
        "and an Introduction to Chaos, 2nd ed., Academic Press, ch. 14 (Chua's circuit with cubic "
        "nonlinearity; a = 15.4, b = 28 as quoted from it in Wikibooks, 'Visual physics and "
        "mathematics/Chua system'); cubic Chua equation: Huang, A., Pivka, L., Wu, C. W. & Franz, M. "
        "(1996). Chua's equation with cubic nonlinearity. Int. J. Bifurc. Chaos 6, 2175-2222."
    ),
    equations="dx/dt = a (y - x^3 / 16 + x / 6); dy/dt = x - y + z; dz/dt = -b y",
    dt=0.005,
    period=9.6,
)
def ChuaCubic(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * (x[:, 1] - x[:, 0] ** 3 / 16.0 + x[:, 0] / 6.0)
    out[:, 1] = x[:, 0] - x[:, 1] + x[:, 2]
    out[:, 2] = -p.b * x[:, 1]
    return out


@flow(
    params={
        "a": 9.0,
        "b": 14.286,
        "m0": -0.14285714,
        "m1": 0.28571429,
        "m2": -0.57142857,
        "m3": 0.28571429,
        "m4": -0.57142857,
        "m5": 0.28571429,
        "c1": 1.0,
        "c2": 2.15,
        "c3": 3.6,
        "c4": 8.2,
        "c5": 13.0,
    },
    x0=(-21.160123, 1.0322356, 27.405269),
    description="Chua's circuit with a multi-segment piecewise-linear diode: a multi-scroll attractor.",
    reference=(
        "Yalcin, M. E., Suykens, J. A. K. & Vandewalle, J. (2005). Cellular Neural Networks, "
        "Multi-Scroll Chaos and Synchronization. World Scientific."
    ),
    equations=(
        "dx/dt = a (y - h(x)); dy/dt = x - y + z; dz/dt = -b y; "
        "h(x) = m5 x + sum_{i=1..5} (m_{i-1} - m_i)(|x + c_i| - |x - c_i|) / 2"
    ),
    jacobian="fd",
    dt=0.005,
    period=2.26,
    dysts_skip=(
        "dysts takes the slopes and breakpoints as two lists m, c; catalog parameters are scalars, "
        "so they are m0..m5, c1..c5 here (agreement checked by hand)"
    ),
)
def MultiChua(x, t, p):
    v = x[:, 0]
    m = (p.m0, p.m1, p.m2, p.m3, p.m4, p.m5)
    c = (0.0, p.c1, p.c2, p.c3, p.c4, p.c5)
    h = p.m5 * v
    for i in range(1, 6):
        h = h + 0.5 * (m[i - 1] - m[i]) * (np.abs(v + c[i]) - np.abs(v - c[i]))
    out = np.empty_like(x)
    out[:, 0] = p.a * (x[:, 1] - h)
    out[:, 1] = x[:, 0] - x[:, 1] + x[:, 2]
    out[:, 2] = -p.b * x[:, 1]
    return out


def _colpitts_jac(x, t, p):
    below = (x[:, 2] - (p.e - 1.0) < 0).astype(np.float64)
    J = np.zeros((len(x), 3, 3))
    J[:, 0, 1], J[:, 0, 2] = 1.0, p.a * below
    J[:, 1, 0], J[:, 1, 1], J[:, 1, 2] = -1.0, -p.b, -1.0
    J[:, 2, 1], J[:, 2, 2] = 1.0, -p.d
    return J


@flow(
    params={"a": 30.0, "b": 0.8, "c": 20.0, "d": 0.08, "e": 10.0},
    x0=(8.9389043, 0.64637337, 8.7869304),
    description="Colpitts transistor oscillator in its chaotic regime, with a piecewise-linear transistor model.",
    reference=(
        "Kennedy, M. P. (1994). Chaos in the Colpitts oscillator. IEEE Trans. Circuits Syst. I 41(11), "
        "771-774; Li, Zhou & Yang (2007). Chaos Solitons Fractals."
    ),
    equations="u = z - (e - 1); F = max(-u, 0); dx/dt = y - a F; dy/dt = c - x - b y - z; dz/dt = y - d z",
    jacobian=_colpitts_jac,
    dt=0.02,
    period=4.27,
)
def Colpitts(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    u = Z - (p.e - 1.0)
    fz = -u * (u < 0)
    out = np.empty_like(x)
    out[:, 0] = Y - p.a * fz
    out[:, 1] = p.c - X - p.b * Y - Z
    out[:, 2] = Y - p.d * Z
    return out


@flow(
    params={"eps": 1e-09, "y0": 0.026},
    x0=(-1.300882, 0.065382947, 0.91801911),
    description="Sprott's jerk circuit whose only nonlinearity is a diode's exponential current.",
    reference="Sprott, J. C. (2011). A new chaotic jerk circuit. IEEE Trans. Circuits Syst. II 58(4), 240-243.",
    equations="dx/dt = y; dy/dt = z; dz/dt = -z - x - eps (exp(y / y0) - 1)",
    dt=0.005,
    period=19.5,
)
def JerkCircuit(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = Y
    out[:, 1] = Z
    out[:, 2] = -Z - X - p.eps * (np.exp(Y / p.y0) - 1.0)
    return out


def _anishchenko_jac(x, t, p):
    X, Z = x[:, 0], x[:, 2]
    J = np.zeros((len(x), 3, 3))
    J[:, 0, 0], J[:, 0, 1], J[:, 0, 2] = p.mu - Z, 1.0, -X
    J[:, 1, 0] = -1.0
    J[:, 2, 0], J[:, 2, 2] = 2.0 * p.eta * X * (X > 0), -p.eta
    return J


@flow(
    params={"eta": 0.5, "mu": 1.2},
    x0=(3.6225814, 3.3226339, 1.9973142),
    description="Anishchenko-Astakhov oscillator: a generator with inertial nonlinearity (half-wave rectified x^2).",
    reference=(
        "Anishchenko, V. S., Astakhov, V., Neiman, A., Vadivasova, T. & Schimansky-Geier, L. (2007). "
        "Nonlinear Dynamics of Chaotic and Stochastic Systems: Tutorial and Modern Developments. Springer."
    ),
    equations="dx/dt = mu x + y - x z; dy/dt = -x; dz/dt = -eta z + eta H(x) x^2  (H: Heaviside step)",
    jacobian=_anishchenko_jac,
    dt=0.02,
    period=6.81,
)
def AnishchenkoAstakhov(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = p.mu * X + Y - X * Z
    out[:, 1] = -X
    out[:, 2] = -p.eta * Z + p.eta * (X > 0) * X**2
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
    params={"a": 10.0, "b": 1.0, "c": 5.0, "d": -1.0, "h": -5.0, "k": -6.0},
    x0=(-2.540801356216252, -1.940570579119389, -2.9680975444071955),
    description="Abooee et al. laser-like three-dimensional chaotic system realised as an analogue circuit.",
    reference=(
        "Abooee, A., Yaghini-Bonabi, H. A. & Jahed-Motlagh, M. R. (2013). Analysis and circuitry realization of "
        "a novel three-dimensional chaotic system. Commun. Nonlinear Sci. Numer. Simul. 18, 1235-1245."
    ),
    equations="dx/dt = a (y - x) + b y z^2; dy/dt = c x + d x z^2; dz/dt = h z + k x^2",
    dt=0.002,
    period=0.947,
)
def Laser(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = p.a * Y - p.a * X + p.b * Y * Z**2
    out[:, 1] = p.c * X + p.d * X * Z**2
    out[:, 2] = p.h * Z + p.k * X**2
    return out


def _pehlivan_wei_jac(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    J = np.zeros((len(x), 3, 3))
    J[:, 0, 1], J[:, 0, 2] = 1.0 - Z, -Y
    J[:, 1, 0], J[:, 1, 1], J[:, 1, 2] = -p.a, 1.0 + Z, Y
    J[:, 2, 0], J[:, 2, 1] = -Y, -X - 2.0 * Y
    return J


@flow(
    params={"a": 2.0},
    # basin-safe start (issue 9): a chaotic attractor (finite-time lambda_1 0.05-0.08 over 54 periods) coexists with
    # a non-chaotic one (lambda_1 ~ 0) that 1% offsets of this state can reach; this state's orbit is on the chaotic
    # one (0.062), so the invariants start from 1e-6 perturbations of it ("attractor" start)
    x0=(0.21665608, 0.86710502, 0.50627859),
    invariant_start="attractor",
    description="Pehlivan-Wei quadratic flow with codimension-1 and -2 Hopf bifurcations.",
    reference=(
        "Pehlivan, I. & Wei, Z. (2012). Analysis, nonlinear control, and chaos generator circuit of "
        "another strange chaotic system. Turk. J. Electr. Eng. Comput. Sci. 20 (2012)."
    ),
    equations="dx/dt = y - y z; dy/dt = y + y z - a x; dz/dt = a - x y - y^2  (published: a = 2)",
    jacobian=_pehlivan_wei_jac,
    dt=0.01,
    period=3.75,
    dysts_params=DYSTS_HAS_NO_PARAMS,
)
def PehlivanWei(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = Y - Y * Z
    out[:, 1] = Y + Y * Z - p.a * X
    out[:, 2] = p.a - X * Y - Y**2
    return out


def _cnn_jac(x, t, p):
    d = ((x > -1.0) & (x < 1.0)).astype(np.float64)  # derivative of the saturation
    fx, fy, fz = d[:, 0], d[:, 1], d[:, 2]
    J = np.zeros((len(x), 3, 3))
    J[:, 0, 0], J[:, 0, 1], J[:, 0, 2] = -1.0 + p.d * fx, -p.b * fy, -p.b * fz
    J[:, 1, 0], J[:, 1, 1], J[:, 1, 2] = -p.b * fx, -1.0 + p.c * fy, -p.a * fz
    J[:, 2, 0], J[:, 2, 1], J[:, 2, 2] = -p.b * fx, p.a * fy, -1.0 + fz
    return J


@flow(
    params={"a": 4.4, "b": 3.21, "c": 1.1, "d": 1.24},
    x0=(-0.26574016, -0.36754928, -0.073094132),
    description="Three-cell cellular neural network with piecewise-linear saturating outputs.",
    reference=(
        "Arena, P., Caponetto, R., Fortuna, L. & Porto, D. (1998). Bifurcation and chaos in noninteger order "
        "cellular neural networks. Int. J. Bifurc. Chaos 8(7), 1527-1539."
    ),
    equations=(
        "f(u) = (|u + 1| - |u - 1|)/2; dx/dt = -x + d f(x) - b f(y) - b f(z); "
        "dy/dt = -y - b f(x) + c f(y) - a f(z); dz/dt = -z - b f(x) + a f(y) + f(z)"
    ),
    jacobian=_cnn_jac,
    dt=0.01,
    period=3.2,
)
def CellularNeuralNetwork(x, t, p):
    f = 0.5 * (np.abs(x + 1.0) - np.abs(x - 1.0))
    fx, fy, fz = f[:, 0], f[:, 1], f[:, 2]
    out = np.empty_like(x)
    out[:, 0] = -x[:, 0] + p.d * fx - p.b * fy - p.b * fz
    out[:, 1] = -x[:, 1] - p.b * fx + p.c * fy - p.a * fz
    out[:, 2] = -x[:, 2] - p.b * fx + p.a * fy + fz
    return out
