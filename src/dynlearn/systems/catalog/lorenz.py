"""Chaotic flows of the dysts collection, names L to R (Lid-driven cavity to Rucklidge).

Equations, published parameters and initial conditions follow the papers
cited in each entry, as collected by Gilpin (2021), "Chaos as an
interpretable benchmark for forecasting and data-driven modelling", NeurIPS
Datasets and Benchmarks (the dysts package), with the same parameter names,
so ``tests/oracles/test_dysts.py`` compares right-hand sides directly.
Driven systems read ``t`` explicitly (``nonautonomous=True``) instead of
carrying a phase variable in the state.
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import delay, flow


#: dysts declares some published systems without parameters, while every catalog
#: entry has at least one; ours name a published constant (same equations at the
#: default value), which dysts's right-hand side cannot accept
def _unit_phase(params, t):
    return t


#: dysts declares these systems without parameters; ours exposes one published constant as ``a``,
#: which the dysts oracle must not pass (agreement is checked at the default value)
DYSTS_HAS_NO_PARAMS = {"a": None}

# ---------------------------------------------------------------- L


def _cavity_mode(x, y, k, a, b):
    """Velocity of the k-th Stokes-flow mode of a lid-driven rectangular cavity
    ``0 <= x <= a``, ``-b <= y <= b`` (Grover et al. 2012, eq. for u_k, v_k)."""
    q = k * np.pi / a
    norm = 2.0 * k * b * np.pi + a * np.sinh(2.0 * q * b)
    ux = (
        -k * b * np.pi * np.sinh(q * b) * np.sinh(q * y)
        + np.cosh(q * b) * (k * np.pi * y * np.cosh(q * y) + a * np.sinh(q * y))
    ) * (2.0 * np.sin(q * x) / norm)
    uy = (b * np.sinh(q * b) * np.cosh(q * y) - np.cosh(q * b) * y * np.sinh(q * y)) * (
        2.0 * k * np.pi * np.cos(q * x) / norm
    )
    return ux, uy


@flow(
    params={"a": 6.0, "b": 1.0, "tau": 1.1, "u1": 9.92786, "u2": 8.34932},
    x0=(3.966790341130254, 0.18425981346720144),
    description=(
        "Passive tracer in a Stokes cavity flow whose walls are driven alternately "
        "(period tau), giving topological chaos; time-periodic 2-D advection."
    ),
    reference=(
        "Grover, P., Ross, S. D., Stremler, M. A. & Kumar, P. (2012). Topological chaos, braiding "
        "and bifurcation of almost-cyclic sets. Chaos 22, 043135."
    ),
    equations=(
        "d(x,y)/dt = s(t) u1 U_1(x,y) + u2 U_2(x,y), U_k the k-th cavity Stokes mode on "
        "[0,a]x[-b,b]; s(t) = tanh(20 tau sin(2 pi t / tau)) switches the driving wall"
    ),
    nonautonomous=True,
    dt=0.005,
    period=2.73,
    dysts_time_phase=_unit_phase,  # dysts appends the phase z = t to the state; we read t explicitly
)
def LidDrivenCavityFlow(x, t, p):
    # weight w blends the two protocols v(u1, u2) and v(-u1, u2); linear in u1,
    # so the blend is (2w - 1) u1 U_1 + u2 U_2
    s = np.tanh(20.0 * p.tau * np.sin(2.0 * np.pi * t / p.tau))
    u1x, u1y = _cavity_mode(x[:, 0], x[:, 1], 1, p.a, p.b)
    u2x, u2y = _cavity_mode(x[:, 0], x[:, 1], 2, p.a, p.b)
    out = np.empty_like(x)
    out[:, 0] = s * p.u1 * u1x + p.u2 * u2x
    out[:, 1] = s * p.u1 * u1y + p.u2 * u2y
    return out


def _sakarya_rhs(x, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * x[:, 0] + p.h * x[:, 1] + p.s * x[:, 1] * x[:, 2]
    out[:, 1] = -p.b * x[:, 1] - p.p * x[:, 0] + p.q * x[:, 0] * x[:, 2]
    out[:, 2] = p.c * x[:, 2] - p.r * x[:, 0] * x[:, 1]
    return out


@flow(
    params={"a": 0.4, "b": 12.0, "c": -5.0, "h": 0.0, "p": 0.0, "q": -1.0, "r": 1.0, "s": 1.0},
    x0=(4.6722764, 5.2437205e-10, -6.4444208e-10),
    description="Liu-Chen quadratic flow with a single four-scroll attractor (Sakarya family form).",
    reference=(
        "Liu, W. & Chen, G. (2004). Can a three-dimensional smooth autonomous quadratic chaotic "
        "system generate a single four-scroll attractor? Int. J. Bifurc. Chaos 14, 1395-1403."
    ),
    equations="dx/dt = a x + h y + s y z; dy/dt = -b y - p x + q x z; dz/dt = c z - r x y",
    dt=0.01,
    period=8.0,
)
def LiuChen(x, t, p):
    return _sakarya_rhs(x, p)


@flow(
    params={"a": 1.32, "b": 7.91, "f": 4.83, "g": 4.194},
    x0=(1.926479236120359, -0.13402110197257552, -1.72146730664761),
    description="Lorenz's 1984 low-order general circulation: a westerly jet and two eddy modes.",
    reference=("Lorenz, E. N. (1984). Irregularity: a fundamental property of the atmosphere. Tellus A 36(2), 98-110."),
    equations="dx/dt = -a x - y^2 - z^2 + a f; dy/dt = -y + x y - b x z + g; dz/dt = -z + b x y + x z",
    dt=0.005,
    period=6.26,
)
def Lorenz84(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = -p.a * x[:, 0] - x[:, 1] ** 2 - x[:, 2] ** 2 + p.a * p.f
    out[:, 1] = -x[:, 1] + x[:, 0] * x[:, 1] - p.b * x[:, 0] * x[:, 2] + p.g
    out[:, 2] = -x[:, 2] + p.b * x[:, 0] * x[:, 1] + x[:, 0] * x[:, 2]
    return out


@flow(
    params={"beta": 2.667, "r": 64.0, "rho": 28.0, "sigma": 10.0},
    x0=(-13.284881, -12.444334, 34.188198),
    description="Lorenz-63 multiplied by a confining factor (1 - |x|^2 / r^2) that keeps every orbit bounded.",
    reference=("Sprott, J. C. & Xiong, A. (2015). Classifying and quantifying basins of attraction. Chaos 25, 083101."),
    equations="dX/dt = (1 - |X|^2 / r^2) F_Lorenz(X) with F_Lorenz(sigma, rho, beta)",
    dt=0.002,
    period=1.37,
)
def LorenzBounded(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    damp = 1.0 - (X**2 + Y**2 + Z**2) / p.r**2
    out = np.empty_like(x)
    out[:, 0] = damp * p.sigma * (Y - X)
    out[:, 1] = damp * (X * (p.rho - Z) - Y)
    out[:, 2] = damp * (X * Y - p.beta * Z)
    return out


@flow(
    params={"beta": 2.667, "eps": 2.85, "rho": 28.0, "rho1": 35.0, "rho2": 1.15, "sigma": 10.0},
    x0=(7.0921483, 10.117408, 25.708428, 2.1689893, 0.96121877, 0.89550187),
    description="A chaotic Lorenz system (rho1) driving a second, sub-critical one (rho2) through x-coupling eps.",
    reference=(
        "Lorenz, E. N. (1963). Deterministic nonperiodic flow. J. Atmos. Sci. 20, 130-141; coupled "
        "configuration and parameters as in Gilpin, W. (2021), dysts (NeurIPS Datasets and Benchmarks)."
    ),
    equations=(
        "dx1/dt = sigma (y1 - x1); dy1/dt = rho1 x1 - x1 z1 - y1; dz1/dt = x1 y1 - beta z1; "
        "dx2/dt = sigma (y2 - x2) + eps (x1 - x2); dy2/dt = rho2 x2 - x2 z2 - y2; dz2/dt = x2 y2 - beta z2 "
        "(rho is unused)"
    ),
    dt=0.005,
    period=1.62,
)
def LorenzCoupled(x, t, p):
    x1, y1, z1, x2, y2, z2 = (x[:, i] for i in range(6))
    out = np.empty_like(x)
    out[:, 0] = p.sigma * (y1 - x1)
    out[:, 1] = p.rho1 * x1 - x1 * z1 - y1
    out[:, 2] = x1 * y1 - p.beta * z1
    out[:, 3] = p.sigma * (y2 - x2) + p.eps * (x1 - x2)
    out[:, 4] = p.rho2 * x2 - x2 * z2 - y2
    out[:, 5] = x2 * y2 - p.beta * z2
    return out


@flow(
    params={"a": 2.0, "b": 0.7, "c": 26.0, "d": 1.5},
    x0=(4.233438598886809, 9.08970605484108, 21.86662535600487, -1.4080695182833802),
    description="Stenflo's four-mode Lorenz extension for rotating acoustic-gravity waves.",
    reference=(
        "Stenflo, L. (1996). Generalized Lorenz equations for acoustic-gravity waves in the "
        "atmosphere. Phys. Scr. 53, 83-84; Letellier, C. & Rossler, O. E. (2007). Hyperchaos. "
        "Scholarpedia 2(8), 1936."
    ),
    equations="dx/dt = a (y - x) + d w; dy/dt = c x - x z - y; dz/dt = x y - b z; dw/dt = -x - a w",
    dt=0.01,
    period=3.89,
)
def LorenzStenflo(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * (x[:, 1] - x[:, 0]) + p.d * x[:, 3]
    out[:, 1] = p.c * x[:, 0] - x[:, 0] * x[:, 2] - x[:, 1]
    out[:, 2] = x[:, 0] * x[:, 1] - p.b * x[:, 2]
    out[:, 3] = -x[:, 0] - p.a * x[:, 3]
    return out


@flow(
    params={"a": 36.0, "b": 3.0, "c": 18.0},
    x0=(10.956479, 9.8813092, 22.676714),
    description="Lu-Chen system, bridging the Lorenz and Chen attractors as c varies.",
    reference="Lu, J. & Chen, G. (2002). A new chaotic attractor coined. Int. J. Bifurc. Chaos 12, 659-661.",
    equations="dx/dt = a (y - x); dy/dt = -x z + c y; dz/dt = x y - b z",
    dt=0.002,
    period=2.34,
)
def LuChen(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * (x[:, 1] - x[:, 0])
    out[:, 1] = -x[:, 0] * x[:, 2] + p.c * x[:, 1]
    out[:, 2] = x[:, 0] * x[:, 1] - p.b * x[:, 2]
    return out


@flow(
    params={"a": -10.0, "b": -4.0, "c": 18.1},
    x0=(-5.5177615, 2.4990595, 10.461798),
    description="Lu-Chen-Cheng generalized Lorenz-like system with a four-scroll attractor.",
    reference=(
        "Lu, J., Chen, G. & Cheng, D. (2004). A new chaotic system and beyond: the generalized "
        "Lorenz-like system. Int. J. Bifurc. Chaos 14, 1507-1537."
    ),
    equations="dx/dt = -(a b / (a + b)) x - y z + c; dy/dt = a y + x z; dz/dt = b z + x y",
    dt=0.002,
    period=0.92,
)
def LuChenCheng(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = -(p.a * p.b) / (p.a + p.b) * x[:, 0] - x[:, 1] * x[:, 2] + p.c
    out[:, 1] = p.a * x[:, 1] + x[:, 0] * x[:, 2]
    out[:, 2] = p.b * x[:, 2] + x[:, 0] * x[:, 1]
    return out


# ---------------------------------------------------------------- M

#: half-saturation constants k[j, i] of species i on resource j (Huisman & Weissing 1999)
_MACARTHUR_K = np.array(
    [
        [0.39, 0.34, 0.30, 0.24, 0.23],
        [0.22, 0.39, 0.34, 0.30, 0.27],
        [0.27, 0.22, 0.39, 0.34, 0.30],
        [0.30, 0.24, 0.22, 0.39, 0.34],
        [0.34, 0.30, 0.22, 0.20, 0.39],
    ]
)
#: content c[j, i] of resource j in species i
_MACARTHUR_C = np.array(
    [
        [0.04, 0.04, 0.07, 0.04, 0.04],
        [0.08, 0.08, 0.08, 0.10, 0.08],
        [0.10, 0.10, 0.10, 0.10, 0.14],
        [0.05, 0.03, 0.03, 0.03, 0.03],
        [0.07, 0.09, 0.07, 0.07, 0.07],
    ]
)
#: resource supply concentrations s[j]
_MACARTHUR_S = np.array([6.0, 10.0, 14.0, 4.0, 9.0])
_MACARTHUR_CT = np.ascontiguousarray(_MACARTHUR_C.T)


@flow(
    params={"d": 0.25, "m": 0.25, "r": 1.0},
    x0=(9.4323333, 18.838654, 34.37572, 15.08545, 42.228427, 0.17030505, 0.10144427, 0.3148045, 0.21253581, 0.22598604),
    description=(
        "Five phytoplankton species competing for five resources (MacArthur consumer-resource "
        "model, Liebig minimum growth); the 5x5 tables k, c and supplies s are fixed."
    ),
    reference=(
        "MacArthur, R. (1969). Species packing, and what competition minimizes. PNAS 64, 1369-1371; "
        "parameters from Huisman, J. & Weissing, F. J. (1999). Biodiversity of plankton by species "
        "oscillations and chaos. Nature 402, 407-410."
    ),
    equations=(
        "N_i' = N_i (mu_i - m), mu_i = min_j r R_j / (k_ji + R_j); "
        "R_j' = d (s_j - R_j) - sum_i c_ji mu_i N_i  (i species 1..5, j resources 1..5)"
    ),
    jacobian="fd",
    dt=0.1,
    period=43.4,
    dysts_skip=(
        "dysts passes the tables k, c, s as parameters; catalog parameters are scalars (one value "
        "per trajectory), so the tables are fixed constants here (agreement checked by hand)"
    ),
)
def MacArthur(x, t, p):
    # written with operations numba compiles (no axis reductions, no reshape of a float)
    N, R = x[:, :5], x[:, 5:]
    ones = np.ones((x.shape[0], 1))
    # growth of species i on resource j; Liebig's law: the scarcest resource limits
    mu = R[:, 0:1] / (_MACARTHUR_K[0] + R[:, 0:1])
    for j in range(1, 5):
        mu = np.minimum(mu, R[:, j : j + 1] / (_MACARTHUR_K[j] + R[:, j : j + 1]))
    mu = mu * (ones * np.reshape(p.r * ones[:, 0], (-1, 1)))
    out = np.empty_like(x)
    out[:, :5] = N * (mu - np.reshape(p.m * ones[:, 0], (-1, 1)))
    out[:, 5:] = np.reshape(p.d * ones[:, 0], (-1, 1)) * (_MACARTHUR_S - R) - np.dot(mu * N, _MACARTHUR_CT)
    return out


@flow(
    params={"a": 10.0, "b": 4.0, "eps": 9.0},
    x0=(-3.4733266, 19.666962, -3.8262485),
    description="Moore-Spiegel thermally excited oscillator: a stellar convection cell as a jerk flow.",
    reference=(
        "Moore, D. W. & Spiegel, E. A. (1966). A thermally excited non-linear oscillator. Astrophys. J. 143, 871-887."
    ),
    equations="dx/dt = y; dy/dt = a z; dz/dt = -z + eps y - y x^2 - b x",
    dt=0.002,
    period=1.29,
)
def MooreSpiegel(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1]
    out[:, 1] = p.a * x[:, 2]
    out[:, 2] = -x[:, 2] + p.eps * x[:, 1] - x[:, 1] * x[:, 0] ** 2 - p.b * x[:, 0]
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


# ---------------------------------------------------------------- N


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


@flow(
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
)
def NoseHoover(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1]
    out[:, 1] = -x[:, 0] + x[:, 1] * x[:, 2]
    out[:, 2] = p.a - x[:, 1] ** 2
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


# ---------------------------------------------------------------- O, P


@flow(
    params={"b": 0.48, "k": 1.0, "omega": 0.49, "u": 0.72},
    x0=(3.14159265, 1.04719755),
    description="Tracer in laterally oscillating convection rolls (Solomon-Gollub): time-periodic 2-D chaotic advection.",
    reference=(
        "Solomon, T. H. & Gollub, J. P. (1988). Chaotic particle transport in time-dependent "
        "Rayleigh-Benard convection. Phys. Rev. A 38, 6280-6286."
    ),
    equations="f = x + b sin(omega t); dx/dt = u cos(k y) sin(k f); dy/dt = -u sin(k y) cos(k f)",
    nonautonomous=True,
    dt=0.05,
    period=23.9,
    dysts_time_phase="omega",
)
def OscillatingFlow(x, t, p):
    f = p.k * (x[:, 0] + p.b * np.sin(p.omega * t))
    out = np.empty_like(x)
    out[:, 0] = p.u * np.cos(p.k * x[:, 1]) * np.sin(f)
    out[:, 1] = -p.u * np.sin(p.k * x[:, 1]) * np.cos(f)
    return out


def _dequanli_rhs(x, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * (x[:, 1] - x[:, 0]) + p.d * x[:, 0] * x[:, 2]
    out[:, 1] = p.k * x[:, 0] + p.f * x[:, 1] - x[:, 0] * x[:, 2]
    out[:, 2] = p.c * x[:, 2] + x[:, 0] * x[:, 1] - p.eps * x[:, 0] ** 2
    return out


_DEQUANLI_EQ = "dx/dt = a (y - x) + d x z; dy/dt = k x + f y - x z; dz/dt = c z + x y - eps x^2"


@flow(
    params={"a": 10.0, "c": -2.6667, "d": 0.0, "eps": 0.0, "f": 0.0, "k": 16.0},
    x0=(-3.03805747, -1.98052429, 14.65665869),
    description="Pan-Xu-Zhou butterfly attractor, a member of the Dequan Li family of quadratic flows.",
    reference=(
        "Zhou, W., Xu, Y., Lu, H. & Pan, L. (2008). On dynamics analysis of a new chaotic attractor. "
        "Phys. Lett. A 372, 5773-5777."
    ),
    equations=_DEQUANLI_EQ,
    dt=0.005,
    period=1.78,
)
def PanXuZhou(x, t, p):
    return _dequanli_rhs(x, p)


def _pehlivan_wei_jac(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    J = np.zeros((len(x), 3, 3))
    J[:, 0, 1], J[:, 0, 2] = 1.0 - Z, -Y
    J[:, 1, 0], J[:, 1, 1], J[:, 1, 2] = -p.a, 1.0 + Z, Y
    J[:, 2, 0], J[:, 2, 1] = -Y, -X - 2.0 * Y
    return J


@flow(
    params={"a": 2.0},
    x0=(0.21665608, 0.86710502, 0.50627859),
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


@delay(
    params={"alpha": 1.0, "beta": 1.0, "c": 2.24, "tau": 4.9},
    x0=(-0.37155972,),
    description="Delayed-feedback electronic oscillator with a cubic (piecewise-approximated) nonlinearity.",
    reference=(
        "Tamasevicius, A., Mykolaitis, G. & Bumeliene, S. (2006). Delayed feedback chaotic "
        "oscillator with improved spectral characteristics. Electron. Lett. 42(13)."
    ),
    delay_param="tau",
    equations="dx/dt = -alpha x(t - tau) + beta f(x(t - tau)), f(u) = 3 u / c - (u / c)^3",
    dt=0.05,
    period=53.0,
)
def PiecewiseCircuit(x, xd, t, p):
    u = xd / p.c
    return -p.alpha * xd + p.beta * (3.0 * u - u**3)


# ---------------------------------------------------------------- Q, R


@flow(
    params={"a": 45.0, "b": 10.0, "c": 1.0, "d": 10.0},
    x0=(0.2562042648386667, 0.1956116640569919, 7.259823760387948, 1.3162558970131963),
    description="Qi's four-dimensional hyperchaotic system with cubic cross-product terms and a broad spectrum.",
    reference=(
        "Qi, G., van Wyk, M. A., van Wyk, B. J. & Chen, G. (2008). On a new hyperchaotic system. "
        "Phys. Lett. A 372, 124-136."
    ),
    equations="dx/dt = a (y - x) + y z w; dy/dt = b (x + y) - x z w; dz/dt = -c z + x y w; dw/dt = -d w + x y z",
    dt=0.001,
    period=0.41,
)
def Qi(x, t, p):
    X, Y, Z, W = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
    out = np.empty_like(x)
    out[:, 0] = p.a * (Y - X) + Y * Z * W
    out[:, 1] = p.b * (X + Y) - X * Z * W
    out[:, 2] = -p.c * Z + X * Y * W
    out[:, 3] = -p.d * W + X * Y * Z
    return out


@flow(
    params={"a": 38.0, "b": 2.666, "c": 80.0},
    x0=(17.420882, 5.5459627, 78.89139),
    description="Qi-Chen quadratic flow with a double-wing attractor formed from two bistable ones.",
    reference=(
        "Qi, G. et al. (2008). Chaos, Solitons & Fractals (double-wing attractor; citation as "
        "collected in Gilpin, W. (2021), dysts)."
    ),
    equations="dx/dt = a (y - x) + y z; dy/dt = c x + y - x z; dz/dt = x y - b z",
    dt=0.001,
    period=0.39,
)
def QiChen(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * (x[:, 1] - x[:, 0]) + x[:, 1] * x[:, 2]
    out[:, 1] = p.c * x[:, 0] + x[:, 1] - x[:, 0] * x[:, 2]
    out[:, 2] = x[:, 0] * x[:, 1] - p.b * x[:, 2]
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
    params={"a": 30.0, "b": 5.0, "r": 18.0},
    x0=(-15.660582, -13.32018, 26.879362),
    description="Three-mode truncation of a Rayleigh-Benard convection cell (Lorenz-like, no y damping).",
    reference=(
        "Yanagita, T. & Kaneko, K. (1995). Rayleigh-Benard convection patterns, chaos, spatiotemporal "
        "chaos and turbulence. Physica D 82, 288-313."
    ),
    equations="dx/dt = a (y - x); dy/dt = r y - x z; dz/dt = x y - b z",
    dt=0.002,
    period=0.92,
)
def RayleighBenard(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * (x[:, 1] - x[:, 0])
    out[:, 1] = p.r * x[:, 1] - x[:, 0] * x[:, 2]
    out[:, 2] = x[:, 0] * x[:, 1] - p.b * x[:, 2]
    return out


@flow(
    params={"a": 1.0, "mu": 1.0},
    x0=(-0.7791562791136255, -0.6302244598741468, 2.671200187214492),
    description="Rikitake's two coupled disk dynamos: irregular reversals of the magnetic field.",
    reference=(
        "Rikitake, T. (1958). Oscillations of a system of disk dynamos. Math. Proc. Camb. Phil. Soc. 54, 89-105."
    ),
    equations="dx/dt = -mu x + y z; dy/dt = -mu y - a x + x z; dz/dt = 1 - x y",
    dt=0.01,
    period=5.9,
)
def RikitakeDynamo(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = -p.mu * x[:, 0] + x[:, 1] * x[:, 2]
    out[:, 1] = -p.mu * x[:, 1] - p.a * x[:, 0] + x[:, 0] * x[:, 2]
    out[:, 2] = 1.0 - x[:, 0] * x[:, 1]
    return out


@flow(
    params={"a": 2.0, "b": 6.7},
    x0=(1.9257158, 3.1923835, 5.7829655),
    description="Rucklidge's model of double convection in a laterally constrained fluid layer.",
    reference="Rucklidge, A. M. (1992). Chaos in models of double convection. J. Fluid Mech. 237, 209-229.",
    equations="dx/dt = -a x + b y - y z; dy/dt = x; dz/dt = -z + y^2",
    dt=0.02,
    period=6.07,
)
def Rucklidge(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = -p.a * x[:, 0] + p.b * x[:, 1] - x[:, 1] * x[:, 2]
    out[:, 1] = x[:, 0]
    out[:, 2] = -x[:, 2] + x[:, 1] ** 2
    return out
