"""Quick looks at a series before choosing a model: its seasonal period.

Used by the CLI to say when a model's defaults (set up for chaotic flows) do
not suit the data, and to suggest ``--season``.
"""

from __future__ import annotations

import numpy as np

from dynlearn._validation import check_array

__all__ = ["seasonal_period"]


def _acf(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Autocorrelation of a detrended 1-D series at lags 0..max_lag."""
    t = np.arange(len(x), dtype=np.float64)
    x = x - np.polyval(np.polyfit(t, x, 1), t)
    var = float(x @ x)
    if var == 0:
        return np.zeros(max_lag + 1)
    return np.array([float(x[: len(x) - k] @ x[k:]) / var for k in range(max_lag + 1)])


def seasonal_period(states, *, min_strength: float = 0.3, min_cycles: int = 3) -> int | None:
    """The dominant seasonal period in steps, or None.

    The series (``(time,)`` or ``(time, dim)``; the dimensions' autocorrelations
    are averaged) is detrended by a least-squares line; the period is the lag
    ``m >= 2`` of the highest local maximum of the autocorrelation function
    ``r(m) = Σ_t x_t x_{t+m} / Σ_t x_t²`` with ``r(m) >= min_strength``, among
    lags that fit ``min_cycles`` times in the series.
    """
    x = check_array(states, "states", ndim=(1, 2), finite=True)
    x = x[:, None] if x.ndim == 1 else x
    max_lag = len(x) // min_cycles
    if max_lag < 3:
        return None
    r = np.mean([_acf(x[:, d], max_lag) for d in range(x.shape[1])], axis=0)
    peaks = [k for k in range(2, max_lag) if r[k] >= r[k - 1] and r[k] > r[k + 1] and r[k] >= min_strength]
    if not peaks:
        return None
    return int(max(peaks, key=lambda k: r[k]))
