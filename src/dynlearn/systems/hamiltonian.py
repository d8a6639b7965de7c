"""Hamiltonian systems as parameter families, with their energy and symplectic integrators.

A system here is canonical: its state is ``x = (q, p)`` with ``q`` and ``p`` of
``dof`` coordinates each (``dof = n_particles · particle_dim``, particle by
particle: ``q = (q_1, …, q_n)``), and it evolves by Hamilton's equations

    dq/dt = ∂H/∂p,    dp/dt = −∂H/∂q,    i.e.  dx/dt = J ∇H(x),  J = [[0, I], [−I, 0]].

Unlike the chaotic-flows catalog (one fixed parameter set, invariants computed
once), a task of meta-learning is one *draw* of a family: ``sample_params(seed)``
gives the masses, lengths and couplings of a task and ``sample_states`` its
initial conditions, so these families live beside the catalog rather than in it.
Hénon–Heiles is also a catalog flow (``HenonHeiles``); the entry here gives it
the energy the catalog has no field for, and a test checks that both right-hand
sides agree.

Separable systems (H = T(p) + V(q), every one here but the double pendulum)
are integrated by Störmer–Verlet leapfrog (order 2; Hairer, Lubich & Wanner
2006, *Geometric Numerical Integration*, §I.1.4) or Yoshida's order-4
composition of it (Yoshida 1990, Phys. Lett. A 150, 262), both symplectic, so
the energy error stays bounded (of order h² or h⁴) instead of drifting. The
double pendulum is integrated by classic RK4 with small steps.

>>> from dynlearn.systems import hamiltonian as ham
>>> sys = ham.get("pendulum")
>>> trajs = ham.simulate(sys, n_traj=4, n_points=200, dt=0.1, seed=0)
>>> ham.energy(sys, trajs[0].states, trajs[0].meta["params"])  # nearly constant
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from dynlearn._validation import as_rng, check_positive
from dynlearn.data import Trajectory
from dynlearn.errors import DivergenceError, ValidationError

Array = Any  # numpy or torch: the integrators only add and multiply


@dataclasses.dataclass(frozen=True)
class HamiltonianSystem:
    """One family of Hamiltonian systems.

    ``kinetic(p, prm)`` / ``potential(q, prm)`` ``(B,)`` and their gradients
    ``grad_kinetic`` / ``grad_potential`` ``(B, dof)`` for a separable system;
    ``hamiltonian(q, p, prm)`` and ``rhs(x, prm)`` for a non-separable one.
    ``param_ranges``: each parameter's default and the interval a task draws it from;
    ``edges``: the interacting particle pairs (the graph of a particle system).
    """

    name: str
    n_particles: int
    particle_dim: int
    param_ranges: Mapping[str, tuple[float, float, float]]  # name -> (default, low, high)
    initial_states: Callable[[np.random.Generator, Mapping[str, float], int], np.ndarray]
    description: str
    reference: str
    kinetic: Callable | None = None
    potential: Callable | None = None
    grad_kinetic: Callable | None = None
    grad_potential: Callable | None = None
    hamiltonian: Callable | None = None
    rhs: Callable | None = None
    edges: tuple[tuple[int, int], ...] = ()
    dt: float = 0.1

    @property
    def dof(self) -> int:
        return self.n_particles * self.particle_dim

    @property
    def dim(self) -> int:
        return 2 * self.dof

    @property
    def separable(self) -> bool:
        return self.grad_kinetic is not None and self.grad_potential is not None

    @property
    def defaults(self) -> dict[str, float]:
        return {k: float(v[0]) for k, v in self.param_ranges.items()}

    def params(self, overrides: Mapping[str, float] | None = None) -> dict[str, float]:
        """The default parameters with ``overrides``; an unknown name is an error."""
        out = self.defaults
        for k, v in (overrides or {}).items():
            if k not in out:
                raise ValidationError(f"{self.name} has no parameter {k!r}; its parameters are {sorted(out)}")
            out[k] = float(v)
        return out

    def sample_params(self, seed=None) -> dict[str, float]:
        """One task's parameters, each uniform on its interval (seeded)."""
        rng = as_rng(seed)
        return {k: float(rng.uniform(lo, hi)) for k, (_, lo, hi) in self.param_ranges.items()}

    def sample_states(self, n: int, params: Mapping[str, float] | None = None, seed=None) -> np.ndarray:
        """``n`` initial states ``(n, dim)`` in the family's bounded region (seeded)."""
        return np.asarray(self.initial_states(as_rng(seed), self.params(params), int(n)), dtype=np.float64)

    def energy(self, x, params: Mapping[str, float] | None = None) -> np.ndarray:
        """H at states ``x`` ``(..., dim)``; returns ``x.shape[:-1]``."""
        return energy(self, x, params)

    def vector_field(self, x, params: Mapping[str, float] | None = None) -> np.ndarray:
        """J ∇H at states ``x`` ``(..., dim)``."""
        prm = self.params(params)
        x = np.asarray(x, dtype=np.float64)
        flat = x.reshape(-1, self.dim)
        if self.separable:
            q, p = flat[:, : self.dof], flat[:, self.dof :]
            out = np.concatenate([self.grad_kinetic(p, prm), -self.grad_potential(q, prm)], axis=1)
        else:
            out = self.rhs(flat, prm)
        return out.reshape(x.shape)


