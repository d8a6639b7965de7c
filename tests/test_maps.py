"""Known answers for the discrete maps of the catalog, and a direct dysts
comparison for the maps the generic oracle cannot call (1-D maps, maps
reduced modulo a period, the parameter-free gingerbreadman)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from dynlearn import systems
from dynlearn.systems.invariants import lyapunov_spectrum

MAPS = [n for n in systems.names() if systems.get(n).kind == "map"]


def test_at_least_fifteen_maps_including_lozi():
    assert len(MAPS) >= 15
    assert {"Henon", "Logistic", "Lozi", "DuffingMap", "Ikeda", "Tinkerbell"} <= set(MAPS)
    assert systems.get("DuffingMap").extra["dysts_name"] == "Duffing"


def test_logistic_orbit_by_hand():
    # r = 3.9, x0 = 0.5: 3.9*0.25 = 0.975; 3.9*0.975*0.025 = 0.0950625;
    # 3.9*0.0950625*0.9049375 = 0.335499...
    orbit = systems.integrate(systems.get("Logistic"), [0.5], n_points=4, dt=1.0)[0, :, 0]
    np.testing.assert_allclose(orbit, [0.5, 0.975, 0.0950625, 3.9 * 0.0950625 * 0.9049375], rtol=1e-14)


def test_henon_orbit_by_hand():
    # a = 1.4, b = 0.3 from (0, 0): (1, 0) -> (1 - 1.4 + 0, 0.3) = (-0.4, 0.3)
    # -> (1 - 1.4*0.16 + 0.3, -0.12) = (1.076, -0.12)
    orbit = systems.integrate(systems.get("Henon"), [0.0, 0.0], n_points=4, dt=1.0)[0]
    np.testing.assert_allclose(orbit, [[0, 0], [1, 0], [-0.4, 0.3], [1.076, -0.12]], atol=1e-15)


def test_maps_take_per_trajectory_parameters():
    s = systems.get("Logistic")
    out = systems.integrate(s, [[0.5], [0.5]], n_points=2, dt=1.0, params={"r": np.array([2.0, 4.0])})
    np.testing.assert_allclose(out[:, 1, 0], [0.5, 1.0])


def _misiurewicz_triangle(a, b):
    """Vertices Y, F(Y), F^2(Y): Y is where the unstable manifold of the fixed
    point in x > 0 meets the x-axis (Misiurewicz 1980, Ann. N.Y. Acad. Sci. 357, 348)."""
    xs = 1.0 / (1.0 + a - b)
    lam_u = (-a - np.sqrt(a * a + 4.0 * b)) / 2.0
    Y = np.array([xs * (1.0 - lam_u), 0.0])
    F = lambda v: np.array([1.0 - a * abs(v[0]) + v[1], b * v[0]])  # noqa: E731
    return np.array([Y, F(Y), F(F(Y))])


def _in_triangle(pts, tri, tol=1e-9):
    signs = []
    for i in range(3):
        p0, p1 = tri[i], tri[(i + 1) % 3]
        signs.append((p1[0] - p0[0]) * (pts[:, 1] - p0[1]) - (p1[1] - p0[1]) * (pts[:, 0] - p0[0]))
    s = np.stack(signs)
    return np.all(s >= -tol, axis=0) | np.all(s <= tol, axis=0)


@pytest.mark.parametrize("a,b", [(1.7, 0.5), (1.7, 0.3)])
def test_lozi_attractor_lies_in_misiurewicz_trapping_triangle(a, b):
    s = systems.get("Lozi")
    tri = _misiurewicz_triangle(a, b)
    if (a, b) == (1.7, 0.5):  # Lozi's parameters: the triangle's x-extent is known in closed form
        np.testing.assert_allclose(tri[0, 0], 1.0 / 2.2 * (1.0 + (1.7 + np.sqrt(1.7**2 + 2.0)) / 2.0))
    orbit = systems.integrate(s, [0.1, 0.1], n_points=20_000, dt=1.0, params={"a": a, "b": b})[0, 100:]
    assert _in_triangle(orbit, tri).all()
    # the triangle is forward invariant: images of its edges (the map is affine on each side of x = 0) stay inside
    u = np.linspace(0.0, 1.0, 2001)[:, None]
    edges = np.concatenate([tri[i] + u * (tri[(i + 1) % 3] - tri[i]) for i in range(3)])
    assert _in_triangle(s(edges, params={"a": a, "b": b}), tri).all()
    # and the orbit fills it chaotically: wide spread, no short cycle
    assert np.ptp(orbit[:, 0]) > 0.6 * np.ptp(tri[:, 0])
    assert len(np.unique(orbit[:, 0].round(12))) > 19_000


def test_lozi_and_henon_lyapunov_exponents_match_published_values():
    # Sprott (2003), Chaos and Time-Series Analysis, App. A: Henon 0.41922, Lozi 0.47023;
    # for both maps the sum of exponents is ln|det J| = ln b
    for name, lam in [("Henon", 0.41922), ("Lozi", 0.47023)]:
        s = systems.get(name)
        spec = lyapunov_spectrum(s, n_steps=20_000, transient=500)
        assert abs(spec[0] - lam) < 0.01, (name, spec)
        np.testing.assert_allclose(spec.sum(), np.log(s.params["b"]), atol=1e-6)


def test_tent_and_baker_are_not_degenerate_in_floating_point():
    for name, lam in [("Tent", np.log(1.9)), ("Baker", np.log(2.0))]:
        s = systems.get(name)
        orbit = systems.integrate(s, s.x0, n_points=3000, dt=1.0)[0]
        assert len(np.unique(orbit[:, 0])) > 2900, name
        assert abs(lyapunov_spectrum(s, n_steps=5000, transient=100)[0] - lam) < 1e-3, name


def test_gingerbreadman_islands_are_periodic_and_the_sea_chaotic():
    s = systems.get("Gingerbreadman")
    # the fixed point (1, 1) is surrounded by orbits of period 6 (Devaney 1984)
    orbit = systems.integrate(s, [1.2, 0.9], n_points=13, dt=1.0)[0]
    np.testing.assert_allclose(orbit[6], orbit[0], atol=1e-12)
    np.testing.assert_allclose(orbit[12], orbit[0], atol=1e-12)
    assert lyapunov_spectrum(s, n_steps=5000, transient=100)[0] > 0.03


# --------------------------------------------------------------------------- direct dysts comparison


def _dysts_map(name, params):
    dmaps = pytest.importorskip("dysts.maps")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(dmaps, name)(parameters=params)


@pytest.mark.parametrize("name", ["Logistic", "Ricker", "Tent", "Gauss", "Chebyshev", "Circle", "Chirikov"])
def test_skipped_maps_agree_with_dysts_rhs(name):
    s = systems.get(name)
    d = _dysts_map(name, dict(s.params))
    rng = np.random.default_rng(0)
    base = np.asarray(s.x0)
    X = base + 0.1 * np.maximum(np.abs(base), 1.0) * rng.standard_normal((32, s.dim))
    if name == "Chebyshev":
        X = np.clip(X, -1.0, 1.0)
    if name == "Chirikov":  # our states live on the torus: p in [-pi, pi), x in [0, 2 pi)
        X = np.column_stack([np.mod(X[:, 0] + np.pi, 2 * np.pi) - np.pi, np.mod(X[:, 1], 2 * np.pi)])
    ours = s(X)
    theirs = np.stack([np.asarray(d._rhs(*X[i], *d.param_list), dtype=float).reshape(-1) for i in range(len(X))])
    period = {"Circle": 1.0, "Chirikov": 2 * np.pi}.get(name)
    if period is not None:  # same point of the circle / torus
        diff = np.mod(ours - theirs + period / 2, period) - period / 2
        assert np.abs(diff).max() < 1e-12
    else:
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_gingerbreadman_agrees_with_dysts_at_a_equal_1():
    s = systems.get("Gingerbreadman")
    d = _dysts_map("Gingerbreadman", {})
    X = np.random.default_rng(1).normal(0.0, 2.0, (32, 2))
    theirs = np.stack([np.hstack(d._rhs(*X[i])) for i in range(len(X))])
    np.testing.assert_allclose(s(X), theirs, rtol=1e-15)


@pytest.mark.parametrize("name", ["Henon", "Logistic", "Lozi", "Ikeda", "Tinkerbell", "Tent", "Circle", "Chirikov"])
def test_analytic_jacobians_match_central_differences(name):
    s = systems.get(name)
    x = systems.integrate(s, s.x0, n_points=40, dt=1.0)[0, 20:]
    J = s.jac(x)
    eps = 1e-7
    for j in range(s.dim):
        e = np.zeros(s.dim)
        e[j] = eps
        fd = (s(x + e) - s(x - e)) / (2 * eps)
        if name in ("Circle", "Chirikov"):  # undo the wrap of the modulo
            period = 1.0 if name == "Circle" else 2 * np.pi
            fd = (np.mod((s(x + e) - s(x - e)) + period / 2, period) - period / 2) / (2 * eps)
        np.testing.assert_allclose(J[:, :, j], fd, rtol=1e-6, atol=1e-6)
