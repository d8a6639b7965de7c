"""The protocol of particle models: one learned step ``(window of positions, kinds, params) -> next positions``.

A particle model is a ``torch.nn.Module`` that maps the last ``spec.history + 1`` positions of every
particle, ``window (B, H+1, P, d)``, with the particle types ``kind (B, P)`` and the scene's physical
parameters ``params (B, n_params)``, to the next positions ``(B, P, d)``, as graph-network simulators
(Sanchez-Gonzalez et al. 2020) do. Everything a trainer or a benchmark needs follows from that step:
:meth:`ParticleModel.rollout` applies it autoregressively, :meth:`ParticleModel.save` /
:func:`load_particle_model` persist it (``model.json`` + ``weights.safetensors``, never pickle).

Units: ``forward`` takes and returns positions in physical units. Velocities and accelerations are
per frame (``x[t] - x[t-1]`` and the second difference), so ``dt`` never enters a model. The model
keeps the statistics of the training data (:meth:`ParticleModel.set_normalization`, saved with the
weights); a subclass writes only :meth:`ParticleModel.step`, which sees the window and its
*standardised* velocities and returns the *standardised* acceleration. The base integrates it
(semi-implicit Euler, ``v' = v + a``, ``x' = x + v'``), so the zero network is the constant-velocity
extrapolation, and clamps the result into the spec's domain (the walls of the simulators).

Register a model with :func:`register_particle_model`; :func:`build_particle_model` builds one by name
for a :class:`ParticleSpec`. The conformance suite (``tests/conformance/test_conformance_particles.py``)
checks every registered name.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch

from dynlearn.config import build_config
from dynlearn.errors import ValidationError
from dynlearn.io_utils import load_weights, read_weights_header, save_weights
from dynlearn.registry import Registry

FORMAT = "dynlearn.particle_model"
FORMAT_VERSION = 1

PARTICLE_MODELS: Registry[type[ParticleModel]] = Registry("particle model")


def register_particle_model(name: str):
    """Class decorator: ``@register_particle_model("gns")`` makes the model buildable by name."""
    return PARTICLE_MODELS.register_class(name)


@dataclasses.dataclass(frozen=True)
class ParticleSpec:
    """What a model's input looks like: built from data with :meth:`from_particles`.

    ``history`` is the number of past velocities the model sees (the window holds ``history + 1``
    positions); ``n_kinds`` the number of particle types; ``domain`` the box ``(lo, hi)``."""

    dim: int
    domain: tuple[tuple[float, ...], tuple[float, ...]]
    history: int = 5
    n_kinds: int = 1
    n_params: int = 0

    def __post_init__(self) -> None:
        lo, hi = (tuple(float(v) for v in b) for b in self.domain)
        object.__setattr__(self, "domain", (lo, hi))
        if self.dim not in (2, 3) or len(lo) != self.dim or len(hi) != self.dim or any(b <= a for a, b in zip(lo, hi)):
            raise ValidationError(f"a particle model works in 2 or 3 dimensions inside a box lo < hi, got {self}")
        if self.history < 1 or self.n_kinds < 1 or self.n_params < 0:
            raise ValidationError(f"history and n_kinds must be >= 1 and n_params >= 0: {self}")

    @property
    def window(self) -> int:
        """Positions per input window (``history + 1``)."""
        return self.history + 1

    @classmethod
    def from_particles(
        cls, particles: Any, *, history: int = 5, params: tuple[str, ...] | None = None, n_kinds: int | None = None
    ) -> ParticleSpec:
        """The spec of a :class:`~dynlearn.particles.Particles` dataset (``params``: which of its
        parameters, in order; all of them, sorted, by default)."""
        names = tuple(sorted(particles.params)) if params is None else tuple(params)
        missing = [p for p in names if p not in particles.params]
        if missing:
            raise ValidationError(f"the dataset has no parameter {missing[0]!r}; it has {sorted(particles.params)}")
        kinds = int(particles.kind.max()) + 1 if n_kinds is None else int(n_kinds)
        return cls(dim=particles.dim, domain=particles.domain, history=history, n_kinds=kinds, n_params=len(names))

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["domain"] = [list(self.domain[0]), list(self.domain[1])]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ParticleSpec:
        d = dict(d)
        d["domain"] = (tuple(d["domain"][0]), tuple(d["domain"][1]))
        return cls(**d)


@dataclasses.dataclass
class ParticleModelConfig:
    """Hyper-parameters shared by every particle model; a model's own config subclasses this."""

    clamp: bool = True


