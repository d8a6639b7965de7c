"""Temporal graphs with planted ground truth.

Every generator returns ``(stream, truth)``: the :class:`~dynlearn.graphs.stream.TemporalEventStream`
and a dict of the planted structure, so what a model recovers can be checked against it.
``planted_factions`` is the signed stream of SEMBA (factions, structural balance).
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


def planted_factions(
    *,
    num_nodes: int = 60,
    num_factions: int = 3,
    num_events: int = 2000,
    homophily: float = 0.5,
    noise: float = 0.1,
    defect: float = 0.0,
    defect_window: tuple[float, float] = (0.6, 0.8),
    span: float = 100.0,
    seed: int = 0,
) -> tuple[TemporalEventStream, dict[str, Any]]:
    """A signed stream whose signs follow planted factions (SEMBA's setting, structural balance).

    Nodes are split at random into ``num_factions`` factions of (nearly) equal size. Each event
    ``(u, v, t, s)``: ``u`` is uniform over the nodes; with probability ``homophily`` ``v`` is drawn
    uniformly from ``u``'s own faction (``v != u``), otherwise from the other factions; the sign is
    ``s = +1`` within a faction and ``s = -1`` across, flipped with probability ``noise``. Times are
    the sorted draws of ``num_events`` uniforms on ``[0, span]``.

    Defection (the dynamic part): a share ``defect`` of the nodes, drawn at random, switches to
    another faction at a time uniform in ``defect_window * span``; an event's partner draw and sign
    use both ends' factions at the event's time. A model that memorised who is in which faction
    goes wrong on the defectors; one that reads recent signs can follow them.

    Structural balance (Heider 1946; Cartwright and Harary 1956) holds in expectation: a pair's
    expected sign is ``(1 - 2 noise)`` times its planted sign (``+1`` same faction, ``-1`` apart), so
    a triangle's expected sign product is ``(1 - 2 noise)^3`` times its planted product, which is
    positive ("the enemy of my enemy is my friend") for every triangle touching at most two
    factions. A triangle across three factions (all enemies, planted product ``-1``) is the one
    pattern strong balance forbids and weak balance (Davis 1967) allows; with ``num_factions = 2``
    every triangle is balanced. With ``homophily = (n / K - 1) / (n - 1)`` (its value for uniform
    pairs) the unsigned structure
    carries no trace of the factions; above it, within-faction pairs are denser, which is the only
    signal a sign-blind model can use. ``truth`` holds ``faction`` (per node, at the start),
    ``faction_after`` and ``switch_time`` (``inf`` for loyal nodes), ``expected_sign`` (per event,
    before the flips) and the parameters."""
    if not 0 <= homophily <= 1 or not 0 <= noise <= 0.5:
        raise ValidationError(f"homophily={homophily} must be in [0, 1] and noise={noise} in [0, 0.5]")
    if num_factions < 2 or num_nodes < 2 * num_factions:
        raise ValidationError(
            f"need num_factions >= 2 and at least 2 nodes per faction, got {num_factions} factions of {num_nodes} nodes"
        )
    lo_w, hi_w = defect_window
    if not 0 <= defect <= 1 or not 0 <= lo_w <= hi_w <= 1:
        raise ValidationError(f"defect={defect} must be in [0, 1] and defect_window={defect_window} within [0, 1]")
    if num_events < 1 or not span > 0:
        raise ValidationError(f"num_events must be >= 1 and span > 0, got {num_events} and {span}")
    rng = np.random.default_rng(seed)
    faction = rng.permutation(np.arange(num_nodes) % num_factions)
    t = np.sort(rng.uniform(0.0, span, size=num_events))
    defectors = np.sort(rng.choice(num_nodes, size=int(round(defect * num_nodes)), replace=False))
    switch = np.full(num_nodes, np.inf)
    switch[defectors] = rng.uniform(lo_w * span, hi_w * span, size=len(defectors))
    after = faction.copy()
    after[defectors] = (faction[defectors] + rng.integers(1, num_factions, size=len(defectors))) % num_factions
    src = rng.integers(num_nodes, size=num_events)
    within = rng.random(num_events) < homophily
    dst = np.empty(num_events, dtype=np.int64)
    expected = np.empty(num_events, dtype=np.int8)
    for i, (u, w, ti) in enumerate(zip(src.tolist(), within.tolist(), t.tolist(), strict=True)):
        now = np.where(ti >= switch, after, faction)  # every node's faction at this event's time
        same = np.flatnonzero(now == now[u])
        if w:
            pool = same[same != u]
        else:
            pool = np.flatnonzero(now != now[u])
        if len(pool) == 0:  # a faction emptied or filled by defections: fall back to any other node
            pool = np.delete(np.arange(num_nodes), u)
        v = int(pool[rng.integers(len(pool))])
        dst[i] = v
        expected[i] = 1 if now[v] == now[u] else -1
    flip = rng.random(num_events) < noise
    sign = np.where(flip, -expected, expected).astype(np.int8)
    stream = TemporalEventStream(src, dst, t, num_nodes=num_nodes, sign=sign)
    truth = {
        "faction": faction,
        "faction_after": after,
        "switch_time": switch,
        "expected_sign": expected,
        "num_factions": num_factions,
        "homophily": homophily,
        "noise": noise,
        "defect": defect,
    }
    return stream, truth
