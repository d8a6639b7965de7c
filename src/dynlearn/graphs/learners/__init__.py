"""Simulated students and knowledge tracing (track E, issue 22 §5).

- :func:`simulate_students`: learners whose knowledge follows a graph-coupled Ornstein-Uhlenbeck process
  over a planted prerequisite DAG, with per-learner traits, irregular practice times crossed exactly
  (:func:`ou_transition`) and binary answers; the ground truth comes with the log.
- :class:`InteractionLog`: the validated ``(learner, concept, time, correct)`` log.
- Models behind one protocol (:class:`KnowledgeTracer`), found by name: ``bkt``, ``dkt``, ``psikt``
  (the torch ones are imported on first use).
- Metrics: accuracy, AUC, multi-step scores, graph AUROC, trait correlation.
"""

from __future__ import annotations

from dynlearn.graphs.learners.base import LEARNERS, KnowledgeTracer, create, load, names, register
from dynlearn.graphs.learners.log import InteractionLog
from dynlearn.graphs.learners.metrics import accuracy, auc, graph_auroc, multistep_scores, trait_correlation
from dynlearn.graphs.learners.simulate import (
    TRAITS,
    StudentData,
    StudentSimConfig,
    ou_transition,
    planted_dag,
    simulate_students,
)

LEARNERS.register_lazy("bkt", "dynlearn.graphs.learners.bkt")
LEARNERS.register_lazy("dkt", "dynlearn.graphs.learners.dkt")
LEARNERS.register_lazy("psikt", "dynlearn.graphs.learners.psikt")

__all__ = [
    "LEARNERS",
    "TRAITS",
    "InteractionLog",
    "KnowledgeTracer",
    "StudentData",
    "StudentSimConfig",
    "accuracy",
    "auc",
    "create",
    "graph_auroc",
    "load",
    "multistep_scores",
    "names",
    "ou_transition",
    "planted_dag",
    "register",
    "simulate_students",
    "trait_correlation",
]
