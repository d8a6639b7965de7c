"""Long-term (climate / invariant-statistics) metrics.

Definitions follow Hess, Monfared, Brenner & Durstewitz, "Generalized Teacher
Forcing for Learning Chaotic Dynamics", ICML 2023 (PMLR 202), which builds on
Koppe et al. (2019, PLoS Comput. Biol.) and Mikhaeil et al. (2022, NeurIPS).
Orbits are arrays of shape ``(time, dim)`` (or ``(time,)`` for ``dim = 1``);
the true and generated orbits may have different lengths.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from dynlearn._validation import as_rng, check_array, check_positive
from dynlearn.errors import ValidationError

__all__ = ["power_spectrum_distance", "prediction_error", "state_space_divergence"]

_GMM_MIN_DIM = 6  # dim >= this: Gaussian-mixture estimate instead of histograms
_CHUNK_ELEMENTS = 1 << 22  # bound on (samples x components) per logsumexp chunk
_PE_BATCH = 4096  # start points per call of ``predict``


def _orbit_pair(x_true: ArrayLike, x_gen: ArrayLike, min_len: int) -> tuple[np.ndarray, np.ndarray]:
    xt = check_array(x_true, "x_true", ndim=(1, 2), finite=True, min_len=min_len)
    xg = check_array(x_gen, "x_gen", ndim=(1, 2), finite=False, min_len=min_len)
    xt = xt[:, None] if xt.ndim == 1 else xt
    xg = xg[:, None] if xg.ndim == 1 else xg
    if xt.shape[1] != xg.shape[1]:
        raise ValidationError(
            f"x_true and x_gen must have the same number of dimensions; got x_true {xt.shape} and x_gen {xg.shape}"
        )
    return xt, xg


# --------------------------------------------------------------------------- D_stsp


def state_space_divergence(
    x_true: ArrayLike,
    x_gen: ArrayLike,
    *,
    n_bins: int = 30,
    smoothing: float = 1e-5,
    max_points: int = 10_000,
    n_samples: int = 1_000,
    seed: int | np.random.Generator | None = 0,
) -> float:
    """State-space divergence ``D_stsp = KL(p_true || p_gen)`` (natural log).

    ``dim < 6``: histograms with ``n_bins`` bins per dimension on the box
    ``[min - 0.1 sigma, max + 0.1 sigma]`` of the *true* orbit (``sigma`` = its
    std per dimension); generated points outside the box are dropped.  With
    ``B = n_bins**dim`` bins and counts ``n_k``, ``p_k = (n_k + eps) / (sum n + eps B)``
    (``eps = smoothing``) and ``KL = sum_k p_true,k log(p_true,k / p_gen,k)``,
    evaluated sparsely (all bins empty in both orbits share one term).

    ``dim >= 6``: each orbit is subsampled (evenly spaced) to at most
    ``max_points`` points, each point carries an isotropic Gaussian with
    variance 1 (in data units, so standardise the data first), and
    ``KL ~ mean_i [log p_true(z_i) - log p_gen(z_i)]`` over ``n_samples``
    draws ``z_i`` from the true mixture (``seed``).  This Monte-Carlo estimate
    can be slightly negative when the two orbits nearly agree.

    Returns ``inf`` if ``x_gen`` contains NaN/inf (a diverged forecast).
    Source: Hess et al., ICML 2023 (binning: Koppe et al. 2019; GMM: Mikhaeil et al. 2022).
    """
    xt, xg = _orbit_pair(x_true, x_gen, min_len=2)
    n_bins = check_positive(n_bins, "n_bins", integer=True)
    eps = check_positive(smoothing, "smoothing")
    max_points = check_positive(max_points, "max_points", integer=True)
    n_samples = check_positive(n_samples, "n_samples", integer=True)
    if not np.all(np.isfinite(xg)):
        return float("inf")
    if xt.shape[1] < _GMM_MIN_DIM:
        return _dstsp_hist(xt, xg, n_bins, eps)
    return _dstsp_gmm(xt, xg, max_points, n_samples, seed)


def _bin_counts(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Occupied linear bin indices and their counts (points outside [lo, hi] dropped)."""
    inside = np.all((x >= lo) & (x <= hi), axis=1)
    k = np.floor((x[inside] - lo) / (hi - lo) * n_bins).astype(np.int64)
    np.clip(k, 0, n_bins - 1, out=k)
    strides = n_bins ** np.arange(x.shape[1] - 1, -1, -1, dtype=np.int64)
    return np.unique(k @ strides, return_counts=True)


