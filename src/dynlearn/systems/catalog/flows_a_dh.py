"""Chaotic flows of the literature, D to H (Dadras ... Hopfield).

Equations, published parameter values, initial conditions and citations
follow the dysts collection (Gilpin, W. (2021), NeurIPS Datasets and
Benchmarks), written in the catalog's batched conventions. Periodically
forced systems read ``t`` explicitly where dysts appends a phase variable
``z = w t`` (``extra["dysts_time_phase"]`` names ``w``).
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import flow


@flow(
    params={"c": 2.0, "e": 9.0, "o": 2.7, "p": 3.0, "r": 1.7},
    x0=(1.0284085, -3.5348655, -0.72081646),
    description="Dadras-Momeni quadratic flow able to produce two-, three- and four-scroll attractors.",
    reference=(
        "Dadras, S. & Momeni, H. R. (2009). A novel three-dimensional autonomous chaotic system generating "
        "two, three and four-scroll attractors. Phys. Lett. A 373, 3637-3642."
    ),
    equations="dx/dt = y - p x + o y z; dy/dt = r y - x z + z; dz/dt = c x y - e z",
    dt=0.01,
    period=3.29,
)
def Dadras(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = Y - p.p * X + p.o * Y * Z
    out[:, 1] = p.r * Y - X * Z + Z
    out[:, 2] = p.c * X * Y - p.e * Z
    return out


@flow(
    params={"a": 40.0, "c": 1.833, "d": 0.16, "eps": 0.65, "f": 20.0, "k": 55.0},
    x0=(-11.395722, -104.12614, 202.46173),
    description="Dequan Li's three-scroll unified chaotic attractor (fast, large-amplitude).",
    reference="Li, D. (2008). A three-scroll chaotic attractor. Phys. Lett. A 372, 387-393.",
    equations="dx/dt = a (y - x) + d x z; dy/dt = k x + f y - x z; dz/dt = c z + x y - eps x^2",
    dt=2e-4,
    period=0.0838,
)
def DequanLi(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = p.a * Y - p.a * X + p.d * X * Z
    out[:, 1] = p.k * X + p.f * Y - X * Z
    out[:, 2] = p.c * Z + X * Y - p.eps * X**2
    return out


@flow(
    params={"alpha": 0.1, "eps": 0.1, "omega": 0.62832},
    x0=(1.5327241, 0.99802126),
    description="Time-periodic double-gyre flow: two counter-rotating cells whose separatrix oscillates.",
    reference=(
        "Shadden, S. C., Lekien, F. & Marsden, J. E. (2005). Definition and properties of Lagrangian coherent "
        "structures from finite-time Lyapunov exponents in two-dimensional aperiodic flows. Physica D 212, 271-304."
    ),
    equations=(
        "a = eps sin(omega t); b = 1 - 2 eps sin(omega t); f = a x^2 + b x; "
        "dx/dt = -pi alpha sin(pi f) cos(pi y); dy/dt = pi alpha cos(pi f) sin(pi y) (2 a x + b)"
    ),
    nonautonomous=True,
    dt=0.05,
    period=13.95,
    dysts_time_phase="omega",
)
def DoubleGyre(x, t, p):
    X, Y = x[:, 0], x[:, 1]
    a = p.eps * np.sin(p.omega * t)
    b = 1.0 - 2.0 * p.eps * np.sin(p.omega * t)
    f = a * X**2 + b * X
    out = np.empty_like(x)
    out[:, 0] = -p.alpha * np.pi * np.sin(np.pi * f) * np.cos(np.pi * Y)
    out[:, 1] = p.alpha * np.pi * np.cos(np.pi * f) * np.sin(np.pi * Y) * (2.0 * a * X + b)
    return out


@flow(
    params={"g": 9.81, "l1": 1.0, "l2": 1.0, "m1": 1.0, "m2": 1.0},
    x0=(-44.334542, 223.53554, -1.2249799, 2.535486),
    description="Frictionless planar double pendulum in canonical coordinates (angles not reduced mod 2 pi).",
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
    params={"alpha": 1.0, "beta": -1.0, "delta": 0.1, "gamma": 0.35, "omega": 1.4},
    x0=(-1.1635382, -0.5092374),
    description="Periodically forced, damped Duffing oscillator in a double-well potential.",
    reference=(
        "Duffing, G. (1918). Erzwungene Schwingungen bei veranderlicher Eigenfrequenz und ihre technische "
        "Bedeutung. Heft 41/42, Vieweg, Braunschweig."
    ),
    equations="dx/dt = y; dy/dt = -delta y - beta x - alpha x^3 + gamma cos(omega t)",
    nonautonomous=True,
    dt=0.02,
    period=7.45,
    dysts_time_phase="omega",
)
def Duffing(x, t, p):
    X, Y = x[:, 0], x[:, 1]
    out = np.empty_like(x)
    out[:, 0] = Y
    out[:, 1] = -p.delta * Y - p.beta * X - p.alpha * X**3 + p.gamma * np.cos(p.omega * t)
    return out


@flow(
    params={
        "aho": 2.5,
        "ahr": 0.05,
        "ahs": 0.07,
        "ams": 0.1,
        "amvb": 25.0,
        "amvo": 2.5,
        "ans": 0.01,
        "anvb": 20.0,
        "anvo": 2.0,
        "ar": 0.1,
        "bho": 2.0,
        "bhr": 0.1,
        "bmo": 2.7777777777777777,
        "bmr": 0.05555555555555555,
        "bms": 4.0,
        "bno": 0.375,
        "bnr": 0.0125,
        "bns": 0.125,
        "gi": 1800.0,
        "gkc": 11.0,
        "gkv": 1700.0,
        "gl": 7.0,
        "kc": 0.183333,
        "rho": 0.27,
        "tscl": 230.0,
        "vc": 100.0,
        "vi": 100.0,
        "vk": -75.0,
        "vl": -40.0,
        "vm": -50.0,
        "vn": -30.0,
    },
    x0=(-44.57779976420271, 0.13121643614884418, 0.4658533583951385),
    description="Chay's three-variable Hodgkin-Huxley-type model of an excitable (beta-) cell: chaotic bursting.",
    reference="Chay, T. R. (1985). Chaos in a three-variable model of an excitable cell. Physica D 16, 233-242.",
    equations=(
        "m_inf = am/(am + bm), h_inf = ah/(ah + bh), n_inf = an/(an + bn) with Hodgkin-Huxley rates "
        "am = ams (amvb + v)/(1 - exp(-ar v - amvo)), bm = bms exp(-bmr v - bmo), ah = ahs exp(-ahr v - aho), "
        "bh = 1/(1 + exp(-bhr v - bho)), an = ans (anvb + v)/(1 - exp(-ar v - anvo)), bn = bns exp(-bnr v - bno); "
        "dv/dt = gi m_inf^3 h_inf (vi - v) + gkv n^4 (vk - v) + gkc c/(1 + c) (vk - v) + gl (vl - v); "
        "dn/dt = tscl (an + bn)(n_inf - n); dc/dt = rho (m_inf^3 h_inf (vc - v) - kc c)"
    ),
    dt=1e-3,
    period=20.0,
)
def ExcitableCell(x, t, p):
    v, n, c = x[:, 0], x[:, 1], x[:, 2]
    am = p.ams * (p.amvb + v) / (1.0 - np.exp(-p.ar * v - p.amvo))
    bm = p.bms * np.exp(-p.bmr * v - p.bmo)
    ah = p.ahs * np.exp(-p.ahr * v - p.aho)
    bh = 1.0 / (1.0 + np.exp(-p.bhr * v - p.bho))
    an = p.ans * (p.anvb + v) / (1.0 - np.exp(-p.ar * v - p.anvo))
    bn = p.bns * np.exp(-p.bnr * v - p.bno)
    m3h = (am / (am + bm)) ** 3 * (ah / (ah + bh))
    out = np.empty_like(x)
    out[:, 0] = (
        p.gi * m3h * (p.vi - v) + p.gkv * n**4 * (p.vk - v) + p.gkc * c / (1.0 + c) * (p.vk - v) + p.gl * (p.vl - v)
    )
    out[:, 1] = (an / (an + bn) - n) * (p.tscl * (an + bn))
    out[:, 2] = p.rho * (m3h * (p.vc - v) - p.kc * c)
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


def _trampoline_jac(x, t, p):
    X, Y = x[:, 0], x[:, 1]
    contact = (X < 0).astype(np.float64)
    J = np.zeros((len(x), 2, 2))
    J[:, 0, 1] = 1.0
    J[:, 1, 0] = -contact
    J[:, 1, 1] = -contact * 2.0 * p.psi * np.abs(Y)
    return J


@flow(
    params={"gamma": 1.82, "psi": 0.01019, "w": 1.21},
    x0=(-0.65820064, -2.8807787),
    description="Gilet-Bush droplet bouncing on a vibrating soap film: free flight plus a damped spring in contact.",
    reference=(
        "Gilet, T. & Bush, J. W. M. (2009). The fluid trampoline: droplets bouncing on a soap film. "
        "J. Fluid Mech. 625, 167-203."
    ),
    equations="dx/dt = y; dy/dt = -1 - H(-x) (x + psi y |y|) + gamma cos(w t)  (H: Heaviside, H(0) = 0)",
    jacobian=_trampoline_jac,
    nonautonomous=True,
    dt=0.01,
    period=7.74,
    dysts_time_phase="w",
)
def FluidTrampoline(x, t, p):
    X, Y = x[:, 0], x[:, 1]
    out = np.empty_like(x)
    out[:, 0] = Y
    out[:, 1] = -1.0 - (X < 0) * (X + p.psi * Y * np.abs(Y)) + p.gamma * np.cos(p.w * t)
    return out


@flow(
    params={"a": 0.4, "b": 1.2, "f": 0.05, "w": 0.81},
    x0=(0.40635464, 1.8192295),
    description="Prigogine-Lefever Brusselator chemical oscillator with a periodic feed.",
    reference=(
        "Prigogine, I. (1980). From Being to Becoming: Time and Complexity in the Physical Sciences. "
        "W. H. Freeman, New York."
    ),
    equations="dx/dt = a + x^2 y - (b + 1) x + f cos(w t); dy/dt = b x - x^2 y",
    nonautonomous=True,
    dt=0.05,
    period=20.4,
    dysts_time_phase="w",
)
def ForcedBrusselator(x, t, p):
    X, Y = x[:, 0], x[:, 1]
    out = np.empty_like(x)
    out[:, 0] = p.a + X**2 * Y - (p.b + 1.0) * X + p.f * np.cos(p.w * t)
    out[:, 1] = p.b * X - X**2 * Y
    return out


@flow(
    params={"a": 0.7, "b": 0.8, "curr": 0.965, "f": 0.4008225, "gamma": 0.08, "omega": 0.043650793650793655},
    x0=(-1.2155252, -0.046470891),
    description="FitzHugh-Nagumo neuron driven by a slow sinusoidal current.",
    reference=(
        "FitzHugh, R. (1961). Impulses and physiological states in theoretical models of nerve membrane. "
        "Biophys. J. 1(6), 445-466."
    ),
    equations="dv/dt = v - v^3/3 - w + curr + f sin(omega t); dw/dt = gamma (v + a - b w)",
    nonautonomous=True,
    dt=0.05,
    period=42.1,
    dysts_time_phase="omega",
)
def ForcedFitzHughNagumo(x, t, p):
    v, w = x[:, 0], x[:, 1]
    out = np.empty_like(x)
    out[:, 0] = v - v**3 / 3.0 - w + p.curr + p.f * np.sin(p.omega * t)
    out[:, 1] = p.gamma * (v + p.a - p.b * w)
    return out


@flow(
    params={"a": 1.2, "mu": 8.53, "w": 0.63},
    x0=(-1.520504, 0.19640249),
    description="Van der Pol relaxation oscillator with sinusoidal forcing (Shaw's chaotic parameters).",
    reference=(
        "van der Pol, B. (1920). A theory of the amplitude of free and forced triode vibrations. Radio Review 1, "
        "701-710."
    ),
    equations="dx/dt = y; dy/dt = mu (1 - x^2) y - x + a sin(w t)",
    nonautonomous=True,
    dt=0.005,
    period=14.5,
    dysts_time_phase="w",
)
def ForcedVanDerPol(x, t, p):
    X, Y = x[:, 0], x[:, 1]
    out = np.empty_like(x)
    out[:, 0] = Y
    out[:, 1] = p.mu * (1.0 - X**2) * Y - X + p.a * np.sin(p.w * t)
    return out


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


@flow(
    params={
        "d": 0.0,
        "k": 4.422,
        "l1": 500000000.0,
        "l2": 100.0,
        "nu": 1.0,
        "q1": 50.0,
        "q2": 0.02,
        "s1": 22.2222,
        "s2": 22.2222,
    },
    x0=(29.453349256846987, 130.19350141357407, 0.18407087674169492),
    description="Decroly-Goldbeter glycolytic model: two autocatalytic allosteric enzymes in series (birhythmicity, chaos).",
    reference=(
        "Decroly, O. & Goldbeter, A. (1982). Birhythmicity, chaos, and other patterns of temporal self-"
        "organization in a multiply regulated biochemical system. Proc. Natl. Acad. Sci. USA 79, 6917-6921."
    ),
    equations=(
        "phi = a (1 + a)(1 + b)^2 / (l1 + (1 + a)^2 (1 + b)^2); "
        "eta = b (1 + d b)(1 + c)^2 / (l2 + (1 + d b)^2 (1 + c)^2); "
        "da/dt = nu - s1 phi; db/dt = q1 s1 phi - s2 eta; dc/dt = q2 s2 eta - k c"
    ),
    dt=0.05,
    period=50.5,
)
def GlycolyticOscillation(x, t, p):
    A, B, C = x[:, 0], x[:, 1], x[:, 2]
    phi = (A * (1.0 + A) * (1.0 + B) ** 2) / (p.l1 + (1.0 + A) ** 2 * (1.0 + B) ** 2)
    eta = B * (1.0 + p.d * B) * (1.0 + C) ** 2 / (p.l2 + (1.0 + p.d * B) ** 2 * (1.0 + C) ** 2)
    out = np.empty_like(x)
    out[:, 0] = p.nu - p.s1 * phi
    out[:, 1] = p.q1 * p.s1 * phi - p.s2 * eta
    out[:, 2] = p.q2 * p.s2 * eta - p.k * C
    return out


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
    params={"a": 0.2, "b": 4.0, "f": 9.0, "g": 1.0},
    x0=(1.3664423, 0.9309146, 0.64283417),
    description="Lorenz's 1984 low-order Hadley circulation: westerly wind and a travelling eddy.",
    reference=(
        "Lorenz, E. N. (1984). Irregularity: a fundamental property of the atmosphere. Tellus A 36, 98-110; "
        "after Hadley, G. (1735). Phil. Trans. R. Soc. 39, 58-62."
    ),
    equations="dx/dt = -y^2 - z^2 - a x + a f; dy/dt = x y - b x z - y + g; dz/dt = b x y + x z - z",
    dt=0.005,
    period=1.45,
)
def Hadley(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = -(Y**2) - Z**2 - p.a * X + p.a * p.f
    out[:, 1] = X * Y - p.b * X * Z - Y + p.g
    out[:, 2] = p.b * X * Y + X * Z - Z
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


@flow(
    params={"a1": 5.0, "a2": 0.1, "b1": 3.0, "b2": 2.0, "d1": 0.4, "d2": 0.01},
    x0=(0.73207001, 0.17549271, 9.9014657),
    description="Hastings-Powell three-species food chain: the 'teacup' attractor.",
    reference="Hastings, A. & Powell, T. (1991). Chaos in a three-species food chain. Ecology 72(3), 896-903.",
    equations=(
        "dx/dt = x (1 - x) - a1 x y / (1 + b1 x); dy/dt = a1 x y / (1 + b1 x) - a2 y z / (1 + b2 y) - d1 y; "
        "dz/dt = a2 y z / (1 + b2 y) - d2 z"
    ),
    dt=0.1,
    period=135.2,
)
def HastingsPowell(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    f1 = p.a1 * X * Y / (1.0 + p.b1 * X)
    f2 = p.a2 * Y * Z / (1.0 + p.b2 * Y)
    out = np.empty_like(x)
    out[:, 0] = X * (1.0 - X) - f1
    out[:, 1] = f1 - f2 - p.d1 * Y
    out[:, 2] = f2 - p.d2 * Z
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
    params={"a": 0.49, "b": 1.0, "c": 0.0322, "d": 1.0, "s": 1.0, "tx": 0.03, "tz": 0.8},
    x0=(0.031111835, -0.021557059, 0.041475046),
    description="Hindmarsh-Rose bursting neuron in the rescaled form of Marhl and Perc.",
    reference=(
        "Hindmarsh, J. L. & Rose, R. M. (1984). Proc. R. Soc. Lond. B 221, 87-102; Marhl, M. & Perc, M. (2005). "
        "Determining the flexibility of regular and chaotic attractors. Chaos Solitons Fractals 28, 822-833."
    ),
    equations=(
        "dx/dt = -x + (y - a x^3 + b x^2 + z) / tx; dy/dt = -a x^3 - (d - b) x^2 + z; dz/dt = (-s x - z + c) / tz"
    ),
    dt=0.005,
    period=1.75,
)
def HindmarshRose(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = -X + 1.0 / p.tx * Y - p.a / p.tx * X**3 + p.b / p.tx * X**2 + 1.0 / p.tx * Z
    out[:, 1] = -p.a * X**3 - (p.d - p.b) * X**2 + Z
    out[:, 2] = -p.s / p.tz * X - 1.0 / p.tz * Z + p.c / p.tz
    return out


#: Lewis & Glass (1992) connectivity (0: none, -1: inhibition), row i = inputs of neuron i
_HOPFIELD_K = np.array(
    [
        [0, -1, 0, 0, -1, -1],
        [0, 0, 0, -1, -1, -1],
        [-1, -1, 0, 0, -1, 0],
        [-1, -1, -1, 0, 0, 0],
        [-1, -1, 0, -1, 0, 0],
        [0, -1, -1, -1, 0, 0],
    ],
    dtype=np.float64,
)
_HOPFIELD_KT = np.ascontiguousarray(_HOPFIELD_K.T)


@flow(
    params={"beta": 0.5, "eps": 10.0, "tau": 2.5},
    x0=(-0.67127393, -0.2420173, -0.055676628, 0.34697948, 0.45273118, 0.78389688),
    description="Lewis-Glass six-neuron inhibitory Hopfield-type network with steep sigmoids.",
    reference=(
        "Lewis, J. E. & Glass, L. (1992). Nonlinear dynamics and symbolic dynamics of neural networks. "
        "Neural Comput. 4(5), 621-642."
    ),
    equations="dx_i/dt = -x_i / tau + (1 + tanh(eps sum_j K_ij x_j)) / 2 - beta, K the fixed 6x6 inhibitory wiring",
    dt=0.02,
    period=10.9,
    dysts_skip="dysts takes the 6x6 connectivity k as a matrix parameter; ours fixes it (_HOPFIELD_K) as wiring",
)
def Hopfield(x, t, p):
    drive = x @ _HOPFIELD_KT
    out = np.empty_like(x)
    for i in range(6):
        out[:, i] = -x[:, i] / p.tau + 0.5 * (1.0 + np.tanh(p.eps * drive[:, i])) - p.beta
    return out
