"""The analytic constitutive laws of dynlearn.particles.materials and the closed-form 2 x 2 SVD."""

from __future__ import annotations

import math

import pytest
import torch

from dynlearn.errors import ValidationError
from dynlearn.particles.materials import LAWS, ConstitutiveLaw, lame, polar2, svd2
from dynlearn.particles.mpm import acoustic_modulus

NAMES = ["fixed_corotated", "neo_hookean", "drucker_prager", "von_mises", "fluid"]


def _rot(theta: float) -> torch.Tensor:
    c, s = math.cos(theta), math.sin(theta)
    return torch.tensor([[c, -s], [s, c]], dtype=torch.float64)


def _random_F(n: int, scale: float = 0.3, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    F = torch.eye(2, dtype=torch.float64) + scale * torch.randn(n, 2, 2, generator=g, dtype=torch.float64)
    return F[torch.linalg.det(F) > 0.2]


def test_svd2_reconstructs_and_matches_torch():
    F = _random_F(200, scale=1.0)
    U, s, V = svd2(F)
    torch.testing.assert_close((U * s[..., None, :]) @ V.transpose(-1, -2), F)
    torch.testing.assert_close(torch.linalg.det(U), torch.ones(len(F), dtype=torch.float64))
    torch.testing.assert_close(torch.linalg.det(V), torch.ones(len(F), dtype=torch.float64))
    torch.testing.assert_close(s.abs().sort(-1, descending=True).values, torch.linalg.svdvals(F))
    R = polar2(F)
    S = R.transpose(-1, -2) @ F
    torch.testing.assert_close(S, S.transpose(-1, -2))


def test_svd2_gradients():
    F = _random_F(6, scale=0.8, seed=1).requires_grad_(True)
    assert torch.autograd.gradcheck(svd2, (F,))
    # repeated singular values (F = I and a scaled rotation): finite gradients, where torch's are NaN
    F = torch.stack([torch.eye(2, dtype=torch.float64), 1.3 * _rot(0.4)]).requires_grad_(True)
    for name in ("drucker_prager", "von_mises", "fluid"):
        law = LAWS.get(name)().double()
        (g,) = torch.autograd.grad((law.stress(F) ** 2).sum() + law.project(F).sum(), F)
        assert torch.isfinite(g).all(), name


@pytest.mark.parametrize("name", NAMES)
def test_law_is_frame_indifferent_and_rest_is_stress_free(name):
    law = LAWS.get(name)().double()
    assert isinstance(law, ConstitutiveLaw)
    F = _random_F(64, seed=2)
    for theta in (0.3, 2.0, -1.1):
        R = _rot(theta)
        torch.testing.assert_close(law.stress(R @ F), R @ law.stress(F), rtol=1e-9, atol=1e-6)
        torch.testing.assert_close(law.project(R @ F), R @ law.project(F), rtol=1e-9, atol=1e-9)
    eye = torch.eye(2, dtype=torch.float64)[None]
    assert law.stress(eye).abs().max() < 1e-6
    torch.testing.assert_close(law.project(eye), eye)
    rebuilt = type(law)(**law.config())
    assert rebuilt.config() == law.config()


@pytest.mark.parametrize("name", ["fixed_corotated", "neo_hookean", "drucker_prager", "von_mises"])
def test_small_strain_limit_is_linear_elasticity(name):
    E, nu = 1e5, 0.25
    law = LAWS.get(name)(E=E, nu=nu).double()
    mu, lam = lame(E, nu)
    eps = 1e-6 * torch.tensor([[1.0, 0.4], [0.4, -0.7]], dtype=torch.float64)
    sigma = law.stress(torch.eye(2, dtype=torch.float64) + eps)
    expected = 2 * mu * eps + lam * torch.trace(eps) * torch.eye(2, dtype=torch.float64)
    torch.testing.assert_close(sigma, expected, rtol=1e-4, atol=1e-6)
    assert acoustic_modulus(law) == pytest.approx(lam + 2 * mu, rel=1e-5)


def test_drucker_prager_return_mapping():
    law = LAWS.get("drucker_prager")(E=1e5, nu=0.3, friction_angle=30.0).double()
    # pulled apart (tr log s > 0): projected to the tip, a pure rotation, stress-free
    F = _rot(0.3) @ torch.diag(torch.tensor([1.2, 1.05], dtype=torch.float64))
    out = law.project(F[None])[0]
    torch.testing.assert_close(out, _rot(0.3))
    # a small isotropic compression is inside the cone: unchanged
    F = torch.diag(torch.tensor([0.97, 0.97], dtype=torch.float64))[None]
    torch.testing.assert_close(law.project(F), F)
    # a shear under compression beyond the cone lands on it: |dev eps| = -c tr(eps)
    F = torch.diag(torch.tensor([1.05, 0.9], dtype=torch.float64))[None]
    out = law.project(F)
    eps = torch.log(torch.linalg.svdvals(out[0]))
    mu, lam = lame(1e5, 0.3)
    s = math.sin(math.radians(30.0))
    alpha = math.sqrt(2 / 3) * 2 * s / (3 - s)
    dev = eps - eps.mean()
    assert float(dev.norm()) == pytest.approx(-float(eps.sum()) * (2 * lam + 2 * mu) / (2 * mu) * alpha, rel=1e-9)
    assert float(eps.sum()) == pytest.approx(math.log(1.05 * 0.9), rel=1e-12)  # the volume is kept


def test_von_mises_return_mapping():
    E, nu, yield_stress = 1e5, 0.3, 2e3
    law = LAWS.get("von_mises")(E=E, nu=nu, yield_stress=yield_stress).double()
    mu, _ = lame(E, nu)
    F = torch.diag(torch.tensor([1.2, 0.9], dtype=torch.float64))[None]
    eps = torch.log(torch.linalg.svdvals(law.project(F)[0]))
    assert 2 * mu * float((eps - eps.mean()).norm()) == pytest.approx(yield_stress, rel=1e-9)
    assert float(eps.sum()) == pytest.approx(math.log(1.2 * 0.9), rel=1e-12)
    small = torch.diag(torch.tensor([1.001, 0.999], dtype=torch.float64))[None]
    torch.testing.assert_close(law.project(small), small)


def test_fluid_relaxation_keeps_volume():
    F = torch.diag(torch.tensor([1.1, 0.8], dtype=torch.float64))[None]
    inviscid = LAWS.get("fluid")(viscosity=0.0).double()
    torch.testing.assert_close(inviscid.project(F), math.sqrt(0.88) * torch.eye(2, dtype=torch.float64)[None])
    viscous = LAWS.get("fluid")(bulk=1e5, viscosity=2.0, dt=1e-4).double()  # t_r = 2 / 1e4 = 2e-4 s
    eps = torch.log(torch.linalg.svdvals(viscous.project(F)[0]))
    dev0 = math.log(1.1) - 0.5 * math.log(0.88)
    assert float(eps[0] - eps.mean()) == pytest.approx(math.exp(-0.5) * dev0, rel=1e-9)
    assert float(eps.sum()) == pytest.approx(math.log(0.88), rel=1e-12)
    # pressure: compressed fluid pushes out (negative Kirchhoff stress = positive pressure)
    P = inviscid.stress(0.9 * torch.eye(2, dtype=torch.float64)[None])
    assert (torch.diagonal(P, dim1=-2, dim2=-1) < 0).all()


def test_per_scene_constants_and_bad_constants():
    law = LAWS.get("fixed_corotated")(E=torch.tensor([1e4, 2e4]), nu=0.3)
    F = torch.eye(2).expand(2, 5, 2, 2) * 1.01
    P = law.stress(F)
    torch.testing.assert_close(P[1], 2 * P[0])
    assert law.config() == {"E": [1e4, 2e4], "nu": 0.3}
    with pytest.raises(ValidationError, match="one per scene"):
        law.stress(torch.eye(2).expand(3, 5, 2, 2))
    with pytest.raises(ValidationError, match="Poisson"):
        LAWS.get("neo_hookean")(nu=0.5)
    with pytest.raises(ValidationError, match="Young"):
        LAWS.get("fixed_corotated")(E=-1.0)
    with pytest.raises(ValidationError, match="friction_angle"):
        LAWS.get("drucker_prager")(friction_angle=95.0)
    with pytest.raises(ValidationError, match="yield_stress"):
        LAWS.get("von_mises")(yield_stress=0.0)
    with pytest.raises(ValidationError, match="viscosity"):
        LAWS.get("fluid")(viscosity=-1.0)


def test_gradient_with_respect_to_a_constant():
    E = torch.tensor(1e4, dtype=torch.float64, requires_grad=True)
    law = LAWS.get("fixed_corotated")(E=E, nu=0.3)
    P = law.stress(torch.diag(torch.tensor([1.1, 0.95], dtype=torch.float64)))
    (g,) = torch.autograd.grad(P.sum(), E)
    torch.testing.assert_close(g, P.sum().detach() / 1e4)  # stress is linear in E at fixed nu
