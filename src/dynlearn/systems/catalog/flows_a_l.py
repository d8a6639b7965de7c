"""Chaotic flows of the literature, A to C (Aizawa ... Coullet).

Equations, published parameter values, initial conditions and citations
follow the dysts collection (Gilpin, W. (2021). Chaos as an interpretable
benchmark for forecasting and data-driven modelling. NeurIPS Datasets and
Benchmarks), written here in the catalog's batched conventions. Where a
formulation departs from dysts (explicit time instead of an appended phase
variable, Cartesian instead of polar coordinates, vector parameters spelled out
as scalars) the entry says so in ``extra["dysts_skip"]`` or
``extra["dysts_time_phase"]``.
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import flow

_VECTOR_PARAMS = "dysts takes vector/matrix parameters; ours are the same numbers spelled out as scalars"


def _circadian_phase(params, t):
    return 2.0 * np.pi * t / params["ps"]


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


def _arneodo(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = Y
    out[:, 1] = Z
    out[:, 2] = -p.a * X - p.b * Y - p.c * Z + p.d * X**3
    return out


_ARNEODO_REF = (
    "Arneodo, A., Coullet, P. & Tresser, C. (1980). Occurrence of strange attractors in three-dimensional "
    "Volterra equations. Phys. Lett. A 79, 259-263."
)
_ARNEODO_EQ = "dx/dt = y; dy/dt = z; dz/dt = -a x - b y - c z + d x^3"

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


@flow(
    params={"a": 1.73205, "b": 1.41421, "c": 1.0},
    x0=(147.91266, -1762.805, -647.37622),
    description=(
        "Arnold-Beltrami-Childress steady Euler flow: chaotic streamlines on the 3-torus "
        "(coordinates are angles, not reduced mod 2 pi)."
    ),
    reference=(
        "Arnold, V. I. (1965). Sur la topologie des ecoulements stationnaires des fluides parfaits. "
        "C. R. Acad. Sci. Paris 261, 17-20; Dombre, T. et al. (1986). Chaotic streamlines in the ABC flows. "
        "J. Fluid Mech. 167, 353-391."
    ),
    equations="dx/dt = a sin z + c cos y; dy/dt = b sin x + a cos z; dz/dt = c sin y + b cos x",
    dt=0.05,
    period=2.85,
)
def ArnoldBeltramiChildress(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = p.a * np.sin(Z) + p.c * np.cos(Y)
    out[:, 1] = p.b * np.sin(X) + p.a * np.cos(Z)
    out[:, 2] = p.c * np.sin(Y) + p.b * np.cos(X)
    return out


@flow(
    params={"mu": 0.01, "w": 1.0},
    x0=(0.10469507, 0.0892929984, 11025.3686, 6055.32273),
    description=(
        "Froeschle-Guzzo-Lega quasi-integrable Hamiltonian with time-periodic perturbation: "
        "weak diffusion along the Arnold web (angles not reduced mod 2 pi)."
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
    params={"alpha": -2.0, "beta": -5.0, "mu1": 0.05, "mu2": -0.01, "omega": 3.0, "sigma": 1.1},
    x0=(0.026544189906947246, 0.20580772677536016, 0.43758119702219506),
    description="Tuwankotta's three-mode atmospheric regime model: oscillators with widely spaced frequencies.",
    reference=(
        "Tuwankotta, J. M. (2006). Chaos in a coupled oscillators system with widely spaced frequencies and "
        "energy-preserving non-linearity. Int. J. Non-Linear Mech. 41, 180-191."
    ),
    equations=(
        "dx/dt = mu1 x + sigma x y; dy/dt = mu2 y + omega z + alpha y z + beta z^2 - sigma x^2; "
        "dz/dt = mu2 z - omega y - alpha y^2 - beta y z"
    ),
    dt=0.02,
    period=89.6,
)
def AtmosphericRegime(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = p.mu1 * X + p.sigma * X * Y
    out[:, 1] = p.mu2 * Y + p.omega * Z + p.alpha * Y * Z + p.beta * Z**2 - p.sigma * X**2
    out[:, 2] = p.mu2 * Z - p.omega * Y - p.alpha * Y**2 - p.beta * Y * Z
    return out


@flow(
    params={
        "tau1": 1.0,
        "tau2": 2.5,
        "tau3": 1.0,
        "theta1": -4.108,
        "theta2": -2.787,
        "theta3": -1.114,
        "w11": 5.422,
        "w12": -0.018,
        "w13": 2.75,
        "w21": -0.24,
        "w22": 4.59,
        "w23": 1.21,
        "w31": 0.535,
        "w32": -2.25,
        "w33": 3.885,
    },
    x0=(1.5014532, 2.3742845, 0.65819415),
    description="Beer's three-neuron continuous-time recurrent neural network with sigmoid units.",
    reference=(
        "Beer, R. D. (1995). On the dynamics of small continuous-time recurrent neural networks. "
        "Adaptive Behavior 3(4), 469-509."
    ),
    equations="tau_i dx_i/dt = -x_i + sum_j w_ij s(x_j + theta_j), s(u) = 1 / (1 + exp(-u)), i, j = 1..3",
    dt=0.05,
    period=33.4,
    dysts_skip=_VECTOR_PARAMS + " (tau, theta: 3-vectors; w: 3x3 matrix, w_ij = w[i-1][j-1])",
)
def BeerRNN(x, t, p):
    s1 = 1.0 / (1.0 + np.exp(-(x[:, 0] + p.theta1)))
    s2 = 1.0 / (1.0 + np.exp(-(x[:, 1] + p.theta2)))
    s3 = 1.0 / (1.0 + np.exp(-(x[:, 2] + p.theta3)))
    out = np.empty_like(x)
    out[:, 0] = (-x[:, 0] + p.w11 * s1 + p.w12 * s2 + p.w13 * s3) / p.tau1
    out[:, 1] = (-x[:, 1] + p.w21 * s1 + p.w22 * s2 + p.w23 * s3) / p.tau2
    out[:, 2] = (-x[:, 2] + p.w31 * s1 + p.w32 * s2 + p.w33 * s3) / p.tau3
    return out


@flow(
    params={
        "c1": -8.03474,
        "c2": 0.05408,
        "c3": -0.0115886,
        "c4": 832.587,
        "c5": -0.029155,
        "c6": 0.00321617,
        "c7": -0.01352,
        "c8": -0.0831709,
        "c9": -0.0199985,
        "c10": 0.0223915,
        "c11": 7.53559e-05,
        "c12": 8.07384e-06,
        "c13": -0.000499825,
        "ci": 0.000833,
        "kf": 0.00035,
        "t0": 2308.62,
        "y0": 7.72571e-06,
        "yb1": 6.92813e-07,
        "yb2": 2.00869,
        "yb3": 0.01352,
        "z0": 8.33e-06,
    },
    x0=(0.023491701, 0.61703254, 0.84669066),
    description="Gyorgyi-Field reduced model of the Belousov-Zhabotinsky reaction in a flow reactor (stiff).",
    reference=(
        "Gyorgyi, L. & Field, R. J. (1992). A three-variable model of deterministic chaos in the "
        "Belousov-Zhabotinsky reaction. Nature 355, 808-810."
    ),
    equations=(
        "Y = yb1 z v / (y0 (yb2 x + yb3 + kf)); xp = max(x, 0); rf = (ci - z0 z) sqrt(xp); "
        "dx/dt = t0 (c1 xp Y + c2 Y + c3 xp^2 + c4 rf + c5 xp z - kf xp); "
        "dz/dt = t0 (c6 rf / z0 + c7 xp z + c8 z v + c9 z - kf z); "
        "dv/dt = t0 (c10 xp Y + c11 Y + c12 xp^2 + c13 z v - kf v)"
    ),
    jacobian="fd",
    dt=2e-5,
    period=0.0383,
)
def BelousovZhabotinsky(x, t, p):
    X, Z, V = x[:, 0], x[:, 1], x[:, 2]
    ybar = (1.0 / p.y0) * p.yb1 * Z * V / (p.yb2 * X + p.yb3 + p.kf)
    xp = np.maximum(X, 0.0)  # the square root of a concentration: clip at zero, as in dysts
    rf = (p.ci - p.z0 * Z) * np.sqrt(xp)
    out = np.empty_like(x)
    out[:, 0] = p.t0 * (p.c1 * xp * ybar + p.c2 * ybar + p.c3 * xp**2 + p.c4 * rf + p.c5 * xp * Z - p.kf * xp)
    out[:, 1] = p.t0 * ((p.c6 / p.z0) * rf + p.c7 * xp * Z + p.c8 * Z * V + p.c9 * Z - p.kf * Z)
    out[:, 2] = p.t0 * (p.c10 * xp * ybar + p.c11 * ybar + p.c12 * xp**2 + p.c13 * Z * V - p.kf * V)
    return out


@flow(
    params={"a": 1.0, "alpha1": 0.2, "alpha2": 1.0, "b": 1.0, "c": 10.0, "k1": 0.05, "k2": 0.0, "zs": 0.006},
    x0=(4.031713, 5.1113788, 0.016508812),
    description="Blasius-Huppert-Stone vegetation-herbivore-predator food chain: uniform phase, chaotic amplitude.",
    reference=(
        "Blasius, B., Huppert, A. & Stone, L. (1999). Complex dynamics and phase synchronization in "
        "spatially extended ecological systems. Nature 399, 354-359."
    ),
    equations=(
        "dx/dt = a x - alpha1 x y / (1 + k1 x); dy/dt = -b y + alpha1 x y / (1 + k1 x) - alpha2 y z / (1 + k2 y); "
        "dz/dt = -c (z - zs) + alpha2 y z / (1 + k2 y)"
    ),
    dt=0.02,
    period=6.6,
)
def Blasius(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    prey = p.alpha1 * X * Y / (1.0 + p.k1 * X)
    pred = p.alpha2 * Y * Z / (1.0 + p.k2 * Y)
    out = np.empty_like(x)
    out[:, 0] = p.a * X - prey
    out[:, 1] = -p.b * Y + prey - pred
    out[:, 2] = -p.c * (Z - p.zs) + pred
    return out


def _blinking(x, t, p):
    X, Y = x[:, 0], x[:, 1]
    r2 = X**2 + Y**2
    a2 = p.a**2
    # the stirrer sits at +b while the smooth switch w(t) is near 1, at -b while it is near 0
    w = 0.5 + 0.5 * np.tanh(20.0 * p.tau * np.sin(2.0 * np.pi * t / p.tau))
    vx = 0.0 * X
    vy = 0.0 * X
    for sign in (1.0, -1.0):
        B = sign * p.b
        kappa = a2 + B**2 * r2 / a2 - 2.0 * B * X
        gamma = (1.0 - r2 / a2) * (a2 - B**2 * r2 / a2)
        iota_r = B**2 * r2 / a2 - B * X
        zeta = B**2 + r2 - 2.0 * B * X
        nu = a2 + B**2 - 2.0 * B**2 * r2 / a2
        # r * (radial velocity) and r * (azimuthal velocity) of the stirrer at (B, 0) in the disc of radius a
        vr_r = B * Y * (-p.bc * gamma / kappa**2 - 1.0 / kappa + 1.0 / zeta)
        vt_r = p.bc * gamma * iota_r / kappa**2 + p.bc * r2 * nu / (a2 * kappa) + iota_r / kappa - (r2 - B * X) / zeta
        weight = w if sign > 0 else 1.0 - w
        vx = vx + weight * (vr_r * X - vt_r * Y) / r2
        vy = vy + weight * (vr_r * Y + vt_r * X) / r2
    out = np.empty_like(x)
    out[:, 0] = p.sigma * vx
    out[:, 1] = p.sigma * vy
    return out


_BLINKING_EQ = (
    "Cartesian form of dr/dt = sigma v_r, r dtheta/dt = sigma v_theta with v = w(t) v[b] + (1 - w(t)) v[-b], "
    "w(t) = 1/2 + 1/2 tanh(20 tau sin(2 pi t / tau)); v[B] the Stokes (bc=1) or potential (bc=0) flow of a "
    "point rotlet/vortex at (B, 0) inside the circle of radius a (Meleshko & Aref 1996, eqs. for kappa, gamma, "
    "iota, zeta, nu)"
)
_BLINKING_SKIP = (
    "dysts integrates polar (r, theta) plus the phase variable t, with an unbounded winding angle; "
    "ours is the same velocity field in Cartesian (x, y) with explicit t"
)

BlinkingRotlet = flow(
    name="BlinkingRotlet",
    params={"a": 1.0, "b": 0.5298833894399929, "bc": 1.0, "sigma": -1.0, "tau": 3.0},
    x0=(-0.0853, 0.0044),
    description="Meleshko-Aref blinking rotlet: Stokes flow in a disc stirred by two alternating rotlets.",
    reference=(
        "Meleshko, V. V. & Aref, H. (1996). A blinking rotlet model for chaotic advection. Phys. Fluids 8, "
        "3215-3217. See also Tallapragada, P. & Sudarsanam, S. (2019). Phys. Rev. E 100, 062213."
    ),
    equations=_BLINKING_EQ,
    nonautonomous=True,
    jacobian=None,
    dt=0.002,
    period=3.0,
    dysts_skip=_BLINKING_SKIP,
)(_blinking)

BlinkingVortex = flow(
    name="BlinkingVortex",
    params={"a": 1.0, "b": 0.5, "bc": 0.0, "sigma": -1.0, "tau": 3.0},
    x0=(-0.0853, 0.0044),
    description="Aref's blinking vortex: inviscid flow in a disc stirred by two alternating point vortices.",
    reference="Aref, H. (1984). Stirring by chaotic advection. J. Fluid Mech. 143, 1-21.",
    equations=_BLINKING_EQ,
    nonautonomous=True,
    dt=0.002,
    period=3.0,
    dysts_skip=_BLINKING_SKIP,
)(_blinking)


def _bouali(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = p.a * p.y0 * X - p.a * X * Y - p.b * Z
    out[:, 1] = -p.g * Y + p.g * Y * X**2
    out[:, 2] = -1.5 * p.m * X + p.m * p.bb * X * Z - p.c * Z
    return out


_BOUALI_REF = (
    "Bouali, S. (1999). Feedback loop in extended van der Pol's equation applied to an economic model of "
    "cycles. Int. J. Bifurc. Chaos 9(4), 745-756."
)
_BOUALI_EQ = "dx/dt = a x (y0 - y) - b z; dy/dt = g y (x^2 - 1); dz/dt = -1.5 m x + m bb x z - c z"

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


@flow(
    params={"e": 13.0, "n": 10.0},
    x0=(-0.79153188, 0.65244479, 0.22517831),
    description="Burke-Shaw attractor: a Lorenz-like two-lobed flow from Shaw's study of strange attractors.",
    reference="Shaw, R. (1981). Strange attractors, chaotic behavior, and information flow. Z. Naturforsch. A 36, 80-112.",
    equations="dx/dt = -n (x + y); dy/dt = y - n x z; dz/dt = n x y + e",
    dt=0.002,
    period=0.783,
)
def BurkeShaw(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = -p.n * X - p.n * Y
    out[:, 1] = Y - p.n * X * Z
    out[:, 2] = p.n * X * Y + p.e
    return out


def _ca2plus(x, t, p):
    Z, Y, A = x[:, 0], x[:, 1], x[:, 2]
    v_in = p.V0 + p.V1 * p.beta
    v2 = p.Vm2 * Z**2 / (p.K2**2 + Z**2)
    v3 = p.Vm3 * (Z**p.m / (p.Kz**p.m + Z**p.m)) * (Y**2 / (p.Ky**2 + Y**2)) * (A**4 / (p.Ka**4 + A**4))
    v5 = p.Vm5 * (A**p.p / (p.K5**p.p + A**p.p)) * (Z**p.n / (p.Kd**p.n + Z**p.n))
    out = np.empty_like(x)
    out[:, 0] = v_in - v2 + v3 + p.kf * Y - p.k * Z
    out[:, 1] = v2 - v3 - p.kf * Y
    out[:, 2] = p.beta * p.V4 - v5 - p.eps * A
    return out


_CA_REF = (
    "Houart, G., Dupont, G. & Goldbeter, A. (1999). Bursting, chaos and birhythmicity originating from "
    "self-modulation of the inositol 1,4,5-trisphosphate signal in a model for intracellular Ca2+ "
    "oscillations. Bull. Math. Biol. 61, 507-530."
)
_CA_EQ = (
    "V2 = Vm2 z^2/(K2^2 + z^2); V3 = Vm3 z^m/(Kz^m + z^m) y^2/(Ky^2 + y^2) a^4/(Ka^4 + a^4); "
    "V5 = Vm5 a^p/(K5^p + a^p) z^n/(Kd^n + z^n); dz/dt = V0 + V1 beta - V2 + V3 + kf y - k z; "
    "dy/dt = V2 - V3 - kf y; da/dt = beta V4 - V5 - eps a  (z: cytosolic Ca2+, y: stored Ca2+, a: IP3)"
)
_CA_PARAMS = ("K2", "K5", "Ka", "Kd", "Ky", "Kz", "V0", "V1", "V4", "Vm2", "Vm3", "Vm5", "beta", "eps", "k", "kf")

CaTwoPlus = flow(
    name="CaTwoPlus",
    params=dict(
        zip(_CA_PARAMS, (0.1, 0.3194, 0.1, 1.0, 0.3, 0.6, 2.0, 2.0, 3.0, 6.0, 30.0, 50.0, 0.65, 13.0, 10.0, 1.0)),
        m=2.0,
        n=4.0,
        p=1.0,
    ),
    x0=(0.26162904, 1.0055612, 0.14407867),
    description="Houart-Dupont-Goldbeter intracellular calcium oscillations with IP3 self-modulation: bursting chaos.",
    reference=_CA_REF,
    equations=_CA_EQ,
    dt=0.002,
    period=1.34,
)(_ca2plus)

CaTwoPlusQuasiperiodic = flow(
    name="CaTwoPlusQuasiperiodic",
    params=dict(
        zip(_CA_PARAMS, (0.1, 0.3, 0.2, 0.5, 0.2, 0.5, 2.0, 2.0, 5.0, 6.0, 20.0, 30.0, 0.51, 0.1, 10.0, 1.0)),
        m=2.0,
        n=4.0,
        p=2.0,
    ),
    x0=(0.26321067, 0.87886607, 0.3148781),
    description="Houart-Dupont-Goldbeter calcium model at parameters giving quasiperiodic oscillations (not chaotic).",
    reference=_CA_REF,
    equations=_CA_EQ,
    dt=0.002,
    period=0.656,
)(_ca2plus)


@flow(
    params={
        "K": 0.01,
        "Kc": 0.5,
        "Kd1": 0.02,
        "Kim": 0.65,
        "V2": 0.15,
        "V4": 0.05,
        "Vm1": 0.3,
        "Vm3": 0.1,
        "kd1": 0.001,
        "vd": 0.025,
        "vi": 0.05,
    },
    x0=(0.71565329, 0.9489355, 0.98910371, 0.72138631, 0.94987035, 0.98912572),
    description="Romond et al.: two coupled Goldbeter mitotic oscillators (cyclin, cdc2, protease) each inhibiting the other.",
    reference=(
        "Romond, P.-C., Rustici, M., Gonze, D. & Goldbeter, A. (1999). Alternating oscillations and chaos in "
        "a model of two coupled biochemical oscillators driving successive phases of the cell cycle. "
        "Ann. N. Y. Acad. Sci. 879, 180-193."
    ),
    equations=(
        "for i in (1, 2), j the other: dc_i/dt = vi Kim/(Kim + m_j) - vd x_i c_i/(Kd1 + c_i) - kd1 c_i; "
        "dm_i/dt = Vm1 c_i/(Kc + c_i) (1 - m_i)/(K + 1 - m_i) - V2 m_i/(K + m_i); "
        "dx_i/dt = Vm3 m_i (1 - x_i)/(K + 1 - x_i) - V4 x_i/(K + x_i)   (state: c1, m1, x1, c2, m2, x2)"
    ),
    dt=0.1,
    period=204.7,
)
def CellCycle(x, t, p):
    out = np.empty_like(x)
    for i, j in ((0, 3), (3, 0)):
        c, m, xx, m_other = x[:, i], x[:, i + 1], x[:, i + 2], x[:, j + 1]
        v1 = p.Vm1 * c / (p.Kc + c)
        out[:, i] = p.vi * p.Kim / (p.Kim + m_other) - p.vd * xx * c / (p.Kd1 + c) - p.kd1 * c
        out[:, i + 1] = v1 * (1.0 - m) / (p.K + (1.0 - m)) - p.V2 * m / (p.K + m)
        out[:, i + 2] = m * p.Vm3 * (1.0 - xx) / (p.K + (1.0 - xx)) - p.V4 * xx / (p.K + xx)
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
    params={
        "Ki": 1.0,
        "k": 0.5,
        "k1": 0.3,
        "k2": 0.15,
        "kd": 1.4,
        "kdn": 0.4,
        "km": 0.4,
        "ks": 1.0,
        "n": 4.0,
        "ps": 24.0,
        "vc": 2.5,
        "vd": 6.0,
        "vdn": 1.5,
        "vm": 0.7,
        "vmax": 4.7,
        "vmin": 1.0,
    },
    x0=(1.5401187, 5.3707921, 41.054266, 11.619073),
    description="Leloup-Gonze-Goldbeter circadian clock (FRQ / PER) driven by a 24 h light cycle.",
    reference=(
        "Leloup, J.-C., Gonze, D. & Goldbeter, A. (1999). Limit cycle models for circadian rhythms based on "
        "transcriptional regulation in Drosophila and Neurospora. J. Biol. Rhythms 14, 433-448; Gonze, D., "
        "Leloup, J.-C. & Goldbeter, A. (2000). Theoretical models for circadian rhythms in Neurospora and "
        "Drosophila. C. R. Acad. Sci. III 323, 57-67."
    ),
    equations=(
        "vs = vc (1/2 + 1/2 cos(2 pi t / ps) + vmin)(vmax - vmin); dm/dt = vs Ki^n/(Ki^n + fn^n) - vm m/(km + m); "
        "dfc/dt = ks m - k1 fc + k2 fn - k fc; dfs/dt = k fc - vd fs/(kd + fs); "
        "dfn/dt = k1 fc - k2 fn - vdn fn/(kdn + fn)"
    ),
    nonautonomous=True,
    dt=0.05,
    period=27.0,
    dysts_time_phase=_circadian_phase,  # dysts appends theta = 2 pi t / ps to the state
)
def CircadianRhythm(x, t, p):
    m, fc, fs, fn = x[:, 0], x[:, 1], x[:, 2], x[:, 3]
    vs = p.vc * ((0.5 + 0.5 * np.cos(2.0 * np.pi * t / p.ps)) + p.vmin) * (p.vmax - p.vmin)
    out = np.empty_like(x)
    out[:, 0] = vs * p.Ki**p.n / (p.Ki**p.n + fn**p.n) - p.vm * m / (p.km + m)
    out[:, 1] = p.ks * m - p.k1 * fc + p.k2 * fn - p.k * fc
    out[:, 2] = p.k * fc - p.vd * fs / (p.kd + fs)
    out[:, 3] = p.k1 * fc - p.k2 * fn - p.vdn * fn / (p.kdn + fn)
    return out


@flow(
    params={
        "a1": 2.5,
        "a2": 0.05,
        "a3": 0.4,
        "b1": 6.0,
        "b2": 1.333,
        "d1": 0.16,
        "d2": 0.004,
        "delta": 1.0,
        "k1": 6.0,
        "k2": 9.0,
        "k4": 9.0,
        "vv": 0.33333,
    },
    x0=(0.10946017, 0.46664421, 0.66580212),
    description="Gilpin-Feldman predator-prey model with a coevolving prey trait: chaos from eco-evolutionary feedback.",
    reference=(
        "Gilpin, W. & Feldman, M. W. (2017). A phase transition induces chaos in a predator-prey ecosystem "
        "with a dynamic fitness landscape. PLOS Comput. Biol. 13(7), e1005644."
    ),
    equations=(
        "dx/dt = x (-a3 y/(1 + b2 x) + a1 s (1 - k1 x s (delta - 1))/(1 + b1 s) "
        "- d1 (1 - k2 s^2 (delta^2 - 1) + k4 s^4 (delta^4 - 1))); dy/dt = y (-d2 + a2 x/(1 + b2 x)); "
        "ds/dt = vv (-a1 k1 x s delta/(1 + b1 s) - d1 (-2 k2 s delta^2 + 4 k4 s^3 delta^4))  (s: prey trait alpha)"
    ),
    dt=0.1,
    period=122.8,
)
def CoevolvingPredatorPrey(x, t, p):
    X, Y, A = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = X * (
        -((p.a3 * Y) / (1.0 + p.b2 * X))
        + (p.a1 * A * (1.0 - p.k1 * X * (-A + A * p.delta))) / (1.0 + p.b1 * A)
        - p.d1 * (1.0 - p.k2 * (-(A**2) + (A * p.delta) ** 2) + p.k4 * (-(A**4) + (A * p.delta) ** 4))
    )
    out[:, 1] = (-p.d2 + (p.a2 * X) / (1.0 + p.b2 * X)) * Y
    out[:, 2] = p.vv * (
        -((p.a1 * p.k1 * X * A * p.delta) / (1.0 + p.b1 * A))
        - p.d1 * (-2.0 * p.k2 * A * p.delta**2 + 4.0 * p.k4 * A**3 * p.delta**4)
    )
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