def energy(system: HamiltonianSystem | str, x, params: Mapping[str, float] | None = None) -> np.ndarray:
    """The true energy H(q, p) of ``system`` at states ``x`` ``(..., dim)``."""
    system = get(system)
    prm = system.params(params)
    x = np.asarray(x, dtype=np.float64)
    if x.shape[-1] != system.dim:
        raise ValidationError(f"{system.name} has states of dimension {system.dim}; got {x.shape[-1]}")
    flat = x.reshape(-1, system.dim)
    q, p = flat[:, : system.dof], flat[:, system.dof :]
    if system.separable:
        h = system.kinetic(p, prm) + system.potential(q, prm)
    else:
        h = system.hamiltonian(q, p, prm)
    return np.asarray(h).reshape(x.shape[:-1])


# --- symplectic integrators ------------------------------------------------------------------------
_CBRT2 = 2.0 ** (1.0 / 3.0)
#: Yoshida's weights: three leapfrog steps of w1·h, w0·h, w1·h make an order-4 method
YOSHIDA4 = (1.0 / (2.0 - _CBRT2), -_CBRT2 / (2.0 - _CBRT2), 1.0 / (2.0 - _CBRT2))
ORDERS = {"leapfrog": 2, "yoshida4": 4}


def leapfrog(dT: Callable, dV: Callable, q: Array, p: Array, h: float) -> tuple[Array, Array]:
    """One Störmer–Verlet step (kick–drift–kick) of a separable H = T(p) + V(q):
    p ← p − h/2 ∇V(q); q ← q + h ∇T(p); p ← p − h/2 ∇V(q). Works on numpy or torch arrays."""
    p = p - 0.5 * h * dV(q)
    q = q + h * dT(p)
    p = p - 0.5 * h * dV(q)
    return q, p


def symplectic_step(dT: Callable, dV: Callable, q: Array, p: Array, h: float, method: str = "leapfrog"):
    """One step of ``method``: ``"leapfrog"`` (order 2) or ``"yoshida4"`` (order 4, three leapfrogs)."""
    if method == "leapfrog":
        return leapfrog(dT, dV, q, p, h)
    if method == "yoshida4":
        for w in YOSHIDA4:
            q, p = leapfrog(dT, dV, q, p, w * h)
        return q, p
    raise ValidationError(f"method must be one of {', '.join(ORDERS)} or 'rk4'; got {method!r}")


