"""Deep forecasters trained on windows, all iterated in closed loop at prediction time.

* ``mlp`` — a multilayer perceptron on the flattened window (one step ahead).
* ``gru`` — a gated recurrent network (``cell="lstm"`` for an LSTM,
  Hochreiter & Schmidhuber 1997; GRU: Cho et al. 2014) read over the window.
* ``transformer`` — a small Transformer encoder (Vaswani et al. 2017) over
  the window with learned position embeddings, read out at the last token.
* ``nbeats`` — N-BEATS, generic architecture (Oreshkin et al. 2020, ICLR):
  a stack of fully connected blocks with backward and forward residual links,
  forecasting ``output_steps`` states at once; the strongest method in the
  dysts forecasting benchmark (Gilpin 2021, NeurIPS Datasets & Benchmarks).

Every model works on standardised states ``z = (x - μ)/σ`` (training
statistics, saved with the weights) and predicts increments on the last state
of the window; training and forecasting are shared in
:mod:`dynlearn.models.window_model`. All need uniformly sampled data.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

from dynlearn.errors import ValidationError
from dynlearn.models.registry import register
from dynlearn.models.window_model import WindowConfig, WindowModel

_SMALL = {"hidden": 8, "layers": 1, "epochs": 2, "batch_size": 128, "context": 4, "stride": 2}


def _mlp(n_in: int, hidden: int, layers: int, n_out: int) -> nn.Sequential:
    mods: list[nn.Module] = []
    width = n_in
    for _ in range(layers):
        mods += [nn.Linear(width, hidden), nn.GELU()]
        width = hidden
    mods.append(nn.Linear(width, n_out))
    return nn.Sequential(*mods)


class _Flat(nn.Module):
    """Flattened window -> MLP -> ``steps`` increments."""

    def __init__(self, context: int, dim: int, hidden: int, layers: int, steps: int = 1):
        super().__init__()
        self.steps, self.dim = steps, dim
        self.net = _mlp(context * dim, hidden, layers, steps * dim)

    def forward(self, z):
        return self.net(z.flatten(1)).view(len(z), self.steps, self.dim)


@register("mlp")
class MLPForecaster(WindowModel):
    """One-step MLP on the last ``context`` states, iterated in closed loop.

    ẑ_{t+1} = z_t + W_L φ(… φ(W_1 [z_{t-c+1}; …; z_t] + b_1) …) + b_L, φ = GELU.
    """

    def _core(self):
        c = self.config
        return _Flat(c.context, self.dim_, c.hidden, c.layers)

    @classmethod
    def conformance_config(cls, inputs: bool = False):
        return dict(_SMALL)


@dataclasses.dataclass
class GRUConfig(WindowConfig):
    """``cell``: ``"gru"`` or ``"lstm"``; ``hidden``/``layers`` size the recurrent stack."""

    hidden: int = 32
    layers: int = 1
    cell: str = "gru"

    def validate(self):
        super().validate()
        if self.cell not in ("gru", "lstm"):
            raise ValidationError(f"cell must be 'gru' or 'lstm', got {self.cell!r}")


class _Recurrent(nn.Module):
    def __init__(self, dim: int, hidden: int, layers: int, cell: str):
        super().__init__()
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(dim, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, dim)

    def forward(self, z):
        h, _ = self.rnn(z)
        return self.head(h[:, -1:, :])


@register("gru")
class GRUForecaster(WindowModel):
    """A GRU (or LSTM with ``cell="lstm"``) read over the window from a zero state;
    its last hidden state gives the increment ẑ_{t+1} - z_t through a linear head.
    The window is re-read at every closed-loop step, so forecasts depend only on
    the last ``context`` states."""

    Config = GRUConfig

    def _core(self):
        c = self.config
        return _Recurrent(self.dim_, c.hidden, c.layers, c.cell)

    @classmethod
    def conformance_config(cls, inputs: bool = False):
        return dict(_SMALL)


@dataclasses.dataclass
class TransformerConfig(WindowConfig):
    """``hidden``: model width d_model; ``heads``: attention heads (divides ``hidden``);
    ``ff``: feed-forward width; ``layers``: encoder layers; ``context``: tokens."""

    context: int = 16
    hidden: int = 32
    layers: int = 2
    heads: int = 4
    ff: int = 64

    def validate(self):
        super().validate()
        if self.heads < 1 or self.hidden % self.heads:
            raise ValidationError(f"heads must divide hidden; got hidden={self.hidden}, heads={self.heads}")
        if self.ff < 1:
            raise ValidationError(f"ff must be >= 1, got {self.ff}")


class _Encoder(nn.Module):
    def __init__(self, context: int, dim: int, width: int, layers: int, heads: int, ff: int):
        super().__init__()
        self.embed = nn.Linear(dim, width)
        self.pos = nn.Parameter(0.02 * torch.randn(context, width))
        layer = nn.TransformerEncoderLayer(width, heads, ff, dropout=0.0, activation="gelu", batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(width, dim)

    def forward(self, z):
        h = self.encoder(self.embed(z) + self.pos)
        return self.head(h[:, -1:, :])


@register("transformer")
class TransformerForecaster(WindowModel):
    """A small Transformer encoder (no dropout, learned positions) over the window;
    the last token's output gives the increment ẑ_{t+1} - z_t."""

    Config = TransformerConfig

    def _core(self):
        c = self.config
        return _Encoder(c.context, self.dim_, c.hidden, c.layers, c.heads, c.ff)

    @classmethod
    def conformance_config(cls, inputs: bool = False):
        return {**_SMALL, "hidden": 8, "heads": 2, "ff": 16}


