r"""Metrics of knowledge tracing: prediction of answers, recovery of the prerequisite graph and of traits.

- :func:`accuracy`: share of answers predicted right with :math:`\hat p \ge` ``threshold``.
- :func:`auc`: the probability that a random correct answer gets a higher score than a random wrong one,
  ties counting one half (the Mann-Whitney statistic :math:`U / (n_+ n_-)`, from average ranks).
- :func:`graph_auroc`: :func:`auc` of learned edge scores :math:`S_{ij}` against the planted edges
  :math:`W_{ij} > 0`, over the off-diagonal pairs :math:`i \ne j` (direction matters: the score of
  :math:`i \to j` is judged against the edge :math:`i \to j`).
- :func:`trait_correlation`: Pearson and Spearman correlation of inferred against true per-learner traits.
- :func:`multistep_scores`: accuracy and AUC of a multi-step forecast as a function of the steps ahead.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from dynlearn.errors import ValidationError


def _pair(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).astype(np.float64).ravel()
    s = np.asarray(y_score, dtype=np.float64).ravel()
    if y.shape != s.shape:
        raise ValidationError(f"y_true and y_score must have one length; got {y.shape} and {s.shape}")
    if not np.all((y == 0) | (y == 1)):
        raise ValidationError("y_true must hold only 0 and 1")
    if not np.all(np.isfinite(s)):
        raise ValidationError("y_score holds NaN or infinite values; check the model's predictions")
    return y, s


def accuracy(y_true, p_pred, *, threshold: float = 0.5) -> float:
    """Fraction of answers with ``(p_pred >= threshold) == y_true``."""
    y, p = _pair(y_true, p_pred)
    if y.size == 0:
        raise ValidationError("accuracy of an empty set of answers is undefined")
    return float(np.mean((p >= threshold) == (y == 1)))


def auc(y_true, y_score) -> float:
    """Area under the ROC curve, ties counted one half; NaN when only one class is present."""
    y, s = _pair(y_true, y_score)
    n_pos = int(y.sum())
    n_neg = y.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(s)  # average ranks: ties get one half
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def graph_auroc(true_graph, edge_scores) -> float:
    """AUROC of ``edge_scores[i, j]`` for the planted edges ``true_graph[i, j] != 0``, diagonal excluded."""
    W = np.asarray(true_graph)
    S = np.asarray(edge_scores, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1] or S.shape != W.shape:
        raise ValidationError(f"graphs must be square and of one shape; got {W.shape} and {S.shape}")
    off = ~np.eye(W.shape[0], dtype=bool)
    return auc((W[off] != 0).astype(np.int8), S[off])


def trait_correlation(true, inferred) -> dict[str, float]:
    """``{"pearson": r, "spearman": rho}`` of inferred against true values of one trait over learners."""
    a = np.asarray(true, dtype=np.float64).ravel()
    b = np.asarray(inferred, dtype=np.float64).ravel()
    if a.shape != b.shape or a.size < 3:
        raise ValidationError(f"need two equal-length arrays of >= 3 learners; got {a.shape} and {b.shape}")
    if np.std(a) == 0 or np.std(b) == 0:
        return {"pearson": float("nan"), "spearman": float("nan")}
    pear = float(np.corrcoef(a, b)[0, 1])
    spear = float(np.corrcoef(rankdata(a), rankdata(b))[0, 1])
    return {"pearson": pear, "spearman": spear}


def multistep_scores(y_true, p_pred, steps_ahead, *, max_steps: int | None = None) -> dict[str, np.ndarray]:
    """Accuracy and AUC per number of steps ahead (1 = the first answer after the history).

    Returns ``{"steps": (S,), "accuracy": (S,), "auc": (S,), "count": (S,)}``."""
    y, p = _pair(y_true, p_pred)
    h = np.asarray(steps_ahead, dtype=np.int64).ravel()
    if h.shape != y.shape or (h.size and h.min() < 1):
        raise ValidationError("steps_ahead must be >= 1 and match y_true in length")
    top = int(h.max()) if max_steps is None else int(max_steps)
    steps = np.arange(1, top + 1)
    acc = np.full(top, np.nan)
    au = np.full(top, np.nan)
    cnt = np.zeros(top, dtype=np.int64)
    for i, k in enumerate(steps):
        m = h == k
        cnt[i] = int(m.sum())
        if cnt[i]:
            acc[i] = accuracy(y[m], p[m])
            au[i] = auc(y[m], p[m])
    return {"steps": steps, "accuracy": acc, "auc": au, "count": cnt}