def _rk4(f: Callable, x: np.ndarray, h: float) -> np.ndarray:
    k1 = f(x)
    k2 = f(x + 0.5 * h * k1)
    k3 = f(x + 0.5 * h * k2)
    k4 = f(x + h * k3)
    return x + h * (k1 + 2 * k2 + 2 * k3 + k4) / 6


def integrate(
    system: HamiltonianSystem | str,
    x0,
    n_points: int,
    dt: float,
    params: Mapping[str, float] | None = None,
    *,
    method: str | None = None,
    substeps: int = 10,
) -> np.ndarray:
    """States ``(B, n_points, dim)`` every ``dt`` from ``x0`` ``(B, dim)``, all initial conditions at once.

    ``method``: ``"leapfrog"``, ``"yoshida4"`` (separable systems; default ``yoshida4``) or
    ``"rk4"`` (any system; the default for non-separable ones); ``substeps`` steps per ``dt``."""
    system = get(system)
    prm = system.params(params)
    check_positive(dt, "dt")
    check_positive(substeps, "substeps", integer=True)
    x = np.array(x0, dtype=np.float64, ndmin=2)
    if x.shape[-1] != system.dim:
        raise ValidationError(f"{system.name} has states of dimension {system.dim}; x0 has {x.shape[-1]}")
    method = method or ("yoshida4" if system.separable else "rk4")
    if method in ORDERS and not system.separable:
        raise ValidationError(f"{system.name} is not separable (H ≠ T(p) + V(q)); integrate it with method='rk4'")
    h, d = dt / substeps, system.dof
    out = np.empty((len(x), n_points, system.dim))
    out[:, 0] = x
    q, p = x[:, :d].copy(), x[:, d:].copy()
    dT = lambda p_: system.grad_kinetic(p_, prm)  # noqa: E731
    dV = lambda q_: system.grad_potential(q_, prm)  # noqa: E731
    f = lambda y: system.vector_field(y, prm)  # noqa: E731
    for k in range(1, n_points):
        for _ in range(substeps):
            if method == "rk4":
                y = _rk4(f, np.concatenate([q, p], axis=1), h)
                q, p = y[:, :d], y[:, d:]
            else:
                q, p = symplectic_step(dT, dV, q, p, h, method)
        out[:, k, :d], out[:, k, d:] = q, p
        if not np.all(np.isfinite(out[:, k])):
            raise DivergenceError(
                f"{system.name} blew up at step {k} (t = {k * dt:g}); use a smaller dt or more substeps"
            )
    return out


def simulate(
    system: HamiltonianSystem | str,
    *,
    n_traj: int = 1,
    n_points: int = 200,
    dt: float | None = None,
    params: Mapping[str, float] | None = None,
    seed=None,
    method: str | None = None,
    substeps: int = 10,
) -> list[Trajectory]:
    """``n_traj`` trajectories of one task: ``params`` (default: the family's defaults) and
    initial conditions drawn by ``seed``. Each trajectory's ``meta`` holds the system name,
    its parameters and the (q, p) split."""
    system = get(system)
    prm = system.params(params)
    dt = system.dt if dt is None else dt
    x0 = system.sample_states(n_traj, prm, seed)
    states = integrate(system, x0, n_points, dt, prm, method=method, substeps=substeps)
    times = dt * np.arange(n_points)
    meta = {"system": system.name, "params": prm, "dof": system.dof, "particle_dim": system.particle_dim}
    return [Trajectory(times, s, meta=dict(meta)) for s in states]


# --- the families -----------------------------------------------------------------------------------
def _sq(a):
    return a * a


def _pairs(n: int) -> tuple[tuple[int, int], ...]:
    return tuple((i, j) for i in range(n) for j in range(i + 1, n))


def _on_circle(rng, n, lo, hi):
    """(q, p) points on circles of radius uniform in [lo, hi]: bounded orbits of an oscillator."""
    r, a = rng.uniform(lo, hi, n), rng.uniform(0, 2 * np.pi, n)
    return r * np.cos(a), r * np.sin(a)


