"""Training regimes for recurrent latent models: BPTT, teacher forcing, generalized TF.

All three regimes train the same thing, a latent map ``z_t = F(z_{t-1})`` with an
observation model ``x_t ≈ g(z_t)``, on windows ``x_0..x_T`` of the data by minimising

    L = 1/(T N) Σ_{t=1}^{T} ||g(z_t) − x_t||²,   z_t = F(z̃_{t−1}),  z̃_0 = init(x_0),

and differ only in the state ``z̃_t`` the model continues from:

* **BPTT** (free running): ``z̃_t = z_t``. Gradients contain the Jacobian products
  ``Π_t ∂z_t/∂z_{t−1}``, which grow like ``exp(λ_max T)`` once the model is chaotic.
* **Teacher forcing** (``interval = τ``): every ``τ``-th step the forced latent
  coordinates are replaced by the data-inferred state, ``z̃_t = ẑ_t``; ``τ = 1`` is
  classical teacher forcing (one-step-ahead training), ``τ > 1`` is sparse teacher
  forcing (Mikhaeil, Monfared & Durstewitz, NeurIPS 2022).
* **Generalized teacher forcing** (Doya 1992; Hess, Monfared, Brenner & Durstewitz,
  "Generalized Teacher Forcing for Learning Chaotic Dynamics", ICML 2023):
  ``z̃_t = (1 − α) z_t + α ẑ_t`` with ``0 ≤ α ≤ 1``. The loss gradient then contains
  ``Π (1 − α) J_t``, whose norm stays bounded for all ``T`` when
  ``(1 − α) G ≤ 1``, ``G`` being the (geometric-mean) Jacobian norm along the data.
  ``alpha=None`` picks α adaptively as in the paper: every ``update_every`` optimiser
  steps ``G = max_batch geomean_t ||J(ẑ_t)||₂`` (the "product upper bound",
  ``||Π J_t|| ≤ Π ||J_t||``), ``α* = max(0, 1 − 1/G)``, and α follows a decaying
  maximum: ``α ← α*`` if ``α* > α`` else ``α ← γ α + (1 − γ) α*``.
  GTF with ``α = 1`` is identical to classical teacher forcing.

The model protocol (:class:`Recurrent`) is small, so any recurrent torch model can use
these regimes; :func:`train` runs the optimisation loop and stops with
:class:`~dynlearn.errors.TrainingError` naming the epoch when the loss or the
gradient becomes non-finite.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import torch

from dynlearn._validation import as_rng, check_array, check_positive
from dynlearn.errors import TrainingError, ValidationError
from dynlearn.progress import Epochs

__all__ = [
    "BPTT",
    "GeneralizedTeacherForcing",
    "History",
    "Recurrent",
    "TeacherForcing",
    "gradient_norm",
    "make_regime",
    "sample_windows",
    "train",
]


@runtime_checkable
class Recurrent(Protocol):
    """What a model must expose to be trained by these regimes (an ``nn.Module``).

    * ``latent_dim``: ``M``, the size of the latent state ``z``;
    * ``forced_dim``: ``K ≤ M``, how many *leading* latent coordinates the data
      inform (``K = N`` for an identity observation of the first ``N`` units,
      ``K = M`` for an invertible linear observation model);
    * ``step(z)``: ``(batch, M) -> (batch, M)``, one step of the latent map ``F``;
    * ``observe(z)``: ``(..., M) -> (..., N)``, the observation model ``g``;
    * ``forcing_signal(x)``: ``(..., N) -> (..., K)``, the data-inferred states ``ẑ``
      of the first ``K`` latent coordinates;
    * ``initial_state(x)``: ``(batch, N) -> (batch, M)``, the latent state a
      window starts from.

    Optional: ``jacobian(z)``: ``(n, M) -> (n, M, M)``, ``∂F/∂z``; without it the
    adaptive α uses ``torch.func`` autodiff of ``step``.
    """

    latent_dim: int
    forced_dim: int

    def step(self, z: torch.Tensor) -> torch.Tensor: ...

    def observe(self, z: torch.Tensor) -> torch.Tensor: ...

    def forcing_signal(self, x: torch.Tensor) -> torch.Tensor: ...

    def initial_state(self, x: torch.Tensor) -> torch.Tensor: ...


def _check_module(module) -> None:
    missing = [
        a
        for a in ("latent_dim", "forced_dim", "step", "observe", "forcing_signal", "initial_state")
        if not hasattr(module, a)
    ]
    if missing or not isinstance(module, torch.nn.Module):
        raise ValidationError(
            f"{type(module).__name__} cannot be trained by dynlearn.training: it must be a torch.nn.Module "
            f"exposing the Recurrent protocol; missing {missing or ['nn.Module base class']}"
        )


def _jacobians(module, z: torch.Tensor) -> torch.Tensor:
    """``∂F/∂z`` at each row of ``z`` ``(n, M)`` -> ``(n, M, M)``, without tracking gradients."""
    with torch.no_grad():
        if hasattr(module, "jacobian"):
            return module.jacobian(z)
    from torch.func import jacrev, vmap

    return vmap(jacrev(lambda v: module.step(v[None])[0]))(z).detach()


def _pad_latent(module, zhat: torch.Tensor) -> torch.Tensor:
    """Forcing signals ``(..., K)`` -> full latent states ``(..., M)`` (unforced units 0)."""
    extra = module.latent_dim - zhat.shape[-1]
    if extra == 0:
        return zhat
    return torch.cat([zhat, zhat.new_zeros((*zhat.shape[:-1], extra))], dim=-1)


# --------------------------------------------------------------------------- regimes


@dataclasses.dataclass
class BPTT:
    """Plain backpropagation through time: the model runs freely over the window."""

    name = "bptt"

    def rollout(self, module, x: torch.Tensor) -> torch.Tensor:
        """Predictions ``g(z_1..z_T)`` ``(batch, T, N)`` for a window ``x`` ``(batch, T+1, N)``."""
        z = module.initial_state(x[:, 0])
        out = []
        for _ in range(1, x.shape[1]):
            z = module.step(z)
            out.append(z)
        return module.observe(torch.stack(out, dim=1))

    def before_batch(self, module, x: torch.Tensor) -> None:
        pass

    def describe(self) -> str:
        return "BPTT"


@dataclasses.dataclass
class TeacherForcing:
    """(Sparse) teacher forcing: every ``interval``-th step the first ``K`` latent
    coordinates are replaced by the data-inferred state ``ẑ_t``; ``interval = 1`` is
    classical teacher forcing. No gradient flows through a replaced coordinate."""

    interval: int = 1
    name = "tf"

    def __post_init__(self):
        self.interval = check_positive(self.interval, "teacher-forcing interval", integer=True)

    def rollout(self, module, x: torch.Tensor) -> torch.Tensor:
        zhat = module.forcing_signal(x)
        k = zhat.shape[-1]
        z = module.initial_state(x[:, 0])
        out = []
        for t in range(1, x.shape[1]):
            z = module.step(z)
            out.append(z)
            if t % self.interval == 0:
                z = torch.cat([zhat[:, t], z[:, k:]], dim=-1)
        return module.observe(torch.stack(out, dim=1))

    def before_batch(self, module, x: torch.Tensor) -> None:
        pass

    def describe(self) -> str:
        return "TF" if self.interval == 1 else f"sparse TF (τ={self.interval})"


@dataclasses.dataclass
class GeneralizedTeacherForcing:
    """GTF: ``z̃_t = (1 − α) z_t + α ẑ_t`` on the first ``K`` latent coordinates.

    ``alpha``: a fixed α in [0, 1], or ``None`` for the adaptive α of Hess et al.
    (2023), re-estimated every ``update_every`` optimiser steps from
    ``G = max_batch geomean_t ||J(ẑ_t)||₂`` as ``α* = max(0, 1 − 1/G)`` and annealed
    with a decaying maximum (``decay`` = γ), starting from ``alpha_init``.
    """

    alpha: float | None = None
    update_every: int = 5
    decay: float = 0.999
    alpha_init: float = 1.0
    name = "gtf"

    def __post_init__(self):
        if self.alpha is not None and not 0.0 <= float(self.alpha) <= 1.0:
            raise ValidationError(f"GTF needs 0 <= alpha <= 1 (or None for adaptive), got {self.alpha}")
        if not 0.0 <= float(self.alpha_init) <= 1.0:
            raise ValidationError(f"GTF needs 0 <= alpha_init <= 1, got {self.alpha_init}")
        if not 0.0 <= float(self.decay) < 1.0:
            raise ValidationError(f"GTF needs 0 <= decay < 1, got {self.decay}")
        self.update_every = check_positive(self.update_every, "alpha update_every", integer=True)
        self.current_alpha = float(self.alpha_init if self.alpha is None else self.alpha)
        self.last_G: float | None = None
        self._steps = 0

    @property
    def adaptive(self) -> bool:
        return self.alpha is None

    def rollout(self, module, x: torch.Tensor) -> torch.Tensor:
        zhat = module.forcing_signal(x)
        k = zhat.shape[-1]
        a = self.current_alpha
        z = module.initial_state(x[:, 0])
        out = []
        for t in range(1, x.shape[1]):
            z = module.step(z)
            out.append(z)
            forced = (1.0 - a) * z[:, :k] + a * zhat[:, t]
            z = forced if k == z.shape[-1] else torch.cat([forced, z[:, k:]], dim=-1)
        return module.observe(torch.stack(out, dim=1))

    def estimate_G(self, module, x: torch.Tensor) -> float:
        """``max over the batch of geomean_t ||J(ẑ_t)||₂``, t = 1..T (paper's product bound)."""
        with torch.no_grad():
            zhat = _pad_latent(module, module.forcing_signal(x[:, 1:]))  # (batch, T, M)
            b, t, m = zhat.shape
            jac = _jacobians(module, zhat.reshape(b * t, m))
            norms = torch.linalg.matrix_norm(jac.double(), ord=2).reshape(b, t)
            log_geomean = torch.log(torch.clamp(norms, min=1e-300)).mean(dim=1)
            return float(torch.exp(log_geomean.max()))

    def before_batch(self, module, x: torch.Tensor) -> None:
        if not self.adaptive:
            return
        self._steps += 1
        if self._steps % self.update_every:
            return
        g = self.estimate_G(module, x)
        self.last_G = g
        est = max(0.0, 1.0 - 1.0 / g) if g > 0 else 0.0
        if est > self.current_alpha:
            self.current_alpha = est
        else:
            self.current_alpha = self.decay * self.current_alpha + (1.0 - self.decay) * est

    def describe(self) -> str:
        return "GTF (adaptive α)" if self.adaptive else f"GTF (α={self.alpha:g})"


Regime = BPTT | TeacherForcing | GeneralizedTeacherForcing


def make_regime(
    name: str,
    *,
    alpha: float | None = None,
    interval: int = 1,
    update_every: int = 5,
    decay: float = 0.999,
    alpha_init: float = 1.0,
) -> Regime:
    """A regime by name: ``"bptt"``, ``"tf"`` (``interval``) or ``"gtf"`` (``alpha`` …)."""
    key = str(name).lower().replace("-", "_")
    if key == "bptt":
        return BPTT()
    if key in ("tf", "teacher_forcing"):
        return TeacherForcing(interval)
    if key in ("gtf", "generalized_teacher_forcing"):
        return GeneralizedTeacherForcing(alpha, update_every, decay, alpha_init)
    raise ValidationError(f"unknown training regime {name!r}; choose 'gtf', 'tf' or 'bptt'")


# --------------------------------------------------------------------------- data


def _as_series(data) -> list[np.ndarray]:
    """Training series as float32 arrays ``(time, N)``."""
    if isinstance(data, np.ndarray) and data.ndim == 3:
        series = list(data)
    elif isinstance(data, (list, tuple)):
        series = list(data)
    else:
        series = [data]
    out = []
    for i, s in enumerate(series):
        arr = check_array(getattr(s, "states", s), f"training series {i}", ndim=2)
        out.append(arr.astype(np.float32))
    if not out:
        raise ValidationError("training needs at least one series; got none")
    return out


def sample_windows(series: Sequence[np.ndarray], seq_len: int, batch_size: int, rng: np.random.Generator) -> np.ndarray:
    """``batch_size`` windows of ``seq_len + 1`` consecutive states, drawn uniformly
    (with replacement) over all windows of all series: ``(batch, seq_len + 1, N)``."""
    counts = np.array([max(len(s) - seq_len, 0) for s in series])
    total = counts.sum()
    if total == 0:
        longest = max(len(s) for s in series)
        raise ValidationError(
            f"training windows need seq_len + 1 = {seq_len + 1} consecutive steps, but the longest series has "
            f"{longest}; use a shorter seq_len or longer series"
        )
    flat = rng.integers(total, size=batch_size)
    which = np.searchsorted(np.cumsum(counts), flat, side="right")
    starts = flat - (np.cumsum(counts) - counts)[which]
    return np.stack([series[w][s : s + seq_len + 1] for w, s in zip(which, starts)])


# --------------------------------------------------------------------------- loop


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
    _check_module(module)
    epochs = check_positive(epochs, "epochs", integer=True)
    batches_per_epoch = check_positive(batches_per_epoch, "batches_per_epoch", integer=True)
    batch_size = check_positive(batch_size, "batch_size", integer=True)
    seq_len = check_positive(seq_len, "seq_len", integer=True)
    lr = check_positive(lr, "lr")
    lr_end = check_positive(lr_end, "lr_end")
    grad_clip = check_positive(grad_clip, "grad_clip", allow_zero=True)
    series = _as_series(data)
    rng = as_rng(seed)
    params = [p for p in module.parameters() if p.requires_grad]
    opt = torch.optim.RAdam(params, lr=lr)
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
    _check_module(module)
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
