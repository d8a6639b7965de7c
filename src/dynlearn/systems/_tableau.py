"""Explicit Runge–Kutta methods as data: Butcher tableaus.

An explicit Runge–Kutta method with ``s`` stages advances ``y' = f(t, y)``
by one step ``h`` as

    k_i = f(t + c_i h, y + h sum_{j<i} a_ij k_j),    y_1 = y + h sum_i b_i k_i,

so a method *is* its tableau ``(c, A, b)`` (Butcher 1964; Hairer, Nørsett &
Wanner, *Solving Ordinary Differential Equations I*, 2nd ed., Springer 1993,
§II.1). An embedded pair adds weights ``b̂`` of a lower order; ``e = b - b̂``
then gives the local error estimate ``h sum_i e_i k_i`` for free (§II.4).
Every integrator of :mod:`dynlearn.systems` — numpy or compiled, fixed step,
adaptive, delay or tangent (Lyapunov) — runs the tableaus defined here through
:mod:`dynlearn.systems._stepper` and :mod:`dynlearn.systems._compiled`.

Coefficients are exact fractions. A linear combination ``h sum_j w_j k_j``
whose weights share a small common denominator ``D`` is evaluated as
``(h / D) sum_j (D w_j) k_j`` with integer multipliers (classical RK4's
update is ``(h/6)(k1 + 2 k2 + 2 k3 + k4)``), otherwise with the float
weights; numpy and compiled paths use the same form in the same order, so
they give the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction as F

import numpy as np

#: largest common denominator written as ``(h / D) * sum(integer * k)``
_MAX_DENOMINATOR = 64


@dataclass(frozen=True)
class Combination:
    """``scale * sum_j weights[j] * k[idx[j]]`` with ``scale = h / den``; weights of 1 are not multiplied."""

    den: float
    idx: tuple[int, ...]
    weights: tuple[float, ...]


def combination(coeffs) -> Combination:
    """The evaluation form of ``sum_j coeffs[j] k_j`` (see module doc); zero weights are skipped."""
    nz = [(j, F(v)) for j, v in enumerate(coeffs) if F(v) != 0]
    if not nz:
        return Combination(1.0, (), ())
    den = math.lcm(*(v.denominator for _, v in nz))
    if den <= _MAX_DENOMINATOR:
        return Combination(float(den), tuple(j for j, _ in nz), tuple(float(v * den) for _, v in nz))
    return Combination(1.0, tuple(j for j, _ in nz), tuple(float(v) for _, v in nz))


@dataclass(frozen=True)
class Tableau:
    """An explicit Runge–Kutta method, optionally an embedded pair with dense output.

    ``a`` holds the rows of the strictly lower triangle (row ``i`` has ``i``
    entries), ``b`` the propagated weights (order ``order``), ``b_hat`` the
    embedded weights (order ``err_order``; ``None`` for a fixed-step method).
    ``fsal``: the last stage is ``f(t + h, y_1)``, reused as the next step's
    first. ``dense``: coefficients ``d_i`` of Shampine's quartic continuous
    extension (see :func:`dynlearn.systems._adaptive.dense_dopri`).
    """

    name: str
    c: tuple
    a: tuple
    b: tuple
    order: int
    b_hat: tuple | None = None
    err_order: int | None = None
    fsal: bool = False
    dense: tuple | None = None
    reference: str = ""
    # float forms, derived
    c_f: np.ndarray = field(init=False, repr=False, compare=False)
    a_f: np.ndarray = field(init=False, repr=False, compare=False)
    b_f: np.ndarray = field(init=False, repr=False, compare=False)
    e_f: np.ndarray | None = field(init=False, repr=False, compare=False)
    dense_f: np.ndarray | None = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        s = len(self.c)
        if len(self.a) != s or any(len(row) != i for i, row in enumerate(self.a)) or len(self.b) != s:
            raise ValueError(f"tableau {self.name}: a must have rows of length 0..{s - 1} and b {s} entries")
        for i, row in enumerate(self.a):  # row-sum condition c_i = sum_j a_ij
            if F(sum(row, F(0))) != F(self.c[i]):
                raise ValueError(f"tableau {self.name}: row {i} of a does not sum to c[{i}]")
        a = np.zeros((s, s))
        for i, row in enumerate(self.a):
            a[i, :i] = [float(v) for v in row]
        object.__setattr__(self, "c_f", np.array([float(v) for v in self.c]))
        object.__setattr__(self, "a_f", a)
        object.__setattr__(self, "b_f", np.array([float(v) for v in self.b]))
        e = None if self.b_hat is None else np.array([float(F(b) - F(bh)) for b, bh in zip(self.b, self.b_hat)])
        object.__setattr__(self, "e_f", e)
        object.__setattr__(self, "dense_f", None if self.dense is None else np.array([float(v) for v in self.dense]))
        object.__setattr__(self, "_stages", tuple(combination(row) for row in self.a))
        object.__setattr__(self, "_update", combination(self.b))

    @property
    def stages(self) -> int:
        return len(self.c)

    @property
    def adaptive(self) -> bool:
        return self.b_hat is not None

    def stage(self, i: int) -> Combination:
        """How stage ``i``'s input ``y + h sum_j a_ij k_j`` is formed."""
        return self._stages[i]

    def update(self) -> Combination:
        """How ``y_1 = y + h sum_i b_i k_i`` is formed."""
        return self._update

    def error(self) -> Combination:
        """How the error estimate ``h sum_i (b_i - b̂_i) k_i`` is formed (embedded pairs)."""
        return combination([F(b) - F(bh) for b, bh in zip(self.b, self.b_hat)])

    def key(self) -> str:
        """A text that identifies the method exactly (for caches of generated code)."""
        return repr((self.name, self.c, self.a, self.b, self.b_hat, self.fsal, self.dense))


