"""Timescales from the power spectrum: the dominant period and the highest
significant frequency of a batch of records (mean periodogram of z-scored series)."""

from __future__ import annotations

import numpy as np

from dynlearn._validation import check_array, check_positive

#: integration steps per period of the highest significant frequency
STEPS_PER_FASTEST_PERIOD = 100
#: fraction of (non-DC) spectral power below the highest significant frequency
POWER_FRACTION = 0.999
#: a dominant period must fit this many times into a record
MIN_CYCLES = 10.0


def _mean_power(states: np.ndarray, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean periodogram over batch and dimensions of z-scored series, DC removed."""
    x = np.asarray(states, dtype=np.float64)
    x = x.reshape((-1,) + x.shape[-2:]) if x.ndim == 3 else x.reshape(1, len(x), -1)
    std = x.std(axis=1, keepdims=True)
    x = (x - x.mean(axis=1, keepdims=True)) / np.where(std > 0, std, 1.0)
    power = (np.abs(np.fft.rfft(x, axis=1)) ** 2).mean(axis=(0, 2))
    return np.fft.rfftfreq(x.shape[1], dt)[1:], power[1:]


def dominant_period(states: np.ndarray, dt: float, min_cycles: float = 0.0) -> float:
    """Period ``1 / f*`` of the highest peak ``f*`` of the mean power spectrum.

    ``states`` is ``(time,)``, ``(time, dim)`` or ``(batch, time, dim)``; each
    series is z-scored, so every coordinate weighs the same. The peak is refined
    by a parabola through the log-power of the three bins around it. Peaks
    slower than ``min_cycles`` cycles per record are ignored (a red, broadband
    spectrum otherwise puts its maximum at the lowest bin whatever the length)."""
    x = check_array(states, "states", ndim=(1, 2, 3), min_len=4)
    freqs, power = _mean_power(x if x.ndim > 1 else x[:, None], check_positive(dt, "dt"))
    k0 = min(len(freqs) - 1, int(np.searchsorted(freqs, min_cycles * freqs[0], side="left")))
    k = k0 + int(np.argmax(power[k0:]))
    f = freqs[k]
    if 0 < k < len(power) - 1 and np.all(power[k - 1 : k + 2] > 0):
        a, b, c = np.log(power[k - 1 : k + 2])
        denom = a - 2 * b + c
        if denom < 0:
            f = freqs[k] + 0.5 * (a - c) / denom * (freqs[1] - freqs[0])
    return float(1.0 / f)


def significant_frequency(states: np.ndarray, dt: float, fraction: float = POWER_FRACTION) -> float:
    """Highest significant frequency: the smallest ``f`` such that ``fraction``
    of the (non-DC) power of the mean z-scored periodogram lies below ``f``."""
    x = check_array(states, "states", ndim=(1, 2, 3), min_len=4)
    freqs, power = _mean_power(x if x.ndim > 1 else x[:, None], check_positive(dt, "dt"))
    cum = np.cumsum(power)
    return float(freqs[min(int(np.searchsorted(cum, fraction * cum[-1])), len(freqs) - 1)])
