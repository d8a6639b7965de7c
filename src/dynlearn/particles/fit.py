"""Fitting a constitutive law through the simulator: backpropagation of a position loss through MPM steps.

The learning problem of NCLaw (Ma et al. 2023): the motion of a body is observed, its material law is
not; the law's weights are optimised so that the differentiable simulator (:class:`~dynlearn.particles.mpm.MPM`)
run with the law reproduces the observed positions. :func:`fit_law` does it on windows: each optimiser
step picks a random saved frame ``t`` of the observed trajectory, starts the simulator from the state at
``t``, runs ``window`` saved frames (``window * every`` simulator steps) with the law, and minimises the
mean squared distance to the observed positions of frames ``t+1 .. t+window`` (in units of the grid
spacing squared), by Adam with a cosine-decayed learning rate and gradient-norm clipping.

Where the starting state comes from, i.e. what is treated as observed:

- a :class:`Trajectory` (from :func:`record`): the simulator's **full state** at every saved frame
  (positions, velocities, the APIC matrix ``C`` and the deformation gradient ``F``), as the paper's
  teacher-forced training uses it. The simplest honest setting for synthetic data: the state was recorded
  while simulating the ground truth with the analytic law; only positions enter the loss.
- positions only (a :class:`~dynlearn.particles.Particles` or a tensor ``(B, T, P, 2)``): the state is
  *estimated* from the positions (:func:`observed_state`): velocities by central differences of frames,
  ``F`` by a local least-squares fit of the deformation from frame 0 (taken as the undeformed rest shape)
  over each particle's nearest neighbours, and ``C`` by a least-squares fit of the velocity field around
  each particle. This is only right for elastic bodies that start at rest shape (a plastic body's elastic
  ``F`` cannot be seen in positions); the mismatch at window starts is part of what the law then absorbs.

The simulator runs with ``check=False`` inside a fit (a law in training may pass through stiffer states
than its time step allows; such windows produce a non-finite loss and are skipped and counted, not
applied). Same seed, same windows, same numbers.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from dynlearn.errors import ValidationError


@dataclasses.dataclass
class Trajectory:
    """Full MPM states of ``B`` scenes at ``T`` saved frames, ``every`` simulator steps of ``dt`` apart.

    ``x, v (B, T, P, 2)``, ``C, F (B, T, P, 2, 2)``, ``mass, volume (B, P)``."""

    x: torch.Tensor
    v: torch.Tensor
    C: torch.Tensor
    F: torch.Tensor
    mass: torch.Tensor
    volume: torch.Tensor
    every: int
    dt: float

    @property
    def frames(self) -> int:
        return self.x.shape[1]

    @property
    def frame_dt(self) -> float:
        """Time between saved frames (s)."""
        return self.every * self.dt

    def state(self, t: int, scenes=None):
        """The :class:`~dynlearn.particles.mpm.MPMState` at saved frame ``t`` (of the scenes ``scenes``)."""
        from dynlearn.particles.mpm import MPMState

        s = slice(None) if scenes is None else scenes
        return MPMState(
            x=self.x[s, t], v=self.v[s, t], C=self.C[s, t], F=self.F[s, t], mass=self.mass[s], volume=self.volume[s]
        )

    def to_particles(self, *, domain=None, params: dict[str, Any] | None = None, meta: dict[str, Any] | None = None):
        """The positions as a :class:`~dynlearn.particles.Particles` (what a graph network trains on)."""
        from dynlearn.particles import Particles

        times = np.arange(self.frames) * self.frame_dt
        return Particles(
            positions=self.x.detach().cpu().numpy(),
            times=times,
            domain=domain,
            params=dict(params or {}),
            meta=dict(meta or {}),
        )


def record(sim, law, state, *, frames: int, every: int) -> Trajectory:
    """Simulate ``(frames - 1) * every`` steps from ``state`` with ``law`` (no gradient) and keep the
    full state every ``every`` steps (the initial one included): the ground truth a law is fitted to."""
    frames, every = int(frames), int(every)
    if frames < 2 or every < 1:
        raise ValidationError(f"record needs frames >= 2 and every >= 1, got {frames}, {every}")
    keep = {k: [getattr(state, k)] for k in ("x", "v", "C", "F")}
    with torch.no_grad():
        sim.check_dt(law, (state.mass / state.volume).min())
        for k in range(1, (frames - 1) * every + 1):
            state = sim.step(state, law, check=False)
            if k % every == 0:
                if not torch.isfinite(state.x).all():
                    from dynlearn.errors import DivergenceError

                    raise DivergenceError(f"the ground-truth simulation diverged at step {k}; lower dt")
                for name in keep:
                    keep[name].append(getattr(state, name))
    stacked = {k: torch.stack(v, dim=1).detach() for k, v in keep.items()}
    return Trajectory(**stacked, mass=state.mass.detach(), volume=state.volume.detach(), every=every, dt=float(sim.dt))


# -- the state from positions only -------------------------------------------------------------------
def _neighbours(ref: torch.Tensor, k: int) -> torch.Tensor:
    """Indices ``(B, P, k)`` of each particle's ``k`` nearest others in the reference positions."""
    d = torch.cdist(ref, ref)
    d.diagonal(dim1=-2, dim2=-1).fill_(math.inf)
    return d.topk(k, dim=-1, largest=False).indices


