"""Input checks in one place, with messages that name the argument, the
expected shape and what was received (scikit-learn's ``check_array`` idea)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dynlearn.errors import ValidationError


def check_array(
    x,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    finite: bool = True,
    min_len: int = 0,
    dtype=np.float64,
) -> np.ndarray:
    """Convert ``x`` to a float array and check rank, length and finiteness.

    ``ndim`` may be one rank or several accepted ranks; ``min_len`` applies to
    axis ``-2`` for rank >= 2 (time axis of ``(time, dim)`` or
    ``(batch, time, dim)``) and to axis 0 for rank 1.
    """
    try:
        arr = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name} must be numeric array-like, got {type(x).__name__}: {exc}") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            shapes = {1: "(time,)", 2: "(time, dim)", 3: "(batch, time, dim)"}
            want = " or ".join(f"rank {d} {shapes.get(d, '')}".strip() for d in allowed)
            raise ValidationError(f"{name} must have {want}; got shape {arr.shape} (rank {arr.ndim})")
    if min_len:
        axis = -2 if arr.ndim >= 2 else 0
        n = arr.shape[axis] if arr.ndim else 0
        if n < min_len:
            raise ValidationError(f"{name} needs at least {min_len} time steps; got {n} (shape {arr.shape})")
    if finite and arr.size and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        kind = "NaN" if np.isnan(arr[tuple(bad)]) else "inf"
        n_bad = int(np.count_nonzero(~np.isfinite(arr)))
        raise ValidationError(
            f"{name} contains {n_bad} non-finite value(s) ({kind} first at index {tuple(int(i) for i in bad)}); "
            "remove or interpolate them before use"
        )
    return arr


def check_positive(value, name: str, *, integer: bool = False, allow_zero: bool = False):
    """Check a scalar is > 0 (or >= 0); returns it converted."""
    try:
        v = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{name} must be a {'whole ' if integer else ''}number, got {value!r}") from None
    if integer and float(value) != v:
        raise ValidationError(f"{name} must be a whole number, got {value!r}")
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValidationError(f"{name} must be {bound}, got {value!r}")
    return v


def as_rng(seed) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a seed, a generator, or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)