EULER = Tableau("euler", c=(F(0),), a=((),), b=(F(1),), order=1, reference="Euler (1768)")

MIDPOINT = Tableau("midpoint", c=(F(0), F(1, 2)), a=((), (F(1, 2),)), b=(F(0), F(1)), order=2, reference="Runge (1895)")

RK3 = Tableau(
    "rk3",
    c=(F(0), F(1, 2), F(1)),
    a=((), (F(1, 2),), (F(-1), F(2))),
    b=(F(1, 6), F(2, 3), F(1, 6)),
    order=3,
    reference="Kutta (1901), third-order rule",
)

RK4 = Tableau(
    "rk4",
    c=(F(0), F(1, 2), F(1, 2), F(1)),
    a=((), (F(1, 2),), (F(0), F(1, 2)), (F(0), F(0), F(1))),
    b=(F(1, 6), F(1, 3), F(1, 3), F(1, 6)),
    order=4,
    reference="Kutta (1901), the classical fourth-order method",
)

RK38 = Tableau(
    "rk38",
    c=(F(0), F(1, 3), F(2, 3), F(1)),
    a=((), (F(1, 3),), (F(-1, 3), F(1)), (F(1), F(-1), F(1))),
    b=(F(1, 8), F(3, 8), F(3, 8), F(1, 8)),
    order=4,
    reference="Kutta (1901), the 3/8 rule",
)

DOPRI5 = Tableau(
    "dopri5",
    c=(F(0), F(1, 5), F(3, 10), F(4, 5), F(8, 9), F(1), F(1)),
    a=(
        (),
        (F(1, 5),),
        (F(3, 40), F(9, 40)),
        (F(44, 45), F(-56, 15), F(32, 9)),
        (F(19372, 6561), F(-25360, 2187), F(64448, 6561), F(-212, 729)),
        (F(9017, 3168), F(-355, 33), F(46732, 5247), F(49, 176), F(-5103, 18656)),
        (F(35, 384), F(0), F(500, 1113), F(125, 192), F(-2187, 6784), F(11, 84)),
    ),
    b=(F(35, 384), F(0), F(500, 1113), F(125, 192), F(-2187, 6784), F(11, 84), F(0)),
    b_hat=(F(5179, 57600), F(0), F(7571, 16695), F(393, 640), F(-92097, 339200), F(187, 2100), F(1, 40)),
    order=5,
    err_order=4,
    fsal=True,
    # Shampine's continuous extension (Hairer et al. 1993, §II.6; dense output of dopri5)
    dense=(
        F(-12715105075, 11282082432),
        F(0),
        F(87487479700, 32700410799),
        F(-10690763975, 1880347072),
        F(701980252875, 199316789632),
        F(-1453857185, 822651844),
        F(69997945, 29380423),
    ),
    reference="Dormand & Prince (1980), J. Comput. Appl. Math. 6, 19-26",
)

#: fixed-step methods by name
FIXED = {t.name: t for t in (EULER, MIDPOINT, RK3, RK4, RK38)}
#: embedded pairs by name
ADAPTIVE = {t.name: t for t in (DOPRI5,)}
TABLEAUS = {**FIXED, **ADAPTIVE}
