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


def test_gns_rollout_is_repeated_steps():
    model = _gns()
    w, k = _window()
    with torch.no_grad():
        roll = model.rollout(w, k, steps=3)
        for i in range(3):
            nxt = model(w, k)
            assert torch.allclose(roll[:, i], nxt, atol=1e-12)
            w = torch.cat([w[:, 1:], nxt[:, None]], dim=1)


def _giorom(**kw):
    cfg = {**CFG, "max_neighbors": 16, "ratio": 0.25, "interp_k": 3, **kw}
    return build_particle_model("giorom", SPEC, seed=1, **cfg).double().eval()


def test_giorom_processes_only_the_sparse_nodes(monkeypatch):
    model = _giorom(n_nodes=12)
    seen = []
    original = model.net.forward

    def spy(nodes, edges, edge_index):
        seen.append(nodes.shape[0])
        return original(nodes, edges, edge_index)

    monkeypatch.setattr(model.net, "forward", spy)
    w, k = _window(p=60)
    with torch.no_grad():
        out = model.acceleration(w, k)
    assert out.shape == (1, 60, 2) and seen == [12]
    assert model.n_nodes(60) == 12 and model.n_nodes(5) == 5
    assert _giorom().n_nodes(60) == 15, "ratio 1/4 of 60 particles"


def test_giorom_refinement_starts_as_the_fixed_kernel_interpolation():
    w, k = _window()
    with torch.no_grad():
        a = _giorom(refine=True).acceleration(w, k)
        b = _giorom(refine=False).acceleration(w, k)
    assert torch.allclose(a, b, atol=1e-12)
    assert _giorom(refine=True).n_parameters() > _giorom(refine=False).n_parameters()


def test_giorom_is_translation_invariant_away_from_walls():
    model = _giorom()
    w, k = _window()
    with torch.no_grad():
        a = model.acceleration(w, k)
        b = model.acceleration(w + torch.tensor([0.6, -0.4], dtype=torch.float64), k)
    assert torch.allclose(a, b, atol=1e-10)


def test_giorom_rollout_follows_the_first_nodes(monkeypatch):
    model = _giorom()
    calls = []
    original = model.select_nodes

    def spy(pos):
        calls.append(pos.shape)
        return original(pos)

    monkeypatch.setattr(model, "select_nodes", spy)
    w, k = _window()
    with torch.no_grad():
        roll = model.rollout(w, k, steps=4)
    assert roll.shape == (1, 4, 60, 2) and len(calls) == 1, "nodes are sampled once per rollout"
    assert model._nodes is None
