"""``check_system``: the conformance kit for dynamical systems (as scikit-learn's ``check_estimator``).

Every system of the catalog, and any system a user declares, is held to the
:class:`~dynlearn.systems.base.System` protocol. ``check_system`` runs every
check that applies and raises one
:class:`~dynlearn.testing.checks.ConformanceError` naming each failed check
and what to fix::

    from dynlearn.testing import check_system
    check_system(MySystem)          # or a catalog name: check_system("Lorenz")

What is checked:

* the record: kind, dimension, finite initial condition and parameters, a
  reference and a description, positive ``dt`` and ``period``, and (unless
  ``chaotic=False``) a positive largest Lyapunov exponent on record, since
  forecasts are measured in Lyapunov times ``1 / λ_max``;
* the right-hand side: batched evaluation equals row-by-row evaluation, it
  returns float64 of shape ``(batch, dim)`` and leaves its input alone,
  parameters given as ``(batch,)`` arrays (one set per trajectory) act per row,
  and a non-autonomous system accepts ``t`` as a ``(batch,)`` array;
* the Jacobian ``J_ij = ∂f_i/∂x_j`` equals central finite differences
  ``(f(x + ε e_j) - f(x - ε e_j)) / 2ε`` at states on the attractor;
* simulation: one batched ``simulate`` over several seeds (a short transient,
  then ``n_periods`` dominant periods) is finite, bounded by 100 times the
  system's scale (the largest of 1, ``max|x0|`` and, with invariants on
  record, ``max(|mean| + std)``), not constant, and different for different
  seeds; repeating a short simulation gives bitwise the same numbers.

All simulations of one check run share a single batched integration of at
most ``max_steps`` (2,000) RK4 steps, so the default run is cheap (a fraction
of a second for a typical flow). Longer runs are a matter of settings:
``check_system(s, n_periods=20, transient_periods=20, max_steps=None)`` is the
thorough boundedness check of the project's slow test tier.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Iterable, Sequence

import numpy as np

from dynlearn.systems.base import System
from dynlearn.testing.checks import BoundCheck, CheckSuite, expect

__all__ = ["SYSTEM_CHECKS", "SystemCheckContext", "check_system", "system_checks"]


@dataclasses.dataclass(frozen=True)
class SystemCheckContext:
    """What the checks of one system share: the system, the settings and one batched simulation."""

    system: System
    chaotic: bool = True
    seeds: tuple[int, ...] = (0, 1, 2)
    n_periods: float = 2.0
    transient_periods: float = 2.0
    max_steps: int | None = 2000
    points_per_period: float = 100.0

    @property
    def label(self) -> str:
        return f"system {self.system.name!r}"

    @property
    def _steps_per_period(self) -> int:
        """Integration steps per dominant period: ``points_per_period`` outputs of ``ceil(dt_out / dt)`` RK4 steps."""
        s = self.system
        if s.kind == "map":
            return max(1, int(math.ceil(s.period)))
        return int(self.points_per_period * max(1, math.ceil(s.period / self.points_per_period / s.dt - 1e-9)))

    @property
    def periods(self) -> tuple[float, float]:
        """(transient, recorded) periods, scaled down together to fit ``max_steps`` integration steps."""
        total = (self.transient_periods + self.n_periods) * self._steps_per_period
        shrink = 1.0 if self.max_steps is None or total <= self.max_steps else self.max_steps / total
        return self.transient_periods * shrink, self.n_periods * shrink

    @property
    def n_points(self) -> int:
        s = self.system
        if s.kind == "map":  # one point per iteration; ``period`` is in iterations
            return max(100, int(math.ceil(self.periods[1] * s.period)))
        return max(20, int(math.ceil(self.periods[1] * self.points_per_period)))

    @functools.cached_property
    def records(self) -> np.ndarray:
        """``(n_seeds, n_points, dim)`` states of one ``simulate`` call with every seed."""
        from dynlearn import systems

        trajs = systems.simulate(
            self.system,
            n_points=self.n_points,
            seed=list(self.seeds),
            transient_periods=self.periods[0],
            points_per_period=self.points_per_period,
        )
        return np.stack([t.states for t in trajs])

    def states(self, n: int = 6) -> np.ndarray:
        """About ``n`` states on the attractor, taken evenly from the simulated records."""
        flat = self.records.reshape(-1, self.system.dim)
        return flat[np.linspace(0, len(flat) - 1, n).astype(int)]

    def near_x0(self, n: int = 5, seed: int = 0) -> np.ndarray:
        """``n`` states within 10% of the default initial condition's scale."""
        base = np.asarray(self.system.x0, dtype=np.float64)
        rng = np.random.default_rng(seed)
        return base + 0.1 * np.maximum(np.abs(base), 1.0) * rng.standard_normal((n, self.system.dim))

    def rhs(self, x, t=0.37, params=None):
        """The raw right-hand side on a batch (delay systems on a steady history)."""
        s = self.system
        p = s.make_params() if params is None else params
        return s.rhs(x, x, t, p) if s.kind == "delay" else s.rhs(x, t, p)


