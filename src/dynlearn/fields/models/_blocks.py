"""Building blocks shared by the convolutional field models (U-Net, SineNet): 1-D or 2-D
convolutions with a padding mode, residual blocks with parameter conditioning (FiLM), and the
down/up-sampling steps. Private: the public surface is the models themselves."""

from __future__ import annotations

import math

import torch
from torch import nn

from dynlearn.errors import ValidationError

PADDINGS = ("circular", "zeros")


def check_padding(padding: str) -> str:
    if padding not in PADDINGS:
        raise ValidationError(f"padding must be one of {PADDINGS}, got {padding!r}")
    return padding


def conv(dim: int, cin: int, cout: int, kernel: int = 3, padding: str = "zeros") -> nn.Module:
    """A 'same' convolution on a 1-D or 2-D grid; ``circular`` wraps around (periodic domains)."""
    cls = nn.Conv1d if dim == 1 else nn.Conv2d
    return cls(cin, cout, kernel, padding=kernel // 2, padding_mode=padding)


def groups_for(channels: int, most: int = 8) -> int:
    """The largest divisor of ``channels`` that is at most ``most`` (GroupNorm's group count)."""
    return max(g for g in range(1, most + 1) if channels % g == 0)


class ParamEmbedding(nn.Module):
    """Standardised physical parameters ``p (B, P)`` -> an embedding ``(B, E)`` (two-layer MLP)."""

    def __init__(self, n_params: int, dim: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_params, dim), nn.GELU(), nn.Linear(dim, dim))

    def forward(self, p: torch.Tensor) -> torch.Tensor:
        return self.net(p)


class ResBlock(nn.Module):
    """``x + conv(act(norm(conv(act(norm(x))))))``, the second norm modulated by the parameter
    embedding (FiLM: ``h * (1 + scale(e)) + shift(e)``); a 1x1 convolution on the skip path when
    the channel count changes. The PDEArena "modern" U-Net block, without attention."""

    def __init__(self, dim: int, cin: int, cout: int, padding: str, emb_dim: int = 0):
        super().__init__()
        self.dim = dim
        self.norm1 = nn.GroupNorm(groups_for(cin), cin)
        self.conv1 = conv(dim, cin, cout, 3, padding)
        self.norm2 = nn.GroupNorm(groups_for(cout), cout)
        self.conv2 = conv(dim, cout, cout, 3, padding)
        self.film = nn.Linear(emb_dim, 2 * cout) if emb_dim else None
        self.skip = conv(dim, cin, cout, 1) if cin != cout else nn.Identity()
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor, emb: torch.Tensor | None) -> torch.Tensor:
        h = self.conv1(self.act(self.norm1(x)))
        h = self.norm2(h)
        if self.film is not None and emb is not None:
            scale, shift = self.film(emb).chunk(2, dim=1)
            shape = (*scale.shape, *([1] * self.dim))
            h = h * (1 + scale.view(shape)) + shift.view(shape)
        h = self.conv2(self.act(h))
        return self.skip(x) + h


class Down(nn.Module):
    """Halve every axis: average pooling (commutes with even periodic shifts), then a block."""

    def __init__(self, dim: int):
        super().__init__()
        self.pool = nn.AvgPool1d(2) if dim == 1 else nn.AvgPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(x)


