"""Constitutive laws for the material point method, behind one interface.

A :class:`ConstitutiveLaw` is a ``torch.nn.Module`` with two maps on deformation gradients
``F (..., d, d)`` (batched over any leading axes: scenes, particles):

- :meth:`ConstitutiveLaw.stress`: the first Piola-Kirchhoff stress ``P(F) (..., d, d)`` of the
  elastic part (the simulator turns it into the Kirchhoff stress ``P F^T``);
- :meth:`ConstitutiveLaw.project`: the return mapping applied to the trial elastic ``F`` after each
  step (identity for purely elastic materials; projection onto a yield surface for plastic ones).

Material constants are per-law buffers (``E``, ``nu``, ...), so a law moves with ``.to()`` and is saved
with a model. Analytic laws have no trainable parameters; a neural law (NCLaw) is the same interface
with learned weights, so the simulator, its gradients and its tests do not tell them apart.

Every law must be *frame-indifferent*: ``P(R F) = R P(F)`` for any rotation ``R``, and
``project(R F) = R project(F)``. The conformance suite checks it for every registered name.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch

from dynlearn.errors import ValidationError
from dynlearn.registry import Registry

LAWS: Registry[type[ConstitutiveLaw]] = Registry("constitutive law")
# the neural laws (learned weights) register when first asked for
LAWS.register_lazy("nclaw", "dynlearn.particles.nclaw")
LAWS.register_lazy("mlp_stress", "dynlearn.particles.nclaw")


def register_law(name: str):
    """Class decorator: ``@register_law("neo_hookean")`` makes the law buildable by name."""
    return LAWS.register_class(name)


def lame(E: float, nu: float) -> tuple[float, float]:
    """Lamé parameters ``(mu, lambda)`` from Young's modulus and Poisson's ratio."""
    return E / (2.0 * (1.0 + nu)), E * nu / ((1.0 + nu) * (1.0 - 2.0 * nu))


class ConstitutiveLaw(torch.nn.Module):
    """Base of the constitutive laws (see the module doc). Subclasses write ``stress`` (and ``project``)."""

    name: ClassVar[str] = "?"
    #: True when project() is not the identity (plastic laws)
    plastic: ClassVar[bool] = False
    #: True when the law is a fluid: the simulator resets its deviatoric deformation every step
    fluid: ClassVar[bool] = False

    def stress(self, F: torch.Tensor) -> torch.Tensor:
        """First Piola-Kirchhoff stress ``(..., d, d)`` of the deformation gradients ``F (..., d, d)``."""
        raise NotImplementedError

    def project(self, F: torch.Tensor) -> torch.Tensor:
        """The return mapping: the admissible elastic ``F`` for the trial ``F`` (identity by default)."""
        return F

    def config(self) -> dict[str, Any]:
        """The constructor arguments (JSON), so that ``type(law)(**law.config())`` rebuilds it."""
        return {}


# -- closed-form 2 x 2 polar decomposition and SVD --------------------------------------------------


def mm2(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """``A @ B`` of 2 x 2 matrices ``(..., 2, 2)`` (broadcast), by components: much faster than a batched
    matmul of many tiny matrices on the CPU."""
    a00, a01, a10, a11 = A[..., 0, 0], A[..., 0, 1], A[..., 1, 0], A[..., 1, 1]
    b00, b01, b10, b11 = B[..., 0, 0], B[..., 0, 1], B[..., 1, 0], B[..., 1, 1]
    out = torch.stack([a00 * b00 + a01 * b10, a00 * b01 + a01 * b11, a10 * b00 + a11 * b10, a10 * b01 + a11 * b11], -1)
    return out.reshape(*out.shape[:-1], 2, 2)


def mv2(A: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``A @ x`` of 2 x 2 matrices ``(..., 2, 2)`` and vectors ``(..., 2)``, by components."""
    return torch.stack(
        [A[..., 0, 0] * x[..., 0] + A[..., 0, 1] * x[..., 1], A[..., 1, 0] * x[..., 0] + A[..., 1, 1] * x[..., 1]], -1
    )


def cofactor2(F: torch.Tensor) -> torch.Tensor:
    """``J F^{-T}`` of 2 x 2 matrices ``(..., 2, 2)`` (the cofactor matrix; no inverse, defined at J = 0)."""
    return torch.stack(
        [torch.stack([F[..., 1, 1], -F[..., 1, 0]], -1), torch.stack([-F[..., 0, 1], F[..., 0, 0]], -1)], -2
    )


