"""Neural stochastic differential equation: learned drift and diagonal diffusion.

The model is the Itô SDE

    dx = f_θ(x) dt + diag(g_θ(x)) dW_t,      g_θ = softplus(·) + σ_min > 0,

with f_θ and g_θ multilayer perceptrons (Kidger 2022, "On neural differential
equations", thesis, ch. 4; Li, Wong, Chen & Duvenaud 2020, "Scalable gradients
for stochastic differential equations", AISTATS). As for the neural ODE, it
works in standardised states and a time rescaled by the mean training step τ.

Training (irregular times are fine: only the gaps between observations are used):

* the drift by multiple shooting on segments of ``window`` observations, exactly
  as :class:`~dynlearn.models.neural_ode.NeuralODE` (:mod:`dynlearn.training.shooting`);
* the diffusion by the Euler–Maruyama quasi-likelihood of each observed transition
  (Dietrich, Makeev, Kevrekidis et al. 2023, "Learning effective stochastic
  differential equations from microscopic simulations", Chaos 33, 023121):
  ``x_{k+1} | x_k ~ N(m_k, diag(g_θ(x_k))² Δ_k)`` with ``m_k`` the drift flow over
  the gap (held fixed in this term), i.e. the loss
  ``½ Σ_i [(x_{k+1,i} − m_{k,i})² / (g_i² Δ_k) + log(g_i² Δ_k)]``.

``predict(context, horizon)`` returns the noise-free skeleton (the drift's
flow), deterministic as the protocol asks; ``sample(context, horizon, n_samples,
seed=...)`` draws paths with torchsde (Euler–Maruyama on a seeded Brownian
interval); ``vector_field`` is the drift.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import torch
from torch import nn

from dynlearn.config import ModelConfig
from dynlearn.errors import ValidationError
from dynlearn.models.base import Capabilities
from dynlearn.models.neural_cde import require
from dynlearn.models.neural_ode import _ACTIVATIONS, _FIXED, VectorField, advance, fit_time_scales, flow, rollout
from dynlearn.models.registry import register
from dynlearn.models.torch_model import TorchModel, torch_generator
from dynlearn.models.window_model import check_loss, make_optimizer, optimizer_step


@dataclasses.dataclass
class NeuralSDEConfig(ModelConfig):
    """``hidden``/``layers``/``activation``: drift and diffusion MLPs; ``sigma_min``:
    floor of the diffusion (standardised units per √(mean step)); ``window``:
    observations per shooting segment; ``substeps``: solver steps per mean sampling
    step (RK4 for the drift, Euler–Maruyama for samples); ``epochs``, ``batch_size``,
    ``lr``, ``weight_decay``, ``grad_clip``, ``stride``: training; ``forecast_dt``:
    step of ``predict`` (None: the training step, or the mean one if irregular)."""

    hidden: int = 64
    layers: int = 2
    activation: str = "tanh"
    sigma_min: float = 1e-3
    window: int = 8
    substeps: int = 2
    epochs: int = 20
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    stride: int = 1
    forecast_dt: float | None = None
    # the drift flow reuses the neural ODE's solver (fixed-step, direct back-propagation)
    method: str = "rk4"

    def validate(self):
        for name in ("hidden", "layers", "substeps", "epochs", "batch_size", "stride"):
            if getattr(self, name) < 1:
                raise ValidationError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.window < 2:
            raise ValidationError(f"window must be >= 2 observations, got {self.window}")
        if self.activation not in _ACTIVATIONS:
            raise ValidationError(f"activation must be one of {', '.join(_ACTIVATIONS)}; got {self.activation!r}")
        if self.method not in _FIXED:
            raise ValidationError(f"method must be one of {', '.join(_FIXED)}; got {self.method!r}")
        if not self.lr > 0 or not self.sigma_min > 0:
            raise ValidationError(f"lr and sigma_min must be > 0, got {self.lr}, {self.sigma_min}")
        if self.weight_decay < 0 or self.grad_clip < 0:
            raise ValidationError("weight_decay and grad_clip must be >= 0")
        if self.forecast_dt is not None and not self.forecast_dt > 0:
            raise ValidationError(f"forecast_dt must be > 0 or None, got {self.forecast_dt}")

    # what advance() reads from a neural-ODE config
    rtol = 1e-4
    atol = 1e-5
    adjoint = False


class SDEField(VectorField):
    """Drift ``self.net`` (the neural ODE's field) plus a diffusion MLP ``self.diffusion``."""

    def __init__(self, dim: int, hidden: int, layers: int, activation: str, sigma_min: float):
        super().__init__(dim, hidden, layers, activation)
        mods: list[nn.Module] = []
        width = dim
        for _ in range(layers):
            mods += [nn.Linear(width, hidden), _ACTIVATIONS[activation]()]
            width = hidden
        mods.append(nn.Linear(width, dim))
        self.diffusion = nn.Sequential(*mods)
        self.sigma_min = float(sigma_min)

    def sigma(self, z: torch.Tensor) -> torch.Tensor:
        """``g_θ(z)`` (B, d), per unit of rescaled time."""
        return nn.functional.softplus(self.diffusion(z)) + self.sigma_min


class _TorchSDE(nn.Module):
    """The torchsde view of :class:`SDEField` (Itô, diagonal noise)."""

    noise_type = "diagonal"
    sde_type = "ito"

    def __init__(self, field: SDEField):
        super().__init__()
        self.field = field

    def f(self, t, y):
        return self.field.net(y)

    def g(self, t, y):
        return self.field.sigma(y)


@register("neural_sde")
class NeuralSDE(TorchModel):
    """Neural SDE dx = f_θ(x) dt + g_θ(x) dW (MLP drift and diagonal diffusion); drift by
    multiple shooting, diffusion by the Euler–Maruyama likelihood; accepts irregular samples."""

    Config = NeuralSDEConfig
    capabilities = Capabilities(probabilistic=True, continuous_time=True, needs_uniform_sampling=False)

    @property
    def min_train_length(self) -> int:
        return self.config.window

    @classmethod
    def conformance_config(cls):
        return {"hidden": 16, "layers": 1, "window": 4, "epochs": 1, "batch_size": 128, "stride": 3}

    def _build(self):
        c = self.config
        return SDEField(self.dim_, c.hidden, c.layers, c.activation, c.sigma_min)

    def _fit(self, trajectories):
        from dynlearn.training.shooting import segments

        cfg = self.config
        field = self._init_module(trajectories[0].dim)
        mean, std, tau = fit_time_scales(self, field, trajectories, cfg.forecast_dt)

        seg = segments(trajectories, cfg.window, stride=cfg.stride)
        z = torch.as_tensor((seg.states - mean) / std, dtype=torch.float32)
        gaps = torch.as_tensor(seg.gaps / tau, dtype=torch.float32)
        n = len(z)
        per_epoch = math.ceil(n / cfg.batch_size)
        opt, sched = make_optimizer(field, cfg, cfg.epochs * per_epoch)
        gen = torch_generator(cfg.seed + 1)
        self.history_: list[float] = []
        self.nll_history_: list[float] = []
        for epoch in range(1, cfg.epochs + 1):
            perm = torch.randperm(n, generator=gen)
            total = total_nll = 0.0
            for b in range(per_epoch):
                idx = perm[b * cfg.batch_size : (b + 1) * cfg.batch_size]
                zb, gb = z[idx], gaps[idx]
                pred = flow(field, zb[:, 0], gb, cfg)
                shoot = torch.mean((pred - zb[:, 1:]) ** 2)
                nll = self._transition_nll(field, zb, gb, pred)
                loss = shoot + nll
                check_loss(loss, epoch, self.name, cfg.lr)
                optimizer_step(field, opt, sched, loss, cfg.grad_clip)
                total += shoot.item() * len(idx)
                total_nll += nll.item() * len(idx)
            self.history_.append(total / n)
            self.nll_history_.append(total_nll / n)
        field.eval()
        self.train_loss_ = self.history_[-1]

    def _transition_nll(self, field: SDEField, z: torch.Tensor, gaps: torch.Tensor, pred: torch.Tensor) -> torch.Tensor:
        """Mean Euler–Maruyama negative log-likelihood (per coordinate, constant dropped) of the
        one-gap transitions; the mean is the drift flow over each gap, without its gradient."""
        with torch.no_grad():
            b, length, d = z.shape
            starts = z[:, :-1].reshape(-1, d)
            mean = advance(field, starts, gaps.reshape(-1), self.config).reshape(b, length - 1, d)
        var = field.sigma(z[:, :-1]) ** 2 * gaps[..., None]
        return 0.5 * torch.mean((z[:, 1:] - mean) ** 2 / var + torch.log(var))

    def _skeleton(self, last: np.ndarray, gaps: np.ndarray) -> np.ndarray:
        return rollout(self, last, gaps)

    def _predict(self, context, horizon):
        return self._skeleton(context[:, -1], np.full(horizon, self.forecast_dt_))

    def _sample(self, context, horizon: int, n_samples: int, seed: int) -> np.ndarray:
        """Sample paths ``(batch, n_samples, horizon, dim)`` from the last context state, every
        ``forecast_dt_``: torchsde Euler–Maruyama with ``substeps`` steps per mean training step
        on a Brownian interval seeded by ``seed``."""
        torchsde = require("torchsde", self.name)
        last = context[:, -1]
        f = self.module_
        mean, std = f.mean.double().numpy(), f.std.double().numpy()
        tau = float(f.time_scale[0])
        b = len(last)
        z0 = torch.as_tensor((last - mean) / std, dtype=torch.float32).repeat_interleave(int(n_samples), dim=0)
        ts = torch.arange(int(horizon) + 1, dtype=torch.float32) * (self.forecast_dt_ / tau)
        bm = torchsde.BrownianInterval(
            t0=0.0, t1=float(ts[-1]), size=z0.shape, dtype=z0.dtype, entropy=int(seed), levy_area_approximation="none"
        )
        with torch.no_grad():
            path = torchsde.sdeint(_TorchSDE(f), z0, ts, bm=bm, method="euler", dt=1.0 / self.config.substeps)
        out = path[1:].permute(1, 0, 2).double().numpy() * std + mean  # (B*n, horizon, d)
        return out.reshape(b, int(n_samples), int(horizon), self.dim_)

    def _vector_field(self, states: np.ndarray) -> np.ndarray:
        """The drift ``f`` in data units: ``σ ⊙ f_θ((x − μ)/σ) / τ``."""
        f = self.module_
        mean, std = f.mean.double().numpy(), f.std.double().numpy()
        z = torch.as_tensor((states - mean) / std, dtype=torch.float32)
        with torch.no_grad():
            g = f.net(z).double().numpy()
        return g * std / float(f.time_scale[0])

    def _get_meta(self) -> dict[str, Any]:
        return {"forecast_dt": self.forecast_dt_, "train_loss": getattr(self, "train_loss_", None)}

    def _set_meta(self, meta: dict[str, Any]) -> None:
        self.forecast_dt_ = float(meta["forecast_dt"])
        self.train_loss_ = meta.get("train_loss")
