"""The dysts benchmark's two attractor metrics, as dysts defines them.

dynlearn's :func:`~dynlearn.metrics.state_space_divergence` and
:func:`~dynlearn.metrics.power_spectrum_distance` follow Hess et al. (ICML
2023). The dysts forecasting benchmark (``dysts/metrics.py``:
``estimate_kl_divergence``, ``average_hellinger_distance``) computes the same
two ideas differently, so its numbers are not comparable with ours:

- KL between attractors: dysts always uses Gaussian mixtures (one isotropic
  unit-variance component per point of each orbit, all points), where
  dynlearn uses 30-bin histograms below 6 dimensions; dysts draws its 1,000
  Monte-Carlo samples without a seed.
- Spectrum Hellinger distance: dysts takes the two-sided ``|fft|^2`` of the raw
  (not standardised) series, keeps its first 100 bins (the mean's bin 0
  included) with no smoothing, where dynlearn z-scores, keeps the whole
  one-sided spectrum and smooths it over 20 bins.

The functions below reproduce dysts's definitions (seeded), for a suite that
must be comparable with the published benchmark. Arrays are ``(time, dim)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from dynlearn._validation import as_rng, check_positive

from .long_term import _log_mixture, _orbit_pair

__all__ = ["gmm_kl_divergence", "spectrum_hellinger"]


def gmm_kl_divergence(
    x_true: ArrayLike, x_gen: ArrayLike, *, n_samples: int = 1_000, seed: int | np.random.Generator | None = 0
) -> float:
    """``KL(p || q)`` between Gaussian mixtures on the two orbits, estimated by Monte Carlo (nats).

    ``p = (1/T) sum_t N(x_t, I)`` on the true orbit, ``q`` likewise on the
    generated one (unit variance in data units); with ``z_i ~ p``,
    ``KL ~ (1/n) sum_i log p(z_i) / q(z_i)``. dysts's ``estimate_kl_divergence``
    with its default ``sigma_scale=1``; after Mikhaeil et al., NeurIPS 2022 and
    Hess et al., ICML 2023. May be slightly negative when the orbits agree.
    ``inf`` for a non-finite forecast."""
    xt, xg = _orbit_pair(x_true, x_gen, min_len=1)
    n_samples = check_positive(n_samples, "n_samples", integer=True)
    if not np.all(np.isfinite(xg)):
        return float("inf")
    rng = as_rng(seed)
    z = xt[rng.integers(len(xt), size=n_samples)] + rng.standard_normal((n_samples, xt.shape[1]))
    return float(np.mean(_log_mixture(z, xt) - _log_mixture(z, xg)))


def spectrum_hellinger(x_true: ArrayLike, x_gen: ArrayLike, *, n_bins: int = 100) -> float:
    """Mean over dimensions of the Hellinger distance between the first ``n_bins`` FFT power bins.

    Per dimension ``d``: ``P_k = |FFT(x_d)_k|^2`` for ``k < n_bins`` (raw series,
    bin 0 included), normalised to sum 1 into ``p`` (truth) and ``q``
    (forecast); ``H = sqrt(1 - sum_k sqrt(p_k q_k))``, in [0, 1]. dysts's
    ``average_hellinger_distance``; after Mikhaeil et al., NeurIPS 2022.
    Series of different length are cut to the shorter. 1.0 for a non-finite
    or all-zero forecast."""
    xt, xg = _orbit_pair(x_true, x_gen, min_len=2)
    n_bins = check_positive(n_bins, "n_bins", integer=True)
    if not np.all(np.isfinite(xg)):
        return 1.0
    n = min(len(xt), len(xg))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = np.abs(np.fft.fft(xt[:n], axis=0)[:n_bins]) ** 2
        q = np.abs(np.fft.fft(xg[:n], axis=0)[:n_bins]) ** 2
        p, q = p / p.sum(axis=0), q / q.sum(axis=0)
        h = np.sqrt(np.clip(1.0 - np.sum(np.sqrt(p * q), axis=0), 0.0, 1.0))
    return float(np.mean(np.where(np.isfinite(h), h, 1.0)))
