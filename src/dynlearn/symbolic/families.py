"""Parametric ODE families as expression trees, their trajectories and corruptions of their equations.

Each :class:`Family` writes its right-hand side as canonical term dicts (``{monomial: coefficient}``,
see :func:`dynlearn.symbolic.tree.terms`), so one family always yields trees of one structure and
only the constants vary. ``sample(n, rng)`` draws ``n`` parameter sets uniformly in
``[(1 - spread) p₀, (1 + spread) p₀]`` around the defaults ``p₀`` and ``n`` initial conditions
uniformly in the family's box, and returns one :class:`Equations` whose constants are ``(n,)``
arrays; :func:`simulate` integrates the whole batch in one call of the catalog's batched RK4
(:func:`dynlearn.systems.integrate.integrate`).

The families are those of PROSE's polynomial and trigonometric ODE set (Liu, Sun & Schaeffer 2023,
arXiv:2309.16816): chaotic 3-D flows (Lorenz, Rössler, Thomas with ``sin``) and 2-D oscillators
(Duffing, Van der Pol, damped pendulum with ``sin``, Lotka–Volterra, FitzHugh–Nagumo). The
parameter spread (±10 %) and time spans are this implementation's choices.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import numpy as np

from dynlearn._validation import as_rng
from dynlearn.errors import UnknownNameError, ValidationError
from dynlearn.symbolic.tree import Equations, Monomial, from_terms, terms

TermDicts = list[dict[Monomial, object]]


@dataclasses.dataclass(frozen=True)
class Family:
    """A parametric ODE family: ``build(params) -> [terms of dx_i/dt]`` with default parameters ``defaults``.

    ``box`` = (low, high) of the initial conditions, ``t_end`` the time span of a sample (``n_points``
    equally spaced samples on ``[0, t_end]``), ``step`` the RK4 step used to integrate it."""

    name: str
    dim: int
    defaults: Mapping[str, float]
    build: Callable[[Mapping[str, object]], TermDicts]
    box: tuple[tuple[float, ...], tuple[float, ...]]
    t_end: float
    step: float = 0.01
    spread: float = 0.1

    def equations(self, params: Mapping[str, object] | None = None) -> Equations:
        p = {**self.defaults, **(params or {})}
        return Equations(tuple(from_terms(t) for t in self.build(p)))

    def sample(self, n: int, rng=None) -> tuple[Equations, np.ndarray, dict[str, np.ndarray]]:
        """``n`` systems of the family: (equations with ``(n,)`` constants, initial conditions ``(n, dim)``, params)."""
        rng = as_rng(rng)
        params = {k: v * rng.uniform(1 - self.spread, 1 + self.spread, n) for k, v in self.defaults.items()}
        lo, hi = (np.asarray(b, dtype=float) for b in self.box)
        x0 = rng.uniform(lo, hi, (n, self.dim))
        return self.equations(params), x0, params


def _lorenz(p):
    return [
        {("x1",): p["sigma"], ("x0",): -p["sigma"]},
        {("x0",): p["rho"], ("x0", "x2"): -1.0, ("x1",): -1.0},
        {("x0", "x1"): 1.0, ("x2",): -p["beta"]},
    ]


def _rossler(p):
    return [
        {("x1",): -1.0, ("x2",): -1.0},
        {("x0",): 1.0, ("x1",): p["a"]},
        {(): p["b"], ("x0", "x2"): 1.0, ("x2",): -p["c"]},
    ]


def _thomas(p):
    return [{(f"sin(x{(i + 1) % 3})",): 1.0, (f"x{i}",): -p["b"]} for i in range(3)]


def _duffing(p):
    return [{("x1",): 1.0}, {("x1",): -p["delta"], ("x0",): p["alpha"], ("x0", "x0", "x0"): -p["beta"]}]


def _vanderpol(p):
    return [{("x1",): 1.0}, {("x1",): p["mu"], ("x0", "x0", "x1"): -p["mu"], ("x0",): -1.0}]


def _pendulum(p):
    return [{("x1",): 1.0}, {("x1",): -p["gamma"], ("sin(x0)",): -p["omega2"]}]


def _lotka_volterra(p):
    return [{("x0",): p["a"], ("x0", "x1"): -p["b"]}, {("x0", "x1"): p["d"], ("x1",): -p["c"]}]


def _fitzhugh_nagumo(p):
    e = p["eps"]
    return [
        {(): p["I"], ("x0",): 1.0, ("x0", "x0", "x0"): -1.0 / 3.0, ("x1",): -1.0},
        {(): e * p["a"], ("x0",): e, ("x1",): -e * p["b"]},
    ]


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("lorenz", 3, {"sigma": 10.0, "rho": 28.0, "beta": 8.0 / 3.0}, _lorenz,
               ((-10, -10, 10), (10, 10, 35)), t_end=2.0, step=0.005),
        Family("rossler", 3, {"a": 0.2, "b": 0.2, "c": 5.7}, _rossler, ((-8, -8, 0), (8, 8, 2)), t_end=12.0),
        Family("thomas", 3, {"b": 0.208186}, _thomas, ((-3, -3, -3), (3, 3, 3)), t_end=20.0, step=0.02),
        Family("duffing", 2, {"delta": 0.3, "alpha": 1.0, "beta": 1.0}, _duffing, ((-2, -1), (2, 1)), t_end=10.0),
        Family("vanderpol", 2, {"mu": 1.0}, _vanderpol, ((-3, -3), (3, 3)), t_end=10.0),
        Family("pendulum", 2, {"gamma": 0.2, "omega2": 4.0}, _pendulum, ((-2.5, -1), (2.5, 1)), t_end=8.0),
        Family("lotka_volterra", 2, {"a": 2.0 / 3.0, "b": 4.0 / 3.0, "c": 1.0, "d": 1.0}, _lotka_volterra,
               ((0.3, 0.3), (2.0, 2.0)), t_end=12.0),
        Family("fitzhugh_nagumo", 2, {"a": 0.7, "b": 0.8, "eps": 0.08, "I": 0.5}, _fitzhugh_nagumo,
               ((-2, -1), (2, 2)), t_end=40.0, step=0.05),
    )
}  # fmt: skip


def family(name: str) -> Family:
    if name not in FAMILIES:
        raise UnknownNameError("ODE family", name, list(FAMILIES))
    return FAMILIES[name]


def as_system(eqs: Equations, name: str = "symbolic", step: float = 0.01):
    """A catalog :class:`~dynlearn.systems.base.System` whose right-hand side evaluates the trees."""
    from dynlearn.systems.base import System

    return System(
        name=name,
        rhs=lambda X, t, p: eqs.rhs(X),
        params={},
        x0=(0.0,) * eqs.dim,
        description="ODE system given as expression trees",
        reference="",
        dt=step,
        equations=str(eqs) if eqs.batch is None else "",
    )


def simulate(eqs: Equations, x0, *, t_end: float, n_points: int, step: float = 0.01) -> np.ndarray:
    """States ``(batch, n_points, dim)`` on ``n_points`` equal steps of ``[0, t_end]`` (RK4, substeps ≤ ``step``).

    ``x0`` is ``(batch, dim)``; a batch of systems (array constants) must have the same batch size.
    Raises :class:`~dynlearn.errors.DivergenceError` when a trajectory leaves the finite numbers."""
    from dynlearn.systems.integrate import integrate

    x0 = np.atleast_2d(np.asarray(x0, dtype=np.float64))
    if x0.shape[1] != eqs.dim:
        raise ValidationError(f"x0 must have shape (batch, {eqs.dim}), got {x0.shape}")
    if eqs.batch is not None and eqs.batch != x0.shape[0]:
        raise ValidationError(f"{eqs.batch} systems need {eqs.batch} initial conditions, got {x0.shape[0]}")
    return integrate(
        as_system(eqs, step=step), x0, n_points=n_points, dt=t_end / (n_points - 1), max_step=step, backend="numpy"
    )


# --- corruptions of the symbolic input (PROSE's robustness tests) ----------------------------------------------
def noisy_constants(eqs: Equations, sigma: float, rng=None) -> Equations:
    """Each constant ``c`` becomes ``c (1 + sigma ε)``, ``ε ~ N(0, 1)``."""
    rng = as_rng(rng)
    return eqs.map_constants(lambda v: float(v) * (1.0 + sigma * rng.standard_normal()))


def _candidate_monomials(dim: int) -> list[Monomial]:
    xs = [f"x{i}" for i in range(dim)]
    out: list[Monomial] = [(v,) for v in xs]
    out += [tuple(sorted((a, b))) for i, a in enumerate(xs) for b in xs[i:]]
    out += [(f"sin(x{i})",) for i in range(dim)]
    return out


def add_term(eqs: Equations, rng=None, scale: float = 0.5) -> Equations:
    """Add one monomial the system does not have (degree ≤ 2 or ``sin(x_i)``, coefficient ±U(0.1, 1)·scale…)
    to a random equation."""
    rng = as_rng(rng)
    i = int(rng.integers(eqs.dim))
    t = terms(eqs.trees[i])
    free = [m for m in _candidate_monomials(eqs.dim) if m not in t]
    m = free[int(rng.integers(len(free)))]
    t[m] = float(rng.choice([-1.0, 1.0]) * rng.uniform(0.2, 2.0) * scale)
    trees = list(eqs.trees)
    trees[i] = from_terms(t)
    return Equations(tuple(trees))


def remove_term(eqs: Equations, rng=None) -> Equations:
    """Remove one term from a random equation that has at least two."""
    rng = as_rng(rng)
    options = [i for i, tr in enumerate(eqs.trees) if len(terms(tr)) >= 2]
    if not options:
        return eqs
    i = options[int(rng.integers(len(options)))]
    t = terms(eqs.trees[i])
    del t[sorted(t)[int(rng.integers(len(t)))]]
    trees = list(eqs.trees)
    trees[i] = from_terms(t)
    return Equations(tuple(trees))