class ParticleModel(torch.nn.Module):
    """Base of the particle models (see the module doc). Subclasses set ``Config`` and write ``step``."""

    name: ClassVar[str] = "?"
    Config: ClassVar[type] = ParticleModelConfig

    def __init__(self, spec: ParticleSpec, config: Any = None, *, seed: int = 0, **overrides: Any):
        super().__init__()
        self.spec = spec
        self.config = build_config(self.Config, config, overrides)
        self.seed = int(seed)
        d, p = spec.dim, max(spec.n_params, 1)
        self.register_buffer("vel_mean", torch.zeros(d, dtype=torch.float32))
        self.register_buffer("vel_std", torch.ones(d, dtype=torch.float32))
        self.register_buffer("acc_mean", torch.zeros(d, dtype=torch.float32))
        self.register_buffer("acc_std", torch.ones(d, dtype=torch.float32))
        self.register_buffer("param_mean", torch.zeros(p, dtype=torch.float32))
        self.register_buffer("param_std", torch.ones(p, dtype=torch.float32))
        torch.manual_seed(self.seed)  # subclasses build their layers after this, reproducibly

    # -- the one thing a subclass writes ----------------------------------------------------
    def step(
        self, window: torch.Tensor, velocities: torch.Tensor, kind: torch.Tensor, p: torch.Tensor | None
    ) -> torch.Tensor:
        """``window (B, H+1, P, d)`` in physical units, its standardised per-frame ``velocities
        (B, H, P, d)``, ``kind (B, P)`` (long), standardised ``p (B, n_params)`` or None -> the
        standardised acceleration ``(B, P, d)``."""
        raise NotImplementedError

    # -- normalisation ----------------------------------------------------------------------
    def set_normalization(self, vel_mean, vel_std, acc_mean, acc_std, param_mean=None, param_std=None):
        """Per-axis statistics of per-frame velocities and accelerations (and of the parameters)."""
        for buf, value in (
            ("vel_mean", vel_mean),
            ("vel_std", vel_std),
            ("acc_mean", acc_mean),
            ("acc_std", acc_std),
            ("param_mean", param_mean),
            ("param_std", param_std),
        ):
            if value is None:
                continue
            t = torch.as_tensor(np.asarray(value, dtype=np.float32)).reshape(-1)
            if t.shape != getattr(self, buf).shape:
                raise ValidationError(f"{buf} needs {getattr(self, buf).numel()} values, got {t.numel()}")
            if buf.endswith("std"):
                t = torch.where(t > 0, t, torch.ones_like(t))
            getattr(self, buf).copy_(t)
        return self

    def fit_normalization(self, datasets, *, params: tuple[str, ...] | None = None, noise_std: float = 0.0):
        """Set the statistics from one or more :class:`~dynlearn.particles.Particles` datasets.

        ``noise_std`` (per-frame velocity noise the trainer will inject) is added in quadrature to the
        acceleration scale, as GNS does, so targets stay of order one."""
        datasets = [datasets] if not isinstance(datasets, (list, tuple)) else list(datasets)
        vel = np.concatenate([np.diff(d.positions, axis=1).reshape(-1, self.spec.dim) for d in datasets])
        acc = np.concatenate([np.diff(d.positions, n=2, axis=1).reshape(-1, self.spec.dim) for d in datasets])
        acc_std = np.sqrt(acc.std(0) ** 2 + float(noise_std) ** 2)
        pm = ps = None
        if self.spec.n_params:
            names = tuple(sorted(datasets[0].params)) if params is None else tuple(params)
            pv = np.stack([np.concatenate([d.params[n] for d in datasets]) for n in names], axis=1)
            pm, ps = pv.mean(0), pv.std(0)
        return self.set_normalization(vel.mean(0), vel.std(0), acc.mean(0), acc_std, pm, ps)

    # -- the public step --------------------------------------------------------------------
    def _check(self, window: torch.Tensor, kind, params) -> None:
        s = self.spec
        if window.ndim != 4 or window.shape[1] != s.window or window.shape[3] != s.dim:
            raise ValidationError(
                f"window must have shape (B, {s.window}, P, {s.dim}) (history {s.history} + 1 positions), "
                f"got {tuple(window.shape)}"
            )
        b, _, n, _ = window.shape
        if kind is not None and tuple(kind.shape) != (b, n):
            raise ValidationError(f"kind must have shape (B, P) = ({b}, {n}), got {tuple(kind.shape)}")
        if kind is not None and kind.numel() and int(kind.max()) >= s.n_kinds:
            raise ValidationError(f"{self.name} was built for {s.n_kinds} particle kinds, got id {int(kind.max())}")
        if s.n_params and (params is None or tuple(params.shape) != (b, s.n_params)):
            got = None if params is None else tuple(params.shape)
            raise ValidationError(
                f"{self.name} was built for {s.n_params} parameters per scene: pass params of shape "
                f"({b}, {s.n_params}), got {got}"
            )

    def acceleration(self, window: torch.Tensor, kind=None, params=None) -> torch.Tensor:
        """The standardised acceleration the model predicts for ``window`` (what a trainer regresses)."""
        self._check(window, kind, params)
        window = window.to(self.vel_std.dtype)
        b, _, n, _ = window.shape
        kind = torch.zeros(b, n, dtype=torch.long) if kind is None else kind.long()
        vel = (window[:, 1:] - window[:, :-1] - self.vel_mean) / self.vel_std
        p = (params.to(window.dtype) - self.param_mean) / self.param_std if self.spec.n_params else None
        return self.step(window, vel, kind, p)

    def forward(self, window: torch.Tensor, kind=None, params=None) -> torch.Tensor:
        """The next positions ``(B, P, d)`` in physical units."""
        acc = self.acceleration(window, kind, params) * self.acc_std + self.acc_mean
        last = window[:, -1].to(acc.dtype)
        nxt = last + (last - window[:, -2].to(acc.dtype)) + acc
        if self.config.clamp:
            lo, hi = (torch.tensor(b, dtype=nxt.dtype) for b in self.spec.domain)
            nxt = torch.maximum(torch.minimum(nxt, hi), lo)
        return nxt

    def rollout(self, window: torch.Tensor, kind=None, params=None, *, steps: int) -> torch.Tensor:
        """``steps`` autoregressive steps from ``window``: ``(B, steps, P, d)``."""
        if int(steps) < 1:
            raise ValidationError(f"steps must be >= 1, got {steps}")
        frames = []
        for _ in range(int(steps)):
            nxt = self(window, kind, params)
            frames.append(nxt)
            window = torch.cat([window[:, 1:], nxt[:, None]], dim=1)
        return torch.stack(frames, dim=1)

    def n_parameters(self) -> int:
        """Trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    @classmethod
    def conformance_config(cls) -> dict[str, Any]:
        """A small configuration for the conformance suite (fast on CPU)."""
        return {}

    # -- persistence -----------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write ``model.json`` and ``weights.safetensors`` into the directory ``path``."""
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "name": self.name,
            "spec": self.spec.to_json(),
            "config": dataclasses.asdict(self.config),
            "seed": self.seed,
        }
        return save_weights(path, self, meta)


