"""Lorenz-like flows: Lorenz-63 and its quadratic relatives.

Three-dimensional flows with two quadratic cross terms (``x z``, ``x y``) built
on Lorenz's convection model: the Chen and Lu families that bridge to it, the
Dequan Li and Sakarya families (one right-hand side each, several published
parameter sets) and the multi-wing and multi-scroll attractors derived from
them. Liu2004 and Tigan are not in dysts (see :mod:`dynlearn.systems.catalog`
for how such entries were checked).
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import flow

FAMILY = "lorenz"


def _lorenz_jac(x, t, p):
    J = np.zeros((len(x), 3, 3))
    J[:, 0, 0], J[:, 0, 1] = -p.sigma, p.sigma
    J[:, 1, 0], J[:, 1, 1], J[:, 1, 2] = p.rho - x[:, 2], -1.0, -x[:, 0]
    J[:, 2, 0], J[:, 2, 1], J[:, 2, 2] = x[:, 1], x[:, 0], -p.beta
    return J


@flow(
    params={"sigma": 10.0, "rho": 28.0, "beta": 8.0 / 3.0},
    x0=(-9.7869288, -15.03852, 20.533978),
    description="Lorenz-63 convection model: the canonical butterfly attractor.",
    reference="Lorenz, E. N. (1963). Deterministic nonperiodic flow. J. Atmos. Sci. 20, 130-141.",
    equations="dx/dt = sigma (y - x); dy/dt = x (rho - z) - y; dz/dt = x y - beta z",
    jacobian=_lorenz_jac,
    dt=0.002,
    period=0.76,
    max_lyapunov=0.906,
)
def Lorenz(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.sigma * (x[:, 1] - x[:, 0])
    out[:, 1] = x[:, 0] * (p.rho - x[:, 2]) - x[:, 1]
    out[:, 2] = x[:, 0] * x[:, 1] - p.beta * x[:, 2]
    return out


@flow(
    params={"a": 35.0, "b": 3.0, "c": 28.0},
    x0=(-10.0, 0.0, 37.0),
    description="Chen's double-scroll attractor, a dual of the Lorenz system.",
    reference="Chen, G. & Ueta, T. (1999). Yet another chaotic attractor. Int. J. Bifurc. Chaos 9, 1465-1466.",
    equations="dx/dt = a (y - x); dy/dt = (c - a) x - x z + c y; dz/dt = x y - b z",
    dt=0.002,
    period=0.61,
    max_lyapunov=2.02,
)
def Chen(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * (x[:, 1] - x[:, 0])
    out[:, 1] = (p.c - p.a) * x[:, 0] - x[:, 0] * x[:, 2] + p.c * x[:, 1]
    out[:, 2] = x[:, 0] * x[:, 1] - p.b * x[:, 2]
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


@flow(
    params={"a": 10.0, "b": 40.0, "c": 2.5, "h": 4.0, "k": 1.0},
    x0=(3.97209459, 4.70758593, 35.3278165),
    description="Liu's butterfly attractor: Lorenz-like, with the z equation driven by x^2 (lambda ~ 1.7).",
    reference=(
        "Liu, C., Liu, T., Liu, L. & Liu, K. (2004). A new chaotic attractor. Chaos Solitons Fractals 22, "
        "1031-1038 (parameters a = 10, b = 40, c = 2.5, h = 4, k = 1 from its eq. 1)."
    ),
    equations="dx/dt = a (y - x); dy/dt = b x - k x z; dz/dt = -c z + h x^2",
    dt=0.002,
    period=1.0,
)
def Liu2004(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * (x[:, 1] - x[:, 0])
    out[:, 1] = p.b * x[:, 0] - p.k * x[:, 0] * x[:, 2]
    out[:, 2] = -p.c * x[:, 2] + p.h * x[:, 0] ** 2
    return out


@flow(
    params={"a": 2.1, "b": 0.6, "c": 30.0},
    x0=(1.23923568, 3.73222593, 7.1298311),
    description="Tigan's T-system, a Lorenz relative with the x z coupling scaled by a (lambda ~ 0.33).",
    reference=(
        "Tigan, G. & Opris, D. (2008). Analysis of a 3D chaotic system. Chaos Solitons Fractals 36, "
        "1315-1319 (chaotic parameters a = 2.1, b = 0.6, c = 30)."
    ),
    equations="dx/dt = a (y - x); dy/dt = (c - a) x - a x z; dz/dt = -b z + x y",
    dt=0.01,
    period=3.03,
)
def Tigan(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * (x[:, 1] - x[:, 0])
    out[:, 1] = (p.c - p.a) * x[:, 0] - p.a * x[:, 0] * x[:, 2]
    out[:, 2] = -p.b * x[:, 2] + x[:, 0] * x[:, 1]
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


#: Dequan Li's unified three-scroll family: one right-hand side, several published parameter sets
def _dequan_li(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * (x[:, 1] - x[:, 0]) + p.d * x[:, 0] * x[:, 2]
    out[:, 1] = p.k * x[:, 0] + p.f * x[:, 1] - x[:, 0] * x[:, 2]
    out[:, 2] = p.c * x[:, 2] + x[:, 0] * x[:, 1] - p.eps * x[:, 0] ** 2
    return out


_DEQUANLI_EQ = "dx/dt = a (y - x) + d x z; dy/dt = k x + f y - x z; dz/dt = c z + x y - eps x^2"

DequanLi = flow(
    name="DequanLi",
    params={"a": 40.0, "c": 1.833, "d": 0.16, "eps": 0.65, "f": 20.0, "k": 55.0},
    x0=(-11.395722, -104.12614, 202.46173),
    description="Dequan Li's three-scroll unified chaotic attractor (fast, large-amplitude).",
    reference="Li, D. (2008). A three-scroll chaotic attractor. Phys. Lett. A 372, 387-393.",
    equations=_DEQUANLI_EQ,
    dt=2e-4,
    period=0.0838,
)(_dequan_li)

PanXuZhou = flow(
    name="PanXuZhou",
    params={"a": 10.0, "c": -2.6667, "d": 0.0, "eps": 0.0, "f": 0.0, "k": 16.0},
    # issue 9: a pair of stable equilibria near (+-6.6, +-6.6, 16) (lambda_1 = -0.055) coexists with a chaotic set,
    # on which this state's orbit starts (finite-time lambda_1 0.62 over 300 periods). The invariants start from 1e-6
    # perturbations of it ("attractor" start); the set is a transient: over 1.6e6 steps the eight trajectories
    # settle on the equilibria at different times (long-run lambda_1 from -0.055 to 0.048), so lambda_max < 0.
    x0=(-3.03805747, -1.98052429, 14.65665869),
    invariant_start="attractor",
    description="Pan-Xu-Zhou butterfly attractor, a member of the Dequan Li family of quadratic flows. Not chaotic "
    "in the long run at these (dysts's) parameters: the chaotic set is a long transient before stable equilibria "
    "(lambda_max = -0.012 +- 0.015 over 1.6e6 steps of 8 starts on it).",
    reference=(
        "Zhou, W., Xu, Y., Lu, H. & Pan, L. (2008). On dynamics analysis of a new chaotic attractor. "
        "Phys. Lett. A 372, 5773-5777."
    ),
    equations=_DEQUANLI_EQ,
    dt=0.005,
    period=1.78,
)(_dequan_li)

Tsucs2 = flow(
    name="Tsucs2",
    params={"a": 40.0, "c": 0.833, "d": 0.5, "eps": 0.65, "f": 20.0, "k": 0.0},
    x0=(1.2969944, 1.12138, 50.028988),
    description="Three-scroll unified system (TSUCS-2), a member of the Dequan Li family. Not chaotic on record at "
    "these (dysts's) parameters: lambda_max = -0.0012 +- 0.0002 after 1.08e6 steps of 8 starts.",
    reference=(
        "Pan, L., Zhou, W. & Li, D. (2013). Synchronization of three-scroll unified chaotic system "
        "(TSUCS) and its hyper-chaotic system using active pinning control."
    ),
    equations=_DEQUANLI_EQ,
    dt=0.001,
    period=0.35,
)(_dequan_li)


#: the Sakarya family (Li, Pehlivan, Sprott & Akgul 2015), which contains Liu and Chen's four-scroll flow
def _sakarya(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * x[:, 0] + p.h * x[:, 1] + p.s * x[:, 1] * x[:, 2]
    out[:, 1] = -p.b * x[:, 1] - p.p * x[:, 0] + p.q * x[:, 0] * x[:, 2]
    out[:, 2] = p.c * x[:, 2] - p.r * x[:, 0] * x[:, 1]
    return out


_SAKARYA_EQ = "dx/dt = a x + h y + s y z; dy/dt = -b y - p x + q x z; dz/dt = c z - r x y"

Sakarya = flow(
    name="Sakarya",
    params={"a": -1.0, "b": 1.0, "c": 1.0, "h": 1.0, "p": 1.0, "q": 0.4, "r": 0.3, "s": 1.0},
    x0=(-2.8976045, 3.8877978, 3.07465),
    description="Sakarya four-wing attractor, born from the merger of two bistable attractors.",
    reference=(
        "Li, C., Pehlivan, I., Sprott, J. C. & Akgul, A. (2015). A novel four-wing strange attractor "
        "born in bistability. IEICE Electron. Express 12(4)."
    ),
    equations=_SAKARYA_EQ,
    dt=0.01,
    period=4.98,
)(_sakarya)

LiuChen = flow(
    name="LiuChen",
    params={"a": 0.4, "b": 12.0, "c": -5.0, "h": 0.0, "p": 0.0, "q": -1.0, "r": 1.0, "s": 1.0},
    # basin-safe initial condition (issue 9): a point on the chaotic set (finite-time lambda_1 = 0.153 over
    # 400,000 steps after a 200-time-unit transient). dysts's state (4.6722764, 5.2e-10, -6.4e-10) lies next to the
    # invariant line y = z = 0 and its orbit is not chaotic (lambda_1 = -0.0025 over the same run); 1% offsets of it
    # split between the two, so the invariants start from 1e-6 perturbations of this orbit ("attractor" start).
    # Even so the eight trajectories leave the chaotic set at random times (5.6e6 steps: two stay, lambda_1 0.14 and
    # 0.15; two leave at once, 0.0002; the others in between): transient chaos, the record's SE says so (37%).
    x0=(-3.38271108, 5.87930033, 10.70311402),
    invariant_start="attractor",
    description="Liu-Chen quadratic flow with a single four-scroll attractor (Sakarya family form).",
    reference=(
        "Liu, W. & Chen, G. (2004). Can a three-dimensional smooth autonomous quadratic chaotic "
        "system generate a single four-scroll attractor? Int. J. Bifurc. Chaos 14, 1395-1403."
    ),
    equations=_SAKARYA_EQ,
    dt=0.01,
    period=8.0,
)(_sakarya)


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
