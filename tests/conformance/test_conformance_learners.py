"""Conformance of the knowledge-tracing models (``dynlearn.graphs.learners.LEARNERS``).

Every registered model, under its small ``conformance_config()``: forecasts have the queries' shape and
lie in (0, 1); forecasts are multi-step (the queries' own answers never change them); the same seed gives
the same numbers; save/load (JSON + npz, never pickle) gives the same forecasts; one fitting step lowers
the loss; bad input gets a one-line error.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from dynlearn.errors import NotFittedError, ValidationError  # noqa: E402
from dynlearn.graphs.learners import LEARNERS, InteractionLog, create, load, simulate_students  # noqa: E402

NAMES = LEARNERS.names()
_CACHE: dict = {}


def _data():
    if "data" not in _CACHE:
        d = simulate_students(seed=0, n_learners=8, n_concepts=4, interactions=15)
        _CACHE["data"] = d.log.split(0.8)
    return _CACHE["data"]


def _model(name, **over):
    cls = LEARNERS.get(name)
    return create(name, {**cls.conformance_config(), **over})


def _fitted(name):
    if name not in _CACHE:
        _CACHE[name] = _model(name).fit(_data()[0])
    return _CACHE[name]


@pytest.mark.parametrize("name", NAMES)
def test_forecasts_have_the_queries_shape_and_are_probabilities(name):
    hist, fut = _data()
    p = _fitted(name).predict_proba(hist, fut)
    assert p.shape == (len(fut),) and np.all((p > 0) & (p < 1))
    assert _fitted(name).predict_proba(hist, fut.select(np.zeros(len(fut), bool))).shape == (0,)


@pytest.mark.parametrize("name", NAMES)
def test_forecasts_are_multi_step_the_queries_answers_are_not_read(name):
    hist, fut = _data()
    flipped = InteractionLog(fut.learner, fut.concept, fut.time, 1 - fut.correct, fut.n_learners, fut.n_concepts)
    m = _fitted(name)
    assert np.array_equal(m.predict_proba(hist, fut), m.predict_proba(hist, flipped))


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_numbers(name):
    hist, fut = _data()
    a = _model(name, seed=3).fit(hist).predict_proba(hist, fut)
    b = _model(name, seed=3).fit(hist).predict_proba(hist, fut)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("name", NAMES)
def test_save_and_load_without_pickle(name, tmp_path):
    hist, fut = _data()
    m = _fitted(name)
    m.save(tmp_path / name)
    assert sorted(p.name for p in (tmp_path / name).iterdir()) == ["config.json", "weights.npz"]
    back = load(tmp_path / name)
    assert type(back) is type(m) and back.get_params() == m.get_params()
    assert np.allclose(back.predict_proba(hist, fut), m.predict_proba(hist, fut), atol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_one_fitting_step_lowers_the_loss(name):
    hist, _ = _data()
    steps = {"bkt": "em_iters", "dkt": "epochs", "psikt": "epochs"}.get(name, "epochs")
    before = _model(name, **{steps: 0}).fit(hist).loss(hist)
    after = _model(name, **{steps: 1}).fit(hist).loss(hist)
    assert np.isfinite(before) and after < before


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_gets_a_clear_error(name):
    hist, fut = _data()
    with pytest.raises(NotFittedError, match="fit"):
        _model(name).predict_proba(hist, fut)
    m = _fitted(name)
    other = simulate_students(seed=1, n_learners=8, n_concepts=5, interactions=3).log
    with pytest.raises(ValidationError, match="n_concepts=5"):
        m.predict_proba(other, other)
    early = InteractionLog(fut.learner, fut.concept, fut.time - 1e6, fut.correct, fut.n_learners, fut.n_concepts)
    with pytest.raises(ValidationError, match="queries must come after the history"):
        m.predict_proba(hist, early)
    with pytest.raises(ValidationError, match="InteractionLog"):
        m.fit([(0, 1, 0.0, 1)])
