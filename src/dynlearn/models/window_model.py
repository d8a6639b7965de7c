"""``WindowModel``: the public base of window-trained neural forecasters (``dynlearn.models.deep`` uses it).

A subclass implements only ``_core()`` (see ``docs/models.md``, "How to add a neural model").

Every window model maps the last ``context`` standardised states
``z_{t-c+1..t}`` to the next ``out_steps`` states as increments on the last
one, ``ẑ_{t+k} = z_t + Δ_k(z_{t-c+1..t})``; ``Δ`` is the subclass's network.
Training minimises the mean squared error of a closed-loop rollout over the
next ``max(rollout, out_steps)`` states (rounded up to whole chunks of
``out_steps``) of every training window, with Adam, a cosine learning-rate
decay to a tenth, optional gradient-norm clipping, and a seeded shuffle.
A non-finite loss stops training with a :class:`TrainingError` naming the epoch.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import torch
from torch import nn

from dynlearn.config import ModelConfig
from dynlearn.data import windows
from dynlearn.errors import TrainingError, ValidationError
from dynlearn.models.torch_model import TorchModel


@dataclasses.dataclass
class WindowConfig(ModelConfig):
    """Hyper-parameters shared by the window models.

    ``context``: states per input window; ``hidden``/``layers``: network width
    and depth; ``epochs``, ``batch_size``, ``lr``, ``weight_decay``, ``grad_clip``
    (0 disables clipping): the optimiser; ``rollout``: closed-loop steps scored
    per training window (1 = one-step teacher forcing); ``stride``: spacing of
    the training windows; ``val_fraction``, ``patience``: early stopping on the
    held-out tail of the data (0: train all ``epochs``;
    :mod:`dynlearn.training.early_stopping`).
    """

    context: int = 8
    hidden: int = 64
    layers: int = 2
    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.0
    grad_clip: float = 1.0
    rollout: int = 1
    stride: int = 1
    val_fraction: float = 0.0
    patience: int = 10

    def validate(self):
        for name in ("context", "hidden", "layers", "epochs", "batch_size", "rollout", "stride", "patience"):
            if getattr(self, name) < 1:
                raise ValidationError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ValidationError(f"lr must be > 0, got {self.lr}")
        if self.weight_decay < 0 or self.grad_clip < 0:
            raise ValidationError("weight_decay and grad_clip must be >= 0")
        if not 0 <= self.val_fraction < 1:
            raise ValidationError(f"val_fraction must be in [0, 1), got {self.val_fraction}")


class Standardized(nn.Module):
    """Wraps a core network ``(B, c, d) -> (B, k, d)`` of increments in z-units.

    The per-dimension mean and std of the training states are buffers, so they
    are saved with the weights.
    """

    def __init__(self, core: nn.Module, dim: int):
        super().__init__()
        self.core = core
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    def step(self, z: torch.Tensor) -> torch.Tensor:
        """Next ``k`` standardised states after the window ``z`` (B, c, d)."""
        return z[:, -1:, :] + self.core(z)


def rollout(module: Standardized, z: torch.Tensor, n_steps: int) -> torch.Tensor:
    """Closed loop: feed predictions back until ``n_steps`` states exist; (B, n_steps, d)."""
    context = z.shape[1]
    window, out, have = z, [], 0
    while have < n_steps:
        nxt = module.step(window)
        out.append(nxt)
        have += nxt.shape[1]
        window = torch.cat([window, nxt], dim=1)[:, -context:]
    return torch.cat(out, dim=1)[:, :n_steps]


def check_loss(loss: torch.Tensor, epoch: int, name: str, lr: float) -> None:
    if not torch.isfinite(loss):
        raise TrainingError(
            f"{name}: the training loss became non-finite ({loss.item()}) in epoch {epoch}; "
            f"lower the learning rate (lr={lr:g}, try lr={lr / 10:g}) or check the scale of the data"
        )


def make_optimizer(module: nn.Module, cfg: Any, total_steps: int):
    """Adam with a cosine decay of the learning rate from ``lr`` to ``lr/10`` over ``total_steps``."""
    opt = torch.optim.Adam(module.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    total = max(total_steps, 1)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.1 + 0.45 * (1 + math.cos(math.pi * min(s, total) / total))
    )
    return opt, sched


def optimizer_step(module: nn.Module, opt, sched, loss: torch.Tensor, grad_clip: float) -> None:
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if grad_clip > 0:
        nn.utils.clip_grad_norm_(module.parameters(), grad_clip)
    opt.step()
    sched.step()


class WindowModel(TorchModel):
    """Base of the deep forecasters: standardise, train on windows, forecast in closed loop.

    Subclasses implement ``_core()`` returning the network ``(B, context, dim) ->
    (B, out_steps, dim)`` and may override ``out_steps``.
    """

    Config = WindowConfig

    @property
    def out_steps(self) -> int:
        return 1

    @property
    def target_steps(self) -> int:
        """States scored per training window: ``rollout`` rounded up to whole output chunks."""
        k = self.out_steps
        return k * math.ceil(max(self.config.rollout, k) / k)

    @property
    def min_context(self) -> int:
        return self.config.context

    @property
    def min_train_length(self) -> int:
        return self.config.context + self.target_steps

    def _core(self) -> nn.Module:
        raise NotImplementedError

    def _build(self) -> nn.Module:
        return Standardized(self._core(), self.dim_)

    def _fit(self, trajectories):
        from dynlearn.models._epochs import train_epochs
        from dynlearn.training.early_stopping import holdout_tail

        cfg = self.config
        held = []
        if cfg.val_fraction:
            trajectories, held = holdout_tail(trajectories, cfg.val_fraction, self.min_train_length)
        states = np.concatenate([t.states for t in trajectories])
        module = self._init_module(trajectories[0].dim)
        mean, std = states.mean(0), states.std(0)
        std = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)
        module.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        module.std.copy_(torch.as_tensor(std, dtype=torch.float32))

        def tensors(trajs):
            ctx, tgt = windows(trajs, cfg.context, self.target_steps, stride=cfg.stride)
            as_z = lambda a: torch.as_tensor((a - mean) / std, dtype=torch.float32)  # noqa: E731
            return as_z(ctx), as_z(tgt)

        z_ctx, z_tgt = tensors(trajectories)

        def loss_of(idx):
            return torch.mean((rollout(module, z_ctx[idx], self.target_steps) - z_tgt[idx]) ** 2)

        val_loss = None
        if held:
            v_ctx, v_tgt = tensors(held)

            def val_loss():
                return float(torch.mean((rollout(module, v_ctx, self.target_steps) - v_tgt) ** 2))

        train_epochs(self, module, len(z_ctx), loss_of, val_loss=val_loss)

    def _predict(self, context, horizon):
        m = self.module_
        mean, std = m.mean.double().numpy(), m.std.double().numpy()
        z = torch.as_tensor((context[:, -self.config.context :] - mean) / std, dtype=torch.float32)
        with torch.no_grad():
            out = rollout(m, z, horizon).double().numpy()
        return out * std + mean

    def _get_meta(self) -> dict[str, Any]:
        return {"train_loss": getattr(self, "train_loss_", None)}

    def _set_meta(self, meta: dict[str, Any]) -> None:
        self.train_loss_ = meta.get("train_loss")
