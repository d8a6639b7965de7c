"""Dynamics of graphs and of learners (track E).

Temporal event streams with their samplers, negatives and evaluator; temporal-graph and sequential
models; planted generators; and simulated students with knowledge-tracing models. Every reproduction
of the track runs on generators with planted ground truth, so what a model recovers can be checked.
"""

from __future__ import annotations

from dynlearn.graphs.evaluate import (
    auc,
    evaluate_link_prediction,
    evaluate_sign_prediction,
    hits_at,
    mrr,
    ranks,
    repeat_ratio,
    surprise,
)
from dynlearn.graphs.generators import planted_factions, planted_sequence
from dynlearn.graphs.negatives import sample_negatives
from dynlearn.graphs.stream import RecentNeighborSampler, TemporalEventStream, time2vec

__all__: list[str] = [
    "RecentNeighborSampler",
    "TemporalEventStream",
    "auc",
    "evaluate_link_prediction",
    "evaluate_sign_prediction",
    "hits_at",
    "mrr",
    "planted_factions",
    "planted_sequence",
    "ranks",
    "repeat_ratio",
    "sample_negatives",
    "surprise",
    "time2vec",
]

# simulated students and knowledge tracing (issue 22 §5): the subpackage dynlearn.graphs.learners, imported on
# use (`from dynlearn.graphs import learners`) so `import dynlearn.graphs` stays free of scipy and torch
__all__ += ["learners"]