def _gather(a: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """``a (B, P, 2)`` at ``idx (B, P, k)`` -> ``(B, P, k, 2)``."""
    b, p, k = idx.shape
    return torch.gather(a, 1, idx.reshape(b, p * k, 1).expand(b, p * k, a.shape[-1])).reshape(b, p, k, -1)


def _lstsq_gradient(dx_ref: torch.Tensor, dy: torch.Tensor) -> torch.Tensor:
    """The 2 x 2 ``G`` minimising ``sum_j |dy_j - G dx_ref_j|^2``: ``(sum dy dx^T)(sum dx dx^T)^-1``."""
    A = torch.einsum("bpki,bpkj->bpij", dy, dx_ref)
    D = torch.einsum("bpki,bpkj->bpij", dx_ref, dx_ref)
    eps = 1e-9 * D.diagonal(dim1=-2, dim2=-1).sum(-1)[..., None, None] * torch.eye(2, dtype=D.dtype)
    return A @ torch.linalg.inv(D + eps)


def observed_state(positions: torch.Tensor, t: int, frame_dt: float, mass, volume, *, neighbours: int = 8):
    """The MPM state at frame ``t`` estimated from positions ``(B, T, P, 2)`` alone (see the module doc):
    ``v`` by central differences (one-sided at the ends), ``F`` by least squares against frame 0 as the
    rest shape, ``C`` by least squares of the velocity differences over the same ``neighbours`` nearest
    particles of frame 0 (found by a dense distance matrix: O(P^2) memory, fine for the few thousand
    particles a fit simulates)."""
    from dynlearn.particles.mpm import MPMState

    x = positions
    T = x.shape[1]
    if T < 2:
        raise ValidationError("a positions-only trajectory needs at least two frames to estimate velocities")
    lo, hi = max(t - 1, 0), min(t + 1, T - 1)
    v = (x[:, hi] - x[:, lo]) / ((hi - lo) * frame_dt)
    idx = _neighbours(x[:, 0], min(neighbours, x.shape[2] - 1))
    ref_d = _gather(x[:, 0], idx) - x[:, 0, :, None, :]
    cur = x[:, t]
    cur_d = _gather(cur, idx) - cur[:, :, None, :]
    F = _lstsq_gradient(ref_d, cur_d)
    vel_d = _gather(v, idx) - v[:, :, None, :]
    C = _lstsq_gradient(cur_d, vel_d)
    return MPMState(x=cur, v=v, C=C, F=F, mass=mass, volume=volume)


# -- the fit -----------------------------------------------------------------------------------------
@dataclasses.dataclass
class FitResult:
    """``history``: one dict per optimiser step (``step``, ``loss``, ``start``, ``lr``, ``seconds``);
    ``skipped``: windows whose loss was not finite (not applied)."""

    history: list[dict[str, float]]
    skipped: int
    seconds: float

    @property
    def final_loss(self) -> float:
        tail = [h["loss"] for h in self.history[-max(1, len(self.history) // 10) :] if math.isfinite(h["loss"])]
        return float(np.mean(tail)) if tail else math.nan


def window_loss(
    sim, law, data, start: int, window: int, *, every: int | None = None, scenes=None, density: float = 1e3
) -> torch.Tensor:
    """The mean squared position error (in units of ``dx^2``) of ``window`` saved frames simulated with
    ``law`` from the observed state at frame ``start`` (differentiable w.r.t. the law)."""
    traj, positions, every, mass, volume, frame_dt = _unpack(sim, data, every, density)
    s = slice(None) if scenes is None else scenes
    T = positions.shape[1]
    if not (0 <= int(start) and int(start) + int(window) < T and int(window) >= 1):
        raise ValidationError(
            f"a window of {window} frames from frame {start} needs frames up to {int(start) + int(window)}; "
            f"the trajectory has {T} (0 to {T - 1})"
        )
    if traj is not None:
        state = traj.state(start, s)
    else:
        state = observed_state(positions[s], start, frame_dt, mass[s], volume[s])
    target = (traj.x if traj is not None else positions)[s, start + 1 : start + window + 1]
    preds = []
    for k in range(1, window * every + 1):
        state = sim.step(state, law, check=False)
        if k % every == 0:
            preds.append(state.x)
    pred = torch.stack(preds, dim=1)
    return ((pred - target.to(pred.dtype)) ** 2).sum(-1).mean() / sim.dx**2


def _unpack(sim, data, every, density=1e3):
    """(trajectory or None, positions (B, T, P, 2), every, mass, volume, frame dt) of the data."""
    from dynlearn.particles import Particles

    if isinstance(data, Trajectory):
        if abs(data.dt - sim.dt) > 1e-12 * sim.dt:
            raise ValidationError(
                f"the trajectory was recorded with dt = {data.dt:g}, the simulator steps {sim.dt:g}; use the same dt"
            )
        return data, data.x, data.every, data.mass, data.volume, data.frame_dt
    if isinstance(data, Particles):
        positions = torch.as_tensor(data.positions, dtype=torch.get_default_dtype())
        frame_dt = data.dt
        if every is None:
            every = round(frame_dt / sim.dt)
            if every < 1 or abs(every * sim.dt - frame_dt) > 1e-6 * frame_dt:
                raise ValidationError(
                    f"the frames are {frame_dt:g} s apart, not a whole number of simulator steps of {sim.dt:g} s; "
                    "simulate with a dt that divides the frame spacing"
                )
    elif isinstance(data, torch.Tensor):
        positions = data
        if every is None:
            raise ValidationError("positions given as a tensor need every= (simulator steps between frames)")
        frame_dt = int(every) * sim.dt
    else:
        raise ValidationError(
            f"data must be a fit.Trajectory, a Particles or a tensor (B, T, P, 2), got {type(data).__name__}"
        )
    if positions.ndim != 4 or positions.shape[-1] != 2:
        raise ValidationError(f"positions must have shape (B, T, P, 2), got {tuple(positions.shape)}")
    init = sim.init(positions[:, 0], density=density)  # the simulator's default particle volume
    return None, positions, int(every), init.mass, init.volume, frame_dt


def fit_law(
    sim,
    law,
    data,
    *,
    window: int = 4,
    steps: int = 200,
    lr: float = 3e-3,
    seed: int = 0,
    clip: float = 1.0,
    every: int | None = None,
    density: float = 1e3,
    lr_final: float = 0.1,
    progress: Callable[[str], None] | None = None,
) -> FitResult:
    """Optimise ``law``'s weights in place so the simulator reproduces ``data`` (see the module doc).

    Parameters
    ----------
    sim : the :class:`~dynlearn.particles.mpm.MPM` (its ``dt`` must match the data's).
    law : a law with trainable parameters (e.g. ``nclaw``, ``mlp_stress``).
    data : a :class:`Trajectory` (full states), or positions only: a
        :class:`~dynlearn.particles.Particles` or a tensor ``(B, T, P, 2)`` (then ``every`` is needed).
    window : saved frames simulated per optimiser step (``window * every`` simulator steps of backprop).
    steps : optimiser steps. ``lr``: Adam's initial rate, decayed by a cosine to ``lr * lr_final``.
    clip : the gradient-norm clip. ``density``: kg/m^2 for positions-only data.
    progress : called with a line of text every tenth of the steps.
    """
    params = [p for p in law.parameters() if p.requires_grad]
    if not params:
        raise ValidationError(f"the law {getattr(law, 'name', type(law).__name__)!r} has no trainable parameters")
    if int(window) < 1 or int(steps) < 1 or not lr > 0 or not clip > 0:
        raise ValidationError(f"window and steps must be >= 1 and lr, clip > 0, got {window}, {steps}, {lr}, {clip}")
    traj, positions, every, *_ = _unpack(sim, data, every, density)
    T = positions.shape[1]
    window = int(window)
    if T < window + 1:
        raise ValidationError(f"the trajectory has {T} frames: a window of {window} needs at least {window + 1}")
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    opt = torch.optim.Adam(params, lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: lr_final + (1 - lr_final) * 0.5 * (1 + math.cos(math.pi * min(k, steps) / steps))
    )
    history: list[dict[str, float]] = []
    skipped = 0
    t0 = time.perf_counter()
    for k in range(int(steps)):
        start = int(rng.integers(0, T - window))
        loss = window_loss(
            sim, law, traj if traj is not None else positions, start, window, every=every, density=density
        )
        value = float(loss.detach())
        opt.zero_grad()
        if math.isfinite(value):
            loss.backward()
            grads_ok = all(p.grad is None or torch.isfinite(p.grad).all() for p in params)
            if grads_ok:
                torch.nn.utils.clip_grad_norm_(params, clip)
                opt.step()
            else:
                skipped += 1
        else:
            skipped += 1
        sched.step()
        history.append(
            {
                "step": k,
                "loss": value,
                "start": start,
                "lr": opt.param_groups[0]["lr"],
                "seconds": time.perf_counter() - t0,
            }
        )
        if progress is not None and (k + 1) % max(1, steps // 10) == 0:
            recent = [h["loss"] for h in history[-max(1, steps // 10) :] if math.isfinite(h["loss"])]
            progress(
                f"fit {getattr(law, 'name', '?')}: step {k + 1}/{steps}, "
                f"loss {np.mean(recent) if recent else math.nan:.4g}"
            )
    return FitResult(history=history, skipped=skipped, seconds=time.perf_counter() - t0)


__all__ = ["FitResult", "Trajectory", "fit_law", "observed_state", "record", "window_loss"]
