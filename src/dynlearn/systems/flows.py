"""Continuous-time chaotic flows. Each is a small vectorised right-hand side
plus a record; invariants (``dt``, ``period``, ``max_lyapunov``) were computed
with :mod:`dynlearn.systems.invariants` (see ``tests/test_systems.py``)."""

from __future__ import annotations

import numpy as np

from dynlearn.systems.base import System


def _lorenz(x, t, p):
    return np.stack(
        [p.sigma * (x[:, 1] - x[:, 0]), x[:, 0] * (p.rho - x[:, 2]) - x[:, 1], x[:, 0] * x[:, 1] - p.beta * x[:, 2]],
        axis=-1,
    )


def _lorenz_jac(x, t, p):
    n = len(x)
    J = np.zeros((n, 3, 3))
    J[:, 0, 0], J[:, 0, 1] = -p.sigma, p.sigma
    J[:, 1, 0], J[:, 1, 1], J[:, 1, 2] = p.rho - x[:, 2], -1.0, -x[:, 0]
    J[:, 2, 0], J[:, 2, 1], J[:, 2, 2] = x[:, 1], x[:, 0], -p.beta
    return J


def _rossler(x, t, p):
    return np.stack([-x[:, 1] - x[:, 2], x[:, 0] + p.a * x[:, 1], p.b + x[:, 2] * (x[:, 0] - p.c)], axis=-1)


def _rossler_jac(x, t, p):
    n = len(x)
    J = np.zeros((n, 3, 3))
    J[:, 0, 1], J[:, 0, 2] = -1.0, -1.0
    J[:, 1, 0], J[:, 1, 1] = 1.0, p.a
    J[:, 2, 0], J[:, 2, 2] = x[:, 2], x[:, 0] - p.c
    return J


def _chen(x, t, p):
    return np.stack(
        [
            p.a * (x[:, 1] - x[:, 0]),
            (p.c - p.a) * x[:, 0] - x[:, 0] * x[:, 2] + p.c * x[:, 1],
            x[:, 0] * x[:, 1] - p.b * x[:, 2],
        ],
        axis=-1,
    )


def _chen_jac(x, t, p):
    n = len(x)
    J = np.zeros((n, 3, 3))
    J[:, 0, 0], J[:, 0, 1] = -p.a, p.a
    J[:, 1, 0], J[:, 1, 1], J[:, 1, 2] = p.c - p.a - x[:, 2], p.c, -x[:, 0]
    J[:, 2, 0], J[:, 2, 1], J[:, 2, 2] = x[:, 1], x[:, 0], -p.b
    return J


def _lorenz96(x, t, p):
    return (np.roll(x, -1, axis=1) - np.roll(x, 2, axis=1)) * np.roll(x, 1, axis=1) - x + p.F


def _lorenz96_jac(x, t, p):
    n, d = x.shape
    J = np.zeros((n, d, d))
    idx = np.arange(d)
    J[:, idx, (idx + 1) % d] = np.roll(x, 1, axis=1)
    J[:, idx, (idx - 2) % d] = -np.roll(x, 1, axis=1)
    J[:, idx, (idx - 1) % d] = np.roll(x, -1, axis=1) - np.roll(x, 2, axis=1)
    J[:, idx, idx] = -1.0
    return J


LORENZ = System(
    name="Lorenz",
    rhs=_lorenz,
    jacobian=_lorenz_jac,
    params={"sigma": 10.0, "rho": 28.0, "beta": 8.0 / 3.0},
    x0=(-9.7869288, -15.03852, 20.533978),
    description="Lorenz-63 convection model: the canonical butterfly attractor.",
    reference="Lorenz, E. N. (1963). Deterministic nonperiodic flow. J. Atmos. Sci. 20, 130-141.",
    equations="dx/dt = sigma (y - x); dy/dt = x (rho - z) - y; dz/dt = x y - beta z",
    dt=0.002,
    period=0.76,
    max_lyapunov=0.906,
    invariants_source="lambda_max 0.9056 (Sprott 2003, Chaos and Time-Series Analysis, App. A); period from the power spectrum here",
)

ROSSLER = System(
    name="Rossler",
    rhs=_rossler,
    jacobian=_rossler_jac,
    params={"a": 0.2, "b": 0.2, "c": 5.7},
    x0=(6.5134412, 0.4772013, 0.34164294),
    description="Rossler's spiral attractor: one stretching-and-folding band.",
    reference="Rossler, O. E. (1976). An equation for continuous chaos. Phys. Lett. A 57, 397-398.",
    equations="dx/dt = -y - z; dy/dt = x + a y; dz/dt = b + z (x - c)",
    dt=0.01,
    period=5.85,
    max_lyapunov=0.0714,
    invariants_source="lambda_max 0.0714 (Sprott 2003, Chaos and Time-Series Analysis, App. A); period from the power spectrum here",
)

CHEN = System(
    name="Chen",
    rhs=_chen,
    jacobian=_chen_jac,
    params={"a": 35.0, "b": 3.0, "c": 28.0},
    x0=(-10.0, 0.0, 37.0),
    description="Chen's double-scroll attractor, a dual of the Lorenz system.",
    reference="Chen, G. & Ueta, T. (1999). Yet another chaotic attractor. Int. J. Bifurc. Chaos 9, 1465-1466.",
    equations="dx/dt = a (y - x); dy/dt = (c - a) x - x z + c y; dz/dt = x y - b z",
    dt=0.002,
    period=0.61,
    max_lyapunov=2.02,
    invariants_source="computed here with dynlearn.systems.invariants.lyapunov_spectrum (QR method)",
)

LORENZ96 = System(
    name="Lorenz96",
    rhs=_lorenz96,
    jacobian=_lorenz96_jac,
    params={"F": 8.0},
    x0=(1.01, 1.0, 1.0, 1.0, 1.0, 1.0),
    description="Lorenz-96 ring of 6 sites with forcing F=8: spatially extended chaos.",
    reference="Lorenz, E. N. (1996). Predictability: a problem partly solved. Proc. ECMWF Seminar on Predictability.",
    equations="dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F, indices mod N",
    dt=0.01,
    period=1.55,
    max_lyapunov=1.15,
    invariants_source="computed here with dynlearn.systems.invariants.lyapunov_spectrum (QR method)",
)

FLOWS = (LORENZ, ROSSLER, CHEN, LORENZ96)
