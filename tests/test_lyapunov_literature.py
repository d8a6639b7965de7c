"""Maximum Lyapunov exponents of ten classic systems against published or exact values.

Each value's source is given beside it. Our estimate is the QR method of
:func:`dynlearn.systems.invariants.estimate_lyapunov` (Jacobian-based), so
this also checks the catalog's equations and Jacobians at the published
parameters. Tolerance: 5%.

The same tolerance holds for the values users read: the **shipped**
``max_lyapunov`` of every case whose published parameters are the catalog's
defaults (and of Chen's system), and their standard errors are at most 2%.
"""

from __future__ import annotations

import math

import pytest

from dynlearn import systems
from dynlearn.systems.invariants import estimate_lyapunov

SPROTT = "Sprott, J. C. (2003). Chaos and Time-Series Analysis. Oxford University Press, Appendix A"
EXACT = "exact: the map is conjugate to (or is) a piecewise-linear expanding map"

# name, parameter overrides, literature value (per iteration or per time unit), source, estimator settings
CASES = [
    ("Henon", {"a": 1.4, "b": 0.3}, 0.41922, SPROTT, {"n_steps": 20_000}),
    ("Lozi", {"a": 1.7, "b": 0.5}, 0.47023, SPROTT, {"n_steps": 20_000}),
    # Sprott lists 0.5076 and -0.7183 for u = 0.9; their sum is 2 ln u, as it must be for this map.
    ("Ikeda", {"u": 0.9}, 0.5076, SPROTT, {"n_steps": 20_000}),
    (
        "Logistic",
        {"r": 4.0},
        math.log(2.0),
        "exact for r = 4 (Ulam & von Neumann 1947; Ott 2002, Sec. 2.3)",
        {"n_steps": 20_000},
    ),
    ("Tent", {"mu": 0.95}, math.log(1.9), f"{EXACT}: slope 2 mu everywhere", {"n_steps": 20_000}),
    (
        "KaplanYorke",
        {"alpha": 0.2},
        math.log(2.0),
        "Kaplan, J. L. & Yorke, J. A. (1979), Lecture Notes in Mathematics 730: the x-map doubles",
        {"n_steps": 20_000},
    ),
    ("Baker", {"a": 1.0}, math.log(2.0 - 1e-10), f"{EXACT}: the stretch factor", {"n_steps": 20_000}),
    (
        "Chebyshev",
        {"a": 6.0},
        math.log(6.0),
        "exact: T_6 is conjugate to the 6-fold angle map (Adler & Rivlin 1964)",
        {"n_steps": 20_000},
    ),
    (
        "Lorenz",
        {"sigma": 10.0, "rho": 28.0, "beta": 8.0 / 3.0},
        0.9056,
        SPROTT,
        {"n_steps": 40_000, "dt": 0.005, "n_trajectories": 4},
    ),
    ("Rossler", {"a": 0.2, "b": 0.2, "c": 5.7}, 0.0714, SPROTT, {"n_steps": 60_000, "dt": 0.05, "n_trajectories": 8}),
]


@pytest.mark.parametrize(("name", "params", "value", "source", "settings"), CASES, ids=[c[0] for c in CASES])
def test_max_lyapunov_matches_literature(name, params, value, source, settings):
    s = systems.get(name)
    est = estimate_lyapunov(s, params=params, transient=1000, seed=1, **settings)
    assert est.spectrum[0] == pytest.approx(value, rel=0.05), f"{name}: {est.spectrum[0]:.4f} vs {value} ({source})"


CHEN = (
    "Chen",
    {"a": 35.0, "b": 3.0, "c": 28.0},
    2.0232,
    "Chen & Ueta (1999) parameters; RK4 QR estimate 2.0232, -0.0005, -12.0227 listed at "
    "https://sites.google.com/view/lyapunov-spectrum/home/chen_eqs (2.027 is also quoted)",
    {},
)
SHIPPED = [c for c in CASES if c[1] == dict(systems.get(c[0]).params)] + [CHEN]


@pytest.mark.parametrize(("name", "params", "value", "source", "settings"), SHIPPED, ids=[c[0] for c in SHIPPED])
def test_shipped_max_lyapunov_matches_literature(name, params, value, source, settings):
    s = systems.get(name)
    assert dict(s.params) == params
    assert s.max_lyapunov == pytest.approx(value, rel=0.05), (
        f"{name}: shipped {s.max_lyapunov:.4f} vs {value} ({source})"
    )
    assert s.invariants["max_lyapunov_stderr"] <= 0.02 * s.max_lyapunov


def test_the_shipped_checks_cover_the_classic_systems():
    assert {"Lorenz", "Rossler", "Chen", "Henon", "Lozi"} <= {c[0] for c in SHIPPED}
    assert len(SHIPPED) >= 10


def test_the_ten_cases_are_distinct_catalog_systems():
    assert len({c[0] for c in CASES}) == 10
    for name, params, *_ in CASES:
        assert set(params) <= set(systems.get(name).params)
