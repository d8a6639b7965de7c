"""Scalar delay differential equations ``dx/dt = f(x(t), x(t - tau))``.

Integrated by :func:`dynlearn.systems.delay.integrate_delay` (method of steps,
RK4 with a step dividing the delay). The state is the scalar ``x(t)``
(``dim = 1``) and the history before ``t0`` is the constant ``x0``; the
equation itself is infinite-dimensional (its phase space is the segment
``x[t - tau, t]``). This differs from dysts, whose delay classes store a
10-point discretised history in ``ic`` and return a delay embedding; its
``ddeint`` solver also takes the constant history ``ic[0]``. Equations and
parameter names follow dysts (Gilpin 2021), so its ``_rhs(x, xt, t, ...)``
serves as the oracle.

First-guess ``dt`` and ``period`` (``dynlearn systems compute-invariants``
replaces them) were measured with ``integrate_delay``: ``dt`` is the largest of
a few tried steps whose solution over four delays differs from one with an
step 8x smaller than the smallest tried by less than about 1e-7 of its scale (IkedaDelay, the
fastest: 1e-5); ``period`` is the highest peak of the power spectrum of a
long record (of ``sin x`` for SprottDelay, whose ``x`` drifts between wells).
MackeyGlass uses the classic ``tau = 17`` (Farmer 1982) where dysts has 16.
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import delay

FAMILY = "delays"

# Voss's electronic circuit: the cubic fitted to the measured transfer function
_VOSS_CUBIC = (-10.44, -13.95, -3.63, 0.85)


@delay(
    params={"beta": 0.2, "gamma": 0.1, "n": 10.0, "tau": 17.0},
    x0=(1.2,),
    description="Mackey-Glass model of blood-cell production; chaotic for tau = 17 (Farmer's classic value).",
    reference="Mackey, M. C. & Glass, L. (1977). Oscillation and chaos in physiological control systems. "
    "Science 197, 287-289.",
    equations="dx/dt = beta x(t - tau) / (1 + x(t - tau)^n) - gamma x",
    dt=0.25,
    period=50.0,
)
def MackeyGlass(x, xd, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.beta * xd[:, 0] / (1.0 + xd[:, 0] ** p.n) - p.gamma * x[:, 0]
    return out


#: delayed sinusoidal feedback, shared by Ikeda's optical cavity and Sprott's minimal delay equation
def _sine_feedback(x, xd, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.mu * np.sin(xd[:, 0] - p.x0) - p.c * x[:, 0]
    return out


IkedaDelay = delay(
    name="IkedaDelay",
    params={"c": 1.0, "mu": -20.0, "tau": 2.0, "x0": 0.0},
    x0=(0.5,),
    description="Ikeda's delayed-feedback model of an optical ring cavity with a large feedback gain.",
    reference="Ikeda, K. & Matsumoto, K. (1987). High-dimensional chaotic behavior in systems with "
    "time-delayed feedback. Physica D 29, 223-235.",
    equations="dx/dt = mu sin(x(t - tau) - x0) - c x",
    dt=0.02,
    period=20.0,
)(_sine_feedback)

SprottDelay = delay(
    name="SprottDelay",
    params={"c": 0.0, "mu": 1.0, "tau": 5.1, "x0": 0.0},
    x0=(9.0,),
    description="Sprott's minimal chaotic delay equation dx/dt = sin(x(t - tau)); x wanders slowly between "
    "2 pi-separated wells, sin x is the bounded observable.",
    reference="Sprott, J. C. (2007). A simple chaotic delay differential equation. Phys. Lett. A 366, 397-402.",
    equations="dx/dt = mu sin(x(t - tau) - x0) - c x   (c = 0, mu = 1: dx/dt = sin x(t - tau))",
    dt=0.1,
    period=20.5,
)(_sine_feedback)


@delay(
    params={"alpha": 3.24, "tau": 13.28},
    x0=(0.1,),
    description="Voss's electronic delay circuit: linear decay plus a fitted cubic nonlinearity of the delayed voltage.",
    reference="Voss, H. U. (2002). Real-time anticipation of chaotic states of an electronic circuit. "
    "Int. J. Bifurc. Chaos 12, 1619-1625.",
    equations="dx/dt = -alpha x + f(x(t - tau)),  f(u) = -10.44 u^3 - 13.95 u^2 - 3.63 u + 0.85",
    dt=0.05,
    period=5.4,
)
def VossDelay(x, xd, t, p):
    u = xd[:, 0]
    a3, a2, a1, a0 = _VOSS_CUBIC
    out = np.empty_like(x)
    out[:, 0] = -p.alpha * x[:, 0] + ((a3 * u + a2) * u + a1) * u + a0
    return out


@delay(
    params={"alpha": 0.2, "beta": 0.2, "tau": 10.0},
    x0=(0.5,),
    description="Delayed scroll: the rate depends only on the delayed state through a steep tanh switch.",
    reference="Driver, R. D. (1977). Ordinary and Delay Differential Equations. Springer, New York.",
    equations="dx/dt = -alpha x(t - tau) + beta tanh(10 x(t - tau))",
    dt=0.25,
    period=135.0,
)
def ScrollDelay(x, xd, t, p):
    out = np.empty_like(x)
    out[:, 0] = -p.alpha * xd[:, 0] + p.beta * np.tanh(10.0 * xd[:, 0])
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
    u = xd[:, 0] / p.c
    out = np.empty_like(x)
    out[:, 0] = -p.alpha * xd[:, 0] + p.beta * (3.0 * u - u**3)
    return out
