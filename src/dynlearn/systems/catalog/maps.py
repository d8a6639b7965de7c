"""Discrete-time chaotic maps ``x_{n+1} = F(x_n)``.

Each right-hand side returns the next state; :func:`dynlearn.systems.integrate`
iterates it, one output point per iteration (``dt`` is 1: times count
iterations). ``period`` is in iterations. Equations and published parameter
values follow the dysts collection (Gilpin 2021) where it has the map, with
the same parameter names; the Lozi map is added from Lozi (1978).

Floating-point degeneracy: maps whose slope is exactly 2 (doubling, tent,
baker) shift the binary mantissa one bit per iteration, so every orbit
reaches 0 after ~53 iterations. The tent map therefore uses dysts's
``mu = 0.95`` (slope 1.9), and the baker and Kaplan–Yorke maps keep dysts's
stretch factor just below 2 (``2 - 1e-10`` and ``2x mod 0.99999995``).

Maps on a circle or torus (Circle, Chirikov) are reduced modulo their period
here so that orbits stay bounded; dysts iterates the lift on the real line,
so for those the oracle compares modulo the period (tests/test_maps.py).
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import map_

FAMILY = "maps"

TWO_PI = 2.0 * np.pi
#: dysts's stretch factor for the baker map: 2 would collapse every orbit to 0 in binary floating point
BAKER_STRETCH = 2.0 - 1e-10
#: dysts's modulus for the Kaplan-Yorke doubling map, for the same reason
KY_MODULUS = 0.99999995


def _logistic_jac(x, t, p):
    return _jac1(p.r * (1.0 - 2.0 * x[:, 0]), x)


def _jac1(value, x):
    """A one-dimensional map's derivative as a ``(batch, 1, 1)`` Jacobian."""
    return np.broadcast_to(value, (len(x),)).reshape(-1, 1, 1).astype(np.float64)


# --------------------------------------------------------------------------- one-dimensional maps


