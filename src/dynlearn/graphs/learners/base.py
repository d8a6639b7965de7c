"""The protocol of knowledge-tracing models and their registry.

A model is fitted on an :class:`InteractionLog` and forecasts answers::

    model = create("bkt").fit(history)
    p = model.predict_proba(history, future)   # P(correct) of each row of ``future``

``predict_proba`` is multi-step: it conditions on the answers of ``history`` only, never on those of
``queries`` (their concepts and times are known, their answers are not), so the k-th query of a learner
is a k-step-ahead forecast. ``loss(log)`` is the mean one-step-ahead negative log-likelihood of the
answers of ``log`` under the fitted model. ``save(dir)`` writes ``config.json`` and numeric weights
(npz or safetensors), never pickle; :func:`load` reads any saved model back.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dynlearn.config import build_config, config_to_dict
from dynlearn.errors import FileFormatError, NotFittedError, ValidationError
from dynlearn.graphs.learners.log import InteractionLog
from dynlearn.io_utils import atomic_write_text
from dynlearn.registry import Registry

LEARNERS: Registry[type] = Registry("knowledge-tracing model")
_FORMAT = "dynlearn.learners.model/1"


def register(name: str):
    """Register a :class:`KnowledgeTracer` subclass under ``name``."""
    return LEARNERS.register_class(name)


class KnowledgeTracer:
    """Base class: stores a typed config, checks logs, saves and loads. Subclasses implement
    ``_fit``, ``_predict``, ``_loss``, ``_state`` (name -> numeric array) and ``_set_state``."""

    name: ClassVar[str] = ""
    Config: ClassVar[type]

    def __init__(self, config: Any = None, **overrides: Any):
        self.config = build_config(self.Config, config, overrides)
        self.n_concepts_: int | None = None

    @classmethod
    def conformance_config(cls) -> dict[str, Any]:
        """A small config under which the conformance checks run in about a second."""
        return {}

    def get_params(self) -> dict[str, Any]:
        return config_to_dict(self.config)

    # --- the protocol ---------------------------------------------------------------------------
    def fit(self, log: InteractionLog) -> KnowledgeTracer:
        self._check_log(log, "fit")
        if len(log) == 0:
            raise ValidationError("cannot fit on an empty interaction log; pass at least one interaction")
        self.n_concepts_ = int(log.n_concepts)
        self._fit(log)
        return self

    def predict_proba(self, history: InteractionLog, queries: InteractionLog) -> np.ndarray:
        """P(correct) for each row of ``queries`` given the answers in ``history`` (multi-step)."""
        self._require_fitted()
        self._check_log(history, "history")
        self._check_log(queries, "queries")
        if history.n_learners != queries.n_learners:
            raise ValidationError(
                f"history has n_learners={history.n_learners} but queries {queries.n_learners}; "
                "use one learner numbering for both"
            )
        if len(history) and len(queries):
            last = np.full(history.n_learners, -np.inf)
            np.maximum.at(last, history.learner, history.time)
            early = np.flatnonzero(queries.time < last[queries.learner])
            if early.size:
                r = early[0]
                raise ValidationError(
                    f"query row {r} (learner {queries.learner[r]}, time {queries.time[r]}) precedes that learner's "
                    f"last history time {last[queries.learner[r]]}; queries must come after the history"
                )
        if len(queries) == 0:
            return np.zeros(0)
        return np.asarray(self._predict(history, queries), dtype=np.float64)

    def loss(self, log: InteractionLog) -> float:
        """Mean one-step-ahead negative log-likelihood (nats per answer) of the answers in ``log``."""
        self._require_fitted()
        self._check_log(log, "log")
        return float(self._loss(log))

    # --- persistence -----------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Write ``config.json`` and ``weights.npz`` into the folder ``path``."""
        from dynlearn.io_utils import atomic_savez

        self._require_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        state = {k: np.asarray(v) for k, v in self._state().items()}
        atomic_savez(path / "weights.npz", **state)
        meta = {"format": _FORMAT, "model": self.name, "config": _jsonable(self.get_params()),
                "n_concepts": self.n_concepts_}
        atomic_write_text(path / "config.json", json.dumps(meta, indent=2))
        return path

    def _check_log(self, log: InteractionLog, what: str) -> None:
        if not isinstance(log, InteractionLog):
            raise ValidationError(f"{what} must be an InteractionLog (build one with InteractionLog.from_arrays); "
                                  f"got {type(log).__name__}")
        if self.n_concepts_ is not None and log.n_concepts != self.n_concepts_:
            raise ValidationError(
                f"{what} has n_concepts={log.n_concepts} but the model was fitted on {self.n_concepts_}; "
                "use the same concept numbering"
            )

    def _require_fitted(self) -> None:
        if self.n_concepts_ is None:
            raise NotFittedError(f"{self.name} is not fitted; call fit(log) first")

    # subclasses
    def _fit(self, log: InteractionLog) -> None:
        raise NotImplementedError

    def _predict(self, history: InteractionLog, queries: InteractionLog) -> np.ndarray:
        raise NotImplementedError

    def _loss(self, log: InteractionLog) -> float:
        raise NotImplementedError

    def _state(self) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _set_state(self, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}


def load(path: str | os.PathLike) -> KnowledgeTracer:
    """Load a model written by :meth:`KnowledgeTracer.save` (JSON + npz; pickle is never read)."""
    from dynlearn.io_utils import read_npz

    path = Path(path)
    try:
        meta = json.loads((path / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise FileFormatError(f"{path} holds no readable config.json of a saved knowledge-tracing model ({exc})") from None
    if meta.get("format") != _FORMAT:
        raise FileFormatError(f"{path}/config.json is not a saved knowledge-tracing model (format {meta.get('format')!r})")
    cls = LEARNERS.get(meta["model"])
    model = cls(meta["config"])
    model.n_concepts_ = int(meta["n_concepts"])
    model._set_state(read_npz(path / "weights.npz", what="knowledge-tracing model"))
    return model


def create(name: str, config: Any = None, **overrides: Any) -> KnowledgeTracer:
    """A new, unfitted model by registry name, its config overridden by keywords."""
    return LEARNERS.get(name)(config, **overrides)


def names() -> list[str]:
    return LEARNERS.names()


def config_fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls.Config)]
