"""Linear BYOL dynamics, DirectPred and the small-BYOL trainer (dynlearn.probes.ssl)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dynlearn.errors import ValidationError  # noqa: E402
from dynlearn.probes import ssl  # noqa: E402


def test_asymmetry_and_alignment_on_hand_made_matrices():
    S = np.array([[2.0, 1.0], [1.0, 3.0]])
    A = np.array([[0.0, 1.0], [-1.0, 0.0]])
    assert ssl.asymmetry(S) == 0.0 and ssl.asymmetry(A) == pytest.approx(1.0)
    assert ssl.asymmetry(np.array([[1.0, 2.0], [0.0, 1.0]])) == pytest.approx(np.sqrt(2) / np.sqrt(6))
    R = np.array([[np.cos(0.3), -np.sin(0.3)], [np.sin(0.3), np.cos(0.3)]])
    D = np.diag([3.0, 1.0])
    assert ssl.eigenvector_alignment(D, R @ D @ R.T) == pytest.approx(np.cos(0.3))
    # swapping the eigenvalue order swaps the matched eigenvectors: orthogonal pairs
    assert ssl.eigenvector_alignment(D, np.diag([1.0, 3.0])) == pytest.approx(0.0)


def test_directpred_weights_take_square_roots_of_the_spectrum():
    F = torch.diag(torch.tensor([4.0, 1.0, 0.0], dtype=torch.float64))
    W = ssl.directpred_weights(F, eps=0.1)
    assert torch.allclose(W, torch.diag(torch.tensor([1.1, 0.6, 0.1], dtype=torch.float64)))
    W2 = ssl.directpred_weights(F, eps=0.0, normalize=False)
    assert torch.allclose(W2, torch.diag(torch.tensor([2.0, 1.0, 0.0], dtype=torch.float64)))


def test_effective_rank_and_ridge_probe():
    rng = np.random.default_rng(0)
    assert ssl.effective_rank(np.outer(rng.standard_normal(50), rng.standard_normal(8))) == pytest.approx(1.0, abs=1e-3)
    q, _ = np.linalg.qr(rng.standard_normal((40, 6)))
    assert ssl.effective_rank(q) == pytest.approx(6.0, rel=1e-4)  # equal singular values
    y = np.repeat([0, 1, 2], 20)
    z = np.eye(3)[y] * 5 + 0.1 * rng.standard_normal((60, 3))
    assert ssl.ridge_probe_accuracy(z, y, z, y) == 1.0


def test_linear_byol_trained_predictor_symmetrises_and_no_predictor_collapses():
    base = ssl.linear_byol(seed=0, steps=600, record_every=300)
    assert base["asymmetry"][-1] < base["asymmetry"][0] and base["alignment"][-1] > base["alignment"][0]
    assert base["w_norm"][-1] > 0.1
    none = ssl.linear_byol(seed=0, steps=600, record_every=300, predictor="none")
    assert none["w_norm"][-1] < 0.2 * base["w_norm"][-1]
    again = ssl.linear_byol(seed=0, steps=600, record_every=300)
    assert np.array_equal(again["W"], base["W"])
    with pytest.raises(ValidationError, match="predictor must be one of"):
        ssl.linear_byol(predictor="mlp")


def test_augment_digits_is_seeded_and_keeps_shape():
    x = torch.rand(5, 64)
    a = ssl.augment_digits(x, torch.Generator().manual_seed(1))
    b = ssl.augment_digits(x, torch.Generator().manual_seed(1))
    assert a.shape == (5, 64) and torch.equal(a, b) and not torch.equal(a, x)
    # no noise, no erasing, no shift: the identity
    assert torch.equal(ssl.augment_digits(x, torch.Generator(), shift=0, noise=0.0, erase=0), x)


def test_direct_predictor_tracks_the_correlation_of_its_inputs():
    p = ssl.DirectPredictor(3, rho=0.0, eps=0.0)
    f = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    out = p(f)
    # F = diag(2, 0.5, 0): p = sqrt(F / 2) = diag(1, 0.5, 0)
    assert torch.allclose(p.weight, torch.diag(torch.tensor([1.0, 0.5, 0.0])), atol=1e-6)
    assert torch.allclose(out, f @ p.weight.T)


def test_train_byol_same_seed_same_numbers():
    rng = np.random.default_rng(0)
    x, y = rng.random((96, 64)).astype(np.float32), rng.integers(0, 3, 96)
    kw = dict(predictor="directpred", epochs=1, batch_size=32, hidden=16, dim=4, eval_every=1, seed=2)
    a = ssl.train_byol(x[:64], y[:64], x[64:], y[64:], **kw)
    b = ssl.train_byol(x[:64], y[:64], x[64:], y[64:], **kw)
    assert np.array_equal(a["loss"], b["loss"], equal_nan=True) and len(a["epoch"]) == 2


def test_commutator_is_zero_for_a_shared_eigenbasis_in_any_order():
    R = np.array([[np.cos(0.4), -np.sin(0.4)], [np.sin(0.4), np.cos(0.4)]])
    A, B = R @ np.diag([3.0, 1.0]) @ R.T, R @ np.diag([1.0, 5.0]) @ R.T
    assert ssl.commutator(A, B) == pytest.approx(0.0, abs=1e-12)
    # diag(1, 2) and [[0, 1], [1, 0]]: AB - BA = [[0, -1], [1, 0]], norm sqrt(2); norms sqrt(5) and sqrt(2)
    assert ssl.commutator(np.diag([1.0, 2.0]), np.array([[0.0, 1.0], [1.0, 0.0]])) == pytest.approx(1 / np.sqrt(5))
