"""Invariants against known answers, and the shipped-metadata machinery."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from dynlearn import systems
from dynlearn.errors import DynlearnError, FileFormatError, ValidationError
from dynlearn.systems import invariants as inv
from dynlearn.systems import metadata
from dynlearn.systems.base import System


def _henon(x, t, p):
    out = np.empty_like(x)
    out[:, 0] = 1.0 - p.a * x[:, 0] ** 2 + x[:, 1]
    out[:, 1] = p.b * x[:, 0]
    return out


def _logistic(x, t, p):
    return p.r * x * (1.0 - x)


def _mackey_glass(x, xd, t, p):
    return p.beta * xd / (1.0 + xd**p.n) - p.gamma * x


HENON = System(
    name="TestHenon", rhs=_henon, params={"a": 1.4, "b": 0.3}, x0=(0.1, 0.1), kind="map", description="d", reference="r"
)
LOGISTIC = System(
    name="TestLogistic", rhs=_logistic, params={"r": 4.0}, x0=(0.3,), kind="map", description="d", reference="r"
)
MACKEY_GLASS = System(
    name="TestMackeyGlass",
    rhs=_mackey_glass,
    params={"beta": 0.2, "gamma": 0.1, "n": 10.0, "tau": 17.0},
    x0=(1.2,),
    kind="delay",
    delay_param="tau",
    jacobian="fd",
    dt=0.2,
    period=50.0,
    description="d",
    reference="r",
)
SMALL = inv.InvariantSettings(n_trajectories=4, n_samples=2048, map_iterations=2000, correlation_points=1500)


# ---------------------------------------------------------------- Lyapunov exponents


def test_lorenz_spectrum_literature_and_divergence():
    # lambda_max = 0.9056 (Sprott 2003, Chaos and Time-Series Analysis, App. A); the exponents
    # sum to the constant divergence of the flow -(sigma + 1 + beta).
    est = inv.estimate_lyapunov(systems.get("Lorenz"), n_steps=5000, dt=0.01, transient=500, n_trajectories=6)
    assert est.spectrum[0] == pytest.approx(0.9056, rel=0.05)
    assert abs(est.spectrum[1]) < 0.03
    assert est.spectrum.sum() == pytest.approx(-(10 + 1 + 8 / 3), rel=1e-3)
    assert np.all(est.stderr > 0) and est.stderr[0] < 0.05
    assert list(est.spectrum) == sorted(est.spectrum, reverse=True)


def test_complex_step_tangent_equals_analytic_jacobian():
    lorenz = systems.get("Lorenz")
    kwargs = dict(n_steps=300, dt=0.01, transient=50, n_trajectories=2)
    analytic = inv.estimate_lyapunov(lorenz, **kwargs).spectrum
    complex_step = inv.estimate_lyapunov(dataclasses.replace(lorenz, jacobian=None), **kwargs).spectrum
    np.testing.assert_allclose(complex_step, analytic, rtol=1e-9)


def test_henon_map_spectrum():
    # lambda_1 = 0.419 (Sprott 2003, App. A); lambda_1 + lambda_2 = ln b (constant Jacobian determinant -b).
    est = inv.estimate_lyapunov(HENON, n_steps=20_000, transient=100, n_trajectories=4)
    assert est.spectrum[0] == pytest.approx(0.419, abs=0.01)
    assert est.spectrum.sum() == pytest.approx(np.log(0.3), abs=1e-9)


def test_logistic_map_at_r4_is_ln2():
    est = inv.estimate_lyapunov(LOGISTIC, n_steps=20_000, transient=100, n_trajectories=4)
    assert est.spectrum[0] == pytest.approx(np.log(2.0), abs=0.02)


def test_same_seed_same_numbers():
    a = inv.estimate_lyapunov(HENON, n_steps=500, transient=10, n_trajectories=3, seed=4)
    b = inv.estimate_lyapunov(HENON, n_steps=500, transient=10, n_trajectories=3, seed=4)
    np.testing.assert_array_equal(a.spectrum, b.spectrum)


def test_delay_max_exponent_is_positive_and_step_independent():
    # Mackey-Glass tau = 17 is weakly chaotic; the estimate must not depend on the step.
    kw = dict(n_steps=6000, transient=1000, n_trajectories=4)
    coarse = inv.max_lyapunov_delay(MACKEY_GLASS, dt=0.5, **kw)
    fine = inv.max_lyapunov_delay(MACKEY_GLASS, dt=0.25, n_steps=12_000, transient=2000, n_trajectories=4)
    assert 0.002 < coarse.spectrum[0] < 0.008
    assert coarse.spectrum[0] == pytest.approx(fine.spectrum[0], abs=3 * (coarse.stderr[0] + fine.stderr[0]))
    with pytest.raises(ValidationError, match="delay equation"):
        inv.estimate_lyapunov(MACKEY_GLASS)


# ---------------------------------------------------------------- dimensions and timescales


@pytest.mark.parametrize(
    "spectrum, expected",
    [
        ([0.9, 0.0, -14.5], 2 + 0.9 / 14.5),
        ([0.5, -1.0], 1.5),
        ([-1.0, -2.0], 0.0),
        ([1.0, 0.5], 2.0),
        ([0.0, -1.0], 1.0),
    ],
)
def test_kaplan_yorke_formula(spectrum, expected):
    assert inv.kaplan_yorke_dimension(spectrum) == pytest.approx(expected)
    assert inv.kaplan_yorke_dimension(spectrum[::-1]) == pytest.approx(expected)  # order does not matter


def test_correlation_dimension_of_known_sets():
    rng = np.random.default_rng(0)
    u = rng.random(3000)
    assert inv.correlation_dimension(np.stack([u, 2 * u, -u], 1)) == pytest.approx(1.0, abs=0.05)
    assert inv.correlation_dimension(rng.random((3000, 2))) == pytest.approx(2.0, abs=0.1)
    x, pts = np.array([[0.1, 0.1]]), []
    for _ in range(10_100):
        x = _henon(x, 0, HENON.make_params())
        pts.append(x[0])
    # Henon: D2 = 1.21, Lorenz: D2 = 2.05 (Grassberger & Procaccia 1983, Physica D 9, 189)
    assert inv.correlation_dimension(np.array(pts[100:])) == pytest.approx(1.21, abs=0.06)
    lorenz = systems.get("Lorenz")
    (states,) = systems.integrate(lorenz, lorenz.x0, n_points=20_000, dt=0.025, max_step=0.0125, **inv._NUMPY)
    assert inv.correlation_dimension(states, theiler=4) == pytest.approx(2.05, abs=0.1)


def test_periods_and_significant_frequency():
    t = np.arange(4000) * 0.01
    assert inv.dominant_period(np.sin(2 * np.pi * t / 2.0)[:, None], 0.01) == pytest.approx(2.0, rel=0.01)
    two = np.sin(2 * np.pi * 0.5 * t) + 0.5 * np.sin(2 * np.pi * 3.0 * t)
    assert inv.significant_frequency(two, 0.01) == pytest.approx(3.0, abs=0.05)
    assert inv.significant_frequency(two, 0.01, fraction=0.5) == pytest.approx(0.5, abs=0.05)


# ---------------------------------------------------------------- compute_invariants and the metadata file


def test_compute_invariants_is_consistent_and_json_able():
    rec = inv.compute_invariants(HENON, SMALL)
    json.dumps(rec, allow_nan=False)
    assert rec["max_lyapunov"] == rec["lyapunov_spectrum"][0]
    assert rec["max_lyapunov"] == pytest.approx(0.419, abs=0.02)
    assert rec["kaplan_yorke_dimension"] == pytest.approx(1 + 0.419 / (0.419 - np.log(0.3)), abs=0.02)
    assert rec["correlation_dimension"] == pytest.approx(1.21, abs=0.1)
    assert rec["dt"] == 1.0 and rec["settings"]["n_trajectories"] == 4


def test_compute_invariants_of_a_flow():
    cfg = dataclasses.replace(SMALL, lyapunov_periods=30, max_steps=15_000, min_periods=20)
    rec = inv.compute_invariants(systems.get("Lorenz"), cfg)
    assert rec["max_lyapunov"] == rec["lyapunov_spectrum"][0] == pytest.approx(0.9056, rel=0.1)
    assert rec["period"] == pytest.approx(0.76, rel=0.1)
    assert 5e-4 < rec["dt"] < 0.01
    assert rec["mean"][2] == pytest.approx(23.5, rel=0.05)


def test_compute_invariants_of_a_delay_equation():
    cfg = dataclasses.replace(SMALL, lyapunov_periods=10, max_steps=4000)
    rec = inv.compute_invariants(MACKEY_GLASS, cfg)
    json.dumps(rec, allow_nan=False)
    assert rec["lyapunov_spectrum"] is None and rec["kaplan_yorke_dimension"] is None
    assert rec["max_lyapunov"] > 0


def test_compute_all_resumes_without_duplicates(tmp_path, monkeypatch):
    path = tmp_path / "inv.json"
    calls = []
    real = metadata.compute_invariants

    def counting(system, settings=None):
        calls.append(system.name)
        return real(system, SMALL)

    monkeypatch.setattr(metadata, "compute_invariants", counting)

    def interrupt(name, done, total, record):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        metadata.compute_all([HENON, LOGISTIC], path=path, on_progress=interrupt)
    assert list(metadata.load_invariants(path)) == ["TestHenon"]  # saved before the interruption
    seen = []
    metadata.compute_all([HENON, LOGISTIC], path=path, on_progress=lambda n, *a: seen.append(n))
    assert calls == ["TestHenon", "TestLogistic"] and seen == ["TestLogistic"]
    doc = json.loads(path.read_text())
    assert doc["schema_version"] == metadata.SCHEMA_VERSION
    assert sorted(doc["systems"]) == ["TestHenon", "TestLogistic"]
    metadata.compute_all([HENON, LOGISTIC], path=path)  # nothing left to do
    assert len(calls) == 2
    metadata.compute_all([LOGISTIC], path=path, force=True)
    assert calls[-1] == "TestLogistic" and sorted(metadata.load_invariants(path)) == ["TestHenon", "TestLogistic"]


def test_apply_invariants_fills_a_copy_and_ignores_stale_records():
    rec = {"kind": "map", "dim": 2, "params": {"a": 1.4, "b": 0.3}, "dt": 1.0, "period": 7.0, "max_lyapunov": 0.42}
    rec |= {"lyapunov_spectrum": [0.42, -1.62], "kaplan_yorke_dimension": 1.26}
    out = metadata.apply_invariants(HENON, rec)
    assert out is not HENON and HENON.max_lyapunov is None
    assert (out.dt, out.period, out.max_lyapunov) == (1.0, 7.0, 0.42)
    assert out.invariants["lyapunov_spectrum"] == [0.42, -1.62] and out.invariants_source
    assert metadata.apply_invariants(HENON, {**rec, "params": {"a": 1.2, "b": 0.3}}) is HENON
    assert metadata.apply_invariants(HENON, None) is HENON


def test_corrupt_or_foreign_file_is_a_file_format_error(tmp_path):
    bad = tmp_path / "inv.json"
    bad.write_text('{"schema_version": 1, "systems": {')
    with pytest.raises(FileFormatError, match="inv.json"):
        metadata.load_invariants(bad)
    bad.write_text('{"schema_version": 99, "systems": {}}')
    with pytest.raises(FileFormatError, match="schema_version"):
        metadata.load_invariants(bad)
    assert metadata.load_invariants(tmp_path / "missing.json") == {}


def test_shipped_file_is_consistent():
    records = metadata.load_invariants()
    assert "Lorenz" in records
    for name, rec in records.items():
        if rec["lyapunov_spectrum"] is not None:
            assert rec["max_lyapunov"] == rec["lyapunov_spectrum"][0], name
    assert records["Lorenz"]["max_lyapunov"] == pytest.approx(0.9056, rel=0.05)


def test_a_failing_system_does_not_stop_the_others(tmp_path):
    diverging = dataclasses.replace(LOGISTIC, name="TestDiverging", params={"r": 5.0})
    with pytest.raises(DynlearnError, match="TestDiverging"):
        metadata.compute_all([diverging, HENON], path=tmp_path / "inv.json", settings=SMALL)
    assert list(metadata.load_invariants(tmp_path / "inv.json")) == ["TestHenon"]
