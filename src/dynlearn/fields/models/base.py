"""The protocol of field models: one learned step ``(history, params, mask) -> next frame``.

A field model is a ``torch.nn.Module`` that maps the last ``spec.history`` frames of a field,
``history (B, Th, C, *space)``, with the trajectory's physical parameters ``params (B, P)`` and,
where the data has obstacles, its mask ``mask (B, *space)`` (``True`` = solid), to the next frame
``(B, C, *space)``. Everything a trainer or a benchmark needs follows from that one step:
:meth:`FieldModel.rollout` applies it autoregressively, :meth:`FieldModel.save` /
:func:`load_field_model` persist it (``model.json`` + ``weights.safetensors``, never pickle).

Units: ``forward`` takes and returns physical units. The model keeps the per-channel and
per-parameter statistics it was trained with (:meth:`FieldModel.set_normalization`, saved with the
weights) and subclasses only write :meth:`FieldModel.step`, which sees standardised inputs
``x (B, Th*C [+1 mask channel], *space)`` and ``p (B, P)`` and returns the standardised next frame,
or its increment over the last frame when the config says ``residual=True`` (the default: the
identity map is then the zero network, which is how PDE surrogates are usually trained).

Register a model with :func:`register_field_model`; :func:`build_field_model` builds one by name
for a :class:`FieldSpec`. The conformance suite (``tests/conformance/test_conformance_fields.py``)
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

FORMAT = "dynlearn.field_model"
FORMAT_VERSION = 1

FIELD_MODELS: Registry[type[FieldModel]] = Registry("field model")


def register_field_model(name: str):
    """Class decorator: ``@register_field_model("unet")`` makes the model buildable by name."""
    return FIELD_MODELS.register_class(name)


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    """What a model's input and output look like: built from data with :meth:`from_fields`."""

    channels: int
    space: tuple[int, ...]
    history: int = 1
    n_params: int = 0
    periodic: tuple[bool, ...] | None = None
    mask: bool = False

    def __post_init__(self) -> None:
        space = tuple(int(n) for n in self.space)
        object.__setattr__(self, "space", space)
        periodic = tuple(bool(p) for p in (self.periodic if self.periodic is not None else (True,) * len(space)))
        object.__setattr__(self, "periodic", periodic)
        if len(space) not in (1, 2) or len(periodic) != len(space):
            raise ValidationError(f"a field model works on 1 or 2 spatial axes with one periodic flag each, got {self}")
        if self.channels < 1 or self.history < 1 or self.n_params < 0 or any(n < 2 for n in space):
            raise ValidationError(f"channels and history must be >= 1, n_params >= 0, every axis >= 2 points: {self}")

    @property
    def in_channels(self) -> int:
        """Channels of the stacked input that :meth:`FieldModel.step` sees."""
        return self.history * self.channels + int(self.mask)

    @classmethod
    def from_fields(cls, fields: Any, *, history: int = 1, params: tuple[str, ...] | None = None) -> FieldSpec:
        """The spec of a :class:`~dynlearn.fields.Fields` dataset (``params``: which of its parameters, in
        order; all of them, sorted, by default)."""
        names = tuple(sorted(fields.params)) if params is None else tuple(params)
        missing = [p for p in names if p not in fields.params]
        if missing:
            raise ValidationError(f"the dataset has no parameter {missing[0]!r}; it has {sorted(fields.params)}")
        return cls(
            channels=fields.values.shape[2],
            space=tuple(fields.grid.shape),
            history=history,
            n_params=len(names),
            periodic=tuple(fields.grid.periodic),
            mask=fields.mask is not None,
        )

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["space"], d["periodic"] = list(self.space), list(self.periodic)
        return d


@dataclasses.dataclass
class FieldModelConfig:
    """Hyper-parameters shared by every field model; a model's own config subclasses this."""

    residual: bool = True


