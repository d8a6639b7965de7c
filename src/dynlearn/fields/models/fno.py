"""The Fourier neural operator (Li, Kovachki, Azizzadenesheli, Liu, Bhattacharya, Stuart &
Anandkumar, ICLR 2021, *Fourier neural operator for parametric partial differential equations*),
on 1-D and 2-D grids.

Lifting ``P`` (a pointwise two-layer MLP, hidden ``2 * width``) maps the input channels, with the
physical parameters broadcast as constant channels and, if ``grid=True``, the point coordinates,
to ``width`` channels. Then ``layers`` Fourier layers

    v <- sigma( F^{-1}[ R_l . F[v] ](x) + W_l v(x) ),

where ``F`` is the discrete Fourier transform over the grid, ``R_l`` a learned complex
``width x width`` matrix per retained wavenumber (the lowest ``modes`` along each axis, both signs
on all but the last, real-FFT axis), ``W_l`` a pointwise linear map, ``sigma`` GELU (none after the
last layer). A projection ``Q`` (pointwise MLP, hidden ``2 * width``) gives the output channels.

Spectral convolutions are periodic: on a periodic grid the operator commutes with every periodic
shift when ``grid=False`` (tested). On non-periodic axes the latent is zero-padded by ``pad``
points (``None``: an eighth of the axis) before the Fourier layers and cropped after, as
neuraloperator's domain padding does. A grid with fewer than ``2 * modes`` points along an axis
cannot hold the modes and is refused.
"""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn

from dynlearn.errors import ValidationError
from dynlearn.fields.models.base import FieldModel, FieldModelConfig, FieldSpec, register_field_model


@dataclasses.dataclass
class FNOConfig(FieldModelConfig):
    width: int = 32
    modes: int | tuple[int, ...] = 12
    layers: int = 4
    grid: bool = True
    pad: int | None = None


class SpectralConv(nn.Module):
    """``v -> F^{-1}[R . F[v]]`` keeping the lowest ``modes`` wavenumbers on each axis."""

    def __init__(self, cin: int, cout: int, modes: tuple[int, ...]):
        super().__init__()
        self.modes = modes
        # one weight block per sign combination of the full-FFT axes (the last axis is real-FFT)
        n_blocks = 2 ** (len(modes) - 1)
        scale = 1.0 / math.sqrt(cin * cout)
        self.weight = nn.Parameter(scale * torch.randn(n_blocks, cin, cout, *modes, 2))

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        dims = tuple(range(-len(self.modes), 0))
        size = v.shape[-len(self.modes) :]
        vf = torch.fft.rfftn(v, dim=dims, norm="ortho")
        w = torch.view_as_complex(self.weight)
        out = torch.zeros(v.shape[0], w.shape[2], *vf.shape[2:], dtype=vf.dtype, device=v.device)
        if len(self.modes) == 1:
            (m,) = self.modes
            out[..., :m] = torch.einsum("bix,iox->box", vf[..., :m], w[0])
        else:
            m1, m2 = self.modes
            out[..., :m1, :m2] = torch.einsum("bixy,ioxy->boxy", vf[..., :m1, :m2], w[0])
            out[..., -m1:, :m2] = torch.einsum("bixy,ioxy->boxy", vf[..., -m1:, :m2], w[1])
        return torch.fft.irfftn(out, s=size, dim=dims, norm="ortho")


def _pointwise(dim: int, cin: int, cout: int) -> nn.Module:
    return (nn.Conv1d if dim == 1 else nn.Conv2d)(cin, cout, 1)


@register_field_model("fno")
class FNO(FieldModel):
    """Fourier neural operator (see the module doc)."""

    Config = FNOConfig

    def __init__(self, spec: FieldSpec, config=None, *, seed: int = 0, **overrides):
        super().__init__(spec, config, seed=seed, **overrides)
        cfg, dim = self.config, len(spec.space)
        modes = (cfg.modes,) * dim if isinstance(cfg.modes, int) else tuple(int(m) for m in cfg.modes)
        if len(modes) != dim or min(modes) < 1:
            raise ValidationError(f"fno needs modes >= 1, one per axis ({dim}), got {cfg.modes}")
        small = [(n, m) for n, m in zip(spec.space, modes) if n < 2 * m]
        if small:
            n, m = small[0]
            raise ValidationError(
                f"fno with {m} Fourier modes needs at least {2 * m} grid points on that axis, got {n} "
                f"(grid {spec.space}); lower modes to <= {n // 2} or use a finer grid"
            )
        if cfg.width < 1 or cfg.layers < 1:
            raise ValidationError(f"fno needs width >= 1 and layers >= 1, got {cfg.width}, {cfg.layers}")
        self.pads = tuple(
            0 if per else (max(1, n // 8) if cfg.pad is None else int(cfg.pad))
            for n, per in zip(spec.space, spec.periodic)
        )
        cin = spec.in_channels + spec.n_params + (dim if cfg.grid else 0)
        w = cfg.width
        self.lift = nn.Sequential(_pointwise(dim, cin, 2 * w), nn.GELU(), _pointwise(dim, 2 * w, w))
        self.spectral = nn.ModuleList(SpectralConv(w, w, modes) for _ in range(cfg.layers))
        self.pointwise = nn.ModuleList(_pointwise(dim, w, w) for _ in range(cfg.layers))
        self.proj = nn.Sequential(_pointwise(dim, w, 2 * w), nn.GELU(), _pointwise(dim, 2 * w, spec.channels))
        self.act = nn.GELU()

    def _grid(self, x: torch.Tensor) -> torch.Tensor:
        axes = [
            torch.linspace(0, 1, n + 1 if per else n, dtype=x.dtype)[:n]
            for n, per in zip(self.spec.space, self.spec.periodic)
        ]
        mesh = torch.meshgrid(*axes, indexing="ij")
        return torch.stack(mesh).expand(x.shape[0], -1, *self.spec.space)

    def step(self, x: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        parts = [x]
        if p is not None:
            parts.append(p.view(*p.shape, *([1] * len(self.spec.space))).expand(-1, -1, *self.spec.space))
        if self.config.grid:
            parts.append(self._grid(x))
        v = self.lift(torch.cat(parts, dim=1))
        if any(self.pads):
            pad = [q for n in reversed(self.pads) for q in (0, n)]
            v = nn.functional.pad(v, pad)
        for i, (spectral, pointwise) in enumerate(zip(self.spectral, self.pointwise)):
            v = spectral(v) + pointwise(v)
            if i < len(self.spectral) - 1:
                v = self.act(v)
        if any(self.pads):
            v = v[(..., *(slice(0, n) for n in self.spec.space))]
        return self.proj(v)

    @classmethod
    def conformance_config(cls):
        return {"width": 8, "modes": 4, "layers": 2}
