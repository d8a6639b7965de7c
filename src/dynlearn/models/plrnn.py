"""Shallow piecewise-linear RNNs (shPLRNN) and their clipped variant.

Hess, Monfared, Brenner & Durstewitz, "Generalized Teacher Forcing for Learning
Chaotic Dynamics", ICML 2023 (PMLR 202). The latent map is

    z_t = A ⊙ z_{t−1} + W₁ φ(W₂ z_{t−1} + h₂) + h₁                 (shPLRNN)
    z_t = A ⊙ z_{t−1} + W₁ [φ(W₂ z_{t−1} + h₂) − φ(W₂ z_{t−1})] + h₁  (clipped)

with ``φ = ReLU``, diagonal ``A`` (``M`` latent units) and ``L`` hidden units
(``W₁: M×L``, ``W₂: L×M``). In the clipped form each hidden unit contributes a
bounded term (``|φ(u + h) − φ(u)| ≤ |h|``), so orbits stay bounded whenever
``max|A| < 1``. Its Jacobian is ``diag(A) + W₁ diag(d) W₂`` with
``d = 1[W₂z > −h₂] − 1[W₂z > 0]`` (clipped) or ``d = 1[W₂z > −h₂]``.

Observation models: ``identity`` reads the first ``N`` latent units
(``x_t = z_{t,1:N}``, ``M ≥ N``; the other ``M − N`` units start a window at
``L_init x``, learned) and ``linear`` reads ``x_t = B z_t + b`` (``M ≥ N``; the
data-inferred state is ``ẑ = B⁺(x − b)``). Training uses
:mod:`dynlearn.training` (GTF by default); initialisation follows the authors'
code (DurstewitzLab/GTF-shPLRNN): ``A`` = the diagonal of a normalised positive
definite matrix (Talathi & Vartak 2016), ``W``'s and the clipped model's ``h₂``
uniform in ``±1/sqrt(fan_in)``, ``h₁ = 0``.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import numpy as np
import torch
from torch import nn

from dynlearn.config import ModelConfig
from dynlearn.errors import ValidationError
from dynlearn.models import _plrnn_kernel as _kernel
from dynlearn.models.registry import register
from dynlearn.models.torch_model import TorchModel

OBSERVATIONS = ("identity", "linear")
REGIMES = ("gtf", "tf", "bptt")


class ShallowPLRNNModule(nn.Module):
    """The network: latent map, observation model and data-inferred states.

    Implements the :class:`dynlearn.training.Recurrent` protocol; works in the
    model's (standardised) coordinates, batch first.
    """

    def __init__(self, obs_dim: int, latent_dim: int, hidden_dim: int, clipped: bool, observation: str):
        super().__init__()
        n, m, h = obs_dim, latent_dim, hidden_dim
        self.obs_dim, self.latent_dim, self.hidden_dim = n, m, h
        self.clipped, self.observation = clipped, observation
        self.fused = True  # use the compiled window kernel in training when numba is there
        r = torch.randn(m, m)
        k = r.T @ r / m + torch.eye(m)
        self.A = nn.Parameter(torch.diagonal(k / torch.linalg.eigvalsh(k).max()).clone())
        self.W1 = nn.Parameter(_uniform((m, h), h))
        self.W2 = nn.Parameter(_uniform((h, m), m))
        self.h1 = nn.Parameter(torch.zeros(m))
        self.h2 = nn.Parameter(_uniform((h,), h) if clipped else torch.zeros(h))
        if observation == "linear":
            self.B = nn.Parameter(torch.randn(n, m) * (2.0 / m) ** 0.5)
            self.b = nn.Parameter(torch.zeros(n))
            self.forced_dim = m
        else:
            self.L = nn.Parameter(_uniform((m - n, n), n)) if m > n else None
            self.forced_dim = n
        # standardisation of the data (model coordinates = (x - mean) / std)
        self.register_buffer("x_mean", torch.zeros(n))
        self.register_buffer("x_std", torch.ones(n))

    # the Recurrent protocol ----------------------------------------------------
    def step(self, z: torch.Tensor) -> torch.Tensor:
        u = z @ self.W2.T
        act = torch.relu(u + self.h2)
        if self.clipped:
            act = act - torch.relu(u)
        return self.A * z + act @ self.W1.T + self.h1

    def forced_rollout(self, z0: torch.Tensor, zhat: torch.Tensor, a) -> torch.Tensor | None:
        """The whole forced window in one compiled forward/backward pass (``_plrnn_kernel``);
        ``None`` (the regimes then step in Python) without numba or when ``fused`` is off."""
        if not (self.fused and _kernel.available()):
            return None
        return _kernel.forced_rollout(z0, zhat, a, self.A, self.W1, self.W2, self.h1, self.h2, self.clipped)

    def jacobian_norms(self, z: torch.Tensor) -> torch.Tensor | None:
        """``||∂F/∂z||₂`` at each row of ``z`` ``(n, M)`` (compiled; ``None`` without numba)."""
        if not (self.fused and _kernel.available()):
            return None
        with torch.no_grad():
            return _kernel.jacobian_norms(z, self.A, self.W1, self.W2, self.h2, self.clipped)

    def jacobian(self, z: torch.Tensor) -> torch.Tensor:
        """``∂F/∂z`` at each row of ``z`` ``(n, M)``: ``(n, M, M)``."""
        u = z @ self.W2.T
        d = (u > -self.h2).to(z.dtype)
        if self.clipped:
            d = d - (u > 0).to(z.dtype)
        return torch.diag_embed(self.A.expand_as(z)) + torch.einsum("mh,nh,hk->nmk", self.W1, d, self.W2)

    def observe(self, z: torch.Tensor) -> torch.Tensor:
        if self.observation == "linear":
            return z @ self.B.T + self.b
        return z[..., : self.obs_dim]

    def forcing_signal(self, x: torch.Tensor) -> torch.Tensor:
        if self.observation == "linear":
            return (x - self.b) @ torch.linalg.pinv(self.B).T
        return x

    def initial_state(self, x: torch.Tensor) -> torch.Tensor:
        if self.observation == "linear" or self.L is None:
            return self.forcing_signal(x)
        return torch.cat([x, x @ self.L.T], dim=-1)

    def generate(self, x0: torch.Tensor, horizon: int) -> torch.Tensor:
        """Free-running observations ``(batch, horizon, N)`` after ``x0`` ``(batch, N)``."""
        z = self.initial_state(x0)
        out = torch.empty((x0.shape[0], horizon, self.obs_dim), dtype=x0.dtype)
        for t in range(horizon):
            z = self.step(z)
            out[:, t] = self.observe(z)
        return out


def _uniform(shape: tuple[int, ...], fan_in: int) -> torch.Tensor:
    r = 1.0 / max(fan_in, 1) ** 0.5
    return (torch.rand(shape) * 2.0 - 1.0) * r


@dataclasses.dataclass
class ShPLRNNConfig(ModelConfig):
    """Architecture: ``latent_dim`` M (None = data dimension; must be >= it),
    ``hidden_dim`` L, ``clipped`` (bounded orbits), ``observation`` ('identity' or
    'linear'). Training: ``regime`` ('gtf', 'tf' or 'bptt'); ``alpha`` (GTF α in
    [0, 1], None = adaptive, re-estimated every ``alpha_update_every`` steps with
    decaying maximum ``alpha_decay``); ``tf_interval`` (τ of teacher forcing, 1 =
    classical); ``epochs`` × ``batches_per_epoch`` RAdam steps on ``batch_size``
    windows of ``seq_len`` steps, learning rate ``lr`` decaying to ``lr_end``;
    ``grad_clip`` (0 = off); ``standardize`` the data inside the model;
    ``threads`` for torch during fit."""

    latent_dim: int | None = None
    hidden_dim: int = 100
    clipped: bool = True
    observation: str = "identity"
    regime: str = "gtf"
    alpha: float | None = None
    alpha_update_every: int = 5
    alpha_decay: float = 0.995
    tf_interval: int = 1
    seq_len: int = 200
    batch_size: int = 16
    epochs: int = 200
    batches_per_epoch: int = 50
    lr: float = 2e-3
    lr_end: float = 1e-5
    grad_clip: float = 0.0
    standardize: bool = True
    threads: int = 1

    def validate(self):
        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise ValidationError(f"shplrnn: {msg}")

        self.observation = str(self.observation).lower()
        self.regime = str(self.regime).lower()
        need(self.latent_dim is None or self.latent_dim >= 1, f"latent_dim must be >= 1, got {self.latent_dim}")
        need(self.hidden_dim >= 1, f"hidden_dim must be >= 1, got {self.hidden_dim}")
        need(self.observation in OBSERVATIONS, f"observation must be one of {OBSERVATIONS}, got {self.observation!r}")
        need(self.regime in REGIMES, f"regime must be one of {REGIMES}, got {self.regime!r}")
        need(self.alpha is None or 0.0 <= self.alpha <= 1.0, f"alpha must be in [0, 1] or none, got {self.alpha}")
        need(0.0 <= self.alpha_decay < 1.0, f"alpha_decay must be in [0, 1), got {self.alpha_decay}")
        for f in ("alpha_update_every", "tf_interval", "seq_len", "batch_size", "epochs", "batches_per_epoch"):
            need(getattr(self, f) >= 1, f"{f} must be >= 1, got {getattr(self, f)}")
        need(self.lr > 0 and self.lr_end > 0, f"lr and lr_end must be > 0, got {self.lr}, {self.lr_end}")
        need(self.grad_clip >= 0, f"grad_clip must be >= 0, got {self.grad_clip}")
        need(self.threads >= 1, f"threads must be >= 1, got {self.threads}")


@register("shplrnn")
class ShallowPLRNN(TorchModel):
    """Shallow PLRNN (clipped by default) trained with generalized teacher forcing (Hess et al. 2023).

    ``clipped=False`` gives the plain shPLRNN. ``predict`` starts the latent state
    from the last context state and runs the map freely (in float64).
    """

    Config = ShPLRNNConfig
    #: optional ``fn(epoch, history, module)`` called after every training epoch (not saved),
    #: e.g. to record a learning curve; set it on the instance before ``fit``
    epoch_callback = None

    @classmethod
    def conformance_config(cls) -> dict[str, Any]:
        return {"hidden_dim": 8, "seq_len": 16, "batch_size": 4, "epochs": 2, "batches_per_epoch": 4}

    @property
    def min_train_length(self) -> int:
        return self.config.seq_len + 1

    def _latent(self, dim: int) -> int:
        m = dim if self.config.latent_dim is None else self.config.latent_dim
        if m < dim:
            raise ValidationError(
                f"shplrnn needs latent_dim >= the data dimension {dim}; got latent_dim={m} "
                "(set latent_dim to none or at least the data dimension)"
            )
        return m

    def _build(self) -> nn.Module:
        c = self.config
        return ShallowPLRNNModule(self.dim_, self._latent(self.dim_), c.hidden_dim, c.clipped, c.observation)

    def _fit(self, trajectories):
        from dynlearn.training import make_regime, train

        c = self.config
        dim = trajectories[0].dim
        self._latent(dim)
        module = self._init_module(dim)
        states = [t.states for t in trajectories]
        if c.standardize:
            allx = np.concatenate(states)
            mean, std = allx.mean(0), allx.std(0)
            std = np.where(std > 0, std, 1.0)
            module.x_mean.copy_(torch.from_numpy(mean.astype(np.float32)))
            module.x_std.copy_(torch.from_numpy(std.astype(np.float32)))
            states = [(s - mean) / std for s in states]
        regime = make_regime(
            c.regime,
            alpha=c.alpha,
            interval=c.tf_interval,
            update_every=c.alpha_update_every,
            decay=c.alpha_decay,
        )
        self.history_ = train(
            module,
            states,
            regime,
            epochs=c.epochs,
            batches_per_epoch=c.batches_per_epoch,
            batch_size=c.batch_size,
            seq_len=c.seq_len,
            lr=c.lr,
            lr_end=c.lr_end,
            grad_clip=c.grad_clip,
            seed=c.seed,
            threads=c.threads,
            callback=None if self.epoch_callback is None else lambda e, h: self.epoch_callback(e, h, module),
        )
        self.alpha_ = float(getattr(regime, "current_alpha", float("nan")))

    def _predict(self, context, horizon):
        net = copy.deepcopy(self.module_).double()
        with torch.no_grad():
            x0 = (torch.from_numpy(np.array(context[:, -1, :], dtype=np.float64)) - net.x_mean) / net.x_std
            out = net.generate(x0, horizon) * net.x_std + net.x_mean
        return out.numpy()

    def _get_meta(self) -> dict[str, Any]:
        alpha = getattr(self, "alpha_", None)
        return {"alpha": None if alpha is None or not np.isfinite(alpha) else alpha}

    def _set_meta(self, meta: dict[str, Any]) -> None:
        a = meta.get("alpha")
        self.alpha_ = float("nan") if a is None else float(a)

    def _set_state(self, state):
        if "W1" not in state or "A" not in state:
            raise ValueError("the saved weights are not a shplrnn's (no A / W1)")
        super()._set_state(state)
