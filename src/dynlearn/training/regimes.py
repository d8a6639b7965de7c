"""Forcing regimes for recurrent latent models: BPTT, teacher forcing, generalized TF.

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

All three are one recursion with a forcing weight ``a_t`` per step
(``s_t[:K] = (1 − a_t) z_t[:K] + a_t ẑ_t``): ``a_t = 0`` (BPTT), ``a_t = 1`` every
``τ``-th step (TF) or ``a_t = α`` (GTF); :func:`forced_rollout` runs it, through the
model's own fused ``forced_rollout`` when it has one. The model protocol
(:class:`Recurrent`) is small, so any recurrent torch model can use these regimes;
:func:`dynlearn.training.train` runs the optimisation loop.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol, runtime_checkable

import numpy as np
import torch

from dynlearn._validation import check_positive
from dynlearn.errors import ValidationError

__all__ = [
    "BPTT",
    "GeneralizedTeacherForcing",
    "Recurrent",
    "Regime",
    "TeacherForcing",
    "check_module",
    "forced_rollout",
    "make_regime",
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
    adaptive α uses ``torch.func`` autodiff of ``step``. ``jacobian_norms(z)``: ``(n, M) -> (n,)``,
    the spectral norms ``||∂F/∂z||₂`` directly. ``forced_rollout(z0, zhat, a)``:
    the whole forced window at once ``(batch, T, M)`` (see :func:`forced_rollout`), e.g. a
    compiled kernel; it may return ``None`` to fall back to the step-by-step loop.
    """

    latent_dim: int
    forced_dim: int

    def step(self, z: torch.Tensor) -> torch.Tensor: ...

    def observe(self, z: torch.Tensor) -> torch.Tensor: ...

    def forcing_signal(self, x: torch.Tensor) -> torch.Tensor: ...

    def initial_state(self, x: torch.Tensor) -> torch.Tensor: ...


def check_module(module) -> None:
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


def _jacobian_norms(module, z: torch.Tensor) -> torch.Tensor:
    """``||∂F/∂z||₂`` at each row of ``z`` ``(n, M)``, float64: the module's own
    ``jacobian_norms`` if it has one (and it does not return None), else from the Jacobians."""
    own = getattr(module, "jacobian_norms", None)
    norms = own(z) if own is not None else None
    if norms is None:
        norms = torch.linalg.matrix_norm(_jacobians(module, z).double(), ord=2)
    return norms.double()


def _pad_latent(module, zhat: torch.Tensor) -> torch.Tensor:
    """Forcing signals ``(..., K)`` -> full latent states ``(..., M)`` (unforced units 0)."""
    extra = module.latent_dim - zhat.shape[-1]
    if extra == 0:
        return zhat
    return torch.cat([zhat, zhat.new_zeros((*zhat.shape[:-1], extra))], dim=-1)


def forced_rollout(module, x: torch.Tensor, a) -> torch.Tensor:
    """Predictions ``g(z_1..z_T)`` ``(batch, T, N)`` of the forced recursion on a window
    ``x`` ``(batch, T+1, N)``: ``z_t = F(s_{t−1})``, ``s_0 = init(x_0)``, and
    ``s_t[:K] = (1 − a_t) z_t[:K] + a_t ẑ_t`` with forcing weights ``a`` ``(T,)``.

    ``a_t = 1`` replaces the forced coordinates (no gradient flows through them),
    ``a_t = 0`` leaves the model free. Uses the module's ``forced_rollout`` when it
    has one (and it does not return None), else steps in Python.
    """
    a = np.asarray(a, dtype=float)
    zhat = module.forcing_signal(x[:, 1:])
    z0 = module.initial_state(x[:, 0])
    fused = getattr(module, "forced_rollout", None)
    latent = fused(z0, zhat, a) if fused is not None else None
    if latent is None:
        latent = _loop_rollout(module, z0, zhat, a)
    return module.observe(latent)


def _loop_rollout(module, z0: torch.Tensor, zhat: torch.Tensor, a: np.ndarray) -> torch.Tensor:
    k = zhat.shape[-1]
    z, out = z0, []
    for t in range(zhat.shape[1]):
        z = module.step(z)
        out.append(z)
        at = float(a[t])
        if at == 0.0:
            continue
        forced = zhat[:, t] if at == 1.0 else (1.0 - at) * z[:, :k] + at * zhat[:, t]
        z = forced if k == z.shape[-1] else torch.cat([forced, z[:, k:]], dim=-1)
    return torch.stack(out, dim=1)


# --------------------------------------------------------------------------- regimes


@dataclasses.dataclass
class BPTT:
    """Plain backpropagation through time: the model runs freely over the window."""

    name = "bptt"

    def weights(self, steps: int) -> np.ndarray:
        """Forcing weights ``a_1..a_T``: none."""
        return np.zeros(steps)

    def rollout(self, module, x: torch.Tensor) -> torch.Tensor:
        """Predictions ``g(z_1..z_T)`` ``(batch, T, N)`` for a window ``x`` ``(batch, T+1, N)``."""
        return forced_rollout(module, x, self.weights(x.shape[1] - 1))

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

    def weights(self, steps: int) -> np.ndarray:
        """Forcing weights ``a_1..a_T``: 1 at every ``interval``-th step, else 0."""
        return (np.arange(1, steps + 1) % self.interval == 0).astype(float)

    def rollout(self, module, x: torch.Tensor) -> torch.Tensor:
        return forced_rollout(module, x, self.weights(x.shape[1] - 1))

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

    def weights(self, steps: int) -> np.ndarray:
        """Forcing weights ``a_1..a_T``: the current α at every step."""
        return np.full(steps, self.current_alpha)

    def rollout(self, module, x: torch.Tensor) -> torch.Tensor:
        return forced_rollout(module, x, self.weights(x.shape[1] - 1))

    def estimate_G(self, module, x: torch.Tensor) -> float:
        """``max over the batch of geomean_t ||J(ẑ_t)||₂``, t = 1..T (paper's product bound)."""
        with torch.no_grad():
            zhat = _pad_latent(module, module.forcing_signal(x[:, 1:]))  # (batch, T, M)
            b, t, m = zhat.shape
            norms = _jacobian_norms(module, zhat.reshape(b * t, m)).reshape(b, t)
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
