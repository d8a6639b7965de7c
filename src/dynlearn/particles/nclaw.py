"""Neural constitutive laws: NCLaw (invariant, equivariant by construction) and a plain MLP baseline.

Both are :class:`~dynlearn.particles.materials.ConstitutiveLaw` s with learned weights, so the MPM
simulator runs them, and backpropagates through them, exactly as it runs the analytic laws
(:func:`dynlearn.particles.fit.fit_law` fits their weights through a window of simulator steps).

``nclaw`` (after Ma et al. 2023, "Learning Neural Constitutive Laws From Motion Observations for
Generalizable PDE Dynamics"), in 2-D:

- **Elastic network.** ``F`` is split by the polar decomposition ``F = R S`` (closed form for 2 x 2,
  :func:`dynlearn.particles.materials.polar2`; no SVD, whose gradient is undefined at rest). The
  network sees only quantities that do not change when the deformed body is rotated, ``F -> Q F``:
  ``tr S - 2`` (the sum of the singular values minus 2), the three distinct entries of ``C - I``
  (``C = F^T F``) and ``det F - 1``, each divided by ``strain_scale`` so they are of order one. All
  are zero at ``F = I``. A **bias-free** MLP (GELU, which maps 0 to 0) turns them into four numbers,
  whose symmetric part ``G`` is a stress in the rotated (material) frame; the stress is
  ``P = stress_scale * R G``. Hence ``P(Q F) = Q R G = Q P(F)`` for every rotation ``Q`` (frame
  indifference holds by construction, not by training), and ``P(I) = 0`` exactly (no stress at rest).
- **Plastic network** (``plastic=True``): the same features and the same kind of bias-free network give
  four numbers; ``H`` is the symmetric part of their ``tanh`` and the return mapping is
  ``F' = F + alpha * R H`` (each entry of the correction at most ``alpha`` per step, so a step cannot
  invert ``F`` while the network trains). Frame-indifferent for the same reason, and the identity at
  ``F = I``. Its last layer starts at zero, so an untrained law is purely elastic.
- **Prior** (``prior="fixed_corotated"``, with ``prior_E`` and ``prior_nu``): the network's stress is
  *added* to a fixed-corotated stress ``2 mu (F - R) + lambda (J - 1) J F^-T`` with those constants,
  as the paper starts its networks from a simple material; ``prior=None`` (the default) learns the
  whole stress. The prior is frame-indifferent and zero at rest, so both guarantees survive.

``mlp_stress``: the plain baseline. An MLP *with* biases from the four entries of ``(F - I) /
strain_scale`` to the four entries of ``P / stress_scale`` (plus the same optional prior). It has no
invariance built in: it need not vanish at rest nor rotate with the body; it is what the invariant
design is measured against.

Units: ``F`` is dimensionless, stresses are in the units of ``stress_scale`` (Pa for SI scenes).
Weights initialise from ``seed`` alone (a private generator: the global RNG is not touched).
:meth:`NeuralLaw.save` writes ``law.json`` + ``weights.safetensors`` (no pickle); :func:`load_law` reads
them back for any registered law, analytic ones included.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, ClassVar

import torch

from dynlearn.config import build_config
from dynlearn.errors import ValidationError
from dynlearn.io_utils import load_weights, read_weights_header, save_weights
from dynlearn.particles.materials import LAWS, ConstitutiveLaw, cofactor2, det2, lame, polar2, register_law

FORMAT = "dynlearn.constitutive_law"
FORMAT_VERSION = 1
HEADER = "law.json"


# -- 2 x 2 kinematics --------------------------------------------------------------------------
def _check_F(F: torch.Tensor) -> None:
    if not isinstance(F, torch.Tensor) or F.ndim < 2 or tuple(F.shape[-2:]) != (2, 2):
        got = tuple(F.shape) if isinstance(F, torch.Tensor) else type(F).__name__
        raise ValidationError(
            f"deformation gradients must be a tensor of shape (..., 2, 2) (the neural laws are 2-D), got {got}"
        )


def invariant_features(F: torch.Tensor) -> torch.Tensor:
    """Rotation-invariant features ``(..., 5)`` of ``F (..., 2, 2)``, zero at ``F = I``:
    ``tr S - 2``, ``C00 - 1``, ``C11 - 1``, ``sqrt(2) C01`` (``C = F^T F``) and ``det F - 1``."""
    a = F[..., 0, 0] + F[..., 1, 1]
    b = F[..., 1, 0] - F[..., 0, 1]
    trS = torch.sqrt(a * a + b * b)  # = sigma_1 + sigma_2 when det F > 0
    C = F.transpose(-1, -2) @ F
    return torch.stack([trS - 2.0, C[..., 0, 0] - 1.0, C[..., 1, 1] - 1.0, 2.0**0.5 * C[..., 0, 1], det2(F) - 1.0], -1)


def _sym(v: torch.Tensor) -> torch.Tensor:
    """Four numbers ``(..., 4)`` -> the symmetric part of the 2 x 2 matrix they fill, row by row."""
    m = v.reshape(*v.shape[:-1], 2, 2)
    return 0.5 * (m + m.transpose(-1, -2))


def fixed_corotated_stress(F: torch.Tensor, mu: float, lam: float) -> torch.Tensor:
    """``P = 2 mu (F - R) + lambda (J - 1) J F^-T`` (the prior; ``J F^-T`` is the cofactor of ``F``)."""
    return 2.0 * mu * (F - polar2(F)) + (lam * (det2(F) - 1.0))[..., None, None] * cofactor2(F)


# -- the networks --------------------------------------------------------------------------------
class _MLP(torch.nn.Module):
    """``depth`` hidden layers of ``width`` with GELU; ``bias=False`` makes it map 0 to 0."""

    def __init__(self, n_in: int, n_out: int, width: int, depth: int, bias: bool):
        super().__init__()
        sizes = [n_in] + [width] * depth + [n_out]
        with torch.random.fork_rng(devices=[]):  # torch's default init draws from the global RNG: keep it untouched
            self.layers = torch.nn.ModuleList(
                torch.nn.Linear(a, b, bias=bias) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for k, layer in enumerate(self.layers):
            x = layer(x)
            if k < len(self.layers) - 1:
                x = torch.nn.functional.gelu(x)
        return x


def _init(module: torch.nn.Module, generator: torch.Generator, *, zero_last: bool = False) -> None:
    """Seeded initialisation: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) weights (torch's default scale),
    zero biases; the last layer zero if ``zero_last``."""
    linears = [m for m in module.modules() if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for k, lin in enumerate(linears):
            bound = lin.in_features**-0.5
            lin.weight.copy_((torch.rand(lin.weight.shape, generator=generator) * 2 - 1) * bound)
            if lin.bias is not None:
                lin.bias.zero_()
            if zero_last and k == len(linears) - 1:
                lin.weight.zero_()


@dataclasses.dataclass
class NeuralLawConfig:
    """Hyper-parameters of a neural law (all JSON)."""

    width: int = 64
    depth: int = 2
    #: the strain that maps to network inputs of order one
    strain_scale: float = 0.1
    #: the stress a network output of one means (Pa for SI scenes): about the modulus times strain_scale
    stress_scale: float = 1e3
    #: an analytic prior the network's stress is added to: None or "fixed_corotated"
    prior: str | None = None
    prior_E: float = 0.0
    prior_nu: float = 0.0
    #: learn a return mapping too (nclaw only)
    plastic: bool = False
    #: the largest entry of the plastic correction per step (it is alpha * tanh of the network's output)
    alpha: float = 1e-2


class NeuralLaw(ConstitutiveLaw):
    """Base of the laws with learned weights: config, seeded init, the prior, save."""

    Config: ClassVar[type] = NeuralLawConfig

    def __init__(self, *, seed: int = 0, **settings: Any):
        super().__init__()
        self.settings = build_config(self.Config, settings)
        c = self.settings
        if c.width < 1 or c.depth < 0 or c.strain_scale <= 0 or c.stress_scale <= 0 or c.alpha < 0:
            raise ValidationError(
                f"{self.name}: width >= 1, depth >= 0 and positive strain_scale, stress_scale, alpha are needed, "
                f"got {c}"
            )
        if c.prior not in (None, "fixed_corotated"):
            raise ValidationError(f"{self.name}: prior must be None or 'fixed_corotated', got {c.prior!r}")
        if c.prior is not None and not (c.prior_E > 0 and -1.0 < c.prior_nu < 0.5):
            raise ValidationError(
                f"{self.name}: the fixed_corotated prior needs prior_E > 0 and -1 < prior_nu < 0.5, "
                f"got {c.prior_E}, {c.prior_nu}"
            )
        self.seed = int(seed)

    def _prior(self, F: torch.Tensor) -> torch.Tensor | None:
        c = self.settings
        if c.prior is None:
            return None
        mu, lam = lame(c.prior_E, c.prior_nu)
        return fixed_corotated_stress(F, mu, lam)

    def config(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self.settings), "seed": self.seed}

    @classmethod
    def conformance_config(cls) -> dict[str, Any]:
        """A small law for the conformance suite."""
        return {"width": 16, "depth": 2}

    def save(self, path: str | os.PathLike) -> Path:
        """Write ``law.json`` and ``weights.safetensors`` into the directory ``path``."""
        return save_law(self, path)


@register_law("nclaw")
class NCLaw(NeuralLaw):
    """The neural constitutive law of Ma et al. 2023 in 2-D (see the module doc): invariant inputs, a
    bias-free MLP, a stress ``P = R G`` with ``G`` symmetric; optionally a learned return mapping."""

    def __init__(self, *, seed: int = 0, **settings: Any):
        super().__init__(seed=seed, **settings)
        c = self.settings
        g = torch.Generator().manual_seed(self.seed)
        self.elastic = _MLP(5, 4, c.width, c.depth, bias=False)
        _init(self.elastic, g)
        self.plastic_net = None
        if c.plastic:
            self.plastic_net = _MLP(5, 4, c.width, c.depth, bias=False)
            _init(self.plastic_net, g, zero_last=True)
        self.plastic = bool(c.plastic)  # the instance's flag (the class default says elastic)

    def stress(self, F: torch.Tensor) -> torch.Tensor:
        _check_F(F)
        dtype = self.elastic.layers[0].weight.dtype
        Fw = F.to(dtype)
        R = polar2(Fw)
        G = _sym(self.elastic(invariant_features(Fw) / self.settings.strain_scale))
        P = self.settings.stress_scale * (R @ G)
        prior = self._prior(Fw)
        P = P if prior is None else P + prior
        return P.to(F.dtype)

    def project(self, F: torch.Tensor) -> torch.Tensor:
        _check_F(F)
        if self.plastic_net is None:
            return F
        dtype = self.plastic_net.layers[0].weight.dtype
        Fw = F.to(dtype)
        R = polar2(Fw)
        H = _sym(torch.tanh(self.plastic_net(invariant_features(Fw) / self.settings.strain_scale)))
        return (Fw + self.settings.alpha * (R @ H)).to(F.dtype)

    @classmethod
    def conformance_config(cls) -> dict[str, Any]:
        return {"width": 16, "depth": 2, "plastic": True, "alpha": 0.05}


@register_law("mlp_stress")
class MLPStress(NeuralLaw):
    """The non-invariant baseline: an MLP with biases from the entries of ``F - I`` to those of ``P``
    (plus the optional prior). Not frame-indifferent, not zero at rest; elastic only."""

    def __init__(self, *, seed: int = 0, **settings: Any):
        super().__init__(seed=seed, **settings)
        if self.settings.plastic:
            raise ValidationError("mlp_stress is an elastic baseline: plastic=True is not supported")
        c = self.settings
        g = torch.Generator().manual_seed(self.seed)
        self.net = _MLP(4, 4, c.width, c.depth, bias=True)
        _init(self.net, g)

    def stress(self, F: torch.Tensor) -> torch.Tensor:
        _check_F(F)
        dtype = self.net.layers[0].weight.dtype
        Fw = F.to(dtype)
        eye = torch.eye(2, dtype=dtype)
        x = (Fw - eye).reshape(*Fw.shape[:-2], 4) / self.settings.strain_scale
        P = self.settings.stress_scale * self.net(x).reshape(*Fw.shape[:-2], 2, 2)
        prior = self._prior(Fw)
        P = P if prior is None else P + prior
        return P.to(F.dtype)


# -- persistence ---------------------------------------------------------------------------------
def save_law(law: ConstitutiveLaw, path: str | os.PathLike) -> Path:
    """Write any registered law to the directory ``path``: ``law.json`` (name, config) and
    ``weights.safetensors`` (its parameters and buffers). No pickle."""
    if law.name not in LAWS:
        raise ValidationError(f"only registered laws can be saved; {type(law).__name__} has name {law.name!r}")
    meta = {"format": FORMAT, "version": FORMAT_VERSION, "name": law.name, "config": law.config()}
    return save_weights(path, law, meta, header=HEADER)


def load_law(path: str | os.PathLike) -> ConstitutiveLaw:
    """Load a law written by :func:`save_law` / :meth:`NeuralLaw.save`; another format or version, or a
    damaged file, is refused with a :class:`~dynlearn.errors.FileFormatError`."""
    meta = read_weights_header(path, format=FORMAT, version=FORMAT_VERSION, what="constitutive law", header=HEADER)
    law = LAWS.get(meta["name"])(**meta.get("config", {}))
    return load_weights(path, law, what="constitutive law").eval()


__all__ = [
    "MLPStress",
    "NCLaw",
    "NeuralLaw",
    "NeuralLawConfig",
    "fixed_corotated_stress",
    "invariant_features",
    "load_law",
    "save_law",
]
