"""What GNS (and GIOROM) must do beyond the conformance suite: the symmetries of a particle
simulator (permutation equivariance, translation invariance away from walls), locality, and the
walls and kinds entering the features."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from dynlearn.particles.models import ParticleSpec, build_particle_model  # noqa: E402

SPEC = ParticleSpec(dim=2, domain=((0.0, 0.0), (4.0, 4.0)), history=2, n_kinds=2, n_params=0)
CFG = {"radius": 0.3, "latent": 16, "layers": 1, "mp_steps": 2, "max_neighbors": None}


def _window(p=60, seed=0, centre=2.0):
    g = torch.Generator().manual_seed(seed)
    x0 = centre - 0.5 + torch.rand(1, 1, p, 2, generator=g)
    v = 0.01 * torch.randn(1, 1, p, 2, generator=g)
    t = torch.arange(3, dtype=torch.float32).view(1, -1, 1, 1)
    return (x0 + v * t).double(), torch.randint(0, 2, (1, p), generator=g)


def _gns(**kw):
    return build_particle_model("gns", SPEC, seed=1, **{**CFG, **kw}).double().eval()


def test_gns_is_permutation_equivariant():
    model = _gns()
    w, k = _window()
    perm = torch.randperm(60, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        a = model.acceleration(w, k)
        b = model.acceleration(w[:, :, perm], k[:, perm])
    assert torch.allclose(a[:, perm], b, atol=1e-10)


def test_gns_is_translation_invariant_away_from_walls():
    model = _gns()
    w, k = _window()
    with torch.no_grad():
        a = model.acceleration(w, k)
        b = model.acceleration(w + torch.tensor([0.6, -0.4], dtype=torch.float64), k)
        near_wall = model.acceleration(w - 1.4, k)
    assert torch.allclose(a, b, atol=1e-10)
    assert not torch.allclose(a, near_wall, atol=1e-6), "the walls enter the node features"


def test_gns_is_local():
    """With mp_steps message-passing blocks, a particle farther than mp_steps * radius (through
    the graph) cannot change another's acceleration."""
    model = _gns(mp_steps=2)
    w, k = _window(p=40, centre=1.0)
    lone = torch.tensor([[3.0, 3.0]], dtype=torch.float64).expand(1, 3, 1, 2)
    with torch.no_grad():
        a = model.acceleration(w, k)
        b = model.acceleration(torch.cat([w, lone], dim=2), torch.cat([k, torch.zeros(1, 1, dtype=torch.long)], 1))
    assert torch.allclose(a, b[:, :40], atol=1e-12)


def test_gns_kinds_and_neighbour_cap_matter():
    model = _gns()
    w, k = _window()
    with torch.no_grad():
        a = model.acceleration(w, k)
        b = model.acceleration(w, 1 - k)
        capped = _gns(max_neighbors=2).acceleration(w, k)
    assert not torch.allclose(a, b)
    assert not torch.allclose(a, capped)