def _mass_spring_states(rng, prm, n):
    # energy E = r²/2 in the scaled variables (√k q, p/√m)
    x, y = _on_circle(rng, n, 0.3, 1.0)
    return np.stack([x / math.sqrt(prm["k"]), y * math.sqrt(prm["m"])], axis=1)


def _pendulum_states(rng, prm, n):
    q = rng.uniform(-1.8, 1.8, n)
    p = rng.uniform(-0.6, 0.6, n) * prm["m"] * prm["l"] ** 2
    return np.stack([q, p], axis=1)


def _double_pendulum_states(rng, prm, n):
    th = rng.uniform(-1.0, 1.0, (n, 2))
    return np.concatenate([th, rng.uniform(-0.3, 0.3, (n, 2))], axis=1)


def _dp_terms(q, p, prm):
    m1, m2, l1, l2, g = prm["m1"], prm["m2"], prm["l1"], prm["l2"], prm["g"]
    d = q[:, 0] - q[:, 1]
    c, s = np.cos(d), np.sin(d)
    den = l1 * l2 * (m1 + m2 * s**2)
    return m1, m2, l1, l2, g, c, s, den


def _dp_hamiltonian(q, p, prm):
    m1, m2, l1, l2, g, c, s, den = _dp_terms(q, p, prm)
    p1, p2 = p[:, 0], p[:, 1]
    t = (m2 * l2**2 * p1**2 + (m1 + m2) * l1**2 * p2**2 - 2 * m2 * l1 * l2 * p1 * p2 * c) / (2 * m2 * l1 * l2 * den)
    return t - (m1 + m2) * g * l1 * np.cos(q[:, 0]) - m2 * g * l2 * np.cos(q[:, 1])


def _dp_rhs(x, prm):
    # Hamilton's equations of _dp_hamiltonian: with Δ = θ1 − θ2, D = l1 l2 (m1 + m2 sin²Δ),
    # h1 = p1 p2 sin Δ / D, h2 = (m2 l2² p1² + (m1 + m2) l1² p2² − 2 m2 l1 l2 p1 p2 cos Δ) sin 2Δ / (2 D²)
    q, p = x[:, :2], x[:, 2:]
    m1, m2, l1, l2, g, c, s, den = _dp_terms(q, p, prm)
    p1, p2 = p[:, 0], p[:, 1]
    th1dot = (l2 * p1 - l1 * p2 * c) / (l1 * den)
    th2dot = ((m1 + m2) * l1 * p2 - m2 * l2 * p1 * c) / (m2 * l2 * den)
    h1 = p1 * p2 * s / den
    num = m2 * l2**2 * p1**2 + (m1 + m2) * l1**2 * p2**2 - 2 * m2 * l1 * l2 * p1 * p2 * c
    h2 = num * np.sin(2.0 * (q[:, 0] - q[:, 1])) / (2 * den**2)
    return np.stack(
        [th1dot, th2dot, -(m1 + m2) * g * l1 * np.sin(q[:, 0]) - h1 + h2, -m2 * g * l2 * np.sin(q[:, 1]) + h1 - h2],
        axis=1,
    )


def _masses(prm, n):
    return np.array([prm[f"m{i + 1}"] for i in range(n)])


def _gravity_potential(n, soft: bool):
    def potential(q, prm):
        m, e2 = _masses(prm, n), (prm.get("eps", 0.0) ** 2 if soft else 0.0)
        qs = q.reshape(len(q), n, 2)
        v = 0.0
        for i, j in _pairs(n):
            v = v - prm["G"] * m[i] * m[j] / np.sqrt(_sq(qs[:, i] - qs[:, j]).sum(-1) + e2)
        return v

    def grad(q, prm):
        m, e2 = _masses(prm, n), (prm.get("eps", 0.0) ** 2 if soft else 0.0)
        qs = q.reshape(len(q), n, 2)
        g = np.zeros_like(qs)
        for i, j in _pairs(n):
            r = qs[:, i] - qs[:, j]
            f = prm["G"] * m[i] * m[j] * r / (_sq(r).sum(-1, keepdims=True) + e2) ** 1.5
            g[:, i] += f
            g[:, j] -= f
        return g.reshape(len(q), -1)

    return potential, grad


