"""Temporal graphs with planted ground truth.

Every generator returns ``(stream, truth)``: the :class:`~dynlearn.graphs.stream.TemporalEventStream`
and a dict of the planted structure, so what a model recovers can be checked against it.
(The planted-faction signed stream of SEMBA is added beside this one by a later lane.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dynlearn.errors import ValidationError
from dynlearn.graphs.stream import TemporalEventStream


def planted_sequence(
    *,
    num_users: int = 100,
    num_items: int = 300,
    events_per_user: int = 40,
    repeat: float = 0.5,
    noise: float = 0.1,
    branching: int = 1,
    seed: int = 0,
) -> tuple[TemporalEventStream, dict[str, Any]]:
    """A user-item stream whose new edges follow a planted item sequence (TGB-Seq's setting).

    Items lie on a hidden random cycle ``c_0 -> c_1 -> ... -> c_{I-1} -> c_0``; item ``c_i``'s
    successors are the next ``branching`` items of the cycle. Each user starts at a random item
    (its *frontier*) and then, at each step:

    - with probability ``repeat``: re-interacts with an item drawn uniformly from its own past
      (a repeated edge, the pattern EdgeBank and memories catch);
    - otherwise, with probability ``noise``: jumps to an item it has never touched, which becomes
      the frontier;
    - otherwise: moves to a uniformly drawn successor of the frontier (a new edge, predictable only
      from the shared sequential rule "after ``c_i`` comes ``c_{i+1}``").

    Event times: each user's gaps are Exponential with mean 1, so all users stay active over the
    whole span and a chronological split cuts every user's sequence. Users are nodes
    ``0..U-1``, items ``U..U+I-1``. ``truth`` holds ``successors`` (``(I, branching)`` node ids),
    ``is_repeat`` (per event, as generated) and the parameters."""
    if not 0 <= repeat <= 1 or not 0 <= noise <= 1:
        raise ValidationError(f"repeat={repeat} and noise={noise} must be probabilities in [0, 1]")
    if min(num_users, events_per_user) < 1 or num_items < 2:
        raise ValidationError("num_users and events_per_user must be >= 1 and num_items >= 2")
    if not 1 <= branching < num_items:
        raise ValidationError(f"branching must be in [1, num_items), got {branching}")
    if events_per_user > num_items:
        raise ValidationError(
            f"events_per_user={events_per_user} exceeds num_items={num_items}: a user would run out of new items; "
            "raise num_items"
        )
    rng = np.random.default_rng(seed)
    cycle = rng.permutation(num_items)
    pos = np.empty(num_items, dtype=np.int64)
    pos[cycle] = np.arange(num_items)
    succ = cycle[(pos[:, None] + np.arange(1, branching + 1)[None, :]) % num_items]  # (I, b), item indices
    users, items, times, rep = [], [], [], []
    for u in range(num_users):
        frontier = int(rng.integers(num_items))
        past = [frontier]  # the items this user has touched, in first-touch order
        seen = {frontier}
        seq, flags = [frontier], [False]
        for _ in range(events_per_user - 1):
            if rng.random() < repeat:
                item = past[int(rng.integers(len(past)))]
            elif rng.random() < noise:
                fresh = rng.integers(num_items, size=8)
                item = next((int(i) for i in fresh if int(i) not in seen), None)
                if item is None:  # rare: fall back to an exhaustive draw
                    item = int(rng.choice(np.setdiff1d(np.arange(num_items), list(seen))))
                frontier = item
            else:
                item = frontier = int(succ[frontier, int(rng.integers(branching))])
            flags.append(item in seen)
            if item not in seen:
                seen.add(item)
                past.append(item)
            seq.append(item)
        items.extend(seq)
        users.extend([u] * events_per_user)
        times.append(rng.uniform(0, 1) + np.cumsum(rng.exponential(1.0, events_per_user)))
        rep.extend(flags)
    t = np.concatenate(times)
    order = np.argsort(t, kind="stable")
    src = np.asarray(users, dtype=np.int64)[order]
    dst = num_users + np.asarray(items, dtype=np.int64)[order]
    stream = TemporalEventStream(src, dst, t[order], num_nodes=num_users + num_items)
    truth = {
        "successors": num_users + succ,
        "is_repeat": np.asarray(rep, dtype=bool)[order],
        "num_users": num_users,
        "num_items": num_items,
        "repeat": repeat,
        "noise": noise,
        "branching": branching,
    }
    return stream, truth
