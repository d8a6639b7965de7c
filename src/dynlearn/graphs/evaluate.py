"""One-vs-many link-prediction evaluation (MRR, Hits@k) and stream diagnostics.

For a query with positive score ``p`` and negative scores ``q_1..q_n`` (the negatives already
filtered: none of them is a true destination of the query, see :mod:`dynlearn.graphs.negatives`),

    rank = 1 + #{j : q_j > p} + 1/2 #{j : q_j = p}          (the *average* tie rule)

``MRR = mean(1 / rank)`` and ``Hits@k = mean(rank <= k)``. Why the average rule: the optimistic
rank (ties counted in the positive's favour) gives a model that scores everything equal -- a
collapsed or untrained one -- a perfect MRR of 1, the best-known way evaluators overstate results;
the pessimistic rank gives it ``1/(n+1)``, below a random scorer. The average rank equals the
expected rank under a random ordering of the tied items, so a constant scorer gets about the MRR
of chance. It is also TGB's rule. ``ties="pessimistic"`` or ``"optimistic"`` give the bounds.
"""

from __future__ import annotations

import numpy as np

from dynlearn.errors import ValidationError
from dynlearn.graphs.stream import TemporalEventStream

TIES = ("average", "pessimistic", "optimistic")


def ranks(pos, neg, *, mask=None, ties: str = "average", chunk: int = 131_072) -> np.ndarray:
    """Rank of each positive among its negatives, shape ``(Q,)`` (float: average ties give halves).

    ``pos``: ``(Q,)`` scores of the true destinations; ``neg``: ``(Q, n)`` scores of the negatives;
    ``mask``: optional ``(Q, n)`` booleans, False for negatives to ignore (padding, or ones to filter).
    Vectorised in chunks of rows so that 10^6 x 100 fits in memory."""
    if ties not in TIES:
        raise ValidationError(f"unknown tie rule {ties!r}; choose one of {', '.join(TIES)}")
    pos, neg = np.asarray(pos, dtype=np.float64), np.asarray(neg, dtype=np.float64)
    if pos.ndim != 1 or neg.ndim != 2 or neg.shape[0] != pos.shape[0]:
        raise ValidationError(f"pos must be (Q,) and neg (Q, n) with the same Q, got {pos.shape} and {neg.shape}")
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != neg.shape:
            raise ValidationError(f"mask must have the shape of neg {neg.shape}, got {mask.shape}")
    if np.isnan(pos).any() or np.isnan(neg).any():
        raise ValidationError("scores hold NaN; a model that outputs NaN cannot be ranked (check its training)")
    out = np.empty(len(pos))
    for a in range(0, len(pos), chunk):
        p, q = pos[a : a + chunk, None], neg[a : a + chunk]
        gt, eq = q > p, q == p
        if mask is not None:
            m = mask[a : a + chunk]
            gt, eq = gt & m, eq & m
        n_gt, n_eq = gt.sum(1), eq.sum(1)
        if ties == "average":
            out[a : a + chunk] = 1 + n_gt + 0.5 * n_eq
        elif ties == "pessimistic":
            out[a : a + chunk] = 1 + n_gt + n_eq
        else:
            out[a : a + chunk] = 1 + n_gt
    return out


def mrr(rank) -> float:
    """Mean reciprocal rank."""
    rank = np.asarray(rank, dtype=np.float64)
    return float(np.mean(1.0 / rank)) if rank.size else float("nan")


def hits_at(rank, k: int) -> float:
    """Fraction of queries whose positive ranks ``<= k``."""
    rank = np.asarray(rank, dtype=np.float64)
    return float(np.mean(rank <= k)) if rank.size else float("nan")


def evaluate_link_prediction(
    model, history: TemporalEventStream, queries: TemporalEventStream, negatives, *, ks=(1, 3, 10), ties="average"
) -> dict[str, float]:
    """MRR and Hits@k of ``model`` ranking each query's true destination against its negatives.

    ``model.score(src, dst, t, history)`` scores the candidates ``[d, negatives...]`` of every
    query; ``history`` is every event the model may look at (it uses those strictly before each
    query's time), usually the whole stream with the queries in it."""
    negatives = np.asarray(negatives, dtype=np.int64)
    if negatives.ndim != 2 or negatives.shape[0] != len(queries):
        raise ValidationError(f"negatives must have shape ({len(queries)}, n), got {negatives.shape}")
    cand = np.concatenate([queries.dst[:, None], negatives], axis=1)
    scores = np.asarray(model.score(queries.src, cand, queries.t, history), dtype=np.float64)
    r = ranks(scores[:, 0], scores[:, 1:], ties=ties)
    return {"mrr": mrr(r), **{f"hits@{k}": hits_at(r, k) for k in ks}}


