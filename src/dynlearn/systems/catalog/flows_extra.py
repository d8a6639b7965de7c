"""Chaotic flows from the literature that the dysts collection does not have.

Each entry states where its parameter values come from. Each was checked to
be bounded and chaotic at these parameters with a two-trajectory estimate of
the largest Lyapunov exponent (separation 1e-8 renormalised every time unit,
RK4 at h = 0.005 over 400 time units after a 200-unit transient; for the
Malasoma jerk h = 0.01 over 300 units after 50); the values measured that way
are quoted in the descriptions as "lambda ~". Default initial conditions are
end points of those runs (for the thin-basin jerk flows, points of the
attractor from which 60 perturbed starts of ``simulate`` all stay bounded).
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import flow


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


#: interaction matrix a_ij of Vano et al. (2006): how strongly species j competes with species i
_VANO_A = np.array(
    [
        [1.0, 1.09, 1.52, 0.0],
        [0.0, 1.0, 0.44, 1.36],
        [2.33, 0.0, 1.0, 0.47],
        [1.21, 0.51, 0.35, 1.0],
    ]
)


@flow(
    params={"r1": 1.0, "r2": 0.72, "r3": 1.53, "r4": 1.27},
    x0=(0.320494, 0.46826165, 0.1099462, 0.34262284),
    description=(
        "Four competing species, Lotka-Volterra competition with the Vano et al. interaction matrix "
        "(fixed); the lowest-dimensional chaotic competitive LV system (lambda ~ 0.0205; paper: 0.0203)."
    ),
    reference=(
        "Vano, J. A., Wildenberg, J. C., Anderson, M. B., Noel, J. K. & Sprott, J. C. (2006). Chaos in "
        "low-dimensional Lotka-Volterra models of competition. Nonlinearity 19, 2391-2404 (growth rates "
        "r = (1, 0.72, 1.53, 1.27) and the interaction matrix a_ij of its maximally chaotic case)."
    ),
    equations=(
        "dx_i/dt = r_i x_i (1 - sum_j a_ij x_j), "
        "a = [[1, 1.09, 1.52, 0], [0, 1, 0.44, 1.36], [2.33, 0, 1, 0.47], [1.21, 0.51, 0.35, 1]]"
    ),
    dt=0.1,
    period=33.3,
)
def VanoLotkaVolterra(x, t, p):
    crowding = 1.0 - x @ _VANO_A.T
    out = np.empty_like(x)
    out[:, 0] = p.r1 * x[:, 0] * crowding[:, 0]
    out[:, 1] = p.r2 * x[:, 1] * crowding[:, 1]
    out[:, 2] = p.r3 * x[:, 2] * crowding[:, 2]
    out[:, 3] = p.r4 * x[:, 3] * crowding[:, 3]
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


@flow(
    params={"k": 0.05, "B": 7.5, "w": 1.0},
    x0=(2.5, 0.0),
    description="Ueda's forced Duffing oscillator (the 'Japanese attractor'): hardening spring, weak damping.",
    reference=(
        "Ueda, Y. (1979). Randomly transitional phenomena in the system governed by Duffing's equation. "
        "J. Stat. Phys. 20, 181-196."
    ),
    equations="dx/dt = y; dy/dt = -k y - x^3 + B cos(w t)",
    nonautonomous=True,
    dt=0.01,
    period=6.283,
)
def UedaDuffing(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1]
    out[:, 1] = -p.k * x[:, 1] - x[:, 0] ** 3 + p.B * np.cos(p.w * t)
    return out


@flow(
    params={"a": 0.7, "b": 10.0, "c": 0.1, "d": 0.25, "w": 1.57},
    x0=(0.1, 0.1),
    description="Shaw's variant of the forced van der Pol oscillator, a standard example of a driven strange attractor.",
    reference=(
        "Shaw, R. (1981). Strange attractors, chaotic behavior, and information flow. Z. Naturforsch. 36a, 80-112."
    ),
    equations="dx/dt = a y + b x (c - y^2); dy/dt = -x + d sin(w t)",
    nonautonomous=True,
    dt=0.01,
    period=4.0,
)
def ShawVanDerPol(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a * x[:, 1] + p.b * x[:, 0] * (p.c - x[:, 1] ** 2)
    out[:, 1] = -x[:, 0] + p.d * np.sin(p.w * t)
    return out
