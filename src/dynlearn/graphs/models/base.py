"""The protocol of link-prediction models on temporal event streams.

A model is fitted on the training part of a stream and then scores candidate links
``(src_i, dst_ij, t_i)`` given a ``history`` stream. It may use only the history events strictly
before each query's time. Streaming models keep a state (a memory, each user's recent items, the
set of seen edges) built by replaying ``history``; queries are answered in time order, in batches
of ``eval_batch`` queries that all see the state as of the earliest query of their batch (the
batch staleness of TGN-style evaluation; models that read a neighbour sampler see every event
strictly before each query exactly).

Subclasses implement ``_begin(stream)`` (reset the streaming state), ``_observe(src, dst, t)``
(absorb events), ``_score(src, dst, t) -> (B, m)`` and, if trainable, ``_fit``. ``score_sign``
answers the same queries with sign scores through ``_score_sign`` (signed models override it; by
default it is the link score).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from dynlearn.errors import FileFormatError, NotFittedError, ValidationError
from dynlearn.graphs.stream import TemporalEventStream
from dynlearn.io_utils import atomic_write_text

_FORMAT = "dynlearn.graphs.model/1"


@dataclasses.dataclass
class LinkConfig:
    seed: int = 0
    #: queries answered together in ``score`` (they share the streaming state of the earliest one)
    eval_batch: int = 200


class LinkPredictor:
    """Base class: ``fit(train) -> self``, ``score(src, dst, t, history) -> (Q, m)`` scores."""

    name: ClassVar[str] = ""
    Config: ClassVar[type] = LinkConfig
    #: False for non-parametric models (EdgeBank): ``fit`` learns nothing and no loss is recorded
    trainable: ClassVar[bool] = True
    #: True for models that read the events' signs and predict signs (``score_sign``)
    signed: ClassVar[bool] = False

    def __init__(self, config=None, **overrides: Any):
        base = config if config is not None else self.Config()
        fields = {f.name for f in dataclasses.fields(self.Config)}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ValidationError(
                f"{type(self).__name__} has no setting {', '.join(unknown)}; its settings are {', '.join(sorted(fields))}"
            )
        self.config = dataclasses.replace(base, **overrides)
        self.meta_: dict[str, Any] | None = None

    @classmethod
    def conformance_config(cls) -> dict[str, Any]:
        """Small settings under which the conformance suite runs this model in well under a second."""
        return {}

    # --- protocol ---------------------------------------------------------------------------
    def fit(self, train: TemporalEventStream) -> LinkPredictor:
        if not isinstance(train, TemporalEventStream):
            raise ValidationError(f"fit expects a TemporalEventStream, got {type(train).__name__}")
        if len(train) < 2:
            raise ValidationError(f"fit needs at least 2 training events, got {len(train)}")
        self.meta_ = {"num_nodes": int(train.num_nodes)}
        self._fit(train)
        return self

    def score(self, src, dst, t, history: TemporalEventStream) -> np.ndarray:
        """Scores (higher = more likely) of the links ``(src[i], dst[i, j], t[i])``.

        ``dst`` is ``(Q,)`` or ``(Q, m)`` (the output has its shape); ``history`` holds the events
        the model may use (those strictly before each ``t[i]``)."""
        return self._answer(src, dst, t, history, self._score)

    def score_sign(self, src, dst, t, history: TemporalEventStream) -> np.ndarray:
        """Scores (higher = more likely ``+1``) of the signs of the links ``(src[i], dst[i], t[i])``.

        Shapes and the use of ``history`` as in :meth:`score`. Signed models (``signed = True``)
        override ``_score_sign``; a sign-blind model's only guess is that likelier links are
        friendlier, so by default the sign score is the link score."""
        return self._answer(src, dst, t, history, self._score_sign)

    def _answer(self, src, dst, t, history, fn) -> np.ndarray:
        if self.meta_ is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted; call fit(train) or load(dir) first")
        if not isinstance(history, TemporalEventStream):
            raise ValidationError(f"history must be a TemporalEventStream, got {type(history).__name__}")
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        t = np.asarray(t, dtype=np.float64)
        flat = dst.ndim == 1
        dst2 = dst[:, None] if flat else dst
        if src.ndim != 1 or t.shape != src.shape or dst2.ndim != 2 or dst2.shape[0] != len(src):
            raise ValidationError(f"src and t must be (Q,) and dst (Q,) or (Q, m); got {src.shape}, {t.shape}, {dst.shape}")
        if len(src) and (min(src.min(), dst2.min()) < 0):
            raise ValidationError("node ids must be >= 0")
        out = np.empty(dst2.shape, dtype=np.float64)
        order = np.argsort(t, kind="stable")
        self._begin(history)
        cursor, step = 0, max(1, int(self.config.eval_batch))
        for a in range(0, len(order), step):
            idx = order[a : a + step]
            cut = int(np.searchsorted(history.t, t[idx[0]], side="left"))
            if cut > cursor:
                self._observe(history.src[cursor:cut], history.dst[cursor:cut], history.t[cursor:cut])
                cursor = cut
            out[idx] = fn(src[idx], dst2[idx], t[idx])
        if not np.all(np.isfinite(out)):
            raise ValidationError(f"{type(self).__name__} produced non-finite scores; its training diverged")
        return out[:, 0] if flat else out

    # --- persistence ------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        if self.meta_ is None:
            raise NotFittedError(f"{type(self).__name__} is not fitted; nothing to save")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self._save_state(path)
        body = {"format": _FORMAT, "model": self.name, "config": dataclasses.asdict(self.config), "meta": self.meta_}
        atomic_write_text(path / "model.json", json.dumps(body, indent=1))
        return path

    # --- hooks ------------------------------------------------------------------------------
    def _fit(self, train: TemporalEventStream) -> None:
        pass

    def _save_state(self, path: Path) -> None:
        pass

    def _load_state(self, path: Path) -> None:
        pass

    def _begin(self, stream: TemporalEventStream) -> None:
        raise NotImplementedError

    def _observe(self, src: np.ndarray, dst: np.ndarray, t: np.ndarray) -> None:
        raise NotImplementedError

    def _score(self, src: np.ndarray, dst: np.ndarray, t: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _score_sign(self, src: np.ndarray, dst: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self._score(src, dst, t)


def load_model(path: str | Path, lookup) -> LinkPredictor:
    path = Path(path)
    try:
        body = json.loads((path / "model.json").read_text())
        if body.get("format") != _FORMAT:
            raise KeyError("format")
        cls = lookup(body["model"])
        model = cls(**body["config"])
        model.meta_ = dict(body["meta"])
    except (OSError, KeyError, ValueError, TypeError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise FileFormatError(f"{path} holds no model written by LinkPredictor.save ({exc!s}); save the model again") from None
    model._load_state(path)
    return model
