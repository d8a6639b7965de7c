"""Neural ordinary differential equation: a learned, autonomous vector field.

The model is dx/dt = f_θ(x) with f_θ a multilayer perceptron (Chen et al. 2018,
"Neural ordinary differential equations", NeurIPS; Kidger 2022, "On neural
differential equations", thesis, ch. 2). It works in standardised states and
a rescaled time: with z = (x − μ)/σ and s = t/τ (τ the mean training step),

    dz/ds = g_θ(z),    so    dx/dt = σ ⊙ g_θ((x − μ)/σ) / τ,

and μ, σ, τ are saved with the weights. Solutions are computed with
torchdiffeq (``odeint``; ``odeint_adjoint`` with ``adjoint=True``, which
back-propagates by solving the adjoint ODE backwards and so needs memory
independent of the number of solver steps, Chen et al. 2018 §2).

Training is multiple shooting on short segments of ``window`` observations
(:mod:`dynlearn.training.shooting`). Each gap between two observations is
integrated with ``substeps · ⌈gap/τ⌉`` fixed steps of ``method`` (or
adaptively for ``dopri5``), so irregular sampling needs no resampling: the
model accepts any strictly increasing times. With ``max_span`` a segment is
fitted only up to that much time after its first observation (later
observations are masked, and segments whose first gap is longer are dropped):
across gaps longer than the predictability horizon a chaotic orbit cannot be
matched, so those targets only add noise and solver steps. With ``method="rk4"``
and no adjoint the steps are written out (the same 3/8 rule as torchdiffeq's
``rk4``), and mini-batches are grouped by solver cost, since a batch takes as
many steps as its longest gap needs. ``val_fraction > 0`` holds out the tail
of the data and stops when its loss stops improving
(:mod:`dynlearn.training.early_stopping`); ``history_``, ``val_history_`` and
``best_epoch_`` record the curves.

Forecasting. ``predict(context, horizon)`` has no times: it integrates from
the last context state in steps of ``forecast_dt_``, which is the config's
``forecast_dt`` if set, else the training step when the training data were
uniformly sampled with one step, else the mean training step.
``predict_at(context_times, context, times)`` forecasts at arbitrary times.
The vector field is autonomous, so only the last context state matters
(``min_context`` is 1).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import torch
from torch import nn

from dynlearn._validation import check_array
from dynlearn.config import ModelConfig
from dynlearn.data import Trajectory
from dynlearn.errors import NotFittedError, ValidationError
from dynlearn.models.base import Capabilities
from dynlearn.models.registry import register
from dynlearn.models.torch_model import TorchModel

_FIXED = ("rk4", "midpoint", "euler", "heun3")
_ADAPTIVE = ("dopri5", "bosh3")
# switches for benchmarks/bench_neural.py (--neural-de-profile), which measures what each saves
_OWN_RK4 = True  # fixed-step RK4 written out instead of torchdiffeq's odeint
_BUCKETS = True  # mini-batches grouped by solver cost
_ACTIVATIONS = {"tanh": nn.Tanh, "softplus": nn.Softplus, "gelu": nn.GELU, "elu": nn.ELU}


@dataclasses.dataclass
class NeuralODEConfig(ModelConfig):
    """``hidden``/``layers``/``activation``: the vector-field MLP; ``window``:
    observations per shooting segment; ``substeps``: solver steps per mean
    sampling step; ``method``: a torchdiffeq solver (fixed: rk4, midpoint,
    euler, heun3; adaptive: dopri5, bosh3 with ``rtol``/``atol``); ``adjoint``:
    back-propagate with the adjoint method; ``epochs``, ``batch_size``, ``lr``,
    ``weight_decay``, ``grad_clip``, ``stride`` (spacing of segment starts):
    training; ``max_span``: fit each segment only up to this much time after its
    first observation (data time units; None: the whole segment); ``val_fraction``,
    ``patience``: early stopping on the held-out tail of the data (0: train all
    ``epochs``); ``forecast_dt``: step of ``predict`` (None: see the module docs)."""

    hidden: int = 64
    layers: int = 2
    activation: str = "tanh"
    window: int = 8
    substeps: int = 2
    method: str = "rk4"
    rtol: float = 1e-4
    atol: float = 1e-5
    adjoint: bool = False
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
        for name in ("hidden", "layers", "substeps", "epochs", "batch_size", "stride", "patience"):
            if getattr(self, name) < 1:
                raise ValidationError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.window < 2:
            raise ValidationError(f"window must be >= 2 observations, got {self.window}")
        if self.method not in _FIXED + _ADAPTIVE:
            raise ValidationError(f"method must be one of {', '.join(_FIXED + _ADAPTIVE)}; got {self.method!r}")
        if self.activation not in _ACTIVATIONS:
            raise ValidationError(f"activation must be one of {', '.join(_ACTIVATIONS)}; got {self.activation!r}")
        if not self.lr > 0 or self.rtol <= 0 or self.atol <= 0:
            raise ValidationError("lr, rtol and atol must be > 0")
        if self.weight_decay < 0 or self.grad_clip < 0:
            raise ValidationError("weight_decay and grad_clip must be >= 0")
        if self.forecast_dt is not None and not self.forecast_dt > 0:
            raise ValidationError(f"forecast_dt must be > 0 or None, got {self.forecast_dt}")
        if self.max_span is not None and not self.max_span > 0:
            raise ValidationError(f"max_span must be > 0 or None, got {self.max_span}")
        if not 0 <= self.val_fraction < 1:
            raise ValidationError(f"val_fraction must be in [0, 1), got {self.val_fraction}")


class VectorField(nn.Module):
    """g_θ: an MLP from standardised state to its derivative in rescaled time."""

    def __init__(self, dim: int, hidden: int, layers: int, activation: str):
        super().__init__()
        mods: list[nn.Module] = []
        width = dim
        for _ in range(layers):
            mods += [nn.Linear(width, hidden), _ACTIVATIONS[activation]()]
            width = hidden
        mods.append(nn.Linear(width, dim))
        self.net = nn.Sequential(*mods)
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))
        self.register_buffer("time_scale", torch.ones(1))  # (1,): safetensors stores no 0-d arrays

    def forward(self, t, z):
        return self.net(z)


class _OverGap(nn.Module):
    """dz/du = gap · g(z) on u ∈ [0, 1]: one call integrates every batch member over its own gap."""

    def __init__(self, field: VectorField, gap: torch.Tensor):
        super().__init__()
        self.field = field
        self.gap = gap  # (B, 1), not a parameter

    def forward(self, u, z):
        return self.gap * self.field.net(z)


def _rk4(net: nn.Module, z: torch.Tensor, gap: torch.Tensor, n: int) -> torch.Tensor:
    """``n`` steps of the classic fourth-order Runge–Kutta method (the 3/8 rule, as torchdiffeq's
    ``rk4``) of dz/ds = net(z) over ``gap`` (B,) per batch member: the same numbers as
    ``odeint(..., method="rk4")`` on an ``n``-step grid, without the solver's per-step bookkeeping
    (profiled: most of a small network's training time). A member with gap 0 stays put."""
    k = (gap / n)[:, None]
    for _ in range(n):
        k1 = net(z)
        k2 = net(z + k * k1 / 3)
        k3 = net(z + k * (k2 - k1 / 3))
        k4 = net(z + k * (k1 - k2 + k3))
        z = z + k * (k1 + 3 * (k2 + k3) + k4) / 8
    return z


def advance(field: VectorField, z: torch.Tensor, gap: torch.Tensor, cfg: NeuralODEConfig) -> torch.Tensor:
    """z (B, d) integrated over ``gap`` (B,) units of rescaled time."""
    from torchdiffeq import odeint, odeint_adjoint

    if float(gap.max()) == 0.0:  # every member masked: nothing to integrate
        return z
    if cfg.method == "rk4" and not cfg.adjoint and _OWN_RK4:
        return _rk4(field.net, z, gap, cfg.substeps * max(1, math.ceil(float(gap.max()) - 1e-6)))
    func = _OverGap(field, gap[:, None])
    if cfg.method in _ADAPTIVE:
        grid, kw = torch.tensor([0.0, 1.0]), {"rtol": cfg.rtol, "atol": cfg.atol}
    else:
        n = cfg.substeps * max(1, math.ceil(float(gap.max()) - 1e-6))
        grid, kw = torch.linspace(0.0, 1.0, n + 1), {}
    if cfg.adjoint:
        out = odeint_adjoint(func, z, grid, method=cfg.method, adjoint_params=tuple(field.net.parameters()), **kw)
    else:
        out = odeint(func, z, grid, method=cfg.method, **kw)
    return out[-1]


def flow(field: VectorField, z0: torch.Tensor, gaps: torch.Tensor, cfg: NeuralODEConfig) -> torch.Tensor:
    """States after each of ``gaps`` (B, n) from ``z0`` (B, d); returns (B, n, d)."""
    out, z = [], z0
    for j in range(gaps.shape[1]):
        z = advance(field, z, gaps[:, j], cfg)
        out.append(z)
    return torch.stack(out, dim=1)


def rollout(model, last: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """Deterministic flow of ``model.module_`` from ``last`` (B, d) over the time gaps (n,); (B, n, d).
    Shared by the neural ODE and the neural SDE's drift (its noise-free path)."""
    f = model.module_
    mean, std = f.mean.double().numpy(), f.std.double().numpy()
    tau = float(f.time_scale[0])
    z = torch.as_tensor((last - mean) / std, dtype=torch.float32)
    out = []
    with torch.no_grad():
        for g in gaps:
            z = advance(f, z, torch.full((len(z),), g / tau), model.config)
            out.append(z.double().numpy())
    return np.stack(out, axis=1) * std + mean


def fit_time_scales(model, module, trajectories, forecast_dt):
    """Fit-time scales of a continuous-time module, shared by the neural ODE, CDE and SDE:
    the module normalises states by the data's mean and std (a constant coordinate keeps
    std 1) and time by the mean sampling step ``tau``; ``model.forecast_dt_`` is
    ``forecast_dt``, else the common step of uniformly sampled data, else ``tau``.
    Returns ``(mean, std, tau)``."""
    steps = np.concatenate([np.diff(t.times) for t in trajectories])
    states = np.concatenate([t.states for t in trajectories])
    tau = float(steps.mean())
    mean, std = states.mean(0), states.std(0)
    std = np.where(std > 1e-12 * np.maximum(1.0, np.abs(mean)), std, 1.0)
    module.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
    module.std.copy_(torch.as_tensor(std, dtype=torch.float32))
    module.time_scale.fill_(tau)
    uniform = {round(t.dt, 12) for t in trajectories if t.dt is not None}
    all_uniform = len(uniform) == 1 and all(t.dt is not None for t in trajectories)
    model.forecast_dt_ = forecast_dt or (trajectories[0].dt if all_uniform else tau)
    return mean, std, tau


def _shooting_data(trajectories, cfg: NeuralODEConfig, mean, std, tau):
    """Shooting segments as tensors: standardised states ``(n, L, d)``, gaps in units of ``tau``
    ``(n, L-1)`` (0 where masked), the mask of observations within ``max_span`` of the segment's
    start, and each segment's cost (solver steps over its longest gap)."""
    from dynlearn.training.shooting import segments

    seg = segments(trajectories, cfg.window, stride=cfg.stride)
    times, states = seg.times, seg.states
    mask = np.ones(times[:, 1:].shape, dtype=bool)
    if cfg.max_span is not None:
        mask = (times[:, 1:] - times[:, :1]) <= cfg.max_span * (1 + 1e-9)
        keep = mask[:, 0]
        if not keep.any():
            raise ValidationError(
                f"max_span={cfg.max_span} is shorter than every gap between observations; use a larger max_span or None"
            )
        times, states, mask = times[keep], states[keep], mask[keep]
    gaps = np.diff(times, axis=1) / tau * mask
    cost = cfg.substeps * np.maximum(1, np.ceil(gaps.max(axis=1) - 1e-6))
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    return as_t((states - mean) / std), as_t(gaps), as_t(mask), as_t(cost)


def _masked_shooting_loss(field, z, gaps, mask, cfg) -> torch.Tensor:
    """Mean squared error of the segments' rollouts from their first states, over the
    observations the mask keeps (:func:`dynlearn.training.shooting.shooting_loss` with a mask)."""
    pred = flow(field, z[:, 0], gaps, cfg)
    err = ((pred - z[:, 1:]) ** 2).mean(-1)
    return (err * mask).sum() / mask.sum().clamp(min=1.0)


@register("neural_ode")
class NeuralODE(TorchModel):
    """Neural ODE dx/dt = f_θ(x) (MLP vector field, torchdiffeq solver), trained by
    multiple shooting on short segments; accepts irregularly sampled data."""

    Config = NeuralODEConfig
    capabilities = Capabilities(continuous_time=True, needs_uniform_sampling=False)

    @property
    def min_train_length(self) -> int:
        return self.config.window

    def _build(self):
        c = self.config
        return VectorField(self.dim_, c.hidden, c.layers, c.activation)

    def _fit(self, trajectories):
        from dynlearn.models._epochs import bucketed_batches, train_epochs
        from dynlearn.training.early_stopping import holdout_tail  # models import training lazily

        cfg = self.config
        field = self._init_module(trajectories[0].dim)
        fit_on, held = trajectories, []
        if cfg.val_fraction:
            fit_on, held = holdout_tail(trajectories, cfg.val_fraction, cfg.window)
        scales = fit_time_scales(self, field, fit_on, cfg.forecast_dt)
        z, gaps, mask, cost = _shooting_data(fit_on, cfg, *scales)

        def loss_of(idx):
            return _masked_shooting_loss(field, z[idx], gaps[idx], mask[idx], cfg)

        val_loss = None
        if held:
            vz, vg, vm, vc = _shooting_data(held, cfg, *scales)
            order = torch.argsort(vc)
            chunks = [order[i : i + 4 * cfg.batch_size] for i in range(0, len(order), 4 * cfg.batch_size)]

            def val_loss():
                total = sum(float(_masked_shooting_loss(field, vz[i], vg[i], vm[i], cfg)) * float(vm[i].sum())
                            for i in chunks)  # fmt: skip
                return total / float(vm.sum())

        batches = (lambda gen: bucketed_batches(cost, cfg.batch_size, gen)) if _BUCKETS else None
        train_epochs(self, field, len(z), loss_of, val_loss=val_loss, batches=batches)

    def _rollout(self, last: np.ndarray, gaps: np.ndarray) -> np.ndarray:
        """From ``last`` (B, d) over the time gaps (n,) shared by the batch; (B, n, d)."""
        return rollout(self, last, gaps)

    def _predict(self, context, horizon):
        return self._rollout(context[:, -1], np.full(horizon, self.forecast_dt_))

    def _vector_field(self, states):
        # dx/dt = σ ⊙ g_θ((x − μ)/σ) / τ
        f = self.module_
        mean, std = f.mean.double().numpy(), f.std.double().numpy()
        z = torch.as_tensor((states - mean) / std, dtype=torch.float32)
        with torch.no_grad():
            g = f.net(z).double().numpy()
        return g * std / float(f.time_scale[0])

    def predict_at(self, context_times, context, times) -> np.ndarray:
        """Forecast at arbitrary times after the context.

        ``context_times (time,)``: times of the context states, strictly increasing;
        ``context``: ``(time, dim)`` or ``(batch, time, dim)`` (or a Trajectory, whose
        own times are then used if ``context_times`` is None); ``times (n,)``:
        strictly increasing, all after ``context_times[-1]``. Returns ``(n, dim)``
        or ``(batch, n, dim)``: the solution of the learned ODE from the last
        context state.
        """
        if not self.is_fitted:
            raise NotFittedError(f"{self.name} is not fitted yet; call fit(...) or load a saved model first")
        if isinstance(context, Trajectory):
            context_times = context.times if context_times is None else context_times
            context = context.states
        ctx = check_array(context, "context", ndim=(2, 3))
        ct = check_array(context_times, "context_times", ndim=1)
        ts = check_array(times, "times", ndim=1)
        if len(ct) != ctx.shape[-2]:
            raise ValidationError(f"context_times has {len(ct)} entries but the context has {ctx.shape[-2]} steps")
        if ctx.shape[-1] != self.dim_:
            raise ValidationError(
                f"context has dimension {ctx.shape[-1]} but the model was fitted on dimension {self.dim_}"
            )
        if len(ct) == 0:
            raise ValidationError("predict_at needs a context of at least 1 step")
        full = np.concatenate([ct[-1:], ts])
        if np.any(np.diff(full) <= 0):
            raise ValidationError(
                "times must be strictly increasing and later than the last context time "
                f"({float(ct[-1])!r}); sort them and drop duplicates"
            )
        single = ctx.ndim == 2
        ctx3 = ctx[None] if single else ctx
        if len(ts) == 0:
            out = np.empty((len(ctx3), 0, self.dim_))
        else:
            out = self._rollout(ctx3[:, -1], np.diff(full))
        return out[0] if single else out

    def _get_meta(self) -> dict[str, Any]:
        return {"forecast_dt": self.forecast_dt_, "train_loss": getattr(self, "train_loss_", None)}

    def _set_meta(self, meta: dict[str, Any]) -> None:
        self.forecast_dt_ = float(meta["forecast_dt"])
        self.train_loss_ = meta.get("train_loss")

    @classmethod
    def conformance_config(cls):
        return {"hidden": 16, "layers": 1, "window": 4, "epochs": 1, "batch_size": 128, "stride": 3}
