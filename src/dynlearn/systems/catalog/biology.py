"""Biology and chemistry: neurons, cells, reactions, ecosystems.

Neuron and neural-network models, intracellular oscillators (calcium, cell
cycle, circadian clock, glycolysis), chemical reactions
(Belousov-Zhabotinsky, autocatalators) and population dynamics (food chains,
competition, epidemics). State variables are concentrations or densities, so
several systems are stiff or clip at zero as their papers do.
VanoLotkaVolterra is not in dysts.
"""

from __future__ import annotations

import numpy as np

from dynlearn.systems.catalog._declare import flow

FAMILY = "biology"


_VECTOR_PARAMS = "dysts takes vector/matrix parameters; ours are the same numbers spelled out as scalars"


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


_CA_EQ = (
    "V2 = Vm2 z^2/(K2^2 + z^2); V3 = Vm3 z^m/(Kz^m + z^m) y^2/(Ky^2 + y^2) a^4/(Ka^4 + a^4); "
    "V5 = Vm5 a^p/(K5^p + a^p) z^n/(Kd^n + z^n); dz/dt = V0 + V1 beta - V2 + V3 + kf y - k z; "
    "dy/dt = V2 - V3 - kf y; da/dt = beta V4 - V5 - eps a  (z: cytosolic Ca2+, y: stored Ca2+, a: IP3)"
)


_CA_PARAMS = ("K2", "K5", "Ka", "Kd", "Ky", "Kz", "V0", "V1", "V4", "Vm2", "Vm3", "Vm5", "beta", "eps", "k", "kf")


_CA_REF = (
    "Houart, G., Dupont, G. & Goldbeter, A. (1999). Bursting, chaos and birhythmicity originating from "
    "self-modulation of the inositol 1,4,5-trisphosphate signal in a model for intracellular Ca2+ "
    "oscillations. Bull. Math. Biol. 61, 507-530."
)


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


def _circadian_phase(params, t):
    return 2.0 * np.pi * t / params["ps"]


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
    # birhythmic (coexisting attractors): 1% offsets of this state split between them (0.0016 +- 64%), so the
    # invariants start from 1e-6 perturbations of its own orbit ("attractor" start, issue 9) and describe the
    # attractor this state is on: chaotic, lambda_max 0.00698 +- 1.6% (trajectories 0.0064-0.0074, 2.3e6 steps)
    x0=(29.453349256846987, 130.19350141357407, 0.18407087674169492),
    invariant_start="attractor",
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
    description="Gyorgyi-Field reduced model of the Belousov-Zhabotinsky reaction in a flow reactor (stiff). Its "
    "invariants on record describe a collapsed state, not the attractor: a fixed RK4 step that overshoots x = 0 by "
    "more than 0.0069 makes Y's denominator (dysts's form, x unclipped) negative, a spurious absorbing state "
    "(docs/systems.md, 'Odd records'; fix: max(x, 0) there too, not applied here).",
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
    params={"delta": 1.0, "kappa": 2.5, "mu": 0.29786, "sigma": 0.013},
    # the invariants start from 1e-6 perturbations of this state's own orbit ("attractor" start, issue 9): 1% offsets
    # gave trajectories that disagree (0.017 +- 0.017 from eight of them); from this start all eight are chaotic
    # (lambda_1 0.109-0.125, lambda_max 0.115 +- 1.6% over 1.66e6 steps)
    x0=(0.5141505602006595, 0.9984288208727641, 1.0061777118724),
    invariant_start="attractor",
    description=(
        "Petrov-Scott-Showalter isothermal autocatalator: mixed-mode oscillations; chaotic from this state "
        "(lambda_max = 0.115 +- 0.002 over 8 starts on its attractor), while 1% offsets of it can reach a "
        "non-chaotic attractor."
    ),
    reference=(
        "Petrov, V., Scott, S. K. & Showalter, K. (1992). Mixed-mode oscillations in chemical systems. "
        "J. Chem. Phys. 97, 6191-6198."
    ),
    equations=(
        "dalpha/dt = mu (kappa + gamma) - alpha beta^2 - alpha; dbeta/dt = (alpha beta^2 + alpha - beta) / sigma; "
        "dgamma/dt = (beta - gamma) / delta"
    ),
    dt=0.001,
    period=0.73,
)
def IsothermalChemical(x, t, p):
    A, B, G = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = p.mu * (p.kappa + G) - A * B**2 - A
    out[:, 1] = (A * B**2 + A - B) / p.sigma
    out[:, 2] = (B - G) / p.delta
    return out