def build_particle_model(name: str, spec: ParticleSpec, *, seed: int = 0, **config: Any) -> ParticleModel:
    """The registered particle model ``name`` for ``spec`` (unknown names list the registered ones)."""
    return PARTICLE_MODELS.get(name)(spec, config, seed=seed)


def load_particle_model(path: str | os.PathLike) -> ParticleModel:
    """Load a model written by :meth:`ParticleModel.save`; another format, version or a damaged file is refused."""
    meta = read_weights_header(path, format=FORMAT, version=FORMAT_VERSION, what="particle model")
    spec = ParticleSpec.from_json(meta["spec"])
    model = PARTICLE_MODELS.get(meta["name"])(spec, meta["config"], seed=int(meta.get("seed", 0)))
    return load_weights(path, model, what="particle model").eval()


@register_particle_model("constant_velocity")
class ConstantVelocity(ParticleModel):
    """The baseline every learned simulator must beat: each particle keeps its last velocity (zero
    acceleration). It has no trainable parameters."""

    def step(self, window, velocities, kind, p):
        return torch.zeros_like(window[:, -1]) - self.acc_mean / self.acc_std


__all__ = [
    "PARTICLE_MODELS",
    "ConstantVelocity",
    "ParticleModel",
    "ParticleModelConfig",
    "ParticleSpec",
    "build_particle_model",
    "load_particle_model",
    "register_particle_model",
]