SYSTEM_CHECKS: CheckSuite[SystemCheckContext] = CheckSuite("system")
_KINDS = ("flow", "map", "delay")


@SYSTEM_CHECKS.check
def check_record(ctx: SystemCheckContext) -> None:
    """The record is complete: kind, dimension, finite x0 and parameters, reference, positive dt and period."""
    s = ctx.system
    expect(isinstance(s.name, str) and s.name.strip(), "its name is empty; give the declaration a name")
    expect(s.kind in _KINDS, f"kind is {s.kind!r}; use @flow, @map_ or @delay, which set one of {_KINDS}")
    expect(s.dim >= 1, "x0 is empty; give the initial condition, one number per state variable")
    expect(np.all(np.isfinite(np.asarray(s.x0, dtype=float))), f"x0 {s.x0} is not finite")
    bad = {k: v for k, v in s.params.items() if not np.all(np.isfinite(np.asarray(v, dtype=float)))}
    expect(not bad, f"parameters {bad} are not finite numbers")
    for field in ("reference", "description"):
        expect(
            str(getattr(s, field)).strip(), f"{field} is empty; say where the equations come from and what they model"
        )
    expect(s.dt > 0 and s.period > 0, f"dt={s.dt} and period={s.period} must be positive (first guesses will do)")
    if s.kind == "delay":
        expect(s.delay_param in s.params, f"delay parameter {s.delay_param!r} is not one of the parameters")


@SYSTEM_CHECKS.check
def check_lyapunov_on_record(ctx: SystemCheckContext) -> None:
    """A chaotic system has a positive largest Lyapunov exponent on record."""
    s, lam = ctx.system, ctx.system.max_lyapunov
    if lam is not None:
        expect(np.isfinite(lam), f"max_lyapunov is {lam}; it must be a finite number")
    if not ctx.chaotic:
        return
    fix = (
        f"compute it with `dynlearn systems compute-invariants {s.name}` (catalog systems), "
        "dynlearn.systems.invariants.compute_invariants(system) or a published value given as max_lyapunov=..., "
        "or pass chaotic=False for a system that is not chaotic"
    )
    expect(lam is not None, f"there is no max_lyapunov on record, so no Lyapunov time to measure forecasts in; {fix}")
    expect(lam > 0, f"max_lyapunov is {lam:.3g}, not positive: the system is not chaotic on record; {fix}")


@SYSTEM_CHECKS.check
def check_rhs_batched(ctx: SystemCheckContext) -> None:
    """The right-hand side is vectorised: (batch, dim) float64, rows as if evaluated alone, input untouched."""
    x = ctx.near_x0()
    x_before = x.copy()
    out = np.asarray(ctx.rhs(x))
    expect(np.array_equal(x, x_before), "the right-hand side modified its input x; write into a new array")
    expect(out.shape == x.shape, f"returned shape {out.shape} for states of shape {x.shape}; return (batch, dim)")
    expect(out.dtype == np.float64, f"returned {out.dtype}; build the result with out = np.empty_like(x)")
    expect(np.all(np.isfinite(out)), "is not finite near the initial condition")
    for i in range(len(x)):
        row = np.asarray(ctx.rhs(x[i : i + 1]))[0]
        expect(
            np.allclose(row, out[i], rtol=1e-12, atol=1e-300),
            f"row {i} of a batch differs from the same state evaluated alone ({out[i]} vs {row}); "
            "use x[:, j] columns and elementwise operations only",
        )