def _particle_kinetic(n, dim):
    def kinetic(p, prm):
        m = np.repeat(_masses(prm, n), dim)
        return (_sq(p) / (2 * m)).sum(-1)

    def grad(p, prm):
        return p / np.repeat(_masses(prm, n), dim)

    return kinetic, grad


def _two_body_states(rng, prm, n):
    m1, m2, G = prm["m1"], prm["m2"], prm["G"]
    r = rng.uniform(0.8, 1.4, n)
    a = rng.uniform(0, 2 * np.pi, n)
    v = np.sqrt(G * (m1 + m2) / r) * rng.uniform(0.85, 1.1, n)  # near-circular: eccentricity < ~0.3
    rel = np.stack([r * np.cos(a), r * np.sin(a)], 1)
    vel = np.stack([-v * np.sin(a), v * np.cos(a)], 1)
    M = m1 + m2
    q = np.concatenate([m2 / M * rel, -m1 / M * rel], 1)
    p = np.concatenate([m1 * m2 / M * vel, -m1 * m2 / M * vel], 1)
    return np.concatenate([q, p], 1)


def _three_body_states(rng, prm, n):
    # a rotating equilateral triangle about the centre of mass (Lagrange's solution), perturbed:
    # bounded for a while, then chaotic; the softening keeps close encounters finite
    m = _masses(prm, 3)
    out = np.empty((n, 12))
    for k in range(n):
        a0 = rng.uniform(0, 2 * np.pi)
        s = rng.uniform(0.9, 1.2)
        pos = np.stack([[np.cos(a0 + 2 * np.pi * i / 3), np.sin(a0 + 2 * np.pi * i / 3)] for i in range(3)]) * s
        pos -= (m[:, None] * pos).sum(0) / m.sum()
        side = np.linalg.norm(pos[0] - pos[1])
        omega = math.sqrt(prm["G"] * m.sum() / side**3) * rng.uniform(0.95, 1.05)
        vel = omega * np.stack([-pos[:, 1], pos[:, 0]], 1) + rng.normal(0, 0.03, (3, 2))
        vel -= (m[:, None] * vel).sum(0) / m.sum()
        out[k] = np.concatenate([pos.ravel(), (m[:, None] * vel).ravel()])
    return out


def _hh_potential(q, prm):
    x, y, lam = q[:, 0], q[:, 1], prm["lam"]
    return 0.5 * (x**2 + y**2) + lam * (x**2 * y - y**3 / 3)


def _hh_grad(q, prm):
    x, y, lam = q[:, 0], q[:, 1], prm["lam"]
    return np.stack([x + 2 * lam * x * y, y + lam * (x**2 - y**2)], axis=1)


def _hh_states(rng, prm, n):
    # energies below the escape energy 1/(6 λ²): orbits stay in the triangular well
    e_max = 0.75 / (6 * prm["lam"] ** 2)
    out = np.empty((n, 4))
    k = 0
    while k < n:
        e = rng.uniform(0.3, 1.0) * e_max
        q = rng.uniform(-0.45, 0.45, (1, 2)) / prm["lam"]
        v = float(_hh_potential(q, prm)[0])
        if v >= e:
            continue
        a = rng.uniform(0, 2 * np.pi)
        r = math.sqrt(2 * (e - v))
        out[k] = [q[0, 0], q[0, 1], r * math.cos(a), r * math.sin(a)]
        k += 1
    return out


_CHAIN = 4  # particles of the spring chain


def _chain_potential(q, prm):
    qs = q.reshape(len(q), _CHAIN, 2)
    r = np.sqrt(_sq(qs[:, 1:] - qs[:, :-1]).sum(-1))
    return 0.5 * prm["k"] * _sq(r - prm["L"]).sum(-1)


