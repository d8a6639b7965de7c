"""Private helpers shared by the trainer, the evaluation and the bench: a :class:`~dynlearn.fields.Fields`
as torch tensors (frames, parameters in the model's order, per-trajectory masks)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from dynlearn.errors import ValidationError


def param_names(fields: Any, spec: Any, names: tuple[str, ...] | None) -> tuple[str, ...]:
    """The parameters a model of ``spec`` reads, in order: ``names`` if given, else all of the data's
    (sorted, as :meth:`FieldSpec.from_fields` does); their number must match ``spec.n_params``."""
    chosen = tuple(sorted(fields.params)) if names is None else tuple(names)
    if spec.n_params == 0:
        return ()
    missing = [p for p in chosen if p not in fields.params]
    if missing:
        raise ValidationError(f"the dataset has no parameter {missing[0]!r}; it has {sorted(fields.params)}")
    if len(chosen) != spec.n_params:
        raise ValidationError(
            f"the model reads {spec.n_params} parameters but {len(chosen)} were chosen ({list(chosen)}); pass "
            f"params=(...) naming {spec.n_params} of {sorted(fields.params)}"
        )
    return chosen


def check_compatible(fields: Any, spec: Any) -> None:
    v = fields.values
    if v.shape[2] != spec.channels or tuple(v.shape[3:]) != tuple(spec.space):
        raise ValidationError(
            f"the data has {v.shape[2]} channels on a {tuple(v.shape[3:])} grid but the model was built for "
            f"{spec.channels} on {tuple(spec.space)}; build it with FieldSpec.from_fields(data)"
        )
    if spec.mask and fields.mask is None:
        raise ValidationError("the model was built for data with obstacles but the data has no mask")


class Tensors:
    """``values (N, T, C, *space)`` float32, ``params (N, P)`` or None, ``mask (N, *space)`` or None."""

    def __init__(self, fields: Any, spec: Any, names: tuple[str, ...]):
        check_compatible(fields, spec)
        self.values = torch.as_tensor(np.ascontiguousarray(fields.values, dtype=np.float32))
        n = self.values.shape[0]
        self.params = (
            torch.as_tensor(np.stack([fields.params[k] for k in names], axis=1).astype(np.float32)) if names else None
        )
        self.mask = None
        if spec.mask:
            m = torch.as_tensor(np.asarray(fields.mask, dtype=bool))
            self.mask = m.expand(n, *m.shape) if m.ndim == len(spec.space) else m

    def __len__(self) -> int:
        return self.values.shape[0]

    def take(self, traj: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        p = None if self.params is None else self.params[traj]
        m = None if self.mask is None else self.mask[traj]
        return p, m


def normalization(fields: Any, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
    """Per-channel mean and std of the frames, per-parameter mean and std over trajectories."""
    v = np.asarray(fields.values, dtype=np.float64)
    axes = (0, 1, *range(3, v.ndim))
    fm, fs = v.mean(axis=axes), v.std(axis=axes)
    if names:
        p = np.stack([fields.params[k] for k in names], axis=1)
        return fm, fs, p.mean(axis=0), p.std(axis=0)
    return fm, fs, None, None
