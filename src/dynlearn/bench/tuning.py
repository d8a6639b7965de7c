"""Hyper-parameter tuning of a benchmark cell on a validation split of its training data.

A suite method may list candidate config overrides (``tune``, at most
``tune_budget`` of them; see :mod:`dynlearn.bench.suite`). For each cell,
:func:`tune` carves the validation split from the **training** trajectory
only: with ``n`` training states and ``v = round(validation_fraction · n)``,
every candidate is fitted on the first ``n − v`` states and forecasts
``min(horizon, v)`` steps from their end (its context: the last ``context``
fitted states), scored by the suite's first metric against the held-out
states. The best candidate (ties: the earlier one) is then refitted on the
whole training trajectory by the cell. The test trajectory never reaches this
module: :func:`tune` receives the training trajectory alone.

This follows the dysts benchmark (Gilpin 2023, Phys. Rev. Research 5:043252),
which grid-searches each model's hyper-parameters per system on a 1,000 /
200-point split and scores candidates by sMAPE; there the split comes from a
separate trajectory of the same system, here from the end of the training data.
A candidate whose fit or forecast fails, or whose forecast diverges (the rule of
:func:`dynlearn.bench.cell.divergence`), scores as the worst possible value.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dynlearn import metrics, models
from dynlearn.data import Trajectory
from dynlearn.errors import ValidationError


@dataclass(frozen=True)
class Tuning:
    """The outcome of :func:`tune`: the chosen overrides and every candidate's validation score."""

    chosen: dict[str, Any]
    index: int
    candidates: list[dict[str, Any]]
    scores: list[float]
    failures: list[str]  # "" for a candidate that forecast normally, else why it scored worst
    metric: str
    fit_points: int
    validation_points: int
    seconds: float

    def to_json(self) -> str:
        out = asdict(self)
        out["scores"] = [s if math.isfinite(s) else None for s in self.scores]  # JSON has no inf/NaN
        return json.dumps(out, sort_keys=True)


def validation_split(train: Trajectory, fraction: float) -> tuple[Trajectory, Trajectory]:
    """``(fit part, validation part)``: the last ``round(fraction · n)`` training states are held out."""
    n = len(train)
    v = int(round(fraction * n))
    if v < 1 or n - v < 2:
        raise ValidationError(
            f"the training trajectory ({n} states) is too short to hold out {fraction:.0%} for tuning; "
            "raise train_points or drop tune from the method"
        )
    return train[: n - v], train[n - v :]


def tune(
    model: str,
    config: dict[str, Any],
    candidates: tuple[dict[str, Any], ...] | list[dict[str, Any]],
    train: Trajectory,
    *,
    metric: str,
    context: int,
    horizon: int,
    validation_fraction: float,
    lyapunov_time: float | None = None,
) -> Tuning:
    """Score every candidate (``config`` updated by it) on the validation split of ``train``."""
    from dynlearn.bench.cell import divergence

    t0 = time.perf_counter()
    fit_part, val = validation_split(train, validation_fraction)
    steps = min(horizon, len(val))
    truth = val.states[:steps]
    ctx = fit_part.states[-min(context, len(fit_part)) :]
    info = metrics.get(metric)
    worst = -math.inf if info.higher_is_better else math.inf
    kw = {
        "dt": float(train.meta.get("dt", train.dt or 1.0)),
        "lyapunov_time": lyapunov_time,
        "scale": fit_part.states.std(axis=0),
        "insample": fit_part.states,
    }
    scores: list[float] = []
    failures: list[str] = []
    for cand in candidates:
        try:
            m = models.create(model, {**config, **cand})
            m.fit(fit_part)
            pred = np.asarray(m.predict(ctx, steps))
            why = divergence(pred, fit_part.states)
            if why is not None:
                scores.append(worst)
                failures.append("diverged: " + why)
                continue
            with np.errstate(all="ignore"):
                value = float(metrics.evaluate(metric, truth, pred, **kw))
        except Exception as exc:  # a failing candidate loses; the cell goes on with the others
            scores.append(worst)
            failures.append(f"{type(exc).__name__}: {exc}")
            continue
        scores.append(value if math.isfinite(value) else worst)
        failures.append("" if math.isfinite(value) else f"{metric} is {value}")
    best = _best(scores, info.higher_is_better)
    return Tuning(
        chosen=dict(candidates[best]),
        index=best,
        candidates=[dict(c) for c in candidates],
        scores=scores,
        failures=failures,
        metric=metric,
        fit_points=len(fit_part),
        validation_points=steps,
        seconds=time.perf_counter() - t0,
    )


def _best(scores: list[float], higher_is_better: bool) -> int:
    """Index of the best score; the first on ties (and when every candidate failed)."""
    sign = -1.0 if higher_is_better else 1.0
    keyed = [(sign * s if not math.isnan(s) else math.inf, i) for i, s in enumerate(scores)]
    return min(keyed)[1]