def _chain_grad(q, prm):
    qs = q.reshape(len(q), _CHAIN, 2)
    d = qs[:, 1:] - qs[:, :-1]
    r = np.sqrt(_sq(d).sum(-1, keepdims=True))
    f = prm["k"] * (r - prm["L"]) * d / r  # ∂V/∂q_{i+1} of each spring
    g = np.zeros_like(qs)
    g[:, 1:] += f
    g[:, :-1] -= f
    return g.reshape(len(q), -1)


def _chain_kinetic(p, prm):
    return _sq(p).sum(-1) / (2 * prm["m"])


def _chain_states(rng, prm, n):
    base = np.stack([np.arange(_CHAIN) * prm["L"], np.zeros(_CHAIN)], 1)
    q = base[None] + rng.normal(0, 0.15, (n, _CHAIN, 2)) * prm["L"]
    p = rng.normal(0, 0.3, (n, _CHAIN, 2)) * prm["m"]
    q -= q.mean(1, keepdims=True)
    p -= p.mean(1, keepdims=True)  # no drift of the centre of mass
    return np.concatenate([q.reshape(n, -1), p.reshape(n, -1)], 1)


_kin2, _gkin2 = _particle_kinetic(2, 2)
_kin3, _gkin3 = _particle_kinetic(3, 2)
_pot2, _gpot2 = _gravity_potential(2, soft=False)
_pot3, _gpot3 = _gravity_potential(3, soft=True)

