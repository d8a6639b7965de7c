"""dynlearn.graphs core: event streams, neighbour sampler, Time2Vec, negatives, evaluator, generator."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn.errors import FileFormatError, ValidationError
from dynlearn.graphs import (
    RecentNeighborSampler,
    TemporalEventStream,
    hits_at,
    mrr,
    planted_sequence,
    ranks,
    repeat_ratio,
    sample_negatives,
    surprise,
    time2vec,
)


def _stream():
    return TemporalEventStream([0, 1, 0, 2, 0], [3, 3, 4, 4, 3], [1.0, 2.0, 2.0, 3.0, 5.0], num_nodes=6)


# --- the stream -------------------------------------------------------------------------------
def test_out_of_order_events_are_refused_or_sorted_with_a_note():
    with pytest.raises(ValidationError, match="out of time order.*sort=True"):
        TemporalEventStream([0, 1, 2], [1, 2, 0], [0.0, 2.0, 1.0])
    s = TemporalEventStream([0, 1, 2], [1, 2, 0], [0.0, 2.0, 1.0], sort=True, weight=[1.0, 2.0, 3.0])
    assert s.t.tolist() == [0.0, 1.0, 2.0] and s.src.tolist() == [0, 2, 1] and s.weight.tolist() == [1, 3, 2]
    assert "sorted by time" in s.notes[0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"src": [0, 5], "dst": [1, 1], "t": [0, 1], "num_nodes": 5}, "node id 5 is out of range"),
        ({"src": [0, -1], "dst": [1, 1], "t": [0, 1]}, "node id -1 is out of range"),
        ({"src": [0.5, 1], "dst": [1, 1], "t": [0, 1]}, "integer node ids"),
        ({"src": [0, 1], "dst": [1, 1], "t": [0, np.nan]}, "non-finite times"),
        ({"src": [0, 1], "dst": [1, 1], "t": [0, 1], "sign": [1, 0]}, "sign must hold only -1 and \\+1"),
        ({"src": [0, 1], "dst": [1], "t": [0, 1]}, "one length"),
    ],
)
def test_bad_streams_get_one_line_errors(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        TemporalEventStream(**kwargs)


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_save_load_round_trip(tmp_path, suffix):
    s = TemporalEventStream(
        [0, 1], [2, 2], [0.5, 1.5], num_nodes=4, sign=[1, -1], weight=[0.2, 0.3], features=[[1.0, 2.0], [3.0, 4.0]]
    )
    back = TemporalEventStream.load(s.save(tmp_path / f"s{suffix}"))
    for k in ("src", "dst", "t", "sign", "weight", "features"):
        np.testing.assert_array_equal(getattr(back, k), getattr(s, k))
    assert back.num_nodes == 4


def test_load_refuses_pickled_and_foreign_files(tmp_path):
    np.savez(tmp_path / "bad.npz", src=np.array([object()], dtype=object))
    with pytest.raises(FileFormatError, match="pickle"):
        TemporalEventStream.load(tmp_path / "bad.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(FileFormatError, match="not a temporal event stream"):
        TemporalEventStream.load(tmp_path / "other.npz")


def test_chronological_split_keeps_simultaneous_events_together():
    s = TemporalEventStream(np.zeros(10, int), np.ones(10, int), [0, 1, 2, 3, 4, 5, 6, 7, 7, 7])
    tr, va, te = s.split(0.2, 0.2)
    assert len(tr) + len(va) + len(te) == 10
    assert tr.t.max() < va.t.min() and va.t.max() < te.t.min()
    assert set(te.t.tolist()) | set(va.t.tolist()) >= {7.0}
    assert len({7.0} & set(tr.t.tolist())) == 0


# --- sampler and Time2Vec ---------------------------------------------------------------------
def test_recent_neighbours_by_hand():
    nbr, nt, eid, mask = RecentNeighborSampler(_stream(), k=2).sample([0, 3, 4, 5, 0], [5.0, 5.0, 2.5, 9.0, 2.0])
    # node 0 before t=5: events 0 (->3, t=1) and 2 (->4, t=2); node 3 before 5: 0 (t=1), 1 (t=2)
    assert nbr.tolist() == [[3, 4], [0, 1], [-1, 0], [-1, -1], [-1, 3]]
    assert eid.tolist() == [[0, 2], [0, 1], [-1, 2], [-1, -1], [-1, 0]]
    assert mask.tolist() == [[True, True], [True, True], [False, True], [False, False], [False, True]]
    assert nt[0].tolist() == [1.0, 2.0] and np.isnan(nt[3]).all()


def test_sampler_matches_brute_force_on_a_random_stream():
    rng = np.random.default_rng(0)
    n, e, k = 20, 400, 5
    s = TemporalEventStream(rng.integers(n, size=e), rng.integers(n, size=e), np.sort(rng.integers(0, 100, e)))
    q_nodes, q_t = rng.integers(n, size=50), rng.uniform(0, 110, 50)
    nbr, _, eid, mask = RecentNeighborSampler(s, k).sample(q_nodes, q_t)
    for i, (v, t) in enumerate(zip(q_nodes, q_t, strict=True)):
        hits = [j for j in range(e) if s.t[j] < t and v in (s.src[j], s.dst[j])][-k:]
        assert eid[i][mask[i]].tolist() == hits


def test_time2vec_is_linear_then_periodic():
    z = time2vec(np.array([0.0, 1.0]), omega=[2.0, np.pi / 2], phi=[1.0, 0.0])
    np.testing.assert_allclose(z, [[1.0, 0.0], [3.0, 1.0]], atol=1e-12)


# --- negatives --------------------------------------------------------------------------------
def test_negatives_are_seeded_filtered_and_refuse_too_many():
    q = TemporalEventStream([0, 0, 1], [5, 6, 7], [1.0, 1.0, 2.0], num_nodes=10)
    a = sample_negatives(q, 3, candidates=range(3, 10), seed=4)
    assert np.array_equal(a, sample_negatives(q, 3, candidates=range(3, 10), seed=4))
    assert not np.array_equal(a, sample_negatives(q, 3, candidates=range(3, 10), seed=5))
    assert not np.isin(a[:2], [5, 6]).any() and 7 not in a[2]  # every true destination of (src, t) is filtered
    assert all(len(set(row)) == 3 for row in a.tolist())
    with pytest.raises(ValidationError, match="6 negatives per query requested but a query has only 5"):
        sample_negatives(q, 6, candidates=range(3, 10))


def test_historical_and_inductive_negatives_come_from_their_pools():
    hist = TemporalEventStream([0, 0, 0], [10, 11, 12], [0.0, 1.0, 2.0], num_nodes=30)
    q = TemporalEventStream([0, 0, 0], [11, 13, 14], [3.0, 4.0, 5.0], num_nodes=30)
    h = sample_negatives(q, 2, kind="historical", history=hist, candidates=range(10, 30), seed=0)
    assert set(h[0].tolist()) == {10, 12} and set(h[1].tolist()) <= {10, 11, 12}
    ind = sample_negatives(q, 1, kind="inductive", history=hist, candidates=range(10, 30), seed=0)
    assert ind[1, 0] == 14 and ind[2, 0] == 13  # new pairs of src 0 at query time, minus the true one
    with pytest.raises(ValidationError, match="need the history"):
        sample_negatives(q, 1, kind="historical")


# --- evaluator --------------------------------------------------------------------------------
POS = [0.5, 0.5, 0.9, 0.1]
NEG = [[0.1, 0.5, 0.7], [0.5, 0.5, 0.5], [0.1, 0.2, 0.3], [0.1, 0.1, 0.1]]


@pytest.mark.parametrize(
    ("ties", "expected"),
    [("average", [2.5, 2.5, 1, 2.5]), ("pessimistic", [3, 4, 1, 4]), ("optimistic", [2, 1, 1, 1])],
)
def test_ranks_by_hand_with_ties(ties, expected):
    assert ranks(POS, NEG, ties=ties).tolist() == expected


def test_mrr_and_hits_by_hand():
    r = ranks(POS, NEG)
    assert mrr(r) == pytest.approx((0.4 * 3 + 1) / 4)
    assert hits_at(r, 1) == 0.25 and hits_at(r, 2) == 0.25 and hits_at(r, 3) == 1.0
    # a constant scorer gets the chance rank (n + 2) / 2, not 1 (the optimistic bug) nor n + 1
    assert ranks(np.zeros(5), np.zeros((5, 100))).tolist() == [51.0] * 5
    # masked negatives do not count
    assert ranks([0.5], [[0.1, 0.5, 0.7]], mask=[[True, True, False]]).tolist() == [1.5]
    # chunking does not change the answer
    rng = np.random.default_rng(1)
    p, q = rng.integers(0, 4, 1000).astype(float), rng.integers(0, 4, (1000, 7)).astype(float)
    assert np.array_equal(ranks(p, q, chunk=33), ranks(p, q))


def test_evaluator_rejects_nan_and_bad_shapes():
    with pytest.raises(ValidationError, match="NaN"):
        ranks([np.nan], [[0.0]])
    with pytest.raises(ValidationError, match="same Q"):
        ranks([0.0, 1.0], [[0.0]])
    with pytest.raises(ValidationError, match="tie rule"):
        ranks([0.0], [[0.0]], ties="random")


def test_repeat_ratio_and_surprise_by_hand():
    s = _stream()  # pairs (0,3) (1,3) (0,4) (2,4) (0,3): only the last repeats
    assert repeat_ratio(s) == pytest.approx(1 / 5)
    tr, te = s.select(slice(0, 3)), s.select(slice(3, 5))
    assert repeat_ratio(te, tr) == pytest.approx(1 / 2)  # (0,3) seen in train, (2,4) new
    assert surprise(tr, te) == pytest.approx(1 / 2)


# --- generator --------------------------------------------------------------------------------
@pytest.mark.parametrize("repeat", [0.0, 0.5, 0.9])
def test_planted_sequence_hits_its_repeat_ratio_and_is_seeded(repeat):
    s, truth = planted_sequence(num_users=30, num_items=200, events_per_user=30, repeat=repeat, seed=3)
    assert len(s) == 900 and s.num_nodes == 230
    # the first event of each user cannot repeat; small wrap-around repeats aside
    assert repeat_ratio(s) == pytest.approx(repeat * 29 / 30, abs=0.05)
    assert truth["is_repeat"].mean() == pytest.approx(repeat_ratio(s), abs=1e-12)
    again, _ = planted_sequence(num_users=30, num_items=200, events_per_user=30, repeat=repeat, seed=3)
    assert np.array_equal(again.dst, s.dst) and np.array_equal(again.t, s.t)
    if repeat == 0.0:
        # new edges follow the planted successor, except the noise jumps (10 %)
        succ = truth["successors"][:, 0]
        follows = [succ[a - 30] == b for u in range(30) for a, b in _consecutive(s, u)]
        assert np.mean(follows) == pytest.approx(0.9, abs=0.05)


def _consecutive(s, u):
    items = s.dst[s.src == u]
    return zip(items[:-1], items[1:], strict=True)


def test_sampler_rejects_mismatched_queries():
    with pytest.raises(ValidationError, match="one length"):
        RecentNeighborSampler(_stream(), k=2).sample([0, 1], [1.0])
    with pytest.raises(ValidationError, match="positive number"):
        RecentNeighborSampler(_stream(), k=0)
