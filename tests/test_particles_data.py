"""The particles data model and the ParticleModel protocol's base (the baseline model)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dynlearn.errors import FileFormatError, ValidationError
from dynlearn.particles import Particles
from dynlearn.particles.models import ParticleSpec, build_particle_model, load_particle_model


def _data(n=2, t=8, p=30, seed=0):
    rng = np.random.default_rng(seed)
    x = 0.5 + np.cumsum(rng.normal(0, 0.01, (n, t, p, 2)), axis=1)
    return Particles(
        x, np.arange(t) * 0.01, kind=rng.integers(0, 2, p), domain=((0, 0), (1, 1)), params={"E": np.arange(1.0, n + 1)}
    )


def test_roundtrip_file(tmp_path):
    d = _data()
    d.meta["scene"] = "toy"
    path = d.save(tmp_path / "p.npz")
    back = Particles.load(path)
    np.testing.assert_array_equal(back.positions, d.positions)
    np.testing.assert_array_equal(back.kind, d.kind)
    assert back.domain == ((0.0, 0.0), (1.0, 1.0)) and back.meta == {"scene": "toy"}
    np.testing.assert_array_equal(back.params["E"], [1.0, 2.0])


def test_corrupt_and_foreign_files_are_refused(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(FileFormatError, match="not an npz"):
        Particles.load(bad)
    other = tmp_path / "other.npz"
    np.savez(other, positions=np.zeros((1, 1, 1, 2)))
    with pytest.raises(FileFormatError, match="__meta__"):
        Particles.load(other)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"positions": np.zeros((3, 4, 2))}, "shape"),
        ({"positions": np.full((1, 2, 3, 2), np.nan)}, "NaN"),
        ({"times": [0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}, "increasing"),
        ({"times": [0, 1, 2, 3, 4, 5, 6, 8.0]}, "uniform"),
        ({"kind": np.zeros(5, int)}, "kind"),
        ({"domain": ((0, 0), (0, 1))}, "domain"),
        ({"params": {"E": [1.0, 2.0, 3.0]}}, "one value per scene"),
    ],
)
def test_bad_input_is_named(kwargs, match):
    base = {"positions": np.full((2, 8, 30, 2), 0.5), "times": np.arange(8.0)}
    with pytest.raises(ValidationError, match=match):
        Particles(**{**base, **kwargs})


def test_views():
    d = _data(n=3)
    assert d.subset([0, 2]).positions.shape == (2, 8, 30, 2)
    assert d.frames(0, None, 2).times.shape == (4,)
    np.testing.assert_allclose(d.velocities()[:, 0], (d.positions[:, 1] - d.positions[:, 0]) / 0.01)
    assert d.kinds().shape == (3, 30)


def test_constant_velocity_baseline_extrapolates_and_roundtrips(tmp_path):
    d = _data()
    spec = ParticleSpec.from_particles(d, history=3)
    assert spec.n_kinds == 2 and spec.n_params == 1
    m = build_particle_model("constant_velocity", spec).fit_normalization(d)
    w = torch.tensor(d.positions[:, :4], dtype=torch.float32)
    kind = torch.as_tensor(d.kinds())
    params = torch.tensor([[1.0], [2.0]])
    nxt = m(w, kind, params)
    torch.testing.assert_close(nxt, (2 * w[:, -1] - w[:, -2]).clamp(0, 1))
    assert m.rollout(w, kind, params, steps=3).shape == (2, 3, 30, 2)
    back = load_particle_model(m.save(tmp_path / "m"))
    torch.testing.assert_close(back(w, kind, params), nxt)
    with pytest.raises(ValidationError, match="window"):
        m(w[:, :2], kind, params)
    with pytest.raises(ValidationError, match="parameters"):
        m(w, kind, None)
    with pytest.raises(ValidationError, match="kinds"):
        m(w, kind + 5, params)


def test_plots(tmp_path):
    from dynlearn.particles.plot import plot_particles, plot_rollouts

    d = _data()
    assert plot_particles(d, tmp_path / "a.png", frames=3).stat().st_size > 1000
    out = plot_rollouts(d.positions[0], {"model": d.positions[1]}, tmp_path / "b.png", domain=d.domain, kind=d.kind)
    assert out.stat().st_size > 1000
    with pytest.raises(ValidationError, match="PNG"):
        plot_particles(d, tmp_path / "a.gif")
