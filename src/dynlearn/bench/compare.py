"""Compare two benchmark runs: which methods changed significantly, paired over cells.

For every method and metric present in both runs, the cells are paired by
``(system, seed)``: a pair is used when both runs scored that cell with a
finite value. On the ``n`` paired differences ``d_i = b_i - a_i`` the
two-sided **Wilcoxon signed-rank test** (Wilcoxon 1945; zero differences
dropped, exact null distribution for small ``n`` without ties, normal
approximation otherwise, as in :func:`scipy.stats.wilcoxon`) tests whether
the differences are symmetric about zero. The ``m`` p-values of one
comparison (all methods x metrics) are adjusted with **Holm's step-down
correction** (Holm 1979), which bounds the family-wise error rate by
``alpha``: with ``p_(1) <= ... <= p_(m)``, ``p~_(i) = max_{j<=i} min(1, (m - j + 1) p_(j))``.
A change is reported as significant when ``p~ < alpha``; its direction is
read from the median paired difference and the metric's ``higher_is_better``.

With fewer than 6 pairs no two-sided signed-rank test can reach p < 0.05
(the smallest exact p-value is ``2 / 2**n``); such rows are never significant.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from dynlearn import metrics
from dynlearn.bench.store import CellResult


@dataclass(frozen=True)
class Change:
    method: str
    metric: str
    pairs: int
    median_a: float
    median_b: float
    median_diff: float  # median of b - a over the pairs
    p: float
    p_holm: float
    verdict: str  # "better", "worse" or "same" (not significant), for run B against run A

    def to_json(self) -> dict:
        d = asdict(self)
        return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in d.items()}


def holm(pvalues: list[float]) -> list[float]:
    """Holm-adjusted p-values, in the input order (NaN stays NaN and does not count in m)."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    idx = np.flatnonzero(~np.isnan(p))
    m = len(idx)
    running = 0.0
    for rank, i in enumerate(idx[np.argsort(p[idx], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out.tolist()


def _signed_rank_p(d: np.ndarray) -> float:
    from scipy.stats import wilcoxon

    if len(d) == 0:
        return math.nan
    if not np.any(d != 0):
        return 1.0
    return float(wilcoxon(d, zero_method="wilcox", alternative="two-sided").pvalue)


def _by_key(cells: list[CellResult]) -> dict[tuple[str, str, int], CellResult]:
    return {(c.system, c.method, c.seed): c for c in cells}


def compare(
    cells_a: list[CellResult], cells_b: list[CellResult], metric_names: list[str], *, alpha: float = 0.05
) -> list[Change]:
    """One :class:`Change` per (method, metric) found in both runs; significance after Holm over all rows."""
    a, b = _by_key(cells_a), _by_key(cells_b)
    methods = sorted({k[1] for k in a} & {k[1] for k in b})
    raw = []
    for method in methods:
        keys = sorted(k for k in a.keys() & b.keys() if k[1] == method)
        for metric in metric_names:
            pa, pb = [], []
            for k in keys:
                va, vb = a[k].metrics.get(metric, math.nan), b[k].metrics.get(metric, math.nan)
                if math.isfinite(va) and math.isfinite(vb):
                    pa.append(va)
                    pb.append(vb)
            if not pa:
                continue
            xa, xb = np.asarray(pa), np.asarray(pb)
            d = xb - xa
            raw.append(
                (
                    method,
                    metric,
                    len(d),
                    float(np.median(xa)),
                    float(np.median(xb)),
                    float(np.median(d)),
                    _signed_rank_p(d),
                )
            )
    adjusted = holm([r[-1] for r in raw])
    out = []
    for (method, metric, n, ma, mb, md, p), ph in zip(raw, adjusted):
        verdict = "same"
        if not math.isnan(ph) and ph < alpha and md != 0:
            up = md > 0
            verdict = "better" if up == metrics.get(metric).higher_is_better else "worse"
        out.append(Change(method, metric, n, ma, mb, md, p, ph, verdict))
    return out
