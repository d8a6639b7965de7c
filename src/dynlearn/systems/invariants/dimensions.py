"""Attractor dimensions: Kaplan–Yorke (from a Lyapunov spectrum) and the
Grassberger–Procaccia correlation dimension (from points on the attractor)."""

from __future__ import annotations

import numpy as np

from dynlearn._validation import check_array
from dynlearn.errors import ValidationError


def kaplan_yorke_dimension(spectrum) -> float:
    """Kaplan–Yorke (Lyapunov) dimension ``D = k + S_k / |λ_{k+1}|``.

    With exponents sorted descending, ``k`` is the largest index whose partial
    sum ``S_k = λ_1 + ... + λ_k`` is non-negative; ``D = 0`` if ``λ_1 < 0`` and
    ``D = dim`` if the full sum is non-negative (Kaplan & Yorke 1979, Lecture
    Notes in Math. 730, 204)."""
    lam = np.sort(np.asarray(spectrum, dtype=np.float64).ravel())[::-1]
    if lam.size == 0 or not np.all(np.isfinite(lam)):
        raise ValidationError(f"a Lyapunov spectrum must be a non-empty finite array, got {spectrum!r}")
    partial = np.cumsum(lam)
    if partial[0] < 0:
        return 0.0
    k = int(np.nonzero(partial >= 0)[0][-1]) + 1
    if k == lam.size:
        return float(lam.size)
    return float(k + partial[k - 1] / abs(lam[k]))


def correlation_dimension(
    points,
    *,
    max_points: int = 2500,
    theiler: int = 0,
    c_range: tuple[float, float] = (1e-4, 0.05),
    n_radii: int = 32,
    window: float = 0.5,
) -> float:
    """Correlation dimension ``D2`` (Grassberger & Procaccia 1983, Physica D 9, 189).

    ``C(r)`` is the fraction of pairs of points closer than ``r``; on an
    attractor ``C(r) ~ r^D2`` for small ``r``. ``points`` is ``(n, dim)``
    (rows in time order); at most ``max_points`` rows are used, evenly
    strided, and pairs less than ``theiler + 1`` rows apart are excluded
    (Theiler window against temporally correlated neighbours).

    Scaling region: ``log C`` is evaluated at ``n_radii`` radii evenly spaced
    in ``log r`` between the radii where ``C = c_range[0]`` (raised to
    ``100 / n_pairs`` so each ``C`` counts at least 100 pairs) and where
    ``C = c_range[1]`` (below it the attractor's finite size and edges bend
    the curve). Every window covering ``window`` (a fraction) of those radii
    is fitted by least squares; the slope of the window with the smallest
    residual is ``D2``.
    """
    x = check_array(points, "points", ndim=2, min_len=20)
    from scipy.spatial.distance import pdist

    if len(x) > max_points:
        x = x[np.linspace(0, len(x) - 1, max_points).round().astype(int)]
    n = len(x)
    d = pdist(x)
    if theiler > 0:
        i, j = np.triu_indices(n, 1)
        d = d[(j - i) > theiler]
    d = np.sort(d[d > 0])
    if d.size < 1000:
        raise ValidationError(f"correlation_dimension needs more distinct points; got {d.size} usable pairs")
    lo = max(c_range[0], 100.0 / d.size)
    if lo >= c_range[1]:
        raise ValidationError(f"too few points ({n}) for the scaling region C in {c_range}; pass more points")
    r = np.geomspace(d[int(lo * d.size)], d[int(c_range[1] * d.size)], n_radii)
    logr, logc = np.log(r), np.log(np.searchsorted(d, r) / d.size)
    w = max(4, int(round(window * n_radii)))
    best = (np.inf, np.nan)
    for s in range(0, n_radii - w + 1):
        coef, res, *_ = np.polyfit(logr[s : s + w], logc[s : s + w], 1, full=True)
        rss = float(res[0]) if len(res) else 0.0
        if rss < best[0]:
            best = (rss, float(coef[0]))
    return best[1]
