"""Every system in the catalog passes ``dynlearn.testing.check_system`` (generated from the registry).

Default tier: one test per system runs every check on one batched simulation
of three seeds (2 transient + 2 recorded periods, at most 2,000 RK4 steps) plus
a short determinism repeat. Slow tier (``-m slow``): the long boundedness run,
20 transient + 20 recorded periods for every seed, with no step limit.
"""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn import systems
from dynlearn.testing import check_system

NAMES = systems.names()

#: catalog systems whose largest Lyapunov exponent on record (systems/data/invariants.json) is not
#: positive by more than one standard error, or that are declared as non-chaotic references; every
#: other system must have a positive max_lyapunov (None is never accepted)
NOT_CHAOTIC = {
    "BelousovZhabotinsky": "lambda_max on record 0.0 (standard error 0.0)",
    "Bogdanov": "declared quasi-periodic at mu = 0 (lambda_max on record 6e-4 per iteration)",
    "CaTwoPlusQuasiperiodic": "declared quasi-periodic (lambda_max on record -0.0024)",
    "ForcedFitzHughNagumo": "lambda_max on record 0.0013 +- 0.0013",
    "ForcedVanDerPol": "lambda_max on record -0.071: periodic at these parameters",
    "GumowskiMira": "lambda_max on record -0.0042 +- 0.013 after 10^6 iterations x 8 starts (5,000 gave 0.11 +- 0.03)",
    "KawczynskiStrizhak": "lambda_max on record -0.0006 +- 0.0011",
    "PanXuZhou": "lambda_max on record -0.012 +- 0.015 after 1.6e6 steps x 8 starts on its chaotic set: a transient "
    "before stable equilibria",
    "Torus": "declared quasi-periodic reference (all exponents zero)",
    "Tsucs2": "lambda_max on record -0.0012 +- 0.0002 after 1.08e6 steps x 8 starts (30,000 steps gave 0.17: "
    "the O(1/T) alignment bias, with a second exponent of +0.09)",
}


@pytest.mark.parametrize("name", NAMES)
def test_system_conforms(name):
    check_system(name, chaotic=name not in NOT_CHAOTIC)


def test_every_catalog_system_has_parameters():
    """Catalog convention (the dysts oracle relies on it): every entry has at least one parameter."""
    assert [n for n in NAMES if not systems.get(n).params] == []


def test_the_non_chaotic_list_is_what_the_invariants_say():
    """A system whose exponent on record is not positive by more than one standard error must be listed,
    so that losing chaos (a changed equation or parameter) fails here instead of passing silently."""
    assert set(NOT_CHAOTIC) <= set(NAMES)
    for name in NAMES:
        s = systems.get(name)
        lam = s.max_lyapunov
        assert lam is not None and np.isfinite(lam), f"{name} has no max_lyapunov on record"
        stderr = s.invariants.get("max_lyapunov_stderr") or 0.0
        if lam <= stderr:
            assert name in NOT_CHAOTIC, f"{name}: lambda_max {lam:.3g} +- {stderr:.2g} is not positive"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_long_run_stays_bounded(name):
    check_system(
        name,
        n_periods=20,
        transient_periods=20,
        max_steps=None,
        select=["check_simulation_bounded", "check_seeds_differ"],
    )
