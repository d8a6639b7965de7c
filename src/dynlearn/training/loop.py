"""The optimisation loop shared by the recurrent regimes (:mod:`dynlearn.training.regimes`).

:func:`train` draws random windows, runs a regime's rollout, and takes a RAdam step;
it stops with :class:`~dynlearn.errors.TrainingError` naming the epoch when the loss
or the gradient becomes non-finite. :func:`gradient_norm` measures ``||∇_θ L||`` of
one batch of windows (how gradients scale with the window length).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable

import numpy as np
import torch

from dynlearn._validation import as_rng, check_positive
from dynlearn.errors import TrainingError, ValidationError
from dynlearn.progress import Epochs
from dynlearn.training.regimes import Regime, check_module
from dynlearn.training.windows import as_series, sample_windows

__all__ = ["History", "gradient_norm", "train"]


@dataclasses.dataclass
class History:
    """What :func:`train` measured: per-epoch mean loss, per-step gradient norm
    (2-norm over all parameters, before clipping) and α (NaN for non-GTF)."""

    regime: str
    loss: list[float] = dataclasses.field(default_factory=list)
    grad_norm: list[float] = dataclasses.field(default_factory=list)
    alpha: list[float] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        return len(self.loss)


def _grad_norm(params) -> float:
    sq = [p.grad.detach().double().pow(2).sum() for p in params if p.grad is not None]
    return float(torch.sqrt(torch.stack(sq).sum())) if sq else 0.0


def train(
    module: torch.nn.Module,
    data,
    regime: Regime,
    *,
    epochs: int = 100,
    batches_per_epoch: int = 50,
    batch_size: int = 16,
    seq_len: int = 200,
    lr: float = 1e-3,
    lr_end: float = 1e-6,
    grad_clip: float = 0.0,
    seed: int = 0,
    threads: int | None = 1,
    callback: Callable[[int, History], None] | None = None,
    progress_label: str | None = None,
) -> History:
    """Train ``module`` (a :class:`Recurrent`) on ``data`` with ``regime``, in place.

    ``data``: an array ``(time, N)`` or ``(batch, time, N)``, a Trajectory, or a list
    of them, already in the model's coordinates (e.g. standardised). Each step draws
    ``batch_size`` windows of ``seq_len + 1`` states (``seed``), runs the regime's
    rollout, and takes a RAdam step; the learning rate decays exponentially from
    ``lr`` to ``lr_end`` over ``epochs`` (the defaults of Hess et al. 2023, who train
    5000 epochs of 50 batches). ``grad_clip > 0`` clips the gradient norm.
    ``threads`` sets ``torch.set_num_threads`` during training (restored after).
    On a terminal a bar labelled ``progress_label`` shows the loss (:mod:`dynlearn.progress`).
    Raises TrainingError naming the epoch if the loss or gradient becomes non-finite.
    """
    check_module(module)
    epochs = check_positive(epochs, "epochs", integer=True)
    batches_per_epoch = check_positive(batches_per_epoch, "batches_per_epoch", integer=True)
    batch_size = check_positive(batch_size, "batch_size", integer=True)
    seq_len = check_positive(seq_len, "seq_len", integer=True)
    lr = check_positive(lr, "lr")
    lr_end = check_positive(lr_end, "lr_end")
    grad_clip = check_positive(grad_clip, "grad_clip", allow_zero=True)
    series = as_series(data)
    rng = as_rng(seed)
    params = [p for p in module.parameters() if p.requires_grad]
    opt = torch.optim.RAdam(params, lr=lr, foreach=True)
    gamma = (lr_end / lr) ** (1.0 / epochs)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=gamma)
    hist = History(regime.describe())
    old_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(int(threads))
    start = time.perf_counter()
    module.train()
    try:
        bar = Epochs(progress_label or regime.describe(), epochs)
        for epoch in bar:
            total = 0.0
            for _ in range(batches_per_epoch):
                x = torch.from_numpy(sample_windows(series, seq_len, batch_size, rng))
                regime.before_batch(module, x)
                opt.zero_grad(set_to_none=True)
                loss = torch.mean((regime.rollout(module, x) - x[:, 1:]) ** 2)
                value = float(loss.detach())
                if not math.isfinite(value):
                    raise TrainingError(_diverged(epoch, f"the loss became {value}", regime, lr))
                loss.backward()
                gnorm = _grad_norm(params)
                hist.grad_norm.append(gnorm)
                hist.alpha.append(getattr(regime, "current_alpha", float("nan")))
                if not math.isfinite(gnorm):
                    raise TrainingError(_diverged(epoch, f"the gradient norm became {gnorm}", regime, lr))
                if grad_clip > 0:
                    torch.nn.utils.clip_grad_norm_(params, grad_clip)
                opt.step()
                total += value
            sched.step()
            hist.loss.append(total / batches_per_epoch)
            bar.loss = hist.loss[-1]
            if callback is not None:
                callback(epoch, hist)
    finally:
        hist.seconds = time.perf_counter() - start
        module.eval()
        if threads:
            torch.set_num_threads(old_threads)
    return hist


def _diverged(epoch: int, what: str, regime, lr: float) -> str:
    fix = "use a smaller learning rate" + (
        "" if getattr(regime, "name", "") == "gtf" else " or generalized teacher forcing (regime='gtf')"
    )
    return f"training diverged in epoch {epoch} ({regime.describe()}, lr={lr:g}): {what}; {fix}"


def gradient_norm(module: torch.nn.Module, x, regime: Regime) -> float:
    """``||∇_θ L||₂`` of the loss on the windows ``x`` ``(batch, T+1, N)`` under
    ``regime`` (no optimiser step; α is not updated). Used to measure how gradients
    scale with the sequence length ``T``; ``inf`` if they overflow."""
    check_module(module)
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    if xt.ndim != 3 or xt.shape[1] < 2:
        raise ValidationError(f"x must be (batch, T+1, N) with T >= 1; got shape {tuple(xt.shape)}")
    params = [p for p in module.parameters() if p.requires_grad]
    module.zero_grad(set_to_none=True)
    loss = torch.mean((regime.rollout(module, xt) - xt[:, 1:]) ** 2)
    if not torch.isfinite(loss):
        module.zero_grad(set_to_none=True)
        return float("inf")
    loss.backward()
    g = _grad_norm(params)
    module.zero_grad(set_to_none=True)
    return g if math.isfinite(g) else float("inf")
