"""A baseline that sees the physical parameters (and the obstacle mask) but never the state.

The next frame is predicted as a parameter-dependent field in a learned low-rank basis,

    u_c(y) = sum_r a_r(p) phi_{r,c}(y) + beta_c(y) + g_c(mask)(y),

with ``a`` an MLP of the standardised parameters (constants when the data has none), ``phi``
``rank`` learned fields, ``beta`` a learned mean field and ``g`` a two-layer convolution of the
mask (only with obstacles). By default ``residual=False``: the prediction is the next frame itself,
so the model can at best learn the conditional mean ``E[u_{t+1} | p, mask]`` over the training
frames. What it shows: how much of a dataset's one-step variance the parameters and geometry
alone explain (for statistically stationary flows, the parameter-dependent mean flow). A learned
model that does not beat both it and the last-frame baseline has learned nothing about the state.
With ``residual=True`` it becomes ``u_t`` plus a state-independent drift.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from dynlearn.errors import ValidationError
from dynlearn.fields.models._blocks import conv
from dynlearn.fields.models.base import FieldModel, FieldModelConfig, FieldSpec, register_field_model


@dataclasses.dataclass
class ParameterOnlyConfig(FieldModelConfig):
    residual: bool = False
    rank: int = 16
    hidden: int = 64


@register_field_model("parameter_only")
class ParameterOnly(FieldModel):
    """Parameter-only baseline (see the module doc)."""

    Config = ParameterOnlyConfig

    def __init__(self, spec: FieldSpec, config=None, *, seed: int = 0, **overrides):
        super().__init__(spec, config, seed=seed, **overrides)
        cfg, dim = self.config, len(spec.space)
        if cfg.rank < 1 or cfg.hidden < 1:
            raise ValidationError(f"parameter_only needs rank >= 1 and hidden >= 1, got {cfg.rank}, {cfg.hidden}")
        if spec.n_params:
            self.coef = nn.Sequential(nn.Linear(spec.n_params, cfg.hidden), nn.GELU(), nn.Linear(cfg.hidden, cfg.rank))
        else:
            self.coef_const = nn.Parameter(torch.randn(cfg.rank) / cfg.rank**0.5)
        self.basis = nn.Parameter(0.1 * torch.randn(cfg.rank, spec.channels, *spec.space))
        self.mean = nn.Parameter(torch.zeros(spec.channels, *spec.space))
        self.mask_net = None
        if spec.mask:
            width = min(cfg.hidden, 16)
            self.mask_net = nn.Sequential(conv(dim, 1, width), nn.GELU(), conv(dim, width, spec.channels))

    def step(self, x: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        if p is not None:
            a = self.coef(p)
        else:
            a = self.coef_const.expand(x.shape[0], -1)
        out = torch.einsum("br,rc...->bc...", a, self.basis) + self.mean
        if self.mask_net is not None:
            out = out + self.mask_net(x[:, -1:])
        return out

    @classmethod
    def conformance_config(cls):
        return {"rank": 4, "hidden": 8}
