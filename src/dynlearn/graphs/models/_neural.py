"""Shared machinery of the neural link predictors: config, Time2Vec, the training loop, weights I/O.

Training (for every neural model alike): the training stream is replayed in chronological
batches of ``batch_size`` events; each batch is scored with the state as of its start, against
``neg_per_pos`` destinations drawn uniformly from the training destinations, and the binary
cross-entropy ``-log sigma(f(s, d, t)) - sum_j log(1 - sigma(f(s, d'_j, t)))`` (averaged) is
minimised with Adam; then the batch is absorbed into the state. ``loss_history_`` holds the mean
loss of each epoch.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch
from torch import nn

from dynlearn.errors import TrainingError
from dynlearn.graphs.models.base import LinkConfig, LinkPredictor


@dataclasses.dataclass
class NeuralLinkConfig(LinkConfig):
    dim: int = 32
    time_dim: int = 8
    epochs: int = 5
    batch_size: int = 200
    lr: float = 3e-3
    neg_per_pos: int = 1


class Time2Vec(nn.Module):
    """Learnable Time2Vec (Kazemi et al. 2019) of ``log1p(dt)``: one linear and ``d - 1`` sine channels.

    The log compresses gaps that span orders of magnitude; padded (NaN) gaps encode as 0."""

    def __init__(self, d: int):
        super().__init__()
        self.lin = nn.Linear(1, d)
        with torch.no_grad():
            self.lin.weight.copy_(torch.logspace(0, -2, d)[:, None])

    def forward(self, dt: torch.Tensor) -> torch.Tensor:
        x = torch.log1p(torch.nan_to_num(dt, nan=0.0).clamp_min(0.0))[..., None]
        z = self.lin(x)
        return torch.cat([z[..., :1], torch.sin(z[..., 1:])], dim=-1)


def mlp(d_in: int, d_hidden: int, d_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d_in, d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_out))


class NeuralLinkPredictor(LinkPredictor):
    """A link predictor whose parameters live in ``self.net_`` (an ``nn.Module``)."""

    Config = NeuralLinkConfig

    @classmethod
    def conformance_config(cls):
        return {"dim": 8, "time_dim": 4, "epochs": 3, "batch_size": 32}

    def _make_net(self) -> nn.Module:
        raise NotImplementedError

    def _logits(self, src: np.ndarray, dst: np.ndarray, t: np.ndarray) -> torch.Tensor:
        """``(B, m)`` logits given the current streaming state (with gradients when training)."""
        raise NotImplementedError

    def _fit(self, train) -> None:
        cfg = self.config
        with torch.random.fork_rng(devices=[]):  # seeded weights without touching the caller's RNG
            torch.manual_seed(int(cfg.seed))
            self.net_ = self._make_net()
        opt = torch.optim.Adam(self.net_.parameters(), lr=cfg.lr)
        rng = np.random.default_rng(cfg.seed)
        pool = np.unique(train.dst)
        self.loss_history_: list[float] = []
        for epoch in range(int(cfg.epochs)):
            self.net_.train()
            self._begin(train)
            total, count = 0.0, 0
            for a in range(0, len(train), int(cfg.batch_size)):
                s, d, t = (x[a : a + cfg.batch_size] for x in (train.src, train.dst, train.t))
                neg = rng.choice(pool, size=(len(s), int(cfg.neg_per_pos)))
                logits = self._logits(s, np.concatenate([d[:, None], neg], 1), t)
                target = torch.zeros_like(logits)
                target[:, 0] = 1.0
                loss = nn.functional.binary_cross_entropy_with_logits(logits, target)
                if not torch.isfinite(loss):
                    raise TrainingError(f"{self.name}: the loss became {loss.item()} in epoch {epoch}; lower lr")
                opt.zero_grad()
                loss.backward()
                opt.step()
                total, count = total + loss.item() * len(s), count + len(s)
                self._observe(s, d, t)
            self.loss_history_.append(total / max(count, 1))
        self.net_.eval()

    def _score(self, src, dst, t) -> np.ndarray:
        with torch.no_grad():
            return self._logits(src, dst, t).double().numpy()

    def _save_state(self, path: Path) -> None:
        from safetensors.torch import save_file

        tmp = path / "weights.safetensors.tmp"
        save_file({k: v.contiguous() for k, v in self.net_.state_dict().items()}, str(tmp))
        tmp.replace(path / "weights.safetensors")

    def _load_state(self, path: Path) -> None:
        from safetensors.torch import load_file

        self.net_ = self._make_net()
        self.net_.load_state_dict(load_file(str(path / "weights.safetensors")))
        self.net_.eval()


def dt_tensor(t, nt) -> torch.Tensor:
    """``t - nt`` as float32 (NaN where ``nt`` is padding)."""
    return torch.as_tensor(np.asarray(t)[..., None] - nt, dtype=torch.float32)
