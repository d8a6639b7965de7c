"""The ``dysts-chaotic-flows`` system set (dynlearn.bench.system_sets) against dysts itself:
DYSTS_FLOWS must be exactly the catalog's continuous-time systems that dysts lists as flows."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from dynlearn import systems
from dynlearn.bench.system_sets import DYSTS_FLOWS

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    dysts = pytest.importorskip("dysts")


def _dysts_flow_names() -> set[str]:
    path = Path(dysts.__file__).parent / "data" / "chaotic_attractors.json"
    return set(json.loads(path.read_text()))


def test_dysts_flows_is_the_catalog_intersection_with_dysts():
    theirs = _dysts_flow_names()
    ours = {n for n, s in systems.SYSTEMS.items() if s.kind != "map" and s.extra.get("dysts_name", n) in theirs}
    assert sorted(DYSTS_FLOWS) == sorted(ours)
    assert len(set(DYSTS_FLOWS)) == len(DYSTS_FLOWS)


def test_every_dysts_flow_we_lack_is_known():
    """dysts flows the catalog does not have; a new catalog entry must join DYSTS_FLOWS."""
    have = {systems.get(n).extra.get("dysts_name", n) for n in DYSTS_FLOWS}
    assert _dysts_flow_names() - have == {"BickleyJet", "SwingingAtwood"}
