"""Training windows for the recurrent regimes: series in, random windows out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dynlearn._validation import check_array
from dynlearn.errors import ValidationError

__all__ = ["as_series", "sample_windows"]


def as_series(data) -> list[np.ndarray]:
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