class Up(nn.Module):
    """Double every axis: nearest-neighbour interpolation followed by a 3x3 convolution."""

    def __init__(self, dim: int, channels: int, padding: str):
        super().__init__()
        self.conv = conv(dim, channels, channels, 3, padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(nn.functional.interpolate(x, scale_factor=2, mode="nearest"))


def check_divisible(name: str, space: tuple[int, ...], depth: int) -> None:
    """Each of ``depth`` halvings needs an even axis: refuse grids that do not divide."""
    f = 2**depth
    bad = [n for n in space if n % f]
    if bad:
        raise ValidationError(
            f"{name} with depth {depth} halves every axis {depth} times, so each axis must be a multiple of {f}; "
            f"got grid {space}: lower depth or resize the grid"
        )


def level_channels(width: int, depth: int, mults: tuple[int, ...] | None, mid_width: int | None) -> list[int]:
    """Channels at resolution levels ``0..depth``: ``width * mult`` (doubling by default), the
    coarsest overridden by ``mid_width`` (a fine knob the parameter matcher turns)."""
    mults = tuple(mults) if mults else tuple(min(2**level, 4) for level in range(depth + 1))
    if len(mults) != depth + 1:
        raise ValidationError(f"mults needs depth + 1 = {depth + 1} entries, got {mults}")
    chans = [max(1, int(math.ceil(width * m))) for m in mults]
    if mid_width is not None:
        chans[-1] = int(mid_width)
    if min(chans) < 1:
        raise ValidationError(f"every level needs >= 1 channel, got {chans}")
    return chans


class UNetCore(nn.Module):
    """A U-shaped latent-to-latent map on ``chans[0]`` channels: ``blocks`` residual blocks per
    level going down (average pooling between levels), one at the coarsest level, and going up
    (interpolation, concatenation with the same level's encoder output, blocks). ``carry``: the
    decoder features of a previous U (one per level, finest first) added to this one's encoder
    features at the same level (SineNet's sequential processing at every scale)."""

    def __init__(self, dim: int, chans: list[int], blocks: int, padding: str, emb_dim: int = 0):
        super().__init__()
        self.depth = len(chans) - 1
        self.down_blocks = nn.ModuleList()
        for level, c in enumerate(chans):
            cin = chans[max(level - 1, 0)]
            self.down_blocks.append(
                nn.ModuleList(ResBlock(dim, cin if b == 0 else c, c, padding, emb_dim) for b in range(blocks))
            )
        self.down = Down(dim)
        self.mid = ResBlock(dim, chans[-1], chans[-1], padding, emb_dim)
        self.ups = nn.ModuleList(Up(dim, chans[level + 1], padding) for level in range(self.depth))
        self.up_blocks = nn.ModuleList()
        for level in range(self.depth):
            c, cup = chans[level], chans[level + 1]
            self.up_blocks.append(
                nn.ModuleList(ResBlock(dim, cup + c if b == 0 else c, c, padding, emb_dim) for b in range(blocks))
            )

    def forward(self, x: torch.Tensor, emb: torch.Tensor | None, carry: list[torch.Tensor] | None = None):
        """``x (B, chans[0], *space)`` -> ``(out, decoder features per level, finest first)``."""
        skips = []
        h = x
        for level, blocks in enumerate(self.down_blocks):
            if level:
                h = self.down(h)
            for block in blocks:
                h = block(h, emb)
            if carry is not None:
                h = h + carry[level]
            skips.append(h)
        h = self.mid(h, emb)
        feats = [h]
        for level in reversed(range(self.depth)):
            h = torch.cat([self.ups[level](h), skips[level]], dim=1)
            for block in self.up_blocks[level]:
                h = block(h, emb)
            feats.append(h)
        return h, feats[::-1]


# -- trainable-parameter counts without building (the matcher bisects on them; a test checks
#    that they equal ``n_parameters()`` of the built modules) -------------------------------
def count_resblock(dim: int, cin: int, cout: int, emb_dim: int) -> int:
    k = 3**dim
    n = 2 * cin + cin * cout * k + cout + 2 * cout + cout * cout * k + cout
    n += (emb_dim * 2 * cout + 2 * cout) if emb_dim else 0
    n += (cin * cout + cout) if cin != cout else 0
    return n


def count_unet_core(dim: int, chans: list[int], blocks: int, emb_dim: int) -> int:
    n = 0
    for level, c in enumerate(chans):
        cin = chans[max(level - 1, 0)]
        n += count_resblock(dim, cin, c, emb_dim) + (blocks - 1) * count_resblock(dim, c, c, emb_dim)
    n += count_resblock(dim, chans[-1], chans[-1], emb_dim)
    for level in range(len(chans) - 1):
        c, cup = chans[level], chans[level + 1]
        n += cup * cup * 3**dim + cup
        n += count_resblock(dim, cup + c, c, emb_dim) + (blocks - 1) * count_resblock(dim, c, c, emb_dim)
    return n


def count_shell(dim: int, cin: int, c0: int, cout: int, n_params: int, emb_dim: int) -> int:
    """Embedding, lifting and projection around the U-shaped cores."""
    emb = (n_params * emb_dim + emb_dim + emb_dim * emb_dim + emb_dim) if emb_dim else 0
    return emb + cin * c0 * 3**dim + c0 + 2 * c0 + c0 * cout + cout
