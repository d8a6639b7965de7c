"""SEMBA lane (issue 22 §3, §4): the planted-faction signed stream, sign evaluation, the SEMBA model."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn.errors import ValidationError
from dynlearn.graphs import TemporalEventStream, auc, evaluate_sign_prediction, planted_factions


def test_planted_factions_statistics():
    s, truth = planted_factions(num_nodes=60, num_factions=3, num_events=6000, homophily=0.6, noise=0.1, seed=1)
    f = truth["faction"]
    assert len(s) == 6000 and s.num_nodes == 60 and s.sign is not None
    assert np.all(np.diff(s.t) >= 0) and np.all(s.src != s.dst)
    assert np.bincount(f).tolist() == [20, 20, 20]
    same = f[s.src] == f[s.dst]
    assert abs(same.mean() - 0.6) < 0.03  # homophily
    np.testing.assert_array_equal(truth["expected_sign"], np.where(same, 1, -1))
    assert abs(np.mean(s.sign[same] < 0) - 0.1) < 0.02  # noise within factions
    assert abs(np.mean(s.sign[~same] > 0) - 0.1) < 0.02  # noise across


def test_planted_factions_balance_in_expectation():
    """Two factions: the majority sign of each pair makes almost every closed triangle balanced."""
    s, _ = planted_factions(num_nodes=16, num_factions=2, num_events=4000, noise=0.1, seed=2)
    n = s.num_nodes
    tot = np.zeros((n, n))
    np.add.at(tot, (s.src, s.dst), s.sign.astype(float))
    np.add.at(tot, (s.dst, s.src), s.sign.astype(float))
    sg = np.sign(tot)
    prods = [sg[a, b] * sg[b, c] * sg[a, c] for a in range(n) for b in range(a + 1, n) for c in range(b + 1, n)
             if sg[a, b] and sg[b, c] and sg[a, c]]  # every closed triangle, by brute force (n is small)
    assert len(prods) > 200 and np.mean(np.asarray(prods) > 0) > 0.95


def test_planted_factions_seeded_and_errors():
    a, _ = planted_factions(num_events=300, seed=5)
    b, _ = planted_factions(num_events=300, seed=5)
    c, _ = planted_factions(num_events=300, seed=6)
    np.testing.assert_array_equal(a.sign, b.sign)
    np.testing.assert_array_equal(a.dst, b.dst)
    assert not np.array_equal(a.dst, c.dst)
    with pytest.raises(ValidationError, match="noise"):
        planted_factions(noise=0.7)
    with pytest.raises(ValidationError, match="2 nodes per faction"):
        planted_factions(num_nodes=5, num_factions=3)


def test_auc_by_hand_with_ties():
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == 0.75
    assert auc([1, 1, 1, 1], [0, 1, 0, 1]) == 0.5  # a constant scorer
    assert auc([0.0, 1.0, 1.0], [0, 1, 0]) == 0.75  # one win, one tie
    with pytest.raises(ValidationError, match="both classes"):
        auc([1, 2], [1, 1])


class _Oracle:
    """A stand-in model whose sign score is a given array (checks the thresholding rule)."""

    def __init__(self, s):
        self.s = np.asarray(s, dtype=float)

    def score_sign(self, src, dst, t, history):
        return self.s


def test_evaluate_sign_prediction_threshold_rule():
    h = TemporalEventStream([0, 1, 2, 3], [1, 2, 3, 0], [0, 1, 2, 3], sign=[1, 1, 1, -1])  # 3/4 positive
    q = TemporalEventStream([0, 1, 2, 3], [2, 3, 0, 1], [4, 5, 6, 7], num_nodes=4, sign=[1, -1, 1, -1])
    r = evaluate_sign_prediction(_Oracle([0.9, 0.8, 0.7, 0.1]), h, q)  # top 3 called +1
    assert r["auc"] == 0.75 and r["accuracy"] == 0.75 and r["neg_recall"] == 0.5
    with pytest.raises(ValidationError, match="no sign"):
        evaluate_sign_prediction(_Oracle([0, 0, 0, 0]), h, TemporalEventStream([0], [1], [9.0], num_nodes=4))


def test_unsigned_models_score_signs_by_their_link_score():
    pytest.importorskip("torch")
    from dynlearn.graphs import models as gm

    h = TemporalEventStream([0, 1, 0], [2, 3, 3], [1.0, 2.0, 3.0], num_nodes=4, sign=[1, -1, 1])
    eb = gm.create("edgebank").fit(h)
    assert not eb.signed
    np.testing.assert_array_equal(eb.score_sign([0, 1], [2, 2], [5.0, 5.0], h), eb.score([0, 1], [2, 2], [5.0, 5.0], h))


def test_semba_learns_signs_and_the_unsigned_variant_ignores_them():
    pytest.importorskip("torch")
    from dynlearn.graphs import models as gm

    s, _ = planted_factions(num_nodes=24, num_factions=2, num_events=900, homophily=0.5, noise=0.05, seed=0)
    train, _, test = s.split(0.1, 0.2)
    cfg = {"dim": 16, "time_dim": 4, "epochs": 3, "batch_size": 32, "eval_batch": 32, "lr": 1e-2, "seed": 0}
    sem = gm.create("semba", **cfg).fit(train)
    assert sem.signed and sem.loss_history_[-1] < sem.loss_history_[0]
    r = evaluate_sign_prediction(sem, s, test)
    assert r["auc"] > 0.75, r
    # the unsigned variant's memory never sees a sign: flipping every history sign leaves its scores unchanged
    uns = gm.create("semba", signed=False, **cfg).fit(train)
    flipped = TemporalEventStream(s.src, s.dst, s.t, num_nodes=s.num_nodes, sign=-s.sign)
    q = (test.src[:20], test.dst[:20], test.t[:20])
    np.testing.assert_allclose(uns.score_sign(*q, s), uns.score_sign(*q, flipped), rtol=1e-6, atol=1e-6)
    assert not np.allclose(sem.score_sign(*q, s), sem.score_sign(*q, flipped))


def test_semba_refuses_events_out_of_replay_order():
    pytest.importorskip("torch")
    from dynlearn.graphs import models as gm

    s, _ = planted_factions(num_nodes=12, num_events=100, seed=0)
    m = gm.create("semba", dim=8, time_dim=4, epochs=1, batch_size=32).fit(s)
    m._begin(s)
    with pytest.raises(ValidationError, match="in order"):
        m._observe(s.src[5:9], s.dst[5:9], s.t[5:9])


def test_planted_factions_defectors_switch_sides():
    s, truth = planted_factions(num_nodes=30, num_factions=3, num_events=4000, defect=0.2, noise=0.0, seed=3)
    sw = truth["switch_time"]
    defectors = np.flatnonzero(np.isfinite(sw))
    assert len(defectors) == 6 and np.all((sw[defectors] >= 60) & (sw[defectors] <= 80))
    assert np.all(truth["faction_after"][defectors] != truth["faction"][defectors])
    n = defectors[0]
    before = (s.t < sw[n]) & ((s.src == n) | (s.dst == n))
    after = (s.t >= sw[n]) & ((s.src == n) | (s.dst == n))
    other = np.where(s.src == n, s.dst, s.src)
    # noise 0 and no one else switching at that moment: a sign is + iff the partner is in n's faction of the time
    loyal = ~np.isfinite(sw[other])
    old, new = truth["faction"][n], truth["faction_after"][n]
    np.testing.assert_array_equal(s.sign[before & loyal] > 0, truth["faction"][other[before & loyal]] == old)
    np.testing.assert_array_equal(s.sign[after & loyal] > 0, truth["faction"][other[after & loyal]] == new)


def test_semba_doc_example_runs(capsys):
    """The signed-stream example of docs/graphs.md runs as written."""
    pytest.importorskip("torch")
    import re
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "graphs.md"
    section = doc.read_text().split("## Signed streams", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, str(doc), "exec"), {})
    lines = capsys.readouterr().out.strip().splitlines()
    assert [ln.split()[0] for ln in lines] == ["semba", "semba", "edgebank"] and "'auc':" in lines[0]


def test_semba_balance_updates_by_hand():
    """Friend/enemy means follow the balance table, and old evidence decays with exp(-dt / tau)."""
    pytest.importorskip("torch")
    from dynlearn.graphs import models as gm

    h = TemporalEventStream([0, 2, 0], [1, 0, 3], [0.0, 1.0, 3.0], num_nodes=4, sign=[-1, -1, 1])
    m = gm.create("semba", dim=4, time_dim=2, epochs=1, batch_size=2, beta=0.5, tau=2.0).fit(h)
    x = m.net_.feat.detach().numpy()[:4].astype(np.float64)
    m._begin(h)
    m._observe(h.src[:2], h.dst[:2], h.t[:2])
    # (0, 1, -1): 0 and 1 become each other's enemy; (2, 0, -1): 2's friend is 0's enemy (1), its enemy is 0
    np.testing.assert_allclose(m._e[1], x[0], rtol=1e-6)
    np.testing.assert_allclose(m._f[2], 0.5 * x[1], rtol=1e-6)  # the enemy of my enemy: beta e_0 = beta x_1
    np.testing.assert_allclose(m._e[2], x[0], rtol=1e-6)  # an enemy, whose friend mean is still empty
    e0_after_two = (np.exp(-0.5) * x[1] + x[2]) / (np.exp(-0.5) + 1)  # 0's enemies: 1 at t=0, then 2 at t=1
    np.testing.assert_allclose(m._e[0], e0_after_two, rtol=1e-6)
    m._observe(h.src[2:], h.dst[2:], h.t[2:])
    # (0, 3, +1) at t=3: 0's friend mean gains x_3 (+ beta f_3 = 0); its enemy mean gains beta e_3 = 0, decayed
    w0 = np.exp(-1.0) * (np.exp(-0.5) + 1)  # the decayed count behind 0's means at t=3
    np.testing.assert_allclose(m._f[0], x[3] / (w0 + 1), rtol=1e-6)
    np.testing.assert_allclose(m._e[0], w0 * e0_after_two / (w0 + 1), rtol=1e-5)
