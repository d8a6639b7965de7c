"""Neural controlled differential equation: a continuous-time RNN driven by the data path.

Kidger, Morrill, Foster & Lyons 2020, "Neural controlled differential equations for
irregular time series", NeurIPS; Kidger 2022, "On neural differential equations",
thesis, ch. 3. The observations ``(t_k, x_k)`` are joined into a continuous path
``X(u)`` by linear interpolation in a knot index ``u`` (``X(k) = ((t_k − t_0)/τ, z_k)``,
time a channel of its own, so irregular gaps need no resampling), and a hidden state
``h`` follows

    h(0) = ζ_θ(z_0),     dh(u) = f_θ(h(u)) dX(u),      f_θ: ℝᴴ → ℝ^{H × (1 + d)},

solved by torchcde (``cdeint``, RK4 with ``substeps`` steps per knot interval). With
linear interpolation ``h(k)`` depends only on the observations up to ``t_k``, so the
model is causal (Morrill, Kidger, Yang & Lyons 2021, "Neural CDEs for online
prediction tasks"). The next observation, ``Δ`` later, is read out as an increment,

    ẑ_{k+1} = z_k + ℓ_θ(h(k), Δ/τ),

and a forecast runs in closed loop: the predicted point extends the path by one
linear piece (``dX/du = (Δ/τ, ẑ_{k+1} − z_k)``, constant), over which ``h`` is
advanced by the same RK4. Training minimises the squared error of the one-step
read-outs along each window of ``window`` observations, the last ``rollout`` of them
predicted in closed loop. States are standardised (``z``) and times rescaled by the
mean training gap ``τ``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from dynlearn.config import ModelConfig
from dynlearn.errors import DynlearnError, ValidationError
from dynlearn.models.base import Capabilities
from dynlearn.models.neural_ode import fit_time_scales
from dynlearn.models.registry import register
from dynlearn.models.torch_model import TorchModel


def require(package: str, model: str):
    """Import an optional package of the ``neural`` extra, or say how to install it."""
    import importlib

    try:
        return importlib.import_module(package)
    except ImportError as exc:
        raise DynlearnError(
            f"{model} needs the optional package {package!r}; install it with pip install 'dynlearn[neural]'"
        ) from exc


@dataclasses.dataclass
class NeuralCDEConfig(ModelConfig):
    """``hidden_state``: size H of h; ``hidden``/``layers``: width and depth of the MLPs
    f_θ and ℓ_θ; ``window``: observations per training window; ``rollout``: how many of
    a window's last predictions are made in closed loop (0 = all teacher-forced);
    ``context``: states of the context ``predict`` encodes; ``substeps``: RK4 steps per
    knot interval; ``epochs``, ``batch_size``, ``lr``, ``weight_decay``, ``grad_clip``,
    ``stride``: training; ``max_span``: score a read-out only if its target lies at most this
    much time (data units) after the last observed state it depends on (None: all);
    ``val_fraction``, ``patience``: early stopping on the held-out tail of the data (0: train
    all ``epochs``); ``forecast_dt``: step of ``predict`` (None: the training step, or the mean
    one if irregular)."""

    hidden_state: int = 32
    hidden: int = 64
    layers: int = 2
    window: int = 16
    rollout: int = 8
    context: int = 8
    substeps: int = 1
    epochs: int = 20
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    stride: int = 1
    max_span: float | None = None
    val_fraction: float = 0.0
    patience: int = 10
    forecast_dt: float | None = None

    def validate(self):
        for name in ("hidden_state", "hidden", "layers", "context", "substeps", "epochs", "batch_size", "stride",
                     "patience"):  # fmt: skip
            if getattr(self, name) < 1:
                raise ValidationError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.window < 2:
            raise ValidationError(f"window must be >= 2 observations, got {self.window}")
        if not 0 <= self.rollout <= self.window - 1:
            raise ValidationError(f"rollout must be in [0, window - 1] = [0, {self.window - 1}], got {self.rollout}")
        if not self.lr > 0:
            raise ValidationError(f"lr must be > 0, got {self.lr}")
        if self.weight_decay < 0 or self.grad_clip < 0:
            raise ValidationError("weight_decay and grad_clip must be >= 0")
        if self.forecast_dt is not None and not self.forecast_dt > 0:
            raise ValidationError(f"forecast_dt must be > 0 or None, got {self.forecast_dt}")
        if self.max_span is not None and not self.max_span > 0:
            raise ValidationError(f"max_span must be > 0 or None, got {self.max_span}")
        if not 0 <= self.val_fraction < 1:
            raise ValidationError(f"val_fraction must be in [0, 1), got {self.val_fraction}")


def _mlp(n_in: int, hidden: int, layers: int, n_out: int) -> nn.Sequential:
    mods: list[nn.Module] = []
    width = n_in
    for _ in range(layers):
        mods += [nn.Linear(width, hidden), nn.Softplus()]
        width = hidden
    mods.append(nn.Linear(width, n_out))
    return nn.Sequential(*mods)


class CDEField(nn.Module):
    """``f_θ(h)`` ``(B, H) -> (B, H, 1 + d)``, tanh-bounded (Kidger et al. 2020, §3)."""

    def __init__(self, dim: int, state: int, hidden: int, layers: int):
        super().__init__()
        self.dim, self.state = dim, state
        self.net = _mlp(state, hidden, layers, state * (dim + 1))

    def forward(self, u, h):
        return torch.tanh(self.net(h)).view(h.shape[0], self.state, self.dim + 1)


class CDENet(nn.Module):
    def __init__(self, dim: int, state: int, hidden: int, layers: int):
        super().__init__()
        self.encoder = nn.Linear(dim, state)
        self.field = CDEField(dim, state, hidden, layers)
        self.head = _mlp(state + 1, hidden, layers, dim)
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))
        self.register_buffer("time_scale", torch.ones(1))

    def encode(self, z: torch.Tensor, s: torch.Tensor, substeps: int) -> torch.Tensor:
        """``h`` at every knot ``(B, n, H)`` of the path through ``z`` ``(B, n, d)`` at rescaled
        times ``s`` ``(B, n)`` (torchcde, linear interpolation, RK4)."""
        torchcde = require("torchcde", "neural_cde")
        h0 = self.encoder(z[:, 0])
        if z.shape[1] == 1:
            return h0[:, None]
        path = torch.cat([(s - s[:, :1])[..., None], z], dim=-1)
        X = torchcde.LinearInterpolation(torchcde.linear_interpolation_coeffs(path))
        return torchcde.cdeint(
            X, self.field, h0, X.grid_points, method="rk4", options={"step_size": 1.0 / substeps, "perturb": True}
        )

    def read(self, h: torch.Tensor, z: torch.Tensor, gap: torch.Tensor) -> torch.Tensor:
        """The next state ``z + ℓ(h, gap)``: ``h`` ``(..., H)``, ``z`` ``(..., d)``, ``gap`` ``(...)``."""
        return z + self.head(torch.cat([h, gap[..., None]], dim=-1))

    def extend(self, h: torch.Tensor, dx: torch.Tensor, substeps: int) -> torch.Tensor:
        """``h`` advanced over one linear piece of the path with increment ``dx`` ``(B, 1 + d)``."""
        k = 1.0 / substeps

        def rhs(v):
            return (self.field(None, v) @ dx[..., None])[..., 0]

        # torchdiffeq's "rk4" is the 3/8 rule; use the same so a closed loop matches cdeint
        for _ in range(substeps):
            k1 = rhs(h)
            k2 = rhs(h + k * k1 / 3)
            k3 = rhs(h + k * (k2 - k1 / 3))
            k4 = rhs(h + k * (k1 - k2 + k3))
            h = h + k * (k1 + 3 * (k2 + k3) + k4) / 8
        return h

    def closed_loop(self, h, z, gaps: torch.Tensor, substeps: int) -> torch.Tensor:
        """States after each gap ``(B, n)`` in closed loop from ``(h, z)``: ``(B, n, d)``."""
        out = []
        for j in range(gaps.shape[1]):
            nxt = self.read(h, z, gaps[:, j])
            out.append(nxt)
            if j + 1 < gaps.shape[1]:
                h = self.extend(h, torch.cat([gaps[:, j : j + 1], nxt - z], dim=-1), substeps)
            z = nxt
        return torch.stack(out, dim=1)


@register("neural_cde")
class NeuralCDE(TorchModel):
    """Neural CDE (torchcde): a continuous-time RNN over the linearly interpolated data path,
    reading out the next state; trains on irregularly sampled series as they are."""

    Config = NeuralCDEConfig
    # not ``continuous_time``: h is driven by the data path, there is no autonomous vector field in x
    capabilities = Capabilities(needs_uniform_sampling=False)

    @property
    def min_train_length(self) -> int:
        return self.config.window

    @property
    def min_context(self) -> int:
        return self.config.context

    @classmethod
    def conformance_config(cls):
        return {"hidden_state": 8, "hidden": 16, "layers": 1, "window": 6, "rollout": 2, "context": 3,
                "epochs": 1, "batch_size": 128, "stride": 3}  # fmt: skip

    def _build(self):
        c = self.config
        return CDENet(self.dim_, c.hidden_state, c.hidden, c.layers)

    def window_loss(self, z: torch.Tensor, s: torch.Tensor, span: float | None = None) -> torch.Tensor:
        """Mean squared error of the read-outs along windows ``z`` ``(B, W, d)`` at times ``s``
        (rescaled); with ``span`` (rescaled), only read-outs whose target lies at most ``span``
        after the last observed state they use are scored."""
        net, c = self.module_, self.config
        w = z.shape[1]
        forced = w - c.rollout
        gaps = s[:, 1:] - s[:, :-1]
        h = net.encode(z[:, :forced], s[:, :forced], c.substeps)  # (B, forced, H)
        preds = []
        if forced > 1:
            preds.append(net.read(h[:, :-1], z[:, : forced - 1], gaps[:, : forced - 1]))
        if c.rollout:
            preds.append(net.closed_loop(h[:, -1], z[:, forced - 1], gaps[:, forced - 1 :], c.substeps))
        err = ((torch.cat(preds, dim=1) - z[:, 1:]) ** 2).mean(-1)  # (B, W-1)
        if span is None:
            return err.mean()
        # elapsed time since the last true state: one gap while teacher-forced, then cumulative
        elapsed = torch.cat([gaps[:, : forced - 1], s[:, forced:] - s[:, forced - 1 : forced]], dim=1)
        mask = (elapsed <= span * (1 + 1e-6)).float()
        return (err * mask).sum() / mask.sum().clamp(min=1.0)

    def _fit(self, trajectories):
        from dynlearn.models._epochs import train_epochs
        from dynlearn.training.early_stopping import holdout_tail
        from dynlearn.training.shooting import segments

        cfg = self.config
        require("torchcde", self.name)
        net = self._init_module(trajectories[0].dim)
        fit_on, held = trajectories, []
        if cfg.val_fraction:
            fit_on, held = holdout_tail(trajectories, cfg.val_fraction, cfg.window)
        mean, std, tau = fit_time_scales(self, net, fit_on, cfg.forecast_dt)
        span = None if cfg.max_span is None else cfg.max_span / tau

        def tensors(trajs):
            seg = segments(trajs, cfg.window, stride=cfg.stride)
            z = torch.as_tensor((seg.states - mean) / std, dtype=torch.float32)
            return z, torch.as_tensor((seg.times - seg.times[:, :1]) / tau, dtype=torch.float32)

        z, s = tensors(fit_on)
        val_loss = None
        if held:
            vz, vs = tensors(held)
            step = 4 * cfg.batch_size

            def val_loss():
                parts = [(float(self.window_loss(vz[i : i + step], vs[i : i + step], span)), len(vz[i : i + step]))
                         for i in range(0, len(vz), step)]  # fmt: skip
                return sum(v * k for v, k in parts) / len(vz)

        train_epochs(self, net, len(z), lambda idx: self.window_loss(z[idx], s[idx], span), val_loss=val_loss)

    def _predict(self, context, horizon):
        net, c = self.module_, self.config
        mean, std = net.mean.double().numpy(), net.std.double().numpy()
        ctx = context[:, -c.context :]
        step = self.forecast_dt_ / float(net.time_scale[0])
        z = torch.as_tensor((ctx - mean) / std, dtype=torch.float32)
        s = torch.arange(ctx.shape[1], dtype=torch.float32).expand(len(z), -1) * step
        gaps = torch.full((len(z), horizon), step, dtype=torch.float32)
        with torch.no_grad():
            h = net.encode(z, s, c.substeps)[:, -1]
            out = net.closed_loop(h, z[:, -1], gaps, c.substeps).double().numpy()
        return out * std + mean

    def _get_meta(self) -> dict[str, Any]:
        return {"forecast_dt": self.forecast_dt_, "train_loss": getattr(self, "train_loss_", None)}

    def _set_meta(self, meta: dict[str, Any]) -> None:
        self.forecast_dt_ = float(meta["forecast_dt"])
        self.train_loss_ = meta.get("train_loss")
