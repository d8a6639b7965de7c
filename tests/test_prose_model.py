"""The PROSE model (dynlearn.models.prose): shapes, learning, decoding, persistence, errors."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from dynlearn import symbolic as S  # noqa: E402
from dynlearn.errors import FileFormatError, ValidationError  # noqa: E402
from dynlearn.models.prose import Prose  # noqa: E402

TINY = dict(d_model=16, ff=32, n_heads=2, max_tokens=40)


@pytest.fixture(scope="module")
def batch():
    fam = S.family("pendulum")
    eqs, x0, _ = fam.sample(6, rng=0)
    X = S.simulate(eqs, x0, t_end=fam.t_end, n_points=16, step=fam.step)
    toks = [S.tokenize(eqs.select(i)) for i in range(6)]
    return X, toks


def _args(X):
    frac = np.linspace(0, 1, X.shape[1])
    return X[:, :8], frac[:8], 1.0, frac[8:]


def test_shapes_and_decoding(batch):
    X, toks = batch
    m = Prose(**{**TINY, "max_tokens": 24})
    obs, t_obs, scale, t_q = _args(X)
    pred = m.predict(obs, t_obs, scale, t_q, toks)
    assert pred.shape == (6, 8, 2) and np.isfinite(pred).all()
    out = m.generate(obs[:2], t_obs, scale, toks[:2])
    assert len(out) == 2 and all(isinstance(t, str) for seq in out for t in seq)
    beam = m.generate(obs[:1], t_obs, scale, toks[:1], beam=2)
    assert len(beam) == 1


def test_learns_to_emit_the_equation(batch):
    """A few dozen steps on six pendulums: the token loss falls and greedy decoding reproduces the structure."""
    X, toks = batch
    m = Prose(**TINY, lr=5e-3, seed=1)
    obs, t_obs, scale, t_q = _args(X)
    first = m.train_step(obs, t_obs, scale, toks, t_q, X[:, 8:], toks)
    for _ in range(60):
        last = m.train_step(obs, t_obs, scale, toks, t_q, X[:, 8:], toks)
    assert last[1] < 0.5 * first[1] and last[0] < first[0]
    gen = m.generate(obs, t_obs, scale, toks)
    structure = lambda t: [w for w in t if not w.startswith(("N", "E")) and w not in "+-"]  # noqa: E731
    assert sum(structure(g) == structure(t) for g, t in zip(gen, toks)) >= 4


def test_same_seed_same_numbers_and_save_load(batch, tmp_path):
    X, toks = batch
    obs, t_obs, scale, t_q = _args(X)
    a, b = Prose(**TINY, seed=3), Prose(**TINY, seed=3)
    np.testing.assert_array_equal(a.predict(obs, t_obs, scale, t_q, toks), b.predict(obs, t_obs, scale, t_q, toks))
    a.train_step(obs, t_obs, scale, toks, t_q, X[:, 8:], toks)
    a.save(tmp_path / "m")
    c = Prose.load(tmp_path / "m")
    np.testing.assert_allclose(c.predict(obs, t_obs, scale, t_q, toks), a.predict(obs, t_obs, scale, t_q, toks))
    with pytest.raises(FileFormatError, match="not a saved PROSE model"):
        Prose.load(tmp_path / "missing")


def test_data_only_and_errors(batch):
    X, toks = batch
    obs, t_obs, scale, t_q = _args(X)
    d = Prose(**TINY, multimodal=False)
    assert d.predict(obs, t_obs, scale, t_q).shape == (6, 8, 2)
    with pytest.raises(ValidationError, match="needs the input equations"):
        Prose(**TINY).predict(obs, t_obs, scale, t_q)
    with pytest.raises(ValidationError, match="token 'bogus' at position 1"):
        Prose(**TINY).predict(obs[:1], t_obs, scale, t_q, [["x0", "bogus"]])
    with pytest.raises(ValidationError, match="dim"):
        Prose(**TINY).predict(np.zeros((1, 8, 4)), t_obs, scale, t_q, toks[:1])
