"""SineNet-K (Zhang, Helwig, Lin, Xie, Fu, Wojtowytsch & Ji, ICLR 2024, *SineNet: learning temporal
dynamics in time-dependent partial differential equations*), written from the paper's description.

The idea. A U-Net that maps frame ``t`` to ``t + dt`` must evolve its features in time as they go
down and up; the skip connections then hand the decoder features still at time ``t``. Under
advection (transport at speed ``u``) those are displaced by about ``|u| dt`` from where the
decoder needs them: the skip connections are *temporally misaligned*. SineNet splits the step
over ``K`` sequential U-shaped *waves*: the lifted latent ``h_0 = P(x)`` is evolved as

    h_k = h_{k-1} + V_k(h_{k-1}, e),    k = 1..K,        output = Q(h_K),

so each wave advances the latent by about ``dt / K`` and its skip connections are misaligned by
only ``|u| dt / K``. The two kinds of multi-scale processing are separated this way: within a wave
the skip connections do *parallel* processing (each scale's features combined at the same time
level, what diffusion-like, local smoothing needs), and across waves the latent is processed
*sequentially* (transport accumulated over the waves, what advection needs). With
``carry=True`` (default) the decoder's features at every level of wave ``k`` are added to the
encoder's features at the same level of wave ``k + 1``, so the coarse scales are evolved
sequentially too, not only the finest one.

Each wave is a shallow U-Net (``depth`` halvings, default 2) of the same residual blocks as
:mod:`~dynlearn.fields.models.unet` (GroupNorm, GELU, FiLM parameter conditioning) with the same
``padding`` switch. :func:`match_parameters` picks the width (and the coarsest level's width, a
finer knob) so that a SineNet-K has the trainable-parameter count of a given U-Net within 2%,
the comparison the paper makes ("more waves at equal parameters").
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from dynlearn.config import build_config
from dynlearn.errors import ValidationError
from dynlearn.fields.models._blocks import (
    ParamEmbedding,
    UNetCore,
    check_divisible,
    conv,
    count_shell,
    count_unet_core,
    groups_for,
    level_channels,
)
from dynlearn.fields.models.base import (
    FIELD_MODELS,
    FieldModel,
    FieldModelConfig,
    FieldSpec,
    register_field_model,
)
from dynlearn.fields.models.unet import resolve_padding


@dataclasses.dataclass
class SineNetConfig(FieldModelConfig):
    waves: int = 4
    width: int = 32
    depth: int = 2
    blocks: int = 1
    mults: tuple[int, ...] | None = None
    mid_width: int | None = None
    padding: str = "auto"
    emb_dim: int = 64
    carry: bool = True


@register_field_model("sinenet")
class SineNet(FieldModel):
    """SineNet-K (see the module doc): ``h_k = h_{k-1} + V_k(h_{k-1})``, K U-shaped waves."""

    Config = SineNetConfig

    def __init__(self, spec: FieldSpec, config=None, *, seed: int = 0, **overrides):
        super().__init__(spec, config, seed=seed, **overrides)
        cfg, dim = self.config, len(spec.space)
        if cfg.waves < 1:
            raise ValidationError(f"sinenet needs waves >= 1, got {cfg.waves}")
        self.padding = resolve_padding(cfg.padding, spec)
        check_divisible(self.name, spec.space, cfg.depth)
        chans = level_channels(cfg.width, cfg.depth, cfg.mults, cfg.mid_width)
        emb_dim = cfg.emb_dim if spec.n_params else 0
        self.embed = ParamEmbedding(spec.n_params, emb_dim) if emb_dim else None
        self.lift = conv(dim, spec.in_channels, chans[0], 3, self.padding)
        self.waves = nn.ModuleList(UNetCore(dim, chans, cfg.blocks, self.padding, emb_dim) for _ in range(cfg.waves))
        self.proj = nn.Sequential(
            nn.GroupNorm(groups_for(chans[0]), chans[0]), nn.GELU(), conv(dim, chans[0], spec.channels, 1)
        )

    def step(self, x: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        emb = self.embed(p) if self.embed is not None else None
        h, carry = self.lift(x), None
        for wave in self.waves:
            out, feats = wave(h, emb, carry)
            h = h + out
            carry = feats if self.config.carry else None
        return self.proj(h)

    @classmethod
    def count_parameters(cls, spec: FieldSpec, config: dict) -> int:
        """Trainable parameters of ``cls(spec, config)``, computed without building it."""
        cfg = build_config(cls.Config, config, {})
        chans = level_channels(cfg.width, cfg.depth, cfg.mults, cfg.mid_width)
        emb, dim = (cfg.emb_dim if spec.n_params else 0), len(spec.space)
        core = count_unet_core(dim, chans, cfg.blocks, emb)
        return count_shell(dim, spec.in_channels, chans[0], spec.channels, spec.n_params, emb) + cfg.waves * core

    @classmethod
    def conformance_config(cls):
        return {"waves": 2, "width": 8, "depth": 1, "emb_dim": 8}


def _count(name: str, spec: FieldSpec, config: dict[str, Any]) -> int:
    return FIELD_MODELS.get(name).count_parameters(spec, config)


def _bisect(lo: int, hi: int, count, target: int) -> int:
    """The smallest integer in ``[lo, hi]`` whose (non-decreasing) count reaches ``target``, or hi."""
    while lo < hi:
        mid = (lo + hi) // 2
        if count(mid) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def match_parameters(
    target_count: int, name: str, spec: FieldSpec, *, rtol: float = 0.02, max_width: int = 1024, **fixed: Any
) -> dict[str, Any]:
    """A config of model ``name`` (``"sinenet"`` or ``"unet"``) with ``fixed`` settings whose
    trainable-parameter count is within ``rtol`` of ``target_count``: bisection on ``width`` (the
    count grows with it), then on ``mid_width`` (the coarsest level's channels) at the two widths
    around the target. Counts are computed from the architecture (``count_parameters``), not by building.

    >>> unet = build_field_model("unet", spec, width=32)                        # doctest: +SKIP
    >>> cfg = match_parameters(unet.n_parameters(), "sinenet", spec, waves=4)  # doctest: +SKIP
    """
    if name not in ("sinenet", "unet"):
        raise ValidationError(f"match_parameters turns the width of 'sinenet' or 'unet', got {name!r}")
    if int(target_count) < 1:
        raise ValidationError(f"target_count must be >= 1, got {target_count}")
    for key in ("width", "mid_width"):
        if key in fixed:
            raise ValidationError(f"match_parameters chooses {key!r} itself; do not fix it")
    target = int(target_count)

    def by_width(w: int) -> int:
        return _count(name, spec, {**fixed, "width": w})

    if by_width(1) > target:
        raise ValidationError(f"{name} with {fixed} has more than {target} parameters even at width 1")
    w_hi = _bisect(1, max_width, by_width, target)
    candidates = []
    for w in {max(w_hi - 1, 1), w_hi}:
        candidates.append(({**fixed, "width": w}, by_width(w)))
        defaults = FIELD_MODELS.get(name).Config()
        base = level_channels(w, fixed.get("depth", defaults.depth), fixed.get("mults"), None)[-1]

        def by_mid(m: int, w=w) -> int:
            return _count(name, spec, {**fixed, "width": w, "mid_width": m})

        m = _bisect(1, 8 * base + 8, by_mid, target)
        for mm in {max(m - 1, 1), m}:
            candidates.append(({**fixed, "width": w, "mid_width": mm}, by_mid(mm)))
    config, count = min(candidates, key=lambda c: abs(c[1] - target))
    if abs(count - target) > rtol * target:
        raise ValidationError(
            f"no width of {name} with {fixed} comes within {rtol:.0%} of {target} parameters "
            f"(closest: {count}); change the fixed settings (waves, depth, blocks)"
        )
    return config
