"""Temporal event streams: the data model of track E's link prediction.

A stream is a time-ordered list of events ``(src_i, dst_i, t_i)`` over nodes ``0..num_nodes-1``,
optionally with a sign ``s_i in {-1, +1}``, a weight ``w_i`` and a feature vector ``x_i``.

Events must arrive in non-decreasing time. Out-of-order input is **refused** by default (a stream
that is silently re-sorted hides a bug upstream, and the order of simultaneous events matters to
streaming models); ``sort=True`` sorts stably by time instead and records that in ``notes``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from dynlearn.errors import FileFormatError, ValidationError
from dynlearn.io_utils import atomic_savez, atomic_write_text, read_npz

_FORMAT = "dynlearn.temporal-event-stream/1"
_CHUNK = 32_768


def _ids(name: str, values) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValidationError(f"{name} must be a 1-D array of node ids, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if not np.issubdtype(arr.dtype, np.floating) or not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValidationError(f"{name} must hold integer node ids, got dtype {arr.dtype}; cast ids to int")
    return arr.astype(np.int64)


class TemporalEventStream:
    """Events ``(src, dst, t)`` in non-decreasing time, with optional ``sign``, ``weight``, ``features``.

    ``num_nodes`` defaults to ``max(src, dst) + 1``; an id outside ``[0, num_nodes)`` is an error.
    ``sort=True`` accepts out-of-order events and sorts them stably by time (noted in ``notes``);
    otherwise they are refused."""

    def __init__(
        self,
        src,
        dst,
        t,
        *,
        num_nodes: int | None = None,
        sign=None,
        weight=None,
        features=None,
        sort: bool = False,
        notes: tuple[str, ...] = (),
    ):
        src, dst = _ids("src", src), _ids("dst", dst)
        t = np.asarray(t, dtype=np.float64)
        if t.ndim != 1 or not (len(src) == len(dst) == len(t)):
            raise ValidationError(
                f"src, dst and t must be 1-D of one length, got {src.shape}, {dst.shape}, {t.shape}"
            )
        if not np.all(np.isfinite(t)):
            raise ValidationError(f"t holds {int(np.sum(~np.isfinite(t)))} non-finite times; drop or fix those events")
        n = len(t)
        lo = min(int(src.min()), int(dst.min())) if n else 0
        hi = max(int(src.max()), int(dst.max())) if n else -1
        if num_nodes is None:
            num_nodes = hi + 1
        num_nodes = int(num_nodes)
        if lo < 0 or hi >= num_nodes:
            bad = lo if lo < 0 else hi
            raise ValidationError(
                f"node id {bad} is out of range [0, {num_nodes}); renumber nodes to 0..N-1 or pass num_nodes > {hi}"
            )
        extras = {}
        for name, val, dtype in (("sign", sign, np.int8), ("weight", weight, np.float64)):
            if val is None:
                extras[name] = None
                continue
            arr = np.asarray(val)
            if arr.shape != (n,):
                raise ValidationError(f"{name} must have shape ({n},) like t, got {arr.shape}")
            if name == "sign" and not np.all(np.isin(arr, (-1, 1))):
                raise ValidationError("sign must hold only -1 and +1; map other labels to these two")
            if name == "weight" and not np.all(np.isfinite(arr)):
                raise ValidationError("weight holds non-finite values; drop or fix those events")
            extras[name] = arr.astype(dtype)
        if features is not None:
            features = np.asarray(features, dtype=np.float64)
            if features.ndim == 1:
                features = features[:, None]
            if features.ndim != 2 or features.shape[0] != n:
                raise ValidationError(f"features must have shape ({n}, F), got {features.shape}")
            if not np.all(np.isfinite(features)):
                raise ValidationError("features hold non-finite values; impute or drop them first")
        notes = tuple(notes)
        if n > 1 and np.any(np.diff(t) < 0):
            if not sort:
                i = int(np.argmax(np.diff(t) < 0))
                raise ValidationError(
                    f"events are out of time order (event {i + 1} at t={t[i + 1]:g} follows t={t[i]:g}); "
                    "sort them by time, or pass sort=True to sort stably"
                )
            order = np.argsort(t, kind="stable")
            src, dst, t = src[order], dst[order], t[order]
            extras = {k: (None if v is None else v[order]) for k, v in extras.items()}
            features = None if features is None else features[order]
            notes = notes + (f"sorted by time on construction ({int(np.sum(order != np.arange(n)))} events moved)",)
        self.src, self.dst, self.t = src, dst, t
        self.num_nodes = num_nodes
        self.sign, self.weight, self.features = extras["sign"], extras["weight"], features
        self.notes = notes

    def __len__(self) -> int:
        return len(self.t)

    def __repr__(self) -> str:
        span = f", t in [{self.t[0]:g}, {self.t[-1]:g}]" if len(self) else ""
        return f"TemporalEventStream({len(self)} events, {self.num_nodes} nodes{span})"

    def select(self, index) -> TemporalEventStream:
        """The events at ``index`` (a slice, or increasing indices), on the same node set."""
        index = np.arange(len(self))[index] if isinstance(index, slice) else np.asarray(index)
        pick = (lambda a: None if a is None else a[index])  # noqa: E731
        return TemporalEventStream(
            self.src[index], self.dst[index], self.t[index], num_nodes=self.num_nodes,
            sign=pick(self.sign), weight=pick(self.weight), features=pick(self.features), notes=self.notes,
        )

    def split(self, val: float = 0.15, test: float = 0.15) -> tuple[TemporalEventStream, ...]:
        """Chronological ``(train, val, test)`` split by event counts, cut at time boundaries.

        The cuts fall before events ``round(n (1 - val - test))`` and ``round(n (1 - test))``, each
        moved back to the first event of its timestamp, so simultaneous events never straddle two
        parts (they go to the later one) and no event of a later part is older than an earlier one's."""
        if not (0 <= val < 1 and 0 < test < 1 and val + test < 1):
            raise ValidationError(f"val={val} and test={test} must be fractions in [0, 1) summing below 1")
        n = len(self)
        if n < 3:
            raise ValidationError(f"a split needs at least 3 events, the stream has {n}")
        raw = np.clip(np.round([n * (1 - val - test), n * (1 - test)]).astype(int), 1, n - 1)
        i1, i2 = np.searchsorted(self.t, self.t[raw], side="left")
        if i1 == 0:
            raise ValidationError("the training part would be empty: the first timestamp holds too many events")
        return self.select(slice(0, i1)), self.select(slice(i1, i2)), self.select(slice(i2, len(self)))

    # --- persistence: npz (arrays) and JSON, never pickle -----------------------------------
    def _arrays(self) -> dict[str, np.ndarray]:
        out = {"src": self.src, "dst": self.dst, "t": self.t}
        for k in ("sign", "weight", "features"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        return out

    def save(self, path: str | Path) -> Path:
        """Write the stream atomically: ``.json`` -> JSON text, anything else -> npz."""
        path = Path(path)
        meta = {"format": _FORMAT, "num_nodes": self.num_nodes, "notes": list(self.notes)}
        if path.suffix == ".json":
            body = {**meta, **{k: v.tolist() for k, v in self._arrays().items()}}
            return atomic_write_text(path, json.dumps(body))
        return atomic_savez(path, meta=np.array(json.dumps(meta)), **self._arrays())

    @classmethod
    def load(cls, path: str | Path) -> TemporalEventStream:
        """Read a stream written by :meth:`save` (npz read without pickle)."""
        path = Path(path)
        try:
            if path.suffix == ".json":
                body = json.loads(path.read_text())
                meta = body
            else:
                body = read_npz(path, what="temporal event stream")
                meta = json.loads(str(body["meta"]))
            if meta.get("format") != _FORMAT:
                raise KeyError("format")
            return cls(
                body["src"], body["dst"], body["t"], num_nodes=meta["num_nodes"], sign=body.get("sign"),
                weight=body.get("weight"), features=body.get("features"), notes=tuple(meta.get("notes", ())),
            )
        except (KeyError, ValueError, TypeError) as exc:
            if isinstance(exc, ValidationError | FileFormatError):
                raise
            raise FileFormatError(
                f"{path} is not a temporal event stream written by TemporalEventStream.save ({exc!s}); "
                "write it again with save()"
            ) from None


class RecentNeighborSampler:
    """The ``k`` most recent neighbours of a node strictly before a time.

    Every event ``(u, v, t)`` makes ``v`` a neighbour of ``u`` and ``u`` one of ``v``. The index is a
    counting sort of the ``2E`` half-edges by node (events are already in time order), so building
    it is linear in ``E``; a query is one binary search over the node-major keys
    ``node * E + event_index``, vectorised over the batch."""

    def __init__(self, stream: TemporalEventStream, k: int):
        if int(k) < 1:
            raise ValidationError(f"k must be a positive number of neighbours, got {k}")
        self.k, self.stream = int(k), stream
        e = len(stream)
        # half-edges interleaved in event order (a self-loop gives one entry, not two), then a stable
        # sort by node: each node's entries stay in event (= time) order
        node = np.stack([stream.src, stream.dst], 1).ravel()
        nbr = np.stack([stream.dst, stream.src], 1).ravel()
        eid = np.repeat(np.arange(e), 2)
        keep = np.ones(2 * e, bool)
        keep[1::2] = stream.src != stream.dst
        node, nbr, eid = node[keep], nbr[keep], eid[keep]
        # numpy's stable sort is a linear radix sort on 16-bit keys: use them when the ids fit
        order = np.argsort(node.astype(np.uint16) if stream.num_nodes <= 1 << 16 else node, kind="stable")
        self._eid, self._nbr = eid[order], nbr[order]
        self._key = node[order] * max(e, 1) + self._eid
        self._t = stream.t[self._eid]
        counts = np.bincount(node, minlength=stream.num_nodes)
        self._start = np.concatenate([[0], np.cumsum(counts)])

    def sample(self, nodes, times) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(neighbours, times, event_ids, mask)``, each of shape ``(Q, k)``, most recent last.

        Slots without a neighbour are padded at the left with id ``-1``, time ``nan`` and
        ``mask == False``. Nodes outside the stream's node range have no neighbours."""
        nodes = np.asarray(nodes, dtype=np.int64)
        times = np.asarray(times, dtype=np.float64)
        if nodes.ndim != 1 or nodes.shape != times.shape:
            raise ValidationError(f"nodes and times must be 1-D of one length, got {nodes.shape} and {times.shape}")
        s = self.stream
        cut = np.searchsorted(s.t, times, side="left")  # events [0, cut) happen strictly before
        known = (nodes >= 0) & (nodes < s.num_nodes)
        safe = np.where(known, nodes, 0)
        qkey = safe * max(len(s), 1) + cut
        # answered in key order, so the binary searches and gathers walk memory forwards (cache-friendly)
        order = np.argsort(qkey, kind="stable")
        pos = np.empty_like(qkey)
        pos[order] = np.searchsorted(self._key, qkey[order], side="left")
        first = self._start[safe]
        pos = np.where(known, pos, first)
        out = [np.empty((len(nodes), self.k), dtype=d) for d in (np.int64, np.float64, np.int64, bool)]
        o_pos, o_first = pos[order], first[order]
        steps = np.arange(self.k)[None, :] - self.k
        for a in range(0, len(nodes), _CHUNK):  # chunks keep the (Q, k) temporaries small and reused
            rows = order[a : a + _CHUNK]
            idx = o_pos[a : a + _CHUNK, None] + steps
            mask = idx >= o_first[a : a + _CHUNK, None]
            idx = np.where(mask, idx, 0)
            if len(self._eid):
                out[0][rows] = np.where(mask, self._nbr[idx], -1)
                out[1][rows] = np.where(mask, self._t[idx], np.nan)
                out[2][rows] = np.where(mask, self._eid[idx], -1)
            else:
                out[0][rows], out[1][rows], out[2][rows] = -1, np.nan, -1
            out[3][rows] = mask
        nbr, nt, eid, mask = out
        return nbr, nt, eid, mask


def time2vec(t, omega, phi) -> np.ndarray:
    """Time2Vec (Kazemi et al. 2019): ``[omega_0 t + phi_0, sin(omega_i t + phi_i) for i >= 1]``.

    ``t`` of any shape, ``omega`` and ``phi`` of shape ``(d,)``; returns shape ``t.shape + (d,)``.
    One linear channel carries trend, the periodic ones carry rhythm."""
    t = np.asarray(t, dtype=np.float64)[..., None]
    omega, phi = np.asarray(omega, dtype=np.float64), np.asarray(phi, dtype=np.float64)
    if omega.shape != phi.shape or omega.ndim != 1 or len(omega) < 1:
        raise ValidationError(f"omega and phi must be 1-D of one length >= 1, got {omega.shape}, {phi.shape}")
    z = omega * t + phi
    return np.concatenate([z[..., :1], np.sin(z[..., 1:])], axis=-1)
