"""DeepONet with parameter conditioning (Lu, Jin, Pang, Zhang & Karniadakis, Nature Machine
Intelligence 2021, *Learning nonlinear operators via DeepONet*), as CFDBench uses it for
autoregressive steps (Luo et al. 2023).

The next frame is an expansion in ``latent`` learned basis functions of position:

    u_c(y) = sum_k b_{c,k}(x, p) t_k(y) / sqrt(latent) + beta_c,

where the *branch* ``b`` is an MLP of the flattened input frames (average-pooled by ``pool``
along each axis first, to bound its size; the obstacle mask is one of the input channels, so
geometry enters here) concatenated with the standardised physical parameters ``p``, and the
*trunk* ``t`` an MLP of the coordinates ``y`` of each grid point. Output channels come from a
split of the branch output (``channels * latent`` values); the trunk is shared. Periodic axes give
the trunk ``sin, cos(2 pi j y)`` features, ``j = 1..harmonics``, so the basis is periodic;
other axes give ``y`` in [-1, 1] and ``sin, cos(pi j y)``.
"""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn

from dynlearn.errors import ValidationError
from dynlearn.fields.models.base import FieldModel, FieldModelConfig, FieldSpec, register_field_model


@dataclasses.dataclass
class DeepONetConfig(FieldModelConfig):
    latent: int = 64
    branch_width: int = 128
    branch_layers: int = 3
    trunk_width: int = 128
    trunk_layers: int = 3
    harmonics: int = 4
    pool: int = 1


def _mlp(cin: int, width: int, cout: int, layers: int) -> nn.Sequential:
    mods: list[nn.Module] = []
    for i in range(layers - 1):
        mods += [nn.Linear(cin if i == 0 else width, width), nn.GELU()]
    mods.append(nn.Linear(width if layers > 1 else cin, cout))
    return nn.Sequential(*mods)


@register_field_model("deeponet")
class DeepONet(FieldModel):
    """DeepONet (see the module doc): branch(frames, mask, params) . trunk(coordinates)."""

    Config = DeepONetConfig

    def __init__(self, spec: FieldSpec, config=None, *, seed: int = 0, **overrides):
        super().__init__(spec, config, seed=seed, **overrides)
        cfg = self.config
        if min(cfg.latent, cfg.branch_width, cfg.trunk_width, cfg.branch_layers, cfg.trunk_layers, cfg.pool) < 1:
            raise ValidationError(f"deeponet sizes must all be >= 1, got {cfg}")
        if any(n % cfg.pool for n in spec.space):
            raise ValidationError(f"deeponet pool {cfg.pool} must divide every axis of the grid {spec.space}")
        dim = len(spec.space)
        self.pool = (nn.AvgPool1d if dim == 1 else nn.AvgPool2d)(cfg.pool) if cfg.pool > 1 else nn.Identity()
        n_in = spec.in_channels * math.prod(n // cfg.pool for n in spec.space) + spec.n_params
        self.branch = _mlp(n_in, cfg.branch_width, spec.channels * cfg.latent, cfg.branch_layers)
        self.register_buffer("coords", self._features(spec, cfg.harmonics), persistent=False)
        self.trunk = _mlp(self.coords.shape[1], cfg.trunk_width, cfg.latent, cfg.trunk_layers)
        self.bias = nn.Parameter(torch.zeros(spec.channels))

    @staticmethod
    def _features(spec: FieldSpec, harmonics: int) -> torch.Tensor:
        axes = []
        for n, per in zip(spec.space, spec.periodic):
            y = torch.arange(n, dtype=torch.float32) / n if per else torch.linspace(-1, 1, n)
            axes.append((y, per))
        mesh = torch.meshgrid(*[a for a, _ in axes], indexing="ij")
        feats = []
        for y, (_, per) in zip(mesh, axes):
            y = y.reshape(-1)
            if not per:
                feats.append(y)
            base = 2 * math.pi if per else math.pi
            for j in range(1, harmonics + 1):
                feats += [torch.sin(base * j * y), torch.cos(base * j * y)]
        if not feats:
            raise ValidationError("deeponet on a periodic grid needs harmonics >= 1")
        return torch.stack(feats, dim=1)

    def step(self, x: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        s, cfg = self.spec, self.config
        parts = [self.pool(x).flatten(1)]
        if p is not None:
            parts.append(p)
        b = self.branch(torch.cat(parts, dim=1)).view(x.shape[0], s.channels, cfg.latent)
        t = self.trunk(self.coords.to(x.dtype))
        out = torch.einsum("bck,nk->bcn", b, t) / math.sqrt(cfg.latent) + self.bias[:, None]
        return out.view(x.shape[0], s.channels, *s.space)

    @classmethod
    def conformance_config(cls):
        return {"latent": 8, "branch_width": 16, "trunk_width": 16, "branch_layers": 2, "trunk_layers": 2}
