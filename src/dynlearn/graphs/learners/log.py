"""The interaction log: who practised which concept when, and whether the answer was correct.

One row per interaction ``(learner, concept, time, correct)``. Rows of one learner appear in time
order (ties allowed: two answers at the same instant are a zero gap); learners may interleave.
Times going backwards for a learner, ids out of range, non-finite times or non-binary answers are
refused with a one-line error naming the first bad row.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import numpy as np

from dynlearn.errors import FileFormatError, ValidationError
from dynlearn.io_utils import atomic_savez, read_npz

_FORMAT = "dynlearn.interaction_log/1"


@dataclasses.dataclass(frozen=True)
class InteractionLog:
    """Interactions of ``n_learners`` learners with ``n_concepts`` concepts.

    Arrays have one entry per interaction: ``learner`` and ``concept`` (int64 ids in
    ``[0, n_learners)`` and ``[0, n_concepts)``), ``time`` (float64, non-decreasing per learner)
    and ``correct`` (int8, 0 or 1). Build it with :meth:`from_arrays`, which validates."""

    learner: np.ndarray
    concept: np.ndarray
    time: np.ndarray
    correct: np.ndarray
    n_learners: int
    n_concepts: int

    @classmethod
    def from_arrays(cls, learner, concept, time, correct=None, *, n_learners: int | None = None,
                    n_concepts: int | None = None) -> InteractionLog:
        """Validate and build a log; ``correct=None`` (queries whose answers are unknown) is stored as zeros."""
        lr = _ids(learner, "learner")
        cp = _ids(concept, "concept")
        t = np.asarray(time, dtype=np.float64)
        n = lr.shape[0]
        if t.ndim != 1 or cp.shape[0] != n or t.shape[0] != n:
            raise ValidationError(
                f"learner, concept and time must be 1-D of one length; got shapes {lr.shape}, {cp.shape}, {t.shape}"
            )
        y = np.zeros(n, dtype=np.int8) if correct is None else np.asarray(correct)
        if y.shape != (n,):
            raise ValidationError(f"correct must have shape ({n},) like learner; got {y.shape}")
        bad = np.flatnonzero((y != 0) & (y != 1))
        if bad.size:
            raise ValidationError(f"correct[{bad[0]}] = {y[bad[0]].item()!r}; answers must be 0 (wrong) or 1 (correct)")
        y = y.astype(np.int8)
        bad = np.flatnonzero(~np.isfinite(t))
        if bad.size:
            raise ValidationError(f"time[{bad[0]}] = {t[bad[0]]}; times must be finite numbers")
        nl = int(lr.max()) + 1 if n_learners is None and n else int(n_learners or 0)
        nc = int(cp.max()) + 1 if n_concepts is None and n else int(n_concepts or 0)
        for arr, bound, what in ((lr, nl, "learner"), (cp, nc, "concept")):
            out = np.flatnonzero(arr >= bound)
            if out.size:
                raise ValidationError(
                    f"{what}[{out[0]}] = {arr[out[0]]} is out of range for n_{what}s={bound}; "
                    f"ids must lie in [0, {bound}) (raise n_{what}s or renumber the ids)"
                )
        if n:
            order = np.argsort(lr, kind="stable")
            ls, ts = lr[order], t[order]
            back = np.flatnonzero((ls[1:] == ls[:-1]) & (ts[1:] < ts[:-1]))
            if back.size:
                row = order[back[0] + 1]
                raise ValidationError(
                    f"time goes backwards for learner {lr[row]} at row {row} ({t[row]} after {t[order[back[0]]]}); "
                    "list each learner's interactions in time order (sort by learner, then time)"
                )
        return cls(lr, cp, t, y, nl, nc)

    def __len__(self) -> int:
        return int(self.learner.shape[0])

    def select(self, mask: np.ndarray) -> InteractionLog:
        """The rows where ``mask`` holds (row order and the id ranges kept)."""
        return InteractionLog(self.learner[mask], self.concept[mask], self.time[mask], self.correct[mask],
                              self.n_learners, self.n_concepts)

    def position(self) -> np.ndarray:
        """Index of each row within its learner's sequence (0 for a learner's first interaction)."""
        pos = np.zeros(len(self), dtype=np.int64)
        order = np.argsort(self.learner, kind="stable")
        ls = self.learner[order]
        starts = np.r_[0, np.flatnonzero(ls[1:] != ls[:-1]) + 1]
        counts = np.diff(np.r_[starts, ls.shape[0]])
        pos[order] = np.arange(ls.shape[0]) - np.repeat(starts, counts)
        return pos

    def split(self, history: float = 0.8) -> tuple[InteractionLog, InteractionLog]:
        """Per learner, the first ``history`` fraction of interactions and the rest (the multi-step future)."""
        if not 0.0 < history < 1.0:
            raise ValidationError(f"history fraction must lie in (0, 1); got {history}")
        pos = self.position()
        counts = np.bincount(self.learner, minlength=self.n_learners)
        cut = np.maximum(1, np.floor(history * counts)).astype(np.int64)
        past = pos < cut[self.learner]
        return self.select(past), self.select(~past)

    def padded(self) -> dict[str, np.ndarray]:
        """Per-learner sequences padded to the longest: arrays ``(n_learners, T)`` plus ``mask`` and ``index``
        (the row of the log at each slot, -1 where padded)."""
        pos = self.position()
        counts = np.bincount(self.learner, minlength=self.n_learners)
        T = int(counts.max()) if len(self) else 0
        index = np.full((self.n_learners, T), -1, dtype=np.int64)
        index[self.learner, pos] = np.arange(len(self))
        mask = index >= 0
        safe = np.where(mask, index, 0)
        out = {"mask": mask, "index": index, "lengths": counts}
        for name in ("concept", "time", "correct"):
            arr = getattr(self, name)
            out[name] = np.where(mask, arr[safe] if len(self) else np.zeros_like(safe, dtype=arr.dtype), 0)
        return out

    def save(self, path: str | os.PathLike) -> Path:
        """Write the log to an ``.npz`` file atomically (numeric arrays only)."""
        meta = json.dumps({"format": _FORMAT, "n_learners": self.n_learners, "n_concepts": self.n_concepts})
        return atomic_savez(path, learner=self.learner, concept=self.concept, time=self.time,
                            correct=self.correct, meta=np.frombuffer(meta.encode(), dtype=np.uint8))

    @classmethod
    def load(cls, path: str | os.PathLike) -> InteractionLog:
        arrs = read_npz(path, what="interaction log")
        try:
            meta = json.loads(arrs["meta"].tobytes().decode())
            if meta.get("format") != _FORMAT:
                raise KeyError("format")
            return cls.from_arrays(arrs["learner"], arrs["concept"], arrs["time"], arrs["correct"],
                                   n_learners=meta["n_learners"], n_concepts=meta["n_concepts"])
        except KeyError as exc:
            raise FileFormatError(
                f"{path} is not an interaction log written by InteractionLog.save (missing {exc}); write it again"
            ) from None


def _ids(values, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValidationError(f"{what} ids must be a 1-D array; got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValidationError(f"{what} ids must be whole numbers; got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    neg = np.flatnonzero(arr < 0)
    if neg.size:
        raise ValidationError(f"{what}[{neg[0]}] = {arr[neg[0]]}; ids must be >= 0")
    return arr