def _dstsp_hist(xt: np.ndarray, xg: np.ndarray, n_bins: int, eps: float) -> float:
    dim = xt.shape[1]
    sd = xt.std(axis=0)
    if np.any(sd == 0):
        raise ValidationError(
            f"x_true is constant in dimension(s) {np.flatnonzero(sd == 0).tolist()}; "
            "the state-space histogram is undefined"
        )
    n_total = n_bins**dim  # Python int: exact
    if n_total >= 2**62:
        raise ValidationError(f"n_bins**dim = {n_bins}**{dim} bins is too many; lower n_bins")
    lo, hi = xt.min(axis=0) - 0.1 * sd, xt.max(axis=0) + 0.1 * sd
    bt, ct = _bin_counts(xt, lo, hi, n_bins)
    bg, cg = _bin_counts(xg, lo, hi, n_bins)
    occupied = np.union1d(bt, bg)
    mt = np.zeros(occupied.size)
    mg = np.zeros(occupied.size)
    mt[np.searchsorted(occupied, bt)] = ct
    mg[np.searchsorted(occupied, bg)] = cg
    den_t, den_g = ct.sum() + eps * n_total, cg.sum() + eps * n_total
    pt, pg = (mt + eps) / den_t, (mg + eps) / den_g
    kl = float(np.sum(pt * np.log(pt / pg)))
    pt0, pg0 = eps / den_t, eps / den_g  # every bin empty in both orbits
    kl += (n_total - occupied.size) * pt0 * np.log(pt0 / pg0)
    return max(float(kl), 0.0)


def _subsample(x: np.ndarray, m: int) -> np.ndarray:
    if len(x) <= m:
        return x
    return x[np.round(np.linspace(0, len(x) - 1, m)).astype(np.int64)]


