"""Seeded, precomputed negative destinations for one-vs-many link-prediction evaluation.

For each query event ``(s, d, t)`` we draw ``n`` destinations ``d' != d`` to rank ``d`` against.
The draw is *filtered*: every true destination of ``s`` at the same time ``t`` is excluded, so a
correct answer is never counted as a negative. Three kinds (Poursafaei et al. 2022, "Towards Better
Evaluation for Dynamic Link Prediction"):

- ``random``: uniform over the candidate destinations;
- ``historical``: destinations ``s`` linked to in ``history`` (the hard negatives of repeat-heavy
  data); when fewer than ``n`` exist, the rest are drawn at random;
- ``inductive``: destinations ``s`` links to among the query events but never in ``history``
  (edges first seen at evaluation time); topped up at random likewise.

The same ``seed`` gives the same array. Asking for more negatives than a query has candidates
is an error (it would silently repeat candidates or shrink the denominator of the rank).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from dynlearn.errors import ValidationError
from dynlearn.graphs.stream import TemporalEventStream

KINDS = ("random", "historical", "inductive")


def _groups(queries: TemporalEventStream) -> dict[tuple[int, float], set[int]]:
    truth: dict[tuple[int, float], set[int]] = defaultdict(set)
    for s, d, t in zip(queries.src.tolist(), queries.dst.tolist(), queries.t.tolist(), strict=True):
        truth[(s, t)].add(d)
    return truth


def sample_negatives(
    queries: TemporalEventStream,
    n: int,
    *,
    kind: str = "random",
    history: TemporalEventStream | None = None,
    candidates=None,
    seed: int = 0,
) -> np.ndarray:
    """An ``(len(queries), n)`` int64 array of filtered negative destinations (see module doc).

    ``candidates`` is the destination universe; by default every node that is a destination in
    ``history`` or ``queries`` (for bipartite user-item streams: the items)."""
    if kind not in KINDS:
        raise ValidationError(f"unknown negative kind {kind!r}; choose one of {', '.join(KINDS)}")
    n = int(n)
    if n < 1:
        raise ValidationError(f"n must be a positive number of negatives, got {n}")
    if kind != "random" and history is None:
        raise ValidationError(f"{kind} negatives need the history stream; pass history=train (or train+val)")
    if candidates is None:
        parts = [queries.dst] + ([history.dst] if history is not None else [])
        candidates = np.unique(np.concatenate(parts))
    candidates = np.unique(np.asarray(candidates, dtype=np.int64))
    truth = _groups(queries)
    worst = max((len(v) for v in truth.values()), default=0)
    if n > len(candidates) - worst:
        raise ValidationError(
            f"{n} negatives per query requested but a query has only {len(candidates) - worst} candidate "
            f"destinations left after removing its true ones ({len(candidates)} candidates); lower n or widen candidates"
        )
    pools: dict[int, np.ndarray] = {}
    if kind == "historical":
        pairs = np.unique(np.stack([history.src, history.dst], 1), axis=0)
        pools = _by_src(pairs)
    elif kind == "inductive":
        seen = set(zip(history.src.tolist(), history.dst.tolist(), strict=True))
        new = [p for p in set(zip(queries.src.tolist(), queries.dst.tolist(), strict=True)) if p not in seen]
        pools = _by_src(np.array(sorted(new), dtype=np.int64).reshape(-1, 2))
    rng = np.random.default_rng(seed)
    out = np.empty((len(queries), n), dtype=np.int64)
    for i, (s, t) in enumerate(zip(queries.src.tolist(), queries.t.tolist(), strict=True)):
        excl = truth[(s, t)]
        chosen: list[int] = []
        pool = pools.get(s)
        if pool is not None:
            pool = pool[~np.isin(pool, list(excl))]
            take = min(n, len(pool))
            chosen = rng.choice(pool, size=take, replace=False).tolist() if take else []
        need = n - len(chosen)
        if need:
            skip = excl | set(chosen)
            draw = rng.choice(candidates, size=min(len(candidates), need + len(skip)), replace=False)
            chosen += [c for c in draw.tolist() if c not in skip][:need]
        out[i] = chosen
    return out


def _by_src(pairs: np.ndarray) -> dict[int, np.ndarray]:
    if len(pairs) == 0:
        return {}
    pairs = pairs[np.argsort(pairs[:, 0], kind="stable")]
    keys, starts = np.unique(pairs[:, 0], return_index=True)
    ends = np.append(starts[1:], len(pairs))
    return {int(k): pairs[a:b, 1] for k, a, b in zip(keys, starts, ends, strict=True)}
