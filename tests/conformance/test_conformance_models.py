"""The conformance suite: every registered model passes the public kit, ``dynlearn.testing.check_model``.

A model joins the registry and is tested here automatically, one test per
(model, check); its capability flags decide which checks apply and its
``conformance_config()`` keeps them fast.
"""

from __future__ import annotations

import pytest

from dynlearn import models
from dynlearn.errors import UnknownNameError
from dynlearn.testing import model_checks

NAMES = models.names()
# Bound at collection: checks of one model share one context (one cached fitted instance per process).
CASES = [check for name in NAMES for check in model_checks(models.MODELS.get(name))]


def test_registry_is_not_empty():
    assert {"persistence", "mean", "linear_ar"} <= set(NAMES)


@pytest.mark.parametrize("check", CASES, ids=lambda c: f"{c.ctx.cls.name}-{c.name}")
def test_model_conformance(check):
    check()


def test_capabilities_choose_checks():
    """Capability flags add their checks: SINDy (inputs, continuous time) is driven and integrated."""
    by_model = {name: {c.name for c in model_checks(models.MODELS.get(name))} for name in ("sindy", "linear_ar")}
    assert {"check_inputs_drive_forecasts", "check_vector_field"} <= by_model["sindy"]
    assert not {"check_inputs_drive_forecasts", "check_vector_field", "check_samples"} & by_model["linear_ar"]


def test_unknown_model_suggests_close_names():
    with pytest.raises(UnknownNameError, match="linear_ar"):
        models.create("linar_ar")
