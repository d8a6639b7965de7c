"""The MPM scenes of dynlearn.particles.scenes: shapes, setup, simulate and its cache."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dynlearn.errors import UnknownNameError, ValidationError
from dynlearn.particles import Particles
from dynlearn.particles.scenes import SHAPES, Shape, fill, resolve, setup, simulate

SMALL = {"grid": 32, "n_particles": 150, "save_every": 10}


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("DYNLEARN_CACHE_DIR", str(tmp_path))
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("kind", SHAPES)
def test_fill_gives_exactly_n_points_inside_the_shape(kind):
    shape = Shape(kind, (0.5, 0.5), 0.1, angle=0.4)
    rng = np.random.default_rng(0)
    x, v, spacing, volume = fill([shape], 300, rng)
    assert x.shape == (300, 2) and v.shape == (300, 2)
    assert shape.contains(x).all()
    assert volume * 300 == pytest.approx(shape.area())
    assert spacing == pytest.approx(math.sqrt(volume), rel=0.1)
    expected = {"box": 0.04, "disk": math.pi * 0.01, "ring": 0.75 * math.pi * 0.01, "L": 0.03}
    if kind in expected:
        assert shape.area() == pytest.approx(expected[kind], rel=0.02)


def test_setup_is_deterministic_per_scene_and_targets_the_count():
    a = setup("sand_drop", n_scenes=3, seed=5, **SMALL)
    b = setup("sand_drop", n_scenes=1, seed=5, **SMALL)
    assert a.positions.shape == (3, 150, 2) and a.velocities.shape == (3, 150, 2)
    np.testing.assert_array_equal(a.positions[0], b.positions[0])  # scene i does not depend on n_scenes
    assert not np.array_equal(a.positions[0], a.positions[1])
    lo, hi = a.sim.interior
    assert a.positions.min() >= lo and a.positions.max() <= hi
    c = setup("elastic_drop", n_scenes=2, seed=0, **SMALL)
    assert c.params["E"].shape == (2,) and 2e4 <= c.params["E"].min() <= c.params["E"].max() <= 1e5
    state = c.state()
    assert state.x.shape == (2, 150, 2)


def test_sand_column_geometry():
    s = setup("sand_column", n_scenes=2, aspect=[1.0, 2.0], **SMALL)
    lo, _ = s.sim.interior
    for i, a in enumerate((1.0, 2.0)):
        x = s.positions[i]
        assert x[:, 0].min() >= lo and x[:, 0].max() <= lo + 0.1 + 1e-9
        assert x[:, 1].max() == pytest.approx(lo + a * 0.1, abs=0.01)
    assert (s.velocities == 0).all()
    assert s.sim.friction == pytest.approx(math.tan(math.radians(35.0)))


def test_simulate_returns_particles_and_caches(tmp_path):
    p = simulate("elastic_drop", n_scenes=3, seed=1, frames=4, chunk=2, **SMALL)
    assert isinstance(p, Particles)
    assert p.positions.shape == (3, 4, 150, 2) and p.positions.dtype == np.float32
    assert p.dt == pytest.approx(10 * 2e-4)
    assert set(p.params) == {"E", "nu", "density"}
    assert p.meta["scene"] == "elastic_drop" and p.meta["law"] == "fixed_corotated"
    lo, hi = p.domain
    assert (p.positions >= np.array(lo)).all() and (p.positions <= np.array(hi)).all()
    files = list((tmp_path / "particles").glob("elastic_drop-*.npz"))
    assert len(files) == 1
    again = simulate("elastic_drop", n_scenes=3, seed=1, frames=4, chunk=3, **SMALL)  # read from the cache
    np.testing.assert_array_equal(again.positions, p.positions)
    fresh = simulate("elastic_drop", n_scenes=3, seed=1, frames=4, chunk=3, cache=False, **SMALL)
    np.testing.assert_allclose(fresh.positions, p.positions, atol=1e-6)  # chunking does not change the numbers
    files[0].write_bytes(b"damaged")
    repaired = simulate("elastic_drop", n_scenes=3, seed=1, frames=4, **SMALL)
    np.testing.assert_array_equal(repaired.positions, p.positions)


def test_bad_settings_are_refused():
    with pytest.raises(UnknownNameError, match="sand_drop"):
        resolve("sand_dropp")
    with pytest.raises(UnknownNameError, match="n_particle"):
        resolve("sand_drop", n_particle=10)
    with pytest.raises(ValidationError, match="n_particles"):
        setup("sand_drop", n_particles=0)
    with pytest.raises(ValidationError, match="per cell"):
        setup("sand_drop", grid=128, n_particles=20)
    with pytest.raises(ValidationError, match="aspect"):
        setup("sand_column", n_scenes=3, aspect=[1.0, 2.0])
    with pytest.raises(ValidationError, match="does not fit"):
        setup("sand_column", aspect=20.0)
    with pytest.raises(UnknownNameError, match="shape"):
        setup("sand_drop", shapes="blob")
    with pytest.raises(ValidationError, match="frames"):
        simulate("sand_drop", frames=0)


def test_deposit_front_reads_the_thickness_profile():
    from dynlearn.particles.scenes import deposit_front

    grid, width = 64, 0.1
    dx, lo = 1 / grid, 3 / grid
    s = dx / 2
    # a wedge: 4 rows of particles (2 cells thick) up to x = lo + 0.3, then one row (half a cell) to lo + 0.5
    xs = np.arange(lo + s / 2, lo + 0.5, s)
    pts = [(x, lo + s / 2 + k * s) for x in xs for k in range(4 if x < lo + 0.3 else 1)]
    final = np.array(pts + [(lo - 0.5 * dx, lo + 0.2)])  # and a grain inside the left wall band
    assert deposit_front(final, grid, width) == pytest.approx((0.3 - width) / width, abs=dx / width)
    assert deposit_front(final, grid, width, min_thickness=0.4 * dx) == pytest.approx(
        (0.5 - width) / width, abs=dx / width
    )
    assert deposit_front(final, grid, width, min_thickness=3 * dx) == pytest.approx(-1.0)  # nothing that thick