@flow(
    params={"beta": -0.4, "gamma": 0.49, "kappa": 0.2, "mu": 2.1},
    x0=(-1.160501, 5.8636902, -1.2031947),
    description="Kawczynski-Strizhak three-variable model of the Belousov-Zhabotinsky reaction: mixed-mode chaos.",
    reference=(
        "Strizhak, P. E. & Kawczynski, A. L. (1995). Regularities in complex transient oscillations in the "
        "Belousov-Zhabotinsky reaction in a batch reactor. J. Phys. Chem. 99, 10830-10833."
    ),
    equations="dx/dt = gamma (y - x^3 + 3 mu x); dy/dt = -2 mu x - y - z + beta; dz/dt = kappa (x - z)",
    dt=0.01,
    period=11.0,
)
def KawczynskiStrizhak(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = p.gamma * Y - p.gamma * X**3 + 3.0 * p.mu * p.gamma * X
    out[:, 1] = -2.0 * p.mu * X - Y - Z + p.beta
    out[:, 2] = p.kappa * X - p.kappa * Z
    return out


@flow(
    params={"a12": 1.0, "a13": 2.5, "a21": 1.5, "a31": 0.2, "d3": 0.5, "k3": 1.0, "r2": 0.6, "r3": 4.5},
    x0=(0.051730215, 0.87071642, 0.015926427),
    description="Itik-Banks cancer model: tumour cells, healthy host cells and effector immune cells.",
    reference=(
        "Itik, M. & Banks, S. P. (2010). Chaos in a three-dimensional cancer model. Int. J. Bifurc. Chaos 20(1), 71-79."
    ),
    equations=(
        "dx/dt = x (1 - x) - a12 x y - a13 x z; dy/dt = r2 y (1 - y) - a21 x y; "
        "dz/dt = r3 x z / (x + k3) - a31 x z - d3 z"
    ),
    dt=0.05,
    period=49.7,
)
def ItikBanksTumor(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    out = np.empty_like(x)
    out[:, 0] = X * (1.0 - X) - p.a12 * X * Y - p.a13 * X * Z
    out[:, 1] = p.r2 * Y * (1.0 - Y) - p.a21 * X * Y
    out[:, 2] = p.r3 * X * Z / (X + p.k3) - p.a31 * X * Z - p.d3 * Z
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


#: content c[j, i] of resource j in species i
_MACARTHUR_C = np.array(
    [
        [0.04, 0.04, 0.07, 0.04, 0.04],
        [0.08, 0.08, 0.08, 0.10, 0.08],
        [0.10, 0.10, 0.10, 0.10, 0.14],
        [0.05, 0.03, 0.03, 0.03, 0.03],
        [0.07, 0.09, 0.07, 0.07, 0.07],
    ]
)


#: half-saturation constants k[j, i] of species i on resource j (Huisman & Weissing 1999)
_MACARTHUR_K = np.array(
    [
        [0.39, 0.34, 0.30, 0.24, 0.23],
        [0.22, 0.39, 0.34, 0.30, 0.27],
        [0.27, 0.22, 0.39, 0.34, 0.30],
        [0.30, 0.24, 0.22, 0.39, 0.34],
        [0.34, 0.30, 0.22, 0.20, 0.39],
    ]
)
#: content c[j, i] of resource j in species i
_MACARTHUR_C = np.array(
    [
        [0.04, 0.04, 0.07, 0.04, 0.04],
        [0.08, 0.08, 0.08, 0.10, 0.08],
        [0.10, 0.10, 0.10, 0.10, 0.14],
        [0.05, 0.03, 0.03, 0.03, 0.03],
        [0.07, 0.09, 0.07, 0.07, 0.07],
    ]
)
#: resource supply concentrations s[j]
_MACARTHUR_S = np.array([6.0, 10.0, 14.0, 4.0, 9.0])
_MACARTHUR_CT = np.ascontiguousarray(_MACARTHUR_C.T)


@flow(
    params={"d": 0.25, "m": 0.25, "r": 1.0},
    x0=(9.4323333, 18.838654, 34.37572, 15.08545, 42.228427, 0.17030505, 0.10144427, 0.3148045, 0.21253581, 0.22598604),
    description=(
        "Five phytoplankton species competing for five resources (MacArthur consumer-resource "
        "model, Liebig minimum growth); the 5x5 tables k, c and supplies s are fixed."
    ),
    reference=(
        "MacArthur, R. (1969). Species packing, and what competition minimizes. PNAS 64, 1369-1371; "
        "parameters from Huisman, J. & Weissing, F. J. (1999). Biodiversity of plankton by species "
        "oscillations and chaos. Nature 402, 407-410."
    ),
    equations=(
        "N_i' = N_i (mu_i - m), mu_i = min_j r R_j / (k_ji + R_j); "
        "R_j' = d (s_j - R_j) - sum_i c_ji mu_i N_i  (i species 1..5, j resources 1..5)"
    ),
    jacobian="fd",
    dt=0.1,
    period=43.4,
    dysts_skip=(
        "dysts passes the tables k, c, s as parameters; catalog parameters are scalars (one value "
        "per trajectory), so the tables are fixed constants here (agreement checked by hand)"
    ),
)
def MacArthur(x, t, p):
    # written with operations numba compiles (no axis reductions, no reshape of a float)
    N, R = x[:, :5], x[:, 5:]
    ones = np.ones((x.shape[0], 1))
    # growth of species i on resource j; Liebig's law: the scarcest resource limits
    mu = R[:, 0:1] / (_MACARTHUR_K[0] + R[:, 0:1])
    for j in range(1, 5):
        mu = np.minimum(mu, R[:, j : j + 1] / (_MACARTHUR_K[j] + R[:, j : j + 1]))
    mu = mu * (ones * np.reshape(p.r * ones[:, 0], (-1, 1)))
    out = np.empty_like(x)
    out[:, :5] = N * (mu - np.reshape(p.m * ones[:, 0], (-1, 1)))
    out[:, 5:] = np.reshape(p.d * ones[:, 0], (-1, 1)) * (_MACARTHUR_S - R) - np.dot(mu * N, _MACARTHUR_CT)
    return out


@flow(
    params={"a": 15.0, "d": 8.3, "k": 400.0, "lam": 0.06, "m": 15.5, "mu": 3.4, "r": 22.0, "th": 10.0},
    x0=(231.92548, 89.511944, 56.753804),
    description="Eco-epidemiological model of Salton Sea fish (susceptible, infected) and their bird predators.",
    reference=(
        "Upadhyay, R. K., Bairagi, N., Kundu, K. & Chattopadhyay, J. (2007). Chaos in "
        "eco-epidemiological problem of the Salton Sea and its possible control. Appl. Math. Comput."
    ),
    equations=(
        "dx/dt = r x (1 - (x + y)/k) - lam x y; dy/dt = lam x y - m y z / (y + a) - mu y; "
        "dz/dt = th y z / (y + a) - d z"
    ),
    dt=0.002,
    period=0.97,
)
def SaltonSea(x, t, p):
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    sat = Y / (Y + p.a)
    out = np.empty_like(x)
    out[:, 0] = p.r * X * (1.0 - (X + Y) / p.k) - p.lam * X * Y
    out[:, 1] = p.lam * X * Y - p.m * Z * sat - p.mu * Y
    out[:, 2] = p.th * Z * sat - p.d * Z
    return out


def _turchin_phase(params, t):
    return 2.0 * np.pi * params["lamb"] * t


@flow(
    params={"a": 8.0, "d": 0.04, "e": 0.5, "g": 0.1, "h": 0.8, "lamb": 1.0, "r": 8.12, "s": 1.25},
    x0=(0.97617104, 0.30819288),
    description=(
        "Seasonally forced vole-weasel food web (prey n, specialist predator p) with generalist "
        "predation; growth rate r raised from the published value so that chaos persists. x0 is a "
        "point of the attractor at a whole forcing period, away from n = 0."
    ),
    reference=(
        "Turchin, P. & Hanski, I. (1997). An empirically based model for latitudinal gradient in vole "
        "population dynamics. Am. Nat. 149, 842-874; Turchin, P. & Hanski, I. (2000). Ecology."
    ),
    equations=(
        "season = 1 - e sin(2 pi lamb t); dn/dt = r season n - r n^2 - g n^2 / (n^2 + h^2) - a n p / (n + d); "
        "dp/dt = s season p - s p^2 / n"
    ),
    nonautonomous=True,
    dt=0.01,
    period=4.4,
    dysts_time_phase=_turchin_phase,  # dysts appends z = 2 pi lamb t to the state
)
def TurchinHanski(x, t, p):
    n, q = x[:, 0], x[:, 1]
    season = 1.0 - p.e * np.sin(2.0 * np.pi * p.lamb * t)
    out = np.empty_like(x)
    out[:, 0] = p.r * season * n - p.r * n**2 - p.g * n**2 / (n**2 + p.h**2) - p.a * n * q / (n + p.d)
    out[:, 1] = p.s * season * q - p.s * q**2 / n
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