def _log_mixture(z: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """``log (1/K) sum_k N(z; c_k, I)`` for each row of ``z``, in chunks."""
    from scipy.special import logsumexp  # imported here: scipy.special is slow to load

    k, dim = centers.shape
    c2 = np.sum(centers**2, axis=1)
    const = -np.log(k) - 0.5 * dim * np.log(2.0 * np.pi)
    step = max(1, _CHUNK_ELEMENTS // k)
    out = np.empty(len(z))
    for i in range(0, len(z), step):
        zc = z[i : i + step]
        d2 = np.sum(zc**2, axis=1)[:, None] - 2.0 * zc @ centers.T + c2[None, :]
        out[i : i + step] = logsumexp(-0.5 * np.maximum(d2, 0.0), axis=1)
    return out + const


def _dstsp_gmm(xt: np.ndarray, xg: np.ndarray, max_points: int, n_samples: int, seed) -> float:
    ct, cg = _subsample(xt, max_points), _subsample(xg, max_points)
    rng = as_rng(seed)
    z = ct[rng.integers(len(ct), size=n_samples)] + rng.standard_normal((n_samples, ct.shape[1]))
    return float(np.mean(_log_mixture(z, ct) - _log_mixture(z, cg)))


# --------------------------------------------------------------------------- D_H


def _spectra(x: np.ndarray, sigma: float, truncate: float) -> np.ndarray:
    """Smoothed, normalised power spectra per column, shape ``(T//2 + 1, dim)``.

    Constant columns get all power in bin 0; columns whose spectrum is not a
    positive finite measure (overflow) are returned as NaN.
    """
    sd = x.std(axis=0)
    const = sd == 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        z = (x - x.mean(axis=0)) / np.where(const, 1.0, sd)
        p = np.abs(np.fft.rfft(z, axis=0)) ** 2
    p[:, const] = 0.0
    p[0, const] = 1.0
    if sigma > 0:
        from scipy.ndimage import gaussian_filter1d  # imported here: scipy.ndimage takes ~0.4 s to load

        p = gaussian_filter1d(p, sigma, axis=0, truncate=truncate)
    total = p.sum(axis=0)
    bad = ~np.isfinite(total) | (total <= 0)
    p = p / np.where(bad, 1.0, total)
    p[:, bad] = np.nan
    return p


def power_spectrum_distance(
    x_true: ArrayLike,
    x_gen: ArrayLike,
    *,
    smoothing_sigma: float = 20.0,
    truncate: float = 4.0,
) -> float:
    """Power-spectrum Hellinger distance ``D_H``, mean over dimensions, in [0, 1].

    Per dimension: z-score the series, take the power spectrum ``|rfft|^2``,
    smooth it with a Gaussian kernel (``smoothing_sigma`` frequency bins,
    truncated at ``truncate`` sigmas; 0 disables smoothing), normalise to sum
    1 and compute ``H(p, q) = ||sqrt(p) - sqrt(q)||_2 / sqrt(2)``.

    Orbits of different length are compared on their common leading length
    ``min(len(x_true), len(x_gen))``.  A constant ``x_true`` dimension raises
    :class:`ValidationError`; a constant ``x_gen`` dimension is a valid (bad)
    forecast whose spectrum is all in bin 0.  Any NaN/inf in ``x_gen`` (a
    diverged forecast) returns the maximal distance 1.0; a finite ``x_gen``
    dimension whose spectrum overflows counts as distance 1.0 in that dimension.
    Source: Hess et al., ICML 2023 (after Mikhaeil et al. 2022).
    """
    xt, xg = _orbit_pair(x_true, x_gen, min_len=2)
    sigma = check_positive(smoothing_sigma, "smoothing_sigma", allow_zero=True)
    trunc = check_positive(truncate, "truncate")
    if not np.all(np.isfinite(xg)):
        return 1.0
    n = min(len(xt), len(xg))
    xt, xg = xt[:n], xg[:n]
    const = np.flatnonzero(xt.std(axis=0) == 0)
    if const.size:
        raise ValidationError(
            f"x_true is constant in dimension(s) {const.tolist()} (over its first {n} steps); "
            "its power spectrum cannot be normalised"
        )
    p, q = _spectra(xt, sigma, trunc), _spectra(xg, sigma, trunc)
    h = np.sqrt(np.sum((np.sqrt(p) - np.sqrt(q)) ** 2, axis=0)) / np.sqrt(2.0)
    h = np.where(np.isfinite(h), np.clip(h, 0.0, 1.0), 1.0)
    return float(np.mean(h))


# --------------------------------------------------------------------------- PE(n)


def _to_numpy(out) -> np.ndarray:
    if hasattr(out, "detach"):  # torch tensor, without importing torch
        out = out.detach().cpu().numpy()
    return np.asarray(out, dtype=np.float64)


def prediction_error(
    predict: Callable[[np.ndarray, int], ArrayLike],
    series: ArrayLike,
    *,
    n: int = 20,
    context: int = 1,
    stride: int = 1,
) -> float:
    """``PE(n)``: mean squared error of ``n``-step-ahead predictions along ``series``.

    For every start ``s = context-1, context-1+stride, ...`` with ``s + n < len(series)``,
    ``predict(series[s-context+1 : s+1] stacked to (batch, context, dim), n)``
    must return ``(batch, n, dim)``; its last state (``[:, n-1]``, the
    prediction for time ``s + n``) is compared with ``series[s + n]``.
    ``PE(n) = mean_{s,d} (xhat_{s+n,d} - x_{s+n,d})^2``.  Contexts are passed as
    float64 numpy arrays in batches of up to 4096 starts; torch tensors are
    accepted as output.  Non-finite predictions give ``inf``.
    Source: Hess et al., ICML 2023 (PE(20) in their tables).
    """
    if not callable(predict):
        raise ValidationError(
            f"predict must be callable (batch_context, horizon) -> array, got {type(predict).__name__}"
        )
    n = check_positive(n, "n", integer=True)
    context = check_positive(context, "context", integer=True)
    stride = check_positive(stride, "stride", integer=True)
    x = check_array(series, "series", ndim=(1, 2), finite=True)
    x = x[:, None] if x.ndim == 1 else x
    starts = np.arange(context - 1, len(x) - n, stride)
    if starts.size == 0:
        raise ValidationError(
            f"series has {len(x)} time steps; prediction_error with context={context} and n={n} "
            f"needs at least context + n = {context + n}"
        )
    offsets = np.arange(1 - context, 1)
    total = 0.0
    for i in range(0, starts.size, _PE_BATCH):
        s = starts[i : i + _PE_BATCH]
        out = _to_numpy(predict(x[s[:, None] + offsets], n))
        if out.shape != (s.size, n, x.shape[1]):
            raise ValidationError(
                f"predict returned shape {out.shape}; expected (batch, horizon, dim) = {(s.size, n, x.shape[1])}"
            )
        pred = out[:, n - 1]
        if not np.all(np.isfinite(pred)):
            return float("inf")
        with np.errstate(over="ignore"):
            total += float(np.sum((pred - x[s + n]) ** 2))
    return total / (starts.size * x.shape[1])
