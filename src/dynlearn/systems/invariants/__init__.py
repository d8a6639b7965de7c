"""Invariants computed from the equations.

* :mod:`.lyapunov`: :func:`estimate_lyapunov` / :func:`lyapunov_spectrum` (QR
  method, flows and maps) and :func:`max_lyapunov_delay` (delay equations).
* :mod:`.precision`: :func:`lyapunov_to_precision`, the QR method run until
  the standard error of ``λ_1`` meets a target (compiled with numba when available).
* :mod:`.dimensions`: :func:`kaplan_yorke_dimension` (Kaplan & Yorke 1979) and
  :func:`correlation_dimension` (Grassberger & Procaccia 1983, Physica D 9, 189).
* :mod:`.spectra`: :func:`dominant_period` and :func:`significant_frequency`
  (power spectrum).
* :mod:`.pipeline`: :func:`compute_invariants`, all of them for one system, as a
  JSON-able dict.
"""

from dynlearn.systems.invariants.dimensions import correlation_dimension, kaplan_yorke_dimension
from dynlearn.systems.invariants.lyapunov import (
    _NUMPY,  # noqa: F401 - used by the tests to force the numpy path
    LyapunovEstimate,
    estimate_lyapunov,
    lyapunov_spectrum,
    max_lyapunov_delay,
)
from dynlearn.systems.invariants.pipeline import InvariantSettings, compute_invariants
from dynlearn.systems.invariants.precision import PrecisionEstimate, lyapunov_to_precision
from dynlearn.systems.invariants.spectra import (
    MIN_CYCLES,
    POWER_FRACTION,
    STEPS_PER_FASTEST_PERIOD,
    dominant_period,
    significant_frequency,
)

__all__ = [
    "MIN_CYCLES",
    "POWER_FRACTION",
    "STEPS_PER_FASTEST_PERIOD",
    "InvariantSettings",
    "LyapunovEstimate",
    "PrecisionEstimate",
    "compute_invariants",
    "correlation_dimension",
    "dominant_period",
    "estimate_lyapunov",
    "kaplan_yorke_dimension",
    "lyapunov_spectrum",
    "lyapunov_to_precision",
    "max_lyapunov_delay",
    "significant_frequency",
]
