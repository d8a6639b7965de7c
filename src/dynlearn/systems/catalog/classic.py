"""Classic low-dimensional flows used throughout the literature."""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import flow


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
    params={"F": 8.0},
    x0=(1.01, 1.0, 1.0, 1.0, 1.0, 1.0),
    description="Lorenz-96 ring of 6 sites with forcing F=8: spatially extended chaos.",
    reference="Lorenz, E. N. (1996). Predictability: a problem partly solved. Proc. ECMWF Seminar on Predictability.",
    equations="dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F, indices mod N",
    dt=0.01,
    period=1.55,
    max_lyapunov=1.15,
    dysts_params={"F": "f"},
)
def Lorenz96(x, t, p):
    return (np.roll(x, -1, axis=1) - np.roll(x, 2, axis=1)) * np.roll(x, 1, axis=1) - x + p.F
