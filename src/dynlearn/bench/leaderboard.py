"""Leaderboards: per-method medians over all (system, seed) cells of a run."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from dynlearn import metrics
from dynlearn.bench.store import CellResult


@dataclass(frozen=True)
class Row:
    method: str
    metric: str
    median: float
    q25: float
    q75: float
    count: int
    failures: int

    def to_json(self) -> dict:
        d = asdict(self)
        for k in ("median", "q25", "q75"):
            d[k] = d[k] if math.isfinite(d[k]) else None  # JSON has no inf/NaN
        iqr = self.q75 - self.q25
        d["iqr"] = iqr if math.isfinite(iqr) else None
        return d


def _stats(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return (math.nan,) * 3
    arr = np.asarray(values, dtype=float)
    arr = arr[~np.isnan(arr)]
    if not len(arr):
        return (math.nan,) * 3
    q25, med, q75 = np.percentile(arr, [25, 50, 75], method="lower" if np.isinf(arr).any() else "linear")
    return float(med), float(q25), float(q75)


def leaderboard(
    cells: list[CellResult], metric_names: list[str], method_order: list[str], system: str | None = None
) -> list[Row]:
    """One row per (method, metric), methods ranked by the first metric."""
    rows = []
    for method in method_order:
        mine = [c for c in cells if c.method == method and (system is None or c.system == system)]
        failures = sum(c.status != "ok" for c in mine)
        for metric in metric_names:
            vals = [c.metrics[metric] for c in mine if metric in c.metrics]
            med, q25, q75 = _stats(vals)
            rows.append(Row(method, metric, med, q25, q75, len(vals), failures))
    return sort_rows(rows, metric_names)


def sort_rows(rows: list[Row], metric_names: list[str]) -> list[Row]:
    primary = metric_names[0]
    sign = -1.0 if metrics.get(primary).higher_is_better else 1.0
    key = {r.method: (sign * r.median if not math.isnan(r.median) else math.inf) for r in rows if r.metric == primary}
    order = sorted(key, key=lambda m: key[m])
    rank = {m: i for i, m in enumerate(order)}
    return sorted(rows, key=lambda r: (rank.get(r.method, len(rank)), metric_names.index(r.metric)))


def methods_ranked(rows: list[Row]) -> list[str]:
    seen: list[str] = []
    for r in rows:
        if r.method not in seen:
            seen.append(r.method)
    return seen


def fmt(value: float) -> str:
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e4):
        return f"{value:.2e}"
    return f"{value:.3g}"