# --- diagnostics of a stream ------------------------------------------------------------------
def _pair_codes(s: TemporalEventStream, n: int) -> np.ndarray:
    return s.src * np.int64(n) + s.dst


def repeat_ratio(stream: TemporalEventStream, history: TemporalEventStream | None = None) -> float:
    """Fraction of ``stream``'s events whose ``(src, dst)`` pair occurred at an earlier time.

    Earlier means in ``history`` (if given) or earlier in ``stream`` itself: the share of events an
    EdgeBank-style memory could have seen coming. Simultaneous repeats count as repeats only of
    strictly earlier events."""
    if len(stream) == 0:
        return float("nan")
    n = max(stream.num_nodes, history.num_nodes if history is not None else 0)
    codes = _pair_codes(stream, n)
    seen = np.isin(codes, _pair_codes(history, n)) if history is not None else np.zeros(len(codes), bool)
    # the earliest time each pair occurs in the stream; an event repeats if its pair occurred before it
    order = np.lexsort((stream.t, codes))
    first_t = np.empty(len(codes))
    c_sorted = codes[order]
    starts = np.r_[True, c_sorted[1:] != c_sorted[:-1]]
    group = np.cumsum(starts) - 1
    first_t[order] = stream.t[order][starts][group]
    return float(np.mean(seen | (stream.t > first_t)))


def surprise(train: TemporalEventStream, test: TemporalEventStream) -> float:
    """Surprise index (Poursafaei et al. 2022): the fraction of test *edges* (distinct pairs) never in train."""
    if len(test) == 0:
        return float("nan")
    n = max(train.num_nodes, test.num_nodes)
    test_pairs = np.unique(_pair_codes(test, n))
    return float(np.mean(~np.isin(test_pairs, _pair_codes(train, n))))


def auc(score, label) -> float:
    """Area under the ROC curve of ``score`` for the binary ``label`` (Mann-Whitney, ties counted half).

    ``AUC = P(score of a random positive > score of a random negative) + 1/2 P(equal)``: 0.5 for a
    scorer blind to the label, whatever its ties."""
    score, label = np.asarray(score, dtype=np.float64).ravel(), np.asarray(label, dtype=bool).ravel()
    if score.shape != label.shape:
        raise ValidationError(f"score and label must have one length, got {score.shape} and {label.shape}")
    n1, n0 = int(label.sum()), int((~label).sum())
    if n1 == 0 or n0 == 0:
        raise ValidationError(f"AUC needs both classes, got {n1} positives and {n0} negatives")
    order = np.argsort(score, kind="stable")
    s = score[order]
    r = np.empty(len(s))
    start = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    stop = np.r_[start[1:], len(s)]
    r[order] = np.repeat((start + stop + 1) / 2.0, stop - start)  # average 1-based ranks of tie groups
    return float((r[label].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def evaluate_sign_prediction(model, history: TemporalEventStream, queries: TemporalEventStream,
                             *, positive_share: float | None = None) -> dict[str, float]:
    """Sign prediction on the signed ``queries``: AUC, accuracy and negative-link recall.

    Scores come from ``model.score_sign`` (sign-blind models fall back to their link score). As
    the scores of sign-blind models have no natural threshold, every model is thresholded alike:
    the top ``positive_share`` of the queries (default: the share of ``+1`` in ``history``) are
    called ``+1``, the rest ``-1``. ``neg_recall`` is the share of true ``-1`` links called ``-1``
    (the rare, costly class of signed networks)."""
    if queries.sign is None:
        raise ValidationError("the queries carry no sign; sign prediction needs a signed stream (sign=...)")
    score = model.score_sign(queries.src, queries.dst, queries.t, history)
    label = queries.sign > 0
    if positive_share is None:
        if history.sign is None:
            raise ValidationError("history carries no sign; pass positive_share or a signed history")
        positive_share = float(np.mean(history.sign > 0))
    if not 0 <= positive_share <= 1:
        raise ValidationError(f"positive_share must be in [0, 1], got {positive_share}")
    k = int(round(positive_share * len(score)))
    call = np.zeros(len(score), dtype=bool)
    call[np.argsort(-score, kind="stable")[:k]] = True
    return {
        "auc": auc(score, label),
        "accuracy": float(np.mean(call == label)),
        "neg_recall": float(np.mean(~call[~label])) if np.any(~label) else float("nan"),
        "n": len(score),
    }