@SYSTEM_CHECKS.check
def check_params_per_trajectory(ctx: SystemCheckContext) -> None:
    """Parameters given as (batch,) arrays, one set per trajectory, act row by row."""
    s = ctx.system
    x = ctx.near_x0()
    scalar = np.asarray(ctx.rhs(x))
    p = s.make_params({k: np.full(len(x), float(v)) for k, v in s.params.items()})
    try:
        arrays = np.asarray(ctx.rhs(x, params=p))
    except Exception as exc:
        expect(False, f"fails with (batch,) parameter arrays ({type(exc).__name__}: {exc}); read p.name elementwise")
    expect(
        arrays.shape == scalar.shape and np.allclose(arrays, scalar, rtol=1e-12, atol=1e-300),
        "gives other values when each parameter is a (batch,) array of its default; "
        "combine parameters with state columns elementwise (p.a * x[:, 0], not matrix products)",
    )


@SYSTEM_CHECKS.check(when=lambda ctx: ctx.system.nonautonomous)
def check_time_per_trajectory(ctx: SystemCheckContext) -> None:
    """A non-autonomous right-hand side accepts t as a (batch,) array (dopri5 gives each trajectory its time)."""
    x = ctx.near_x0()
    scalar = np.asarray(ctx.rhs(x, t=0.37))
    try:
        arrays = np.asarray(ctx.rhs(x, t=np.full(len(x), 0.37)))
    except Exception as exc:
        expect(False, f"fails with t as a (batch,) array ({type(exc).__name__}: {exc}); write t-terms elementwise")
    expect(
        arrays.shape == scalar.shape and np.allclose(arrays, scalar, rtol=1e-12, atol=1e-300),
        "gives other values when t is a (batch,) array; write t-dependent terms elementwise",
    )


@SYSTEM_CHECKS.check
def check_jacobian(ctx: SystemCheckContext) -> None:
    """The Jacobian equals central finite differences at states on the attractor."""
    s = ctx.system
    x = ctx.states()
    J = np.asarray(s.jac(x))
    expect(J.shape == (len(x), s.dim, s.dim), f"jac returned shape {J.shape}; return (batch, dim, dim)")
    for j in range(s.dim):
        e = np.zeros(s.dim)
        e[j] = 1e-6 * max(1.0, np.abs(x[:, j]).max())
        fd = (s(x + e) - s(x - e)) / (2 * e[j])
        ok = np.isclose(J[:, :, j], fd, rtol=1e-5, atol=1e-5)
        where = np.argwhere(~ok)
        expect(
            ok.all(),
            f"d f / d x_{j} differs from finite differences (first at state {where[0][0] if len(where) else '-'}, "
            f"row {where[0][1] if len(where) else '-'}); fix the analytic jacobian=, or use jacobian='fd' when "
            "the right-hand side uses abs, sign, mod or branches",
        )


@SYSTEM_CHECKS.check
def check_simulation_bounded(ctx: SystemCheckContext) -> None:
    """A batched simulation over several seeds is finite, bounded and not constant."""
    s, a = ctx.system, ctx.records
    span = "{:.3g} transient + {:.3g} recorded periods".format(*ctx.periods)
    expect(np.all(np.isfinite(a)), f"the simulation ({span}) is not finite")
    scale = max(1.0, float(np.abs(np.asarray(s.x0)).max()))
    if s.invariants.get("mean") is not None and s.invariants.get("std") is not None:
        scale = max(scale, float((np.abs(s.invariants["mean"]) + np.asarray(s.invariants["std"])).max()))
    peak = float(np.abs(a).max())
    expect(
        peak < 100 * scale,
        f"the simulation ({span}) reached |x| = {peak:.3g}, beyond 100 times the system's scale {scale:.3g}; "
        "check the equations and that x0 lies in the attractor's basin",
    )
    flat = a.std(axis=1)
    expect(
        np.all(flat > 0), f"a simulated trajectory is constant in some coordinate ({span}); x0 may sit on a fixed point"
    )