SYSTEMS: dict[str, HamiltonianSystem] = {
    s.name: s
    for s in (
        HamiltonianSystem(
            "mass_spring", 1, 1, {"m": (1.0, 0.5, 2.0), "k": (1.0, 0.5, 2.0)}, _mass_spring_states,
            "Mass on a linear spring: H = p²/(2m) + k q²/2.",
            "Greydanus, Dzamba & Yosinski (2019). Hamiltonian neural networks. NeurIPS (task 1).",
            kinetic=lambda p, c: p[:, 0] ** 2 / (2 * c["m"]), potential=lambda q, c: 0.5 * c["k"] * q[:, 0] ** 2,
            grad_kinetic=lambda p, c: p / c["m"], grad_potential=lambda q, c: c["k"] * q, dt=0.1,
        ),
        HamiltonianSystem(
            "pendulum", 1, 1, {"m": (1.0, 0.5, 1.5), "l": (1.0, 0.7, 1.3), "g": (2.0, 1.0, 3.0)}, _pendulum_states,
            "Ideal pendulum: H = p²/(2 m l²) + m g l (1 − cos q).",
            "Greydanus, Dzamba & Yosinski (2019). Hamiltonian neural networks. NeurIPS (task 2).",
            kinetic=lambda p, c: p[:, 0] ** 2 / (2 * c["m"] * c["l"] ** 2),
            potential=lambda q, c: c["m"] * c["g"] * c["l"] * (1 - np.cos(q[:, 0])),
            grad_kinetic=lambda p, c: p / (c["m"] * c["l"] ** 2),
            grad_potential=lambda q, c: c["m"] * c["g"] * c["l"] * np.sin(q), dt=0.1,
        ),
        HamiltonianSystem(
            "double_pendulum", 2, 1,
            {"m1": (1.0, 0.7, 1.3), "m2": (1.0, 0.7, 1.3), "l1": (1.0, 0.8, 1.2), "l2": (1.0, 0.8, 1.2),
             "g": (2.0, 1.0, 3.0)},
            _double_pendulum_states,
            "Planar double pendulum in canonical (angle, momentum) coordinates; H is not separable.",
            "Marion & Thornton, Classical Dynamics of Particles and Systems (5th ed., 2003).",
            hamiltonian=_dp_hamiltonian, rhs=_dp_rhs, edges=((0, 1),), dt=0.05,
        ),
        HamiltonianSystem(
            "two_body", 2, 2, {"m1": (1.0, 0.5, 1.5), "m2": (1.0, 0.5, 1.5), "G": (1.0, 1.0, 1.0)}, _two_body_states,
            "Two bodies in the plane under gravity: H = Σ |p_i|²/(2 m_i) − G m1 m2 / |q1 − q2|.",
            "Greydanus, Dzamba & Yosinski (2019). Hamiltonian neural networks. NeurIPS (task 3).",
            kinetic=_kin2, potential=_pot2, grad_kinetic=_gkin2, grad_potential=_gpot2, edges=_pairs(2), dt=0.1,
        ),
        HamiltonianSystem(
            "three_body", 3, 2,
            {"m1": (1.0, 0.8, 1.2), "m2": (1.0, 0.8, 1.2), "m3": (1.0, 0.8, 1.2), "G": (1.0, 1.0, 1.0),
             "eps": (0.1, 0.1, 0.1)},
            _three_body_states,
            "Three bodies in the plane under softened gravity: V = −Σ G m_i m_j / √(|q_i − q_j|² + ε²).",
            "Chen et al. (2020). Symplectic recurrent neural networks. ICLR (three-body task).",
            kinetic=_kin3, potential=_pot3, grad_kinetic=_gkin3, grad_potential=_gpot3, edges=_pairs(3), dt=0.05,
        ),
        HamiltonianSystem(
            "henon_heiles", 1, 2, {"lam": (1.0, 0.8, 1.2)}, _hh_states,
            "Hénon–Heiles: H = |p|²/2 + (x² + y²)/2 + λ (x² y − y³/3) (the catalog's HenonHeiles flow).",
            "Hénon & Heiles (1964). The applicability of the third integral of motion. Astron. J. 69, 73.",
            kinetic=lambda p, c: 0.5 * (p**2).sum(-1), potential=_hh_potential,
            grad_kinetic=lambda p, c: p, grad_potential=_hh_grad, dt=0.1,
        ),
        HamiltonianSystem(
            "spring_chain", _CHAIN, 2, {"m": (1.0, 0.5, 1.5), "k": (1.0, 0.5, 2.0), "L": (1.0, 0.8, 1.2)},
            _chain_states,
            f"A free chain of {_CHAIN} equal masses in the plane joined by springs of rest length L: "
            "V = Σ k/2 (|q_{i+1} − q_i| − L)².",
            "Sanchez-Gonzalez et al. (2019). Hamiltonian graph networks with ODE integrators. arXiv:1909.12790.",
            kinetic=_chain_kinetic, potential=_chain_potential, grad_kinetic=lambda p, c: p / c["m"],
            grad_potential=_chain_grad, edges=tuple((i, i + 1) for i in range(_CHAIN - 1)), dt=0.1,
        ),
    )
}  # fmt: skip


def names() -> list[str]:
    return sorted(SYSTEMS)


def get(name: HamiltonianSystem | str) -> HamiltonianSystem:
    """The family ``name``; any other name (a catalog flow without an energy included) is an error
    that lists the systems that have one."""
    if isinstance(name, HamiltonianSystem):
        return name
    key = str(name).lower().replace("-", "_").replace(" ", "_")
    key = {"henonheiles": "henon_heiles", "doublependulum": "double_pendulum"}.get(key.replace("_", ""), key)
    if key not in SYSTEMS:
        raise ValidationError(
            f"system {name!r} has no energy function, so a Hamiltonian model cannot learn it; "
            f"systems with one: {', '.join(names())} (dynlearn.systems.hamiltonian)"
        )
    return SYSTEMS[key]


__all__ = [
    "HamiltonianSystem",
    "ORDERS",
    "SYSTEMS",
    "YOSHIDA4",
    "energy",
    "get",
    "integrate",
    "leapfrog",
    "names",
    "simulate",
    "symplectic_step",
]
