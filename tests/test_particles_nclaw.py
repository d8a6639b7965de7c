"""The neural constitutive laws' own properties (the shared ones are in the law conformance suite)."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")

from dynlearn.errors import FileFormatError, ValidationError  # noqa: E402
from dynlearn.particles.materials import lame  # noqa: E402
from dynlearn.particles.nclaw import (  # noqa: E402
    MLPStress,
    NCLaw,
    fixed_corotated_stress,
    invariant_features,
    load_law,
)


def _F(n=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    F = torch.eye(2) + 0.2 * torch.randn(n, 2, 2, generator=g)
    det = F[:, 0, 0] * F[:, 1, 1] - F[:, 0, 1] * F[:, 1, 0]
    return F[det > 0.2]


def test_stress_gradient_is_finite_at_rest():
    """The polar decomposition (not an SVD) keeps d(stress)/dF finite at F = I (repeated singular values)."""
    law = NCLaw(seed=0, plastic=True)
    F0 = torch.eye(2, requires_grad=True)
    (law.stress(F0).sum() + law.project(F0).sum()).backward()
    assert torch.isfinite(F0.grad).all()


def test_features_are_invariant_and_zero_at_rest():
    F = _F(32, seed=1)
    c, s = math.cos(0.9), math.sin(0.9)
    Q = torch.tensor([[c, -s], [s, c]])
    assert torch.allclose(invariant_features(Q @ F), invariant_features(F), atol=1e-5)
    assert torch.equal(invariant_features(torch.eye(2)), torch.zeros(5))


def test_prior_is_the_fixed_corotated_law_and_zero_network_leaves_it():
    law = NCLaw(prior="fixed_corotated", prior_E=1e4, prior_nu=0.3)
    with torch.no_grad():
        law.elastic.layers[-1].weight.zero_()
    F = _F(16, seed=2)
    mu, lam = lame(1e4, 0.3)
    assert torch.allclose(law.stress(F), fixed_corotated_stress(F, mu, lam), rtol=1e-5, atol=1e-3)


def test_plastic_network_starts_as_identity_and_trains():
    law = NCLaw(plastic=True, width=8, seed=3)
    F = _F(16, seed=3)
    assert torch.equal(law.project(F), F)  # zero last layer: an untrained law is elastic
    target = F * 0.98  # a correction the network can move towards
    opt = torch.optim.Adam(law.plastic_net.parameters(), lr=1e-2)
    losses = []
    for _ in range(5):
        loss = ((law.project(F) - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_seeds_differ_and_repeat():
    F = _F(8, seed=4)
    with torch.no_grad():
        assert torch.equal(NCLaw(seed=5).stress(F), NCLaw(seed=5).stress(F))
        assert not torch.equal(NCLaw(seed=5).stress(F), NCLaw(seed=6).stress(F))
    torch.manual_seed(0)
    a = torch.rand(1)
    torch.manual_seed(0)
    NCLaw(seed=9)
    assert torch.equal(torch.rand(1), a), "building a law must not touch the global RNG"


def test_bad_settings_and_files(tmp_path):
    with pytest.raises(ValidationError, match="prior_E"):
        NCLaw(prior="fixed_corotated")
    with pytest.raises(ValidationError, match="plastic"):
        MLPStress(plastic=True)
    with pytest.raises(ValidationError, match="positive"):
        NCLaw(stress_scale=0.0)
    with pytest.raises(FileFormatError, match="cannot be read"):
        load_law(tmp_path / "nothing")
    NCLaw().save(tmp_path / "law")
    (tmp_path / "law" / "weights.safetensors").write_bytes(b"garbage")
    with pytest.raises(FileFormatError, match="weights"):
        load_law(tmp_path / "law")
