"""Forecasters built from the layers of the Dynamical Systems Framework (DSF).

Sieber et al. (2024, NeurIPS), *Understanding the differences in Foundation
Models: Attention, State Space Models, and Recurrent Neural Networks*, write
the sequence layers of foundation models as h_t = Λ_t h_{t-1} + B_t u_t,
y_t = C_t h_t (the layers and their two forms: :mod:`dynlearn.models._dsf_layers`).

* ``dsf_softmax`` — causal softmax attention (growing state);
* ``dsf_linear`` — linear attention (Λ_t = I, state d² + d);
* ``dsf_s6`` — the selective SSM of Mamba (Λ_t = exp(Δ_t A), state d·N);
* ``dsf_qlstm`` — the quasi-LSTM gated RNN (Λ_t = diag(f_t), state d).

Each is the same network around a different sequence mixer: the window of
``context`` standardised states is embedded (z → W z + b, plus learned
positions for the attention layers, which have no sense of order of their
own), passed through ``layers`` pre-norm residual blocks
x ← x + Mixer(LN x), x ← x + MLP(LN x) (MLP width 2·``hidden``, GELU), and the
last position is read out as the increment ẑ_{t+1} − z_t. Training and
closed-loop forecasting are those of :class:`~dynlearn.models.window_model.WindowModel`.
``forward(z, recurrent=True)`` runs every mixer in its recurrent form (the
same numbers). :func:`matched_config` sizes any of them to a parameter budget.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from dynlearn.errors import ValidationError
from dynlearn.models._dsf_layers import LAYERS
from dynlearn.models.registry import register
from dynlearn.models.window_model import WindowConfig, WindowModel

_SMALL = {"hidden": 8, "layers": 1, "epochs": 1, "batch_size": 256, "context": 4, "stride": 3}


@dataclasses.dataclass
class DSFConfig(WindowConfig):
    """``hidden``: model width d; ``layers``: residual blocks; ``context``: states per window."""

    context: int = 16
    hidden: int = 32
    layers: int = 2


@dataclasses.dataclass
class LinearAttentionConfig(DSFConfig):
    """``feature``: the feature map φ, ``"elu"`` (elu + 1) or ``"identity"``; ``normalize``: divide by
    η_t = φ(q_t)·Σφ(k_s) (needs a positive φ, so only with ``"elu"``)."""

    feature: str = "elu"
    normalize: bool = True

    def validate(self):
        super().validate()
        if self.feature not in ("elu", "identity"):
            raise ValidationError(f"feature must be 'elu' or 'identity', got {self.feature!r}")
        if self.normalize and self.feature == "identity":
            raise ValidationError(
                "normalize=True divides by φ(q)·Σφ(k), which can vanish for feature='identity'; "
                "use feature='elu' or normalize=False"
            )


@dataclasses.dataclass
class S6Config(DSFConfig):
    """``state``: N, the state size per channel; ``shared_delta``: one step size Δ_t for all channels."""

    state: int = 8
    shared_delta: bool = False

    def validate(self):
        super().validate()
        if self.state < 1:
            raise ValidationError(f"state must be >= 1, got {self.state}")


class _Block(nn.Module):
    def __init__(self, mixer: nn.Module, width: int):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.mixer = mixer
        self.mlp = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width))

    def forward(self, x, recurrent: bool = False):
        h = self.norm1(x)
        x = x + (self.mixer.recurrent(h) if recurrent else self.mixer(h))
        return x + self.mlp(self.norm2(x))


class _DSFNet(nn.Module):
    """Embedding (+ positions) → residual DSF blocks → last position → increment (B, 1, dim)."""

    def __init__(self, dim: int, context: int, width: int, layers: int, kind: str, positions: bool, **kw):
        super().__init__()
        self.embed = nn.Linear(dim, width)
        self.pos = nn.Parameter(0.02 * torch.randn(context, width)) if positions else None
        self.blocks = nn.ModuleList(_Block(LAYERS[kind](width, **kw), width) for _ in range(layers))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, dim)

    def forward(self, z, recurrent: bool = False):
        x = self.embed(z)
        if self.pos is not None:
            x = x + self.pos[-z.shape[1] :]
        for block in self.blocks:
            x = block(x, recurrent)
        # the readout as a row-wise product, not a matrix product: BLAS rounds a 1-row and a
        # many-row product differently, and closed-loop forecasts amplify it, so batch members
        # would not reproduce their single forecasts
        last = self.norm(x[:, -1:, :])
        return (last[..., None, :] * self.head.weight).sum(-1) + self.head.bias


class _DSFForecaster(WindowModel):
    kind = ""
    positions = False
    Config = DSFConfig

    def _mixer_kwargs(self) -> dict[str, Any]:
        return {}

    def _core(self):
        c = self.config
        return _DSFNet(self.dim_, c.context, c.hidden, c.layers, self.kind, self.positions, **self._mixer_kwargs())

    @classmethod
    def conformance_config(cls, inputs: bool = False):
        return dict(_SMALL)


@register("dsf_softmax")
class SoftmaxAttentionForecaster(_DSFForecaster):
    """Causal softmax attention blocks over the window (DSF with a growing state); learned positions."""

    kind, positions = "softmax", True


@register("dsf_linear")
class LinearAttentionForecaster(_DSFForecaster):
    """Causal linear attention blocks (DSF with Λ_t = I and a d² + d state); learned positions."""

    kind, positions = "linear", True
    Config = LinearAttentionConfig

    def _mixer_kwargs(self):
        return {"feature": self.config.feature, "normalize": self.config.normalize}


@register("dsf_s6")
class SelectiveSSMForecaster(_DSFForecaster):
    """Selective state-space (S6, Mamba-style) blocks: Λ_t = exp(Δ_t A), a d·N state."""

    kind = "s6"
    Config = S6Config

    def _mixer_kwargs(self):
        return {"state": self.config.state, "shared_delta": self.config.shared_delta}

    @classmethod
    def conformance_config(cls, inputs: bool = False):
        return {**_SMALL, "state": 4}


@register("dsf_qlstm")
class QLSTMForecaster(_DSFForecaster):
    """Quasi-LSTM blocks (gates from the input only): Λ_t = diag(f_t), a d-dimensional state."""

    kind = "qlstm"


def parameter_count(name: str, dim: int, **config: Any) -> int:
    """Trainable parameters of window model ``name`` for ``dim``-dimensional states under ``config``."""
    from dynlearn import models

    model = models.create(name, **config)
    model.dim_ = dim
    return sum(p.numel() for p in model._build().parameters() if p.requires_grad)


def matched_config(name: str, n_params: int, dim: int, *, field: str = "hidden", **config: Any) -> dict[str, Any]:
    """``config`` with ``field`` (the width by default) set so model ``name`` has the parameter count
    closest to ``n_params``; the count is monotone in the width, so a bisection finds it."""
    if n_params < 1:
        raise ValidationError(f"n_params must be >= 1, got {n_params}")
    count = lambda w: parameter_count(name, dim, **{**config, field: w})  # noqa: E731
    lo, hi = 1, 2
    while count(hi) < n_params:
        lo, hi = hi, hi * 2
        if hi > 1 << 16:
            raise ValidationError(f"{name} cannot reach {n_params} parameters by growing {field!r}")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if count(mid) < n_params else (lo, mid)
    best = min((lo, hi), key=lambda w: abs(count(w) - n_params))
    return {**config, field: best}
