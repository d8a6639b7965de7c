"""The dysts reproduction: its default sample, and a smoke-sized run end to end (slow: it compiles tangents)."""

from __future__ import annotations

import pytest

from dynlearn import repro, systems
from dynlearn.repro import dysts


def test_the_default_sample_is_seeded_stratified_and_in_catalog_order():
    names = systems.names()
    a, b = dysts.sample_names(names, seed=0), dysts.sample_names(names, seed=0)
    assert a == b and len(set(a)) == len(a)
    assert abs(len(a) - dysts.SAMPLE) <= 2  # rounding of the per-kind shares
    assert a == [n for n in names if n in set(a)]
    kinds = {systems.get(n).kind for n in a}
    assert kinds == {systems.get(n).kind for n in names}  # flows, maps and delay equations all represented
    assert dysts.sample_names(names, seed=1) != a
    assert set(dysts.sample_names(names, seed=0, size=10)) <= set(a)  # a smaller sample is a subset
    assert dysts.sample_names(names[:10], seed=0, size=40) == names[:10]


@pytest.mark.slow
def test_smoke_run_writes_a_page_with_the_agreement_claim(tmp_path):
    doc = tmp_path / "dysts.md"
    result = repro.run("dysts", out_dir=tmp_path / "out", smoke=True, doc=doc, progress=lambda m: None)
    page = doc.read_text()
    assert result.metrics["n_systems"] == 5
    assert result.metrics["bounded"] == 5
    assert "shipped and re-estimated λ_max within 10%" in page
    assert "smoke-sized run" in page
    again = repro.run("dysts", out_dir=tmp_path / "out", smoke=True, progress=lambda m: None)  # from the cache
    same = lambda m: {k: v for k, v in m.items() if k != "wall_seconds"}  # noqa: E731
    assert same(again.metrics) == same(result.metrics)


def test_conservative_systems_are_recognised_from_their_shipped_spectrum():
    # area- or volume-preserving: the spectrum sums to zero (Hopalong's map has det J = 1, SprottA is the
    # Nosé-Hoover oscillator); dissipative chaos sums far below zero
    for name, conservative in (("Hopalong", True), ("SprottA", True), ("Lorenz", False), ("Rossler", False)):
        s = systems.get(name)
        assert dysts.is_conservative(s.invariants.get("lyapunov_spectrum"), s.max_lyapunov) is conservative, name
    assert not dysts.is_conservative(None, 0.5) and not dysts.is_conservative([0.0, 0.0], 0.0)
    # a map's re-estimate may run as long as a flow's (2,000 "periods" of one iteration were too few)
    assert dysts.CHECK["map_max_steps"] >= 100_000
