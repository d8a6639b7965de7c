"""Dynamics of graphs and of learners (track E).

Temporal event streams with their samplers, negatives and evaluator; temporal-graph and sequential
models; planted generators; and simulated students with knowledge-tracing models. Every reproduction
of the track runs on generators with planted ground truth, so what a model recovers can be checked.
"""

from __future__ import annotations

__all__: list[str] = []