class FieldModel(torch.nn.Module):
    """Base of the field models (see the module doc). Subclasses set ``Config`` and write ``step``."""

    name: ClassVar[str] = "?"
    Config: ClassVar[type] = FieldModelConfig
    #: spatial dimensions the model supports
    dims: ClassVar[tuple[int, ...]] = (1, 2)

    def __init__(self, spec: FieldSpec, config: Any = None, *, seed: int = 0, **overrides: Any):
        super().__init__()
        if len(spec.space) not in self.dims:
            raise ValidationError(
                f"{self.name} works on {' or '.join(f'{d}-D' for d in self.dims)} fields, got a {len(spec.space)}-D grid"
            )
        self.spec = spec
        self.config = build_config(self.Config, config, overrides)
        self.seed = int(seed)
        c, p = spec.channels, max(spec.n_params, 1)
        self.register_buffer("field_mean", torch.zeros(c, dtype=torch.float32))
        self.register_buffer("field_std", torch.ones(c, dtype=torch.float32))
        self.register_buffer("param_mean", torch.zeros(p, dtype=torch.float32))
        self.register_buffer("param_std", torch.ones(p, dtype=torch.float32))
        torch.manual_seed(self.seed)  # subclasses build their layers after this, reproducibly

    # -- the one thing a subclass writes ----------------------------------------------------
    def step(self, x: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        """Standardised ``x (B, in_channels, *space)``, ``p (B, P)`` or None -> ``(B, C, *space)``."""
        raise NotImplementedError

    # -- normalisation ----------------------------------------------------------------------
    def set_normalization(self, field_mean, field_std, param_mean=None, param_std=None) -> FieldModel:
        """Per-channel field statistics (and per-parameter ones) of the training data."""
        for buf, value in (
            ("field_mean", field_mean),
            ("field_std", field_std),
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

    def _shape(self, t: torch.Tensor) -> torch.Tensor:
        return t.view(1, -1, *([1] * len(self.spec.space)))

    # -- the public step --------------------------------------------------------------------
    def _check(self, history: torch.Tensor, params, mask) -> None:
        s = self.spec
        want = (s.history, s.channels, *s.space)
        if history.ndim != 3 + len(s.space) or tuple(history.shape[1:]) != want:
            raise ValidationError(
                f"history must have shape (B, {', '.join(map(str, want))}), got {tuple(history.shape)}"
            )
        if s.n_params and (params is None or tuple(params.shape) != (history.shape[0], s.n_params)):
            got = None if params is None else tuple(params.shape)
            raise ValidationError(
                f"{self.name} was built for {s.n_params} parameters per trajectory: pass params of "
                f"shape ({history.shape[0]}, {s.n_params}), got {got}"
            )
        if s.mask and (mask is None or tuple(mask.shape) != (history.shape[0], *s.space)):
            got = None if mask is None else tuple(mask.shape)
            raise ValidationError(
                f"{self.name} was built for data with obstacles: pass mask of shape "
                f"({history.shape[0]}, {', '.join(map(str, s.space))}), got {got}"
            )

    def forward(self, history: torch.Tensor, params: torch.Tensor | None = None, mask: torch.Tensor | None = None):
        """The next frame ``(B, C, *space)`` in physical units."""
        self._check(history, params, mask)
        s = self.spec
        h = (history.to(self.field_std.dtype) - self._shape(self.field_mean)[:, None]) / self._shape(self.field_std)[
            :, None
        ]
        x = h.reshape(h.shape[0], s.history * s.channels, *s.space)
        if s.mask:
            x = torch.cat([x, mask.to(x.dtype)[:, None]], dim=1)
        p = None
        if s.n_params:
            p = (params.to(x.dtype) - self.param_mean) / self.param_std
        out = self.step(x, p)
        if self.config.residual:
            out = out + h[:, -1]
        out = out * self._shape(self.field_std) + self._shape(self.field_mean)
        if s.mask:
            out = out.masked_fill(mask[:, None].bool(), 0.0)
        return out

    def rollout(self, history: torch.Tensor, params=None, mask=None, *, steps: int) -> torch.Tensor:
        """``steps`` autoregressive steps from ``history``: ``(B, steps, C, *space)``."""
        if int(steps) < 1:
            raise ValidationError(f"steps must be >= 1, got {steps}")
        window, frames = history, []
        for _ in range(int(steps)):
            nxt = self(window, params, mask)
            frames.append(nxt)
            window = torch.cat([window[:, 1:], nxt[:, None]], dim=1)
        return torch.stack(frames, dim=1)

    def n_parameters(self) -> int:
        """Trainable parameters (the count SineNet and U-Net are matched on)."""
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


def build_field_model(name: str, spec: FieldSpec, *, seed: int = 0, **config: Any) -> FieldModel:
    """The registered field model ``name`` for ``spec`` (unknown names list the registered ones)."""
    return FIELD_MODELS.get(name)(spec, config, seed=seed)


def load_field_model(path: str | os.PathLike) -> FieldModel:
    """Load a model written by :meth:`FieldModel.save`; another format, version or a damaged file is refused."""
    meta = read_weights_header(path, format=FORMAT, version=FORMAT_VERSION, what="field model")
    spec_d = dict(meta["spec"])
    spec = FieldSpec(**{**spec_d, "space": tuple(spec_d["space"]), "periodic": tuple(spec_d["periodic"])})
    model = FIELD_MODELS.get(meta["name"])(spec, meta["config"], seed=int(meta.get("seed", 0)))
    return load_weights(path, model, what="field model").eval()


@register_field_model("last_frame")
class LastFrame(FieldModel):
    """The identity baseline: the next frame is the last one (``residual`` increment zero). It has no
    trainable parameters; every learned model must beat it at one step to be worth its cost."""

    def step(self, x: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        s = self.spec
        if self.config.residual:
            return torch.zeros(x.shape[0], s.channels, *s.space, dtype=x.dtype)
        return x[:, (s.history - 1) * s.channels : s.history * s.channels]


__all__ = [
    "FIELD_MODELS",
    "FieldModel",
    "FieldModelConfig",
    "FieldSpec",
    "LastFrame",
    "build_field_model",
    "load_field_model",
    "register_field_model",
]
