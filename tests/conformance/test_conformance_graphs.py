"""Conformance of track E's link predictors: every model registered in ``dynlearn.graphs.models``.

Checks: score shapes ((Q,) and (Q, m) candidates, finite), the protocol's errors (unfitted, bad
shapes, unknown settings), seed determinism, save/load through JSON + safetensors (never pickle)
giving the same scores, a fit that lowers the loss (trainable models), and that scores use only
the history strictly before each query.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from dynlearn.errors import NotFittedError, ValidationError  # noqa: E402
from dynlearn.graphs import TemporalEventStream, planted_sequence  # noqa: E402
from dynlearn.graphs import models as gm  # noqa: E402

NAMES = gm.names()
_CACHE: dict = {}


def _data():
    if "data" not in _CACHE:
        s, _ = planted_sequence(num_users=12, num_items=40, events_per_user=15, repeat=0.5, seed=0)
        _CACHE["data"] = (s, *s.split(0.1, 0.2))
    return _CACHE["data"]


def _model(name, **over):
    cls = gm.MODELS.get(name)
    return gm.create(name, **{**cls.conformance_config(), **over})


def _fitted(name):
    if name not in _CACHE:
        _CACHE[name] = _model(name).fit(_data()[1])
    return _CACHE[name]


def _queries(k=6, m=5):
    s, _, _, te = _data()
    rng = np.random.default_rng(0)
    return te.src[:k], rng.integers(12, 52, size=(k, m)), te.t[:k]


@pytest.mark.parametrize("name", NAMES)
def test_score_shapes_and_errors(name):
    s = _data()[0]
    src, dst, t = _queries()
    with pytest.raises(NotFittedError, match="fit"):
        _model(name).score(src, dst, t, s)
    model = _fitted(name)
    out = model.score(src, dst, t, s)
    assert out.shape == dst.shape and np.isfinite(out).all()
    assert model.score(src, dst[:, 0], t, s).shape == (len(src),)
    np.testing.assert_allclose(model.score(src, dst[:, 0], t, s), out[:, 0], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValidationError, match=r"must be \(Q,\)"):
        model.score(src[:3], dst, t, s)
    with pytest.raises(ValidationError, match="no setting"):
        gm.create(name, not_a_setting=1)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_scores(name):
    s, train, _, _ = _data()
    src, dst, t = _queries()
    a = _model(name, seed=3).fit(train).score(src, dst, t, s)
    b = _model(name, seed=3).fit(train).score(src, dst, t, s)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip_without_pickle(name, tmp_path):
    s = _data()[0]
    src, dst, t = _queries()
    model = _fitted(name)
    model.save(tmp_path / "m")
    assert not list((tmp_path / "m").glob("*.pkl")) and (tmp_path / "m" / "model.json").is_file()
    back = gm.load(tmp_path / "m")
    assert type(back) is type(model) and back.config == model.config
    np.testing.assert_allclose(back.score(src, dst, t, s), model.score(src, dst, t, s), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", [n for n in NAMES if gm.MODELS.get(n).trainable])
def test_fit_lowers_the_loss(name):
    model = _fitted(name)
    assert len(model.loss_history_) == model.config.epochs
    assert model.loss_history_[-1] < model.loss_history_[0]


@pytest.mark.parametrize("name", NAMES)
def test_scores_ignore_the_future(name):
    """Appending events at or after the queries' times leaves the scores unchanged."""
    s = _data()[0]
    src, dst, t = _queries()
    model = _fitted(name)
    cut = int(np.searchsorted(s.t, t.min(), side="left"))
    past = s.select(slice(0, cut))
    fut_t = np.full(20, t.max() + 1.0)
    rng = np.random.default_rng(1)
    more = TemporalEventStream(
        np.concatenate([past.src, rng.integers(12, size=20)]),
        np.concatenate([past.dst, rng.integers(12, 52, size=20)]),
        np.concatenate([past.t, fut_t]),
        num_nodes=s.num_nodes,
    )
    np.testing.assert_allclose(model.score(src, dst, t, more), model.score(src, dst, t, past), rtol=1e-6, atol=1e-6)


def test_edgebank_scores_seen_pairs_by_hand():
    h = TemporalEventStream([0, 1, 0], [2, 3, 3], [1.0, 2.0, 3.0], num_nodes=4)
    eb = gm.create("edgebank", eval_batch=1).fit(h)  # one query per batch: exact state
    assert eb.score([0, 0, 1], [[2, 3], [2, 3], [2, 3]], [2.0, 3.5, 2.0], h).tolist() == [
        [1.0, 0.0], [1.0, 1.0], [0.0, 0.0],
    ]
    win = gm.create("edgebank", window=1.0).fit(h)
    assert win.score([0], [[2, 3]], [3.5], h).tolist() == [[0.0, 1.0]]
