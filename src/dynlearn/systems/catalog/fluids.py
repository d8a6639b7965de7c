"""Fluids, convection and geophysics.

Low-order models of convection (Rayleigh-Benard, double convection, a stellar
convection cell), of the atmosphere and ocean (Lorenz 1984 and 1996, regime
and El Nino models), of dynamos and the magnetosphere, and chaotic advection:
tracers in steady (ABC) and time-periodic two-dimensional flows (double gyre,
blinking vortex and rotlet, lid-driven cavity, oscillating rolls, squirmer).
Time-periodic flows read ``t`` explicitly (``nonautonomous=True``).
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import flow

FAMILY = "fluids"


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
    # F as a column, so that one forcing per trajectory ((batch,) array) broadcasts over the sites
    return (np.roll(x, -1, axis=1) - np.roll(x, 2, axis=1)) * np.roll(x, 1, axis=1) - x + np.reshape(p.F, (-1, 1))


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
    params={"b": 102.0, "c": 3.0, "p": 0.0},
    x0=(-6.99286331487343, 0.023254276622294345, -0.1658177563067799),
    description="Vallis' three-variable El Nino model: ocean current and east-west temperature contrast.",
    reference=(
        "Vallis, G. K. (1988). Conceptual models of El Nino and the southern oscillation. "
        "J. Geophys. Res. 93(C11), 13979-13991."
    ),
    equations="dx/dt = b y - c (x + p); dy/dt = -y + x z; dz/dt = -z - x y + 1",
    dt=0.005,
    period=2.21,
)
def VallisElNino(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = p.b * x[:, 1] - p.c * (x[:, 0] + p.p)
    out[:, 1] = -x[:, 1] + x[:, 0] * x[:, 2]
    out[:, 2] = -x[:, 2] - x[:, 0] * x[:, 1] + 1.0
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
    params={"a1": 0.247, "b1": 10.8, "b2": 0.0752, "b3": 1.06, "d1": 2200.0, "vsw": 5.0},
    x0=(0.93337506, 6.2678923, 41.969547),
    description=(
        "Reduced WINDMI model: solar-wind energy loading of the magnetosphere (current i, voltage v, "
        "plasma pressure p); vsw controls the onset of chaos."
    ),
    reference=(
        "Smith, J. P., Thiffeault, J.-L. & Horton, W. (2000). Dynamical range of the WINDMI model. "
        "J. Geophys. Res. 105, 12983-12996; Horton, W., Weigel, R. S. & Sprott, J. C. (2001). Chaos "
        "and the limits of predictability for the solar-wind-driven magnetosphere-ionosphere system. "
        "Phys. Plasmas 8, 2946-2952."
    ),
    equations=(
        "di/dt = a1 (vsw - v); dv/dt = b1 i - b2 p / 2 - b3 v; "
        "dp/dt = vsw^2 - p^(5/4) vsw^(1/2) (1 + tanh(d1 (i - 1))) / 2  (p term as in dysts)"
    ),
    dt=0.002,
    period=4.67,
)
def WindmiReduced(x, t, p):
    i, v, q = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = p.a1 * (p.vsw - v)
    out[:, 1] = p.b1 * i - p.b2 * q / 2.0 - p.b3 * v
    out[:, 2] = p.vsw**2 - q**1.25 * p.vsw**0.5 * (1.0 + np.tanh(p.d1 * (i - 1.0))) / 2.0
    return out


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


def _unit_phase(params, t):
    return t


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


@flow(
    params={
        "a1": 0.5,
        "a2": 0.5,
        "a3": 0.5,
        "a4": 0.5,
        "a5": 0.5,
        "g1": 0.5,
        "g2": 0.5,
        "g3": 0.5,
        "g4": 0.5,
        "g5": 0.5,
        "tau": 3.0,
    },
    x0=(0.09950042, 0.00998334),
    description=(
        "Tracer inside a circular squirmer (Blake's envelope model) whose two sets of surface modes are "
        "switched on alternately: chaotic Stokes-flow stirring in the unit disc."
    ),
    reference=(
        "Blake, J. R. (1971). Self propulsion due to oscillations on the surface of a cylinder at low Reynolds "
        "number. Bull. Austral. Math. Soc. 5, 255-264."
    ),
    equations=(
        "w(t) = 1/2 + 1/2 tanh(20 tau sin(2 pi t / tau)); A_n = w a_n, G_n = (1 - w) g_n, n = 1..5; "
        "dr/dt = sum_n n r^(n-1) (r^2 - 1)(G_n cos(n th) + A_n sin(n th)); "
        "r dth/dt = sum_n r^n (2 r + n (r^2 - 1)/r)(A_n cos(n th) - G_n sin(n th)); written in Cartesian x, y"
    ),
    nonautonomous=True,
    dt=0.005,
    period=28.8,
    dysts_skip=(
        "dysts integrates polar (r, theta) plus the phase variable t and takes vector parameters a, g; ours is "
        "the same velocity field in Cartesian (x, y) with explicit t and scalars a1..a5, g1..g5"
    ),
)
def InteriorSquirmer(x, t, p):
    X, Y = x[:, 0], x[:, 1]
    r2 = X**2 + Y**2
    w = 0.5 + 0.5 * np.tanh(20.0 * p.tau * np.sin(2.0 * np.pi * t / p.tau))
    C = 1.0 + 0.0 * X  # r^n cos(n theta) and r^n sin(n theta), advanced by multiplying with x + i y
    S = 0.0 * X
    vr_r = 0.0 * X  # r * radial velocity
    vt_r = 0.0 * X  # r * azimuthal velocity
    n = 0.0
    for an, gn in ((p.a1, p.g1), (p.a2, p.g2), (p.a3, p.g3), (p.a4, p.g4), (p.a5, p.g5)):
        C, S = X * C - Y * S, X * S + Y * C
        n += 1.0
        A = an * w
        G = gn * (1.0 - w)
        vr_r = vr_r + n * (r2 - 1.0) * (G * C + A * S)
        vt_r = vt_r + (2.0 * r2 + n * (r2 - 1.0)) * (A * C - G * S)
    out = np.empty_like(x)
    out[:, 0] = (vr_r * X - vt_r * Y) / r2
    out[:, 1] = (vr_r * Y + vt_r * X) / r2
    return out
