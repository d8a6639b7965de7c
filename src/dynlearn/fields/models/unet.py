"""A 2-D (or 1-D) U-Net field model with a padding-mode switch and parameter conditioning.

The "modern" U-Net of PDEArena (Gupta & Brandstetter 2022, *Towards multi-spatiotemporal-scale
generalized PDE modeling*), without attention: a 3x3 lifting convolution to ``width`` channels;
``depth`` halvings by average pooling with ``blocks`` pre-activation residual blocks (GroupNorm,
GELU, two 3x3 convolutions) per level and ``width * mults[level]`` channels (doubling, capped at
4x by default); one block at the coarsest level; the way up by nearest interpolation + 3x3
convolution, concatenation with the encoder's features of the same level (the skip connections
of Ronneberger et al. 2015) and blocks; a GroupNorm-GELU-1x1 projection to the output channels.

Physical parameters enter every residual block by FiLM: an MLP embeds the standardised
parameters ``p`` to ``e``, and the block's second normalised activation becomes
``h * (1 + W_s e) + W_b e``.

``padding="circular"`` wraps every convolution around the grid: on a periodic domain the network
then commutes with periodic shifts by multiples of ``2**depth`` points (tested), which is the
symmetry of the PDE; ``"zeros"`` pads with zeros (the switch the SineNet reproduction compares).
``"auto"`` picks circular when every axis of the spec is periodic.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from dynlearn.config import build_config
from dynlearn.fields.models._blocks import (
    ParamEmbedding,
    UNetCore,
    check_divisible,
    check_padding,
    conv,
    count_shell,
    count_unet_core,
    groups_for,
    level_channels,
)
from dynlearn.fields.models.base import FieldModel, FieldModelConfig, FieldSpec, register_field_model


@dataclasses.dataclass
class UNetConfig(FieldModelConfig):
    width: int = 32
    depth: int = 3
    blocks: int = 1
    mults: tuple[int, ...] | None = None
    mid_width: int | None = None
    padding: str = "auto"
    emb_dim: int = 64


def resolve_padding(padding: str, spec: FieldSpec) -> str:
    if padding == "auto":
        return "circular" if all(spec.periodic) else "zeros"
    return check_padding(padding)


@register_field_model("unet")
class UNet(FieldModel):
    """U-Net (see the module doc): ``x -> proj(U(lift(x), emb(p)))``."""

    Config = UNetConfig

    def __init__(self, spec: FieldSpec, config=None, *, seed: int = 0, **overrides):
        super().__init__(spec, config, seed=seed, **overrides)
        cfg, dim = self.config, len(spec.space)
        self.padding = resolve_padding(cfg.padding, spec)
        check_divisible(self.name, spec.space, cfg.depth)
        chans = level_channels(cfg.width, cfg.depth, cfg.mults, cfg.mid_width)
        emb_dim = cfg.emb_dim if spec.n_params else 0
        self.embed = ParamEmbedding(spec.n_params, emb_dim) if emb_dim else None
        self.lift = conv(dim, spec.in_channels, chans[0], 3, self.padding)
        self.core = UNetCore(dim, chans, cfg.blocks, self.padding, emb_dim)
        self.proj = nn.Sequential(
            nn.GroupNorm(groups_for(chans[0]), chans[0]), nn.GELU(), conv(dim, chans[0], spec.channels, 1)
        )

    def step(self, x: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        emb = self.embed(p) if self.embed is not None else None
        h, _ = self.core(self.lift(x), emb)
        return self.proj(h)

    @classmethod
    def count_parameters(cls, spec: FieldSpec, config: dict) -> int:
        """Trainable parameters of ``cls(spec, config)``, computed without building it."""
        cfg = build_config(cls.Config, config, {})
        chans = level_channels(cfg.width, cfg.depth, cfg.mults, cfg.mid_width)
        emb, dim = (cfg.emb_dim if spec.n_params else 0), len(spec.space)
        core = count_unet_core(dim, chans, cfg.blocks, emb)
        return count_shell(dim, spec.in_channels, chans[0], spec.channels, spec.n_params, emb) + core

    @classmethod
    def conformance_config(cls):
        return {"width": 8, "depth": 2, "emb_dim": 8}