@map_(
    params={"r": 3.9},
    x0=(0.51,),
    description="Logistic map: May's quadratic model of population growth, chaotic for r = 3.9.",
    reference="May, R. M. (1976). Simple mathematical models with very complicated dynamics. Nature 261, 459-467.",
    equations="x' = r x (1 - x)",
    jacobian=_logistic_jac,
    period=1.0,
)
def Logistic(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.r * x[:, 0] * (1.0 - x[:, 0])
    return out


@map_(
    params={"a": 3.3},
    x0=(0.51,),
    description="Ricker's stock-recruitment map of fish populations; chaotic for a = 3.3.",
    reference="Ricker, W. E. (1954). Stock and recruitment. J. Fish. Res. Board Can. 11, 559-623.",
    equations="x' = x exp(a - x)",
    period=1.0,
)
def Ricker(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 0] * np.exp(p.a - x[:, 0])
    return out


def _tent_jac(x, t, p):
    return _jac1(-2.0 * p.mu * np.sign(x[:, 0] - 0.5), x)


@map_(
    params={"mu": 0.95},
    x0=(0.51,),
    description="Tent map with slope 2 mu = 1.9 (slope 2 collapses to 0 in binary floating point).",
    reference="Ott, E. (2002). Chaos in Dynamical Systems, 2nd ed. Cambridge University Press, Sec. 2.2.",
    equations="x' = mu (1 - 2 |x - 1/2|)",
    jacobian=_tent_jac,
    period=1.0,
)
def Tent(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.mu * (1.0 - 2.0 * np.abs(x[:, 0] - 0.5))
    return out


@map_(
    params={"a": 4.9, "b": -0.5},
    x0=(0.5,),
    description="Gauss (Gaussian) map: a bell-shaped one-hump map with a chaotic band.",
    reference="Hilborn, R. C. (2000). Chaos and Nonlinear Dynamics, 2nd ed. Oxford University Press, Sec. 5.11.",
    equations="x' = exp(-a x^2) + b",
    period=1.0,
)
def Gauss(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = np.exp(-p.a * x[:, 0] ** 2) + p.b
    return out


@map_(
    params={"a": 6.0},
    x0=(0.51,),
    description="Chebyshev map of order a = 6 on [-1, 1]: the polynomial T_6, exactly chaotic (ergodic).",
    reference="Geisel, T. & Fairen, V. (1984). Statistical properties of chaos in Chebyshev maps. "
    "Phys. Lett. A 105, 263-266.",
    equations="x' = cos(a arccos x)",
    period=1.0,
)
def Chebyshev(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = np.cos(p.a * np.arccos(x[:, 0]))
    return out


def _circle_jac(x, t, p):
    return _jac1(1.0 + p.k * np.cos(TWO_PI * x[:, 0]), x)


@map_(
    params={"omega": 0.333, "k": 5.7},
    x0=(0.0,),
    description="Sine circle map above the critical coupling (k = 5.7 > 1): non-invertible and chaotic; "
    "the angle is reduced to [0, 1).",
    reference="Arnold, V. I. (1965). Small denominators. I. Mappings of the circumference onto itself. "
    "Amer. Math. Soc. Transl. Ser. 2, 46, 213-284.",
    equations="theta' = theta + omega + (k / 2 pi) sin(2 pi theta)  (mod 1)",
    jacobian=_circle_jac,
    period=1.0,
    dysts_skip="dysts iterates the circle map's lift on the real line; ours is reduced mod 1 "
    "(compared modulo 1 in tests/test_maps.py)",
)
def Circle(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = np.mod(x[:, 0] + p.omega + (p.k / TWO_PI) * np.sin(TWO_PI * x[:, 0]), 1.0)
    return out


# --------------------------------------------------------------------------- two-dimensional maps


def _henon_jac(x, t, p):
    J = np.zeros((len(x), 2, 2))
    J[:, 0, 0], J[:, 0, 1] = -2.0 * p.a * x[:, 0], 1.0
    J[:, 1, 0] = p.b
    return J


@map_(
    params={"a": 1.4, "b": 0.3},
    x0=(1.21674097, 0.03536533),
    description="Henon map: the canonical dissipative two-dimensional strange attractor.",
    reference="Henon, M. (1976). A two-dimensional mapping with a strange attractor. Commun. Math. Phys. 50, 69-77.",
    equations="x' = 1 - a x^2 + y; y' = b x",
    jacobian=_henon_jac,
    period=1.0,
    max_lyapunov=0.419,  # Sprott (2003), Chaos and Time-Series Analysis, App. A: 0.41922
)
def Henon(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = 1.0 - p.a * x[:, 0] ** 2 + x[:, 1]
    out[:, 1] = p.b * x[:, 0]
    return out


def _lozi_jac(x, t, p):
    J = np.zeros((len(x), 2, 2))
    J[:, 0, 0], J[:, 0, 1] = -p.a * np.sign(x[:, 0]), 1.0
    J[:, 1, 0] = p.b
    return J


@map_(
    params={"a": 1.7, "b": 0.5},
    x0=(-0.4, 0.2),
    description="Lozi map: a piecewise-linear Henon map whose strange attractor is provably hyperbolic.",
    reference="Lozi, R. (1978). Un attracteur etrange (?) du type attracteur de Henon. "
    "J. Phys. Colloques 39, C5-9-C5-10.",
    equations="x' = 1 - a |x| + y; y' = b x",
    jacobian=_lozi_jac,
    period=1.0,
    max_lyapunov=0.470,  # Sprott (2003), Chaos and Time-Series Analysis, App. A: 0.47023
)
def Lozi(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = 1.0 - p.a * np.abs(x[:, 0]) + x[:, 1]
    out[:, 1] = p.b * x[:, 0]
    return out


def _ikeda_jac(x, t, p):
    X, Y = x[:, 0], x[:, 1]
    r2 = 1.0 + X**2 + Y**2
    th = 0.4 - 6.0 / r2
    c, s = np.cos(th), np.sin(th)
    dth_dx, dth_dy = 12.0 * X / r2**2, 12.0 * Y / r2**2
    rot_x, rot_y = X * c - Y * s, X * s + Y * c  # d(rot_x)/dth = -rot_y, d(rot_y)/dth = rot_x
    J = np.empty((len(x), 2, 2))
    J[:, 0, 0] = p.u * (c - rot_y * dth_dx)
    J[:, 0, 1] = p.u * (-s - rot_y * dth_dy)
    J[:, 1, 0] = p.u * (s + rot_x * dth_dx)
    J[:, 1, 1] = p.u * (c + rot_x * dth_dy)
    return J


@map_(
    params={"u": 0.9},
    x0=(0.9, 0.55524451),
    description="Ikeda map: light in a ring cavity with a nonlinear dielectric, a rotating and "
    "contracting strange attractor.",
    reference="Ikeda, K. (1979). Multiple-valued stationary state and its instability of the transmitted "
    "light by a ring cavity system. Opt. Commun. 30, 257-261; map form: Hammel, S. M., Jones, C. K. R. T. & "
    "Moloney, J. V. (1985). J. Opt. Soc. Am. B 2, 552-564.",
    equations="t = 0.4 - 6 / (1 + x^2 + y^2); x' = 1 + u (x cos t - y sin t); y' = u (x sin t + y cos t)",
    jacobian=_ikeda_jac,
    period=1.0,
)
def Ikeda(x, t, p):
    th = 0.4 - 6.0 / (1.0 + x[:, 0] ** 2 + x[:, 1] ** 2)
    out = np.empty_like(x)
    out[:, 0] = 1.0 + p.u * (x[:, 0] * np.cos(th) - x[:, 1] * np.sin(th))
    out[:, 1] = p.u * (x[:, 0] * np.sin(th) + x[:, 1] * np.cos(th))
    return out


def _tinkerbell_jac(x, t, p):
    J = np.empty((len(x), 2, 2))
    J[:, 0, 0], J[:, 0, 1] = 2.0 * x[:, 0] + p.a, -2.0 * x[:, 1] + p.b
    J[:, 1, 0], J[:, 1, 1] = 2.0 * x[:, 1] + p.c, 2.0 * x[:, 0] + p.d
    return J


@map_(
    params={"a": 0.9, "b": -0.6013, "c": 2.0, "d": 0.5},
    # a point on the attractor: 1% offsets of it stay in the basin for seeds 0-299, where those of the earlier
    # (0.13738266, -0.0308518) left it for 16 of the seeds 0-39
    x0=(0.00766255, -0.30729223),
    description="Tinkerbell map: a quadratic planar map whose attractor looks like a fairy's flight path.",
    reference="Nusse, H. E. & Yorke, J. A. (1994). Dynamics: Numerical Explorations. Springer, New York.",
    equations="x' = x^2 - y^2 + a x + b y; y' = 2 x y + c x + d y",
    jacobian=_tinkerbell_jac,
    period=1.0,
)
def Tinkerbell(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 0] ** 2 - x[:, 1] ** 2 + p.a * x[:, 0] + p.b * x[:, 1]
    out[:, 1] = 2.0 * x[:, 0] * x[:, 1] + p.c * x[:, 0] + p.d * x[:, 1]
    return out


@map_(
    params={"a": 2.75, "b": 0.2},
    x0=(0.51, 0.1),
    description="Duffing (Holmes) map: a discrete analogue of the forced Duffing oscillator.",
    reference="Holmes, P. (1979). A nonlinear oscillator with a strange attractor. "
    "Phil. Trans. R. Soc. Lond. A 292, 419-448.",
    equations="x' = y; y' = -b x + a y - y^3",
    period=1.0,
    name="DuffingMap",
    dysts_name="Duffing",
)
def DuffingMap(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1]
    out[:, 1] = -p.b * x[:, 0] + p.a * x[:, 1] - x[:, 1] ** 3
    return out


@map_(
    params={"eps": 0.0, "k": 1.2, "mu": 0.0},
    x0=(0.51, 0.2),
    description="Bogdanov map: an Euler discretisation of the Bogdanov-Takens normal form; area-preserving "
    "at dysts's eps = mu = 0, where this orbit is quasi-periodic (measured lambda_1 ~ 0), not chaotic.",
    reference="Arrowsmith, D. K., Cartwright, J. H. E., Lansbury, A. N. & Place, C. M. (1993). The Bogdanov "
    "map: bifurcations, mode locking, and chaos in a dissipative system. Int. J. Bifurc. Chaos 3, 803-842.",
    equations="y' = (1 + eps) y + k x (x - 1) + mu x y; x' = x + y'",
    period=1.0,
)
def Bogdanov(x, t, p):
    yn = (1.0 + p.eps) * x[:, 1] + p.k * x[:, 0] * (x[:, 0] - 1.0) + p.mu * x[:, 0] * x[:, 1]
    out = np.empty_like(x)
    out[:, 0] = x[:, 0] + yn
    out[:, 1] = yn
    return out


def _chirikov_jac(x, t, p):
    kc = p.k * np.cos(x[:, 1])
    J = np.empty((len(x), 2, 2))
    J[:, 0, 0], J[:, 0, 1] = 1.0, kc
    J[:, 1, 0], J[:, 1, 1] = 1.0, 1.0 + kc
    return J


@map_(
    params={"k": 0.971635},
    x0=(0.1, 0.1),
    description="Chirikov standard map (state: momentum p, angle x) at the critical k where the last "
    "KAM torus breaks; area-preserving, p reduced to [-pi, pi) and x to [0, 2 pi).",
    reference="Chirikov, B. V. (1979). A universal instability of many-dimensional oscillator systems. "
    "Phys. Rep. 52, 263-379.",
    equations="p' = p + k sin x (mod 2 pi); x' = x + p' (mod 2 pi)",
    jacobian=_chirikov_jac,
    period=1.0,
    dysts_skip="dysts iterates the standard map on the plane; ours is reduced to the torus "
    "(compared modulo 2 pi in tests/test_maps.py)",
)
def Chirikov(x, t, p):
    pn = x[:, 0] + p.k * np.sin(x[:, 1])
    out = np.empty_like(x)
    out[:, 0] = np.mod(pn + np.pi, TWO_PI) - np.pi
    out[:, 1] = np.mod(x[:, 1] + pn, TWO_PI)
    return out


@map_(
    params={"a": 1.641, "b": 1.902, "c": 0.316, "d": 1.525},
    x0=(1.78166133, -1.15791549),
    description="Peter de Jong's trigonometric map: a filamentary attractor in [-2, 2]^2.",
    reference="Dewdney, A. K. (1987). Computer recreations (Peter de Jong's attractors). "
    "Scientific American 257(1), 108-111.",
    equations="x' = sin(a y) - cos(b x); y' = sin(c x) - cos(d y)",
    period=1.0,
)
def DeJong(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = np.sin(p.a * x[:, 1]) - np.cos(p.b * x[:, 0])
    out[:, 1] = np.sin(p.c * x[:, 0]) - np.cos(p.d * x[:, 1])
    return out


@map_(
    params={"a": 1.5, "b": -1.8, "c": 1.6, "d": 0.9},
    x0=(0.5, 0.5),
    description="Johnny Svensson's trigonometric map, a variant of the de Jong attractor.",
    reference="Bourke, P. (2000). Johnny Svensson attractors. paulbourke.net/fractals/peterdejong/; "
    "as collected in Gilpin, W. (2021). Chaos as an interpretable benchmark for forecasting and "
    "data-driven modelling. NeurIPS Datasets and Benchmarks.",
    equations="x' = d sin(a x) - sin(b y); y' = c cos(a x) + cos(b y)",
    period=1.0,
)
def Svensson(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.d * np.sin(p.a * x[:, 0]) - np.sin(p.b * x[:, 1])
    out[:, 1] = p.c * np.cos(p.a * x[:, 0]) + np.cos(p.b * x[:, 1])
    return out


@map_(
    params={"a": -1.4, "b": 1.6, "c": 1.0, "d": 0.7},
    x0=(-0.97631884, -1.2040783),
    description="Clifford Pickover's trigonometric (Clifford) attractor.",
    reference="Pickover, C. A. (1990). Computers, Pattern, Chaos and Beauty. St. Martin's Press, New York.",
    equations="x' = sin(a y) + c cos(a x); y' = sin(b x) + d cos(b y)",
    period=1.0,
)
def Pickover(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = np.sin(p.a * x[:, 1]) + p.c * np.cos(p.a * x[:, 0])
    out[:, 1] = np.sin(p.b * x[:, 0]) + p.d * np.cos(p.b * x[:, 1])
    return out


@map_(
    params={"a": -0.67, "b": 0.83},
    x0=(0.5, 0.5),
    description="Ivan Emrich's 'Bedhead' trigonometric map.",
    reference="Emrich, I. Bedhead attractor; as collected in Gilpin, W. (2021). Chaos as an interpretable "
    "benchmark for forecasting and data-driven modelling. NeurIPS Datasets and Benchmarks.",
    equations="x' = y sin(x y / b) + cos(a x - y); y' = x + sin(y) / b",
    period=1.0,
)
def Bedhead(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = np.sin(x[:, 0] * x[:, 1] / p.b) * x[:, 1] + np.cos(p.a * x[:, 0] - x[:, 1])
    out[:, 1] = x[:, 0] + np.sin(x[:, 1]) / p.b
    return out


@map_(
    params={"a": -0.8, "b": 0.95},
    x0=(0.91457689, -4.07294399),
    description="Gumowski-Mira map (accelerator beam dynamics), weakly dissipative (det = b); dysts's a = -1.1, "
    "b = -0.2 settle on a period-2 orbit, so a = -0.8, b = 0.95. Not chaotic on record: lambda_1 = -0.004 +- 0.013 "
    "after 10^6 iterations of 8 starts (5,000 iterations gave 0.11 +- 0.03, a transient).",
    reference="Gumowski, I. & Mira, C. (1980). Recurrences and Discrete Dynamic Systems. "
    "Lecture Notes in Mathematics 809. Springer, Berlin.",
    equations="f(u) = a u + 2 (1 - a) u^2 / (1 + u^2); x' = b y + f(x); y' = f(x') - x",
    period=1.0,
)
def GumowskiMira(x, t, p):
    def f(u):
        return p.a * u + 2.0 * (1.0 - p.a) * u**2 / (1.0 + u**2)

    xn = p.b * x[:, 1] + f(x[:, 0])
    out = np.empty_like(x)
    out[:, 0] = xn
    out[:, 1] = f(xn) - x[:, 0]
    return out


def _hopalong_jac(x, t, p):
    u = p.b * x[:, 0] - 1.0 - p.c
    J = np.zeros((len(x), 2, 2))
    J[:, 0, 0] = -np.sign(x[:, 0] - 1.0) * np.sign(u) * p.b / (2.0 * np.sqrt(np.abs(u)))
    J[:, 0, 1] = 1.0
    J[:, 1, 0] = -1.0
    return J


@map_(
    params={"a": 3.1, "b": 2.5, "c": 4.2},
    x0=(0.1, 0.1),
    description="Barry Martin's Hopalong map (the shifted three-parameter form used by dysts).",
    reference="Dewdney, A. K. (1986). Computer recreations (Barry Martin's hopalong). "
    "Scientific American 255(3), 14-20.",
    equations="x' = y - 1 - sqrt(|b x - 1 - c|) sign(x - 1); y' = a - x - 1",
    jacobian=_hopalong_jac,
    period=1.0,
)
def Hopalong(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1] - 1.0 - np.sqrt(np.abs(p.b * x[:, 0] - 1.0 - p.c)) * np.sign(x[:, 0] - 1.0)
    out[:, 1] = p.a - x[:, 0] - 1.0
    return out


@map_(
    params={"a": 0.87, "b": 0.75},
    x0=(0.0, 0.1),
    description="Maynard Smith's delayed logistic population map.",
    reference="Maynard Smith, J. (1968). Mathematical Ideas in Biology. Cambridge University Press.",
    equations="x' = y; y' = a y + b - x^2",
    period=1.0,
)
def MaynardSmith(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = x[:, 1]
    out[:, 1] = p.a * x[:, 1] + p.b - x[:, 0] ** 2
    return out


def _kaplan_yorke_jac(x, t, p):
    J = np.zeros((len(x), 2, 2))
    J[:, 0, 0] = 2.0
    J[:, 1, 0] = -4.0 * np.pi * np.sin(4.0 * np.pi * x[:, 0])
    J[:, 1, 1] = p.alpha
    return J


@map_(
    params={"alpha": 0.2},
    x0=(0.2, 0.2),
    description="Kaplan-Yorke map: a doubling map driving a contracting coordinate "
    "(modulus just below 1 so orbits do not collapse in floating point).",
    reference="Kaplan, J. L. & Yorke, J. A. (1979). Chaotic behavior of multidimensional difference "
    "equations. In Functional Differential Equations and Approximation of Fixed Points, "
    "Lecture Notes in Mathematics 730, Springer, 204-227.",
    equations="x' = 2 x mod 0.99999995; y' = alpha y + cos(4 pi x)",
    jacobian=_kaplan_yorke_jac,
    period=1.0,
)
def KaplanYorke(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = np.mod(2.0 * x[:, 0], KY_MODULUS)
    out[:, 1] = p.alpha * x[:, 1] + np.cos(4.0 * np.pi * x[:, 0])
    return out


def _baker_jac(x, t, p):
    J = np.zeros((len(x), 2, 2))
    J[:, 0, 0] = BAKER_STRETCH
    J[:, 1, 1] = 0.5 * p.a
    return J


@map_(
    params={"a": 1.0},
    x0=(0.04995935, 0.363224),
    description="Baker's map on the unit square: stretch x by ~2, cut, and stack (area-preserving for a = 1).",
    reference="Farmer, J. D., Ott, E. & Yorke, J. A. (1983). The dimension of chaotic attractors. "
    "Physica D 7, 153-180.",
    equations="s = 2 - 1e-10; x' = s x - floor(s x); y' = (a y + floor(s x)) / 2",
    jacobian=_baker_jac,
    period=1.0,
)
def Baker(x, t, p):
    sx = BAKER_STRETCH * x[:, 0]
    cut = np.floor(sx)
    out = np.empty_like(x)
    out[:, 0] = sx - cut
    out[:, 1] = (p.a * x[:, 1] + cut) / 2.0
    return out


def _gingerbread_jac(x, t, p):
    J = np.zeros((len(x), 2, 2))
    J[:, 0, 0], J[:, 0, 1] = np.sign(x[:, 0]), -1.0
    J[:, 1, 0] = 1.0
    return J


@map_(
    params={"a": 1.0},
    x0=(1.16383432, 3.11263493),
    description="Devaney's gingerbreadman map: piecewise-linear, area-preserving, with a chaotic sea "
    "around stable islands; a only sets the scale (a = 1 is Devaney's map).",
    reference="Devaney, R. L. (1984). A piecewise linear model for the zones of instability of an "
    "area-preserving map. Physica D 10, 387-393.",
    equations="x' = a - y + |x|; y' = x",
    jacobian=_gingerbread_jac,
    period=1.0,
    dysts_skip="dysts's Gingerbreadman has no parameters while every catalog entry needs one (a = 1); "
    "compared with dysts directly in tests/test_maps.py",
)
def Gingerbreadman(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.a - x[:, 1] + np.abs(x[:, 0])
    out[:, 1] = x[:, 0]
    return out