@dataclasses.dataclass
class NBeatsConfig(WindowConfig):
    """``blocks``: fully connected blocks; ``layers``: hidden layers per block;
    ``hidden``: their width; ``output_steps``: states forecast per pass."""

    context: int = 16
    hidden: int = 128
    layers: int = 2
    blocks: int = 3
    output_steps: int = 4

    def validate(self):
        super().validate()
        if self.blocks < 1 or self.output_steps < 1:
            raise ValidationError("blocks and output_steps must be >= 1")


class _NBeatsBlock(nn.Module):
    def __init__(self, n_in: int, n_out: int, hidden: int, layers: int):
        super().__init__()
        self.body = _mlp(n_in, hidden, layers, hidden)
        self.backcast = nn.Linear(hidden, n_in)
        self.forecast = nn.Linear(hidden, n_out)

    def forward(self, x):
        h = torch.relu(self.body(x))
        return self.backcast(h), self.forecast(h)


class _NBeats(nn.Module):
    """x_{l+1} = x_l − backcast_l(x_l); forecast = Σ_l forecast_l(x_l)."""

    def __init__(self, context: int, dim: int, hidden: int, layers: int, blocks: int, steps: int):
        super().__init__()
        self.dim, self.steps = dim, steps
        self.blocks = nn.ModuleList(_NBeatsBlock(context * dim, steps * dim, hidden, layers) for _ in range(blocks))

    def forward(self, z):
        # relative to the last state, as the increments the wrapper expects
        x = (z - z[:, -1:, :]).flatten(1)
        total = 0.0
        for block in self.blocks:
            back, fore = block(x)
            x = x - back
            total = total + fore
        return total.view(len(z), self.steps, self.dim)


@register("nbeats")
class NBeatsForecaster(WindowModel):
    """N-BEATS (generic): fully connected blocks with doubly residual stacking
    forecast the next ``output_steps`` states from the last ``context``;
    longer horizons iterate chunk by chunk in closed loop."""

    Config = NBeatsConfig

    @property
    def out_steps(self) -> int:
        return self.config.output_steps

    def _core(self):
        c = self.config
        return _NBeats(c.context, self.dim_, c.hidden, c.layers, c.blocks, c.output_steps)

    @classmethod
    def conformance_config(cls, inputs: bool = False):
        return {**_SMALL, "blocks": 2, "output_steps": 2}
