"""The catalog's declarations, one module per family of systems.

Every public module here is imported by :func:`load_all`; each
:class:`~dynlearn.systems.base.System` it declares with ``@flow``, ``@map_``
or ``@delay`` joins the catalog, and takes the module's ``FAMILY`` as its
``family`` unless the declaration names one:

============  ===========================================================
module        family
============  ===========================================================
lorenz        Lorenz-63 and its quadratic relatives (Chen, Lu, Dequan Li, multi-wing)
sprott        Sprott's simple flows and jerk equations
hyperchaotic  flows with two or more positive Lyapunov exponents
forced        periodically forced oscillators
circuits      electronic circuits
biology       neurons, cells, chemical reactions, ecosystems
fluids        convection, atmosphere and ocean, dynamos, chaotic advection
mechanics     mechanical and Hamiltonian systems
other         flows that fit no family (keep it small)
maps          iterated maps
delays        delay differential equations
============  ===========================================================

A right-hand side shared by several published parameter sets is written once,
in the family module that declares them all, and no module imports another
module's names (shared declaration helpers live in ``_declare``).

Provenance. Equations, published parameter values, initial conditions and
citations of the flows follow the dysts collection (Gilpin, W. (2021). Chaos
as an interpretable benchmark for forecasting and data-driven modelling.
NeurIPS Datasets and Benchmarks), with dysts's parameter names so that
``tests/oracles/test_dysts.py`` compares right-hand sides directly. Where a
formulation departs from dysts (explicit time instead of an appended phase
variable, Cartesian instead of polar coordinates, vector parameters spelled
out as scalars) the entry says so in ``extra["dysts_skip"]``,
``extra["dysts_time_phase"]`` or ``extra["dysts_params"]``.

Flows dysts does not have (Liu2004, Tigan, VanoLotkaVolterra, ChuaCubic,
LinzSprottJerk, MalasomaJerk, UedaDuffing, ShawVanDerPol) state where their
parameter values come from. Each was checked to be bounded and chaotic at
these parameters with a two-trajectory estimate of the largest Lyapunov
exponent (separation 1e-8 renormalised every time unit, RK4 at h = 0.005 over
400 time units after a 200-unit transient; for the Malasoma jerk h = 0.01
over 300 units after 50); the values measured that way are quoted in the
descriptions as "lambda ~". Their default initial conditions are end points
of those runs (for the thin-basin jerk flows, points of the attractor from
which 60 perturbed starts of ``simulate`` all stay bounded).
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

from dynlearn.systems.base import System
from dynlearn.systems.catalog._declare import DYSTS_HAS_NO_PARAMS, delay, flow, map_

#: every System of the catalog, by module then in declaration order (filled by :func:`load_all`)
CATALOG: list[System] = []


def load_all() -> list[System]:
    """Import every public module of the catalog once and collect the Systems it declares."""
    if CATALOG:
        return CATALOG
    found: list[System] = []
    seen: set[int] = set()  # a System bound to two names in a module is one declaration
    where: dict[str, str] = {}
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        family = getattr(module, "FAMILY", mod.name)
        for value in list(vars(module).values()):
            if not isinstance(value, System) or id(value) in seen:
                continue
            seen.add(id(value))
            if value.name in where:
                raise ValueError(
                    f"system {value.name!r} is declared twice, in catalog modules {where[value.name]!r} and "
                    f"{mod.name!r}; rename one of them"
                )
            where[value.name] = mod.name
            found.append(value if value.family else dataclasses.replace(value, family=family))
    CATALOG.extend(found)
    return CATALOG


__all__ = ["CATALOG", "DYSTS_HAS_NO_PARAMS", "delay", "flow", "load_all", "map_"]