@SYSTEM_CHECKS.check(when=lambda ctx: len(ctx.seeds) > 1)
def check_seeds_differ(ctx: SystemCheckContext) -> None:
    """Different seeds give different trajectories (seeded offsets of the initial condition)."""
    a = ctx.records
    for i in range(1, len(a)):
        expect(not np.allclose(a[0], a[i]), f"seeds {ctx.seeds[0]} and {ctx.seeds[i]} gave the same trajectory")


@SYSTEM_CHECKS.check
def check_deterministic(ctx: SystemCheckContext) -> None:
    """The same seed gives bitwise the same numbers (a short repeat)."""
    from dynlearn import systems

    s = ctx.system
    # ten integration steps: one output per step of the system's own dt (maps: iterations)
    kw = dict(n_points=10, seed=ctx.seeds[0], transient_periods=0.0, dt=None if s.kind == "map" else s.dt)
    a = systems.simulate(s, **kw)[0].states
    b = systems.simulate(s, **kw)[0].states
    expect(np.array_equal(a, b), "two simulations with the same seed differ; draw randomness only from the seed")


def _context(system: System | str, **settings) -> SystemCheckContext:
    from dynlearn import systems

    s = systems.get(system)  # a name, or a System (registered or not)
    seeds = settings.pop("seeds", (0, 1, 2))
    if isinstance(seeds, int) or not isinstance(seeds, Sequence) or len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty sequence of ints, got {seeds!r}")
    return SystemCheckContext(s, seeds=tuple(int(v) for v in seeds), **settings)


def system_checks(
    system: System | str,
    *,
    chaotic: bool = True,
    seeds: Sequence[int] = (0, 1, 2),
    n_periods: float = 2.0,
    transient_periods: float = 2.0,
    max_steps: int | None = 2000,
    select: Iterable[str] | None = None,
) -> list[BoundCheck]:
    """The checks that apply to ``system``, one by one (call each; for pytest parametrisation)."""
    ctx = _context(
        system,
        chaotic=chaotic,
        seeds=seeds,
        n_periods=n_periods,
        transient_periods=transient_periods,
        max_steps=max_steps,
    )
    return SYSTEM_CHECKS.bind(ctx, select)


def check_system(
    system: System | str,
    *,
    chaotic: bool = True,
    seeds: Sequence[int] = (0, 1, 2),
    n_periods: float = 2.0,
    transient_periods: float = 2.0,
    max_steps: int | None = 2000,
    select: Iterable[str] | None = None,
) -> list[str]:
    """Hold ``system`` (a :class:`~dynlearn.systems.base.System` or a catalog name) to the System protocol.

    Runs every applicable check (the module docstring lists them) and returns
    their names, or raises :class:`~dynlearn.testing.checks.ConformanceError`
    listing each failure with what to fix. ``chaotic=False`` accepts a system
    without a positive Lyapunov exponent on record. The simulation checks
    integrate every seed in one batch for ``transient_periods`` and then record
    ``n_periods`` dominant periods (100 points each; maps: iterations), both
    shortened together when they would take more than ``max_steps`` integration
    steps (systems whose step is small against their period); raise them and
    pass ``max_steps=None`` for a thorough boundedness check. ``select`` runs
    only the named checks.
    """
    ctx = _context(
        system,
        chaotic=chaotic,
        seeds=seeds,
        n_periods=n_periods,
        transient_periods=transient_periods,
        max_steps=max_steps,
    )
    return SYSTEM_CHECKS.run(ctx, select)