def det2(F: torch.Tensor) -> torch.Tensor:
    """Determinants ``(...)`` of 2 x 2 matrices ``(..., 2, 2)``."""
    return F[..., 0, 0] * F[..., 1, 1] - F[..., 0, 1] * F[..., 1, 0]


def _rotation(c: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)


def polar2(F: torch.Tensor) -> torch.Tensor:
    """The rotation ``R`` of the polar decomposition ``F = R S`` (``S`` symmetric) of 2 x 2 matrices, in
    closed form: ``R`` is the rotation by ``atan2(F_10 - F_01, F_00 + F_11)``, the one that maximises
    ``tr(R^T F)``. Smooth (and its gradient finite) everywhere except ``F = [[a, b], [b, -a]]``, a
    reflection with no preferred rotation, which a simulation does not reach."""
    c = F[..., 0, 0] + F[..., 1, 1]
    s = F[..., 1, 0] - F[..., 0, 1]
    r = torch.sqrt(c * c + s * s + 1e-30)
    return _rotation(c / r, s / r)


def _svd2_forward(F: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    R = polar2(F)
    S = mm2(R.transpose(-1, -2), F)  # symmetric (up to rounding)
    a, d = S[..., 0, 0], S[..., 1, 1]
    b = 0.5 * (S[..., 0, 1] + S[..., 1, 0])
    mean, half = 0.5 * (a + d), 0.5 * (a - d)
    r = torch.sqrt(half * half + b * b)
    phi = 0.5 * torch.atan2(b, half)
    V = _rotation(torch.cos(phi), torch.sin(phi))
    return mm2(R, V), torch.stack([mean + r, mean - r], -1), V


class _SVD2(torch.autograd.Function):
    @staticmethod
    def forward(ctx, F):
        U, sigma, V = _svd2_forward(F)
        ctx.save_for_backward(U, sigma, V)
        return U, sigma, V

    @staticmethod
    def backward(ctx, gU, gsigma, gV):
        # the square-matrix SVD gradient (as torch's svd_backward writes it):
        #   gF = U [ (skew(U^T gU) / E) S + S (skew(V^T gV) / E) + diag(gS) ] V^T,  E_jk = s_k^2 - s_j^2,
        # skew(X) = X - X^T; |E| is kept >= eps, so repeated singular values give a finite gradient
        # (exact for the isotropic functions of F a law computes, whose numerators vanish there too)
        U, sigma, V = ctx.saved_tensors
        eps = torch.finfo(sigma.dtype).eps ** 0.75 * (1.0 + sigma.detach().abs().amax(-1)) ** 2
        e = torch.minimum(sigma[..., 1] ** 2 - sigma[..., 0] ** 2, -eps)  # s_1^2 - s_0^2 <= 0: s_0 >= |s_1|
        ut, vt = mm2(U.transpose(-1, -2), gU), mm2(V.transpose(-1, -2), gV)
        ku = (ut[..., 0, 1] - ut[..., 1, 0]) / e  # (skew(U^T gU) / E)_01; the 10 entry is the same value
        kv = (vt[..., 0, 1] - vt[..., 1, 0]) / e
        s0, s1 = sigma[..., 0], sigma[..., 1]
        inner = torch.stack(
            [
                torch.stack([gsigma[..., 0], ku * s1 + s0 * kv], -1),
                torch.stack([ku * s0 + s1 * kv, gsigma[..., 1]], -1),
            ],
            -2,
        )
        return mm2(mm2(U, inner), V.transpose(-1, -2))


def svd2(F: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``F = U diag(sigma) V^T`` for 2 x 2 matrices ``(..., 2, 2)`` in closed form, with ``U``, ``V``
    rotations (det +1) and ``sigma (..., 2)`` sorted ``sigma_0 >= |sigma_1|``; ``sigma_1 < 0`` for an
    inverted ``F`` (det < 0), the convention of simulation codes. The backward pass keeps the
    ``1 / (s_0^2 - s_1^2)`` terms bounded, so gradients stay finite at repeated singular values
    (``F = I``), where ``torch.linalg.svd``'s are NaN."""
    return _SVD2.apply(F)


def _safe_norm(x: torch.Tensor) -> torch.Tensor:
    return torch.sqrt((x * x).sum(-1) + 1e-30)


def _compose(U: torch.Tensor, diag: torch.Tensor, V: torch.Tensor) -> torch.Tensor:
    return mm2(U * diag[..., None, :], V.transpose(-1, -2))


# -- analytic laws -------------------------------------------------------------------------------------


class AnalyticLaw(ConstitutiveLaw):
    """A law with fixed material constants (buffers): each constant is a number (kept as a float64 0-d
    buffer, so config() is exact) or one value per scene (a 1-D tensor of length B, broadcast against
    ``F (B, P, 2, 2)``); the stress is computed in ``F``'s dtype. A tensor with ``requires_grad``
    is kept as given, so a loss can be differentiated with respect to it (system identification)."""

    def _set(self, **values: Any) -> None:
        for key, value in values.items():
            if torch.is_tensor(value):
                t = value if value.is_floating_point() else value.to(torch.get_default_dtype())
            else:
                # a number is kept in float64 (exact in config(); a 0-d tensor does not change the dtype
                # of the float32 F it multiplies); one value per scene in torch's default dtype
                t = torch.as_tensor(value, dtype=torch.float64)
                if t.ndim:
                    t = t.to(torch.get_default_dtype())
            if t.ndim > 1 or not torch.isfinite(t.detach()).all():
                raise ValidationError(
                    f"{self.name}: {key} must be a finite number or one value per scene, got {value!r}"
                )
            self.register_buffer(key, t)

    def _c(self, key: str, F: torch.Tensor) -> torch.Tensor:
        """The constant ``key`` in ``F``'s dtype, shaped to broadcast against ``F[..., 0, 0]``."""
        t = getattr(self, key).to(F.dtype)
        if t.ndim == 0:
            return t
        lead = F.ndim - 2
        if lead < 1 or F.shape[0] not in (t.shape[0], 1):
            raise ValidationError(
                f"{self.name}: {key} holds {t.shape[0]} values (one per scene) but F has shape {tuple(F.shape)}; "
                "give F as (B scenes, ..., 2, 2) with the same B"
            )
        return t.reshape(t.shape[0], *([1] * (lead - 1)))

    def _lame(self, F: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return lame(self._c("E", F), self._c("nu", F))

    def config(self) -> dict[str, Any]:
        out = {}
        for key in self._config_keys:
            value = getattr(self, key)
            if torch.is_tensor(value):
                value = value.detach()
                value = [_number(v) for v in value.reshape(-1)] if value.ndim else _number(value)
            out[key] = value
        return out

    _config_keys: ClassVar[tuple[str, ...]] = ()


def _number(t: torch.Tensor) -> float:
    """A JSON number; float32 values as their shortest decimal (0.2, not 0.20000000298)."""
    if t.dtype == torch.float32:
        import numpy as np

        return float(str(np.float32(t.item())))
    return float(t.item())


def _check_elastic(name: str, E, nu) -> None:
    e, n = torch.as_tensor(E).detach(), torch.as_tensor(nu).detach()
    if not (e > 0).all():
        raise ValidationError(f"{name}: Young's modulus E must be positive (Pa), got {E!r}")
    if not ((n > -1) & (n < 0.5)).all():
        raise ValidationError(f"{name}: Poisson's ratio nu must lie in (-1, 0.5), got {nu!r}")


@register_law("fixed_corotated")
class FixedCorotated(AnalyticLaw):
    """Fixed-corotated elasticity (Stomakhin et al. 2012): ``P = 2 mu (F - R) + lambda (J - 1) J F^{-T}``,
    ``R`` the polar rotation of ``F``, ``J = det F``; ``mu, lambda`` from ``E`` (Pa) and ``nu``."""

    _config_keys = ("E", "nu")

    def __init__(self, E: float = 1e5, nu: float = 0.2):
        super().__init__()
        _check_elastic("fixed_corotated", E, nu)
        self._set(E=E, nu=nu)

    def stress(self, F: torch.Tensor) -> torch.Tensor:
        mu, lam = self._lame(F)
        J = det2(F)
        return 2 * mu[..., None, None] * (F - polar2(F)) + (lam * (J - 1))[..., None, None] * cofactor2(F)


@register_law("neo_hookean")
class NeoHookean(AnalyticLaw):
    """Compressible neo-Hookean elasticity: ``P = mu (F - F^{-T}) + lambda log(J) F^{-T}``. ``J`` is
    floored at 1e-6 inside the logarithm and the inverse (an inverted particle is pushed back hard)."""

    _config_keys = ("E", "nu")

    def __init__(self, E: float = 1e5, nu: float = 0.2):
        super().__init__()
        _check_elastic("neo_hookean", E, nu)
        self._set(E=E, nu=nu)

    def stress(self, F: torch.Tensor) -> torch.Tensor:
        mu, lam = self._lame(F)
        J = det2(F).clamp_min(1e-6)
        finvt = cofactor2(F) / J[..., None, None]
        return mu[..., None, None] * (F - finvt) + (lam * torch.log(J))[..., None, None] * finvt


class _Hencky(AnalyticLaw):
    """St. Venant-Kirchhoff in the Hencky (logarithmic) strain, in principal axes: with
    ``F = U diag(s) V^T`` and ``eps = log s``, the Kirchhoff stress is ``U diag(2 mu eps + lambda tr eps) U^T``
    and ``P = U diag((2 mu eps + lambda tr eps) / s) V^T`` (the stress of the plastic laws, as in
    Klar et al. 2016). Singular values are floored at 1e-6 (an inverted particle)."""

    def _principal(self, F: torch.Tensor):
        U, s, V = svd2(F)
        return U, s.clamp_min(1e-6), V

    def stress(self, F: torch.Tensor) -> torch.Tensor:
        mu, lam = self._lame(F)
        U, s, V = self._principal(F)
        eps = torch.log(s)
        tau = 2 * mu[..., None] * eps + (lam * eps.sum(-1))[..., None]
        return _compose(U, tau / s, V)


@register_law("drucker_prager")
class DruckerPrager(_Hencky):
    """Sand: Hencky elasticity with the Drucker-Prager return mapping of Klar et al. (2016), "Drucker-Prager
    elastoplasticity for sand animation", in the log strain ``eps = log s`` of the SVD (d = 2):

    - ``tr eps >= 0`` (the grain packing is pulled apart): project to the cone's tip, ``s = 1`` (no
      cohesion: stress-free);
    - else with ``eps^ = eps - tr(eps)/2`` and the shift ``dg = |eps^| + (d lambda + 2 mu) / (2 mu) tr(eps) alpha``,
      ``alpha = sqrt(2/3) 2 sin(phi) / (3 - sin(phi))``: ``dg <= 0`` is inside the cone (unchanged), else
      ``eps <- eps - dg eps^ / |eps^|``.

    ``friction_angle`` phi in degrees (sand: 30-40)."""

    plastic = True
    _config_keys = ("E", "nu", "friction_angle")

    def __init__(self, E: float = 2e5, nu: float = 0.3, friction_angle: float = 35.0):
        super().__init__()
        _check_elastic("drucker_prager", E, nu)
        phi = torch.as_tensor(friction_angle).detach()
        if not ((phi > 0) & (phi < 90)).all():
            raise ValidationError(f"drucker_prager: friction_angle must lie in (0, 90) degrees, got {friction_angle!r}")
        self._set(E=E, nu=nu, friction_angle=friction_angle)

    def project(self, F: torch.Tensor) -> torch.Tensor:
        mu, lam = self._lame(F)
        sin_phi = torch.sin(torch.deg2rad(self._c("friction_angle", F)))
        alpha = math.sqrt(2.0 / 3.0) * 2.0 * sin_phi / (3.0 - sin_phi)
        U, s, V = self._principal(F)
        eps = torch.log(s)
        tr = eps.sum(-1)
        dev = eps - 0.5 * tr[..., None]
        norm = _safe_norm(dev)
        dg = norm + (2.0 * lam + 2.0 * mu) / (2.0 * mu) * tr * alpha
        shifted = eps - (dg / norm)[..., None] * dev
        eps_new = torch.where((dg > 0)[..., None], shifted, eps)
        eps_new = torch.where((tr >= 0)[..., None], torch.zeros_like(eps), eps_new)
        return _compose(U, torch.exp(eps_new), V)


@register_law("von_mises")
class VonMises(_Hencky):
    """Metal / plasticine: Hencky elasticity with von Mises plasticity (no hardening). With the
    deviatoric log strain ``eps^`` of the SVD, the yield condition is ``2 mu |eps^| <= yield_stress``
    (the Frobenius norm of the deviatoric Kirchhoff stress, Pa); beyond it ``eps^`` is scaled back onto
    the surface, the volume (``tr eps``) unchanged."""

    plastic = True
    _config_keys = ("E", "nu", "yield_stress")

    def __init__(self, E: float = 1e5, nu: float = 0.3, yield_stress: float = 3e3):
        super().__init__()
        _check_elastic("von_mises", E, nu)
        if not (torch.as_tensor(yield_stress).detach() > 0).all():
            raise ValidationError(f"von_mises: yield_stress must be positive (Pa), got {yield_stress!r}")
        self._set(E=E, nu=nu, yield_stress=yield_stress)

    def project(self, F: torch.Tensor) -> torch.Tensor:
        mu, _ = self._lame(F)
        U, s, V = self._principal(F)
        eps = torch.log(s)
        mean = eps.mean(-1, keepdim=True)
        dev = eps - mean
        norm = _safe_norm(dev)
        dg = norm - self._c("yield_stress", F) / (2.0 * mu)
        scale = torch.where(dg > 0, (norm - dg.clamp_min(0)) / norm, torch.ones_like(norm))
        return _compose(U, torch.exp(mean + scale[..., None] * dev), V)


@register_law("fluid")
class Fluid(AnalyticLaw):
    """A weakly compressible viscous fluid as a Maxwell material (elastic spring + viscous dashpot).

    Stress (``F = U diag(s) V^T``, ``J = det F``, ``eps^`` the deviatoric log strain): the Kirchhoff
    stress is ``bulk (J - 1) J I`` (pressure ``-bulk (J - 1)``) plus ``2 shear eps^`` in principal axes.

    Viscosity enters through :meth:`project`, the Maxwell relaxation over one step: the deviatoric
    log strain decays as ``eps^ <- exp(-dt / t_r) eps^`` with the relaxation time
    ``t_r = viscosity / shear``; the volume is kept. For flows slower than ``t_r`` this is a Newtonian
    fluid of dynamic viscosity ``viscosity`` (Pa s; the Maxwell model's ``eta = shear t_r``);
    ``viscosity = 0`` resets the shape every step (an inviscid fluid). ``project`` needs the step, so
    the law holds ``dt`` (s): :class:`~dynlearn.particles.mpm.MPM` refuses a law built for another
    ``dt``. ``shear`` (Pa) defaults to ``bulk / 10``."""

    _config_keys = ("bulk", "viscosity", "shear", "dt")

    def __init__(self, bulk: float = 1e5, viscosity: float = 1.0, shear: float | None = None, dt: float = 2e-4):
        super().__init__()
        if not (torch.as_tensor(bulk).detach() > 0).all():
            raise ValidationError(f"fluid: bulk modulus must be positive (Pa), got {bulk!r}")
        if not (torch.as_tensor(viscosity).detach() >= 0).all():
            raise ValidationError(f"fluid: viscosity must be >= 0 (Pa s), got {viscosity!r}")
        if shear is None:
            shear = bulk / 10.0  # follows bulk (and its gradient)
        if not (torch.as_tensor(shear).detach() > 0).all():
            raise ValidationError(f"fluid: shear modulus must be positive (Pa), got {shear!r}")
        if not (isinstance(dt, (int, float)) and dt > 0):
            raise ValidationError(f"fluid: dt must be the simulator's positive time step (s), got {dt!r}")
        self.dt = float(dt)
        self._set(bulk=bulk, viscosity=viscosity, shear=shear)

    def stress(self, F: torch.Tensor) -> torch.Tensor:
        U, s, V = svd2(F)
        s = s.clamp_min(1e-6)
        eps = torch.log(s)
        J = s[..., 0] * s[..., 1]
        tau = 2 * self._c("shear", F)[..., None] * (eps - eps.mean(-1, keepdim=True))
        tau = tau + (self._c("bulk", F) * (J - 1) * J)[..., None]
        return _compose(U, tau / s, V)

    def project(self, F: torch.Tensor) -> torch.Tensor:
        U, s, V = svd2(F)
        eps = torch.log(s.clamp_min(1e-6))
        mean = eps.mean(-1, keepdim=True)
        decay = torch.exp(-self.dt * self._c("shear", F) / self._c("viscosity", F).clamp_min(1e-30))
        return _compose(U, torch.exp(mean + decay[..., None] * (eps - mean)), V)


__all__ = [
    "LAWS",
    "AnalyticLaw",
    "ConstitutiveLaw",
    "DruckerPrager",
    "FixedCorotated",
    "Fluid",
    "NeoHookean",
    "VonMises",
    "cofactor2",
    "det2",
    "lame",
    "mm2",
    "mv2",
    "polar2",
    "register_law",
    "svd2",
]
