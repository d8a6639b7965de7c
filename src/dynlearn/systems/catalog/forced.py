"""Periodically forced oscillators.

Low-dimensional oscillators (Duffing, van der Pol, FitzHugh-Nagumo,
Brusselator, stick-slip, a bouncing droplet) driven by a periodic force. They
read ``t`` explicitly and say ``nonautonomous=True`` where dysts appends a
phase variable ``z = w t`` to the state (``extra["dysts_time_phase"]`` names
``w``). UedaDuffing and ShawVanDerPol are not in dysts.
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import flow

FAMILY = "forced"


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
    # the invariants start from 1e-6 perturbations of this state's own orbit ("attractor" start, issue 9): 1% offsets
    # gave exponents that disagree (0.0225 +- 36% after 10^6 steps), as periodic bouncing modes coexist with chaos;
    # from this start they still disagree (-0.004 to 0.054 over 873,850 steps): the chaotic motion is left for
    # regular bouncing at different times, so the record's SE (32%) measures that, not a short run
    x0=(-0.65820064, -2.8807787),
    invariant_start="attractor",
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
