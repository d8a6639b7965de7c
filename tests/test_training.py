"""Training regimes: BPTT, (sparse) teacher forcing and generalized teacher forcing."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dynlearn.errors import TrainingError, ValidationError
from dynlearn.training import (
    BPTT,
    GeneralizedTeacherForcing,
    Recurrent,
    TeacherForcing,
    gradient_norm,
    make_regime,
    sample_windows,
    train,
)


class LinearRNN(torch.nn.Module):
    """z_t = a * z_{t-1} (one scalar a shared by all units), identity observation."""

    def __init__(self, dim: int = 2, a: float = 0.5, latent_dim: int | None = None):
        super().__init__()
        self.latent_dim = latent_dim or dim
        self.forced_dim = dim
        self.obs_dim = dim
        self.a = torch.nn.Parameter(torch.tensor(float(a)))

    def step(self, z):
        return self.a * z

    def observe(self, z):
        return z[..., : self.obs_dim]

    def forcing_signal(self, x):
        return x

    def initial_state(self, x):
        pad = x.new_zeros((*x.shape[:-1], self.latent_dim - self.obs_dim))
        return torch.cat([x, pad], dim=-1)


def geometric(a: float, n: int, dim: int = 2, x0=(1.0, -2.0)) -> np.ndarray:
    return np.asarray(x0)[None, :dim] * a ** np.arange(n)[:, None]


def test_protocol_is_runtime_checkable():
    assert isinstance(LinearRNN(), Recurrent)


def test_rollouts_match_hand_computation():
    m = LinearRNN(a=0.5)
    x = torch.tensor([[[1.0, 1.0], [3.0, 3.0], [5.0, 5.0], [7.0, 7.0]]])
    with torch.no_grad():
        free = BPTT().rollout(m, x)[0, :, 0]
        tf = TeacherForcing(1).rollout(m, x)[0, :, 0]
        stf = TeacherForcing(2).rollout(m, x)[0, :, 0]
        gtf = GeneralizedTeacherForcing(alpha=0.5).rollout(m, x)[0, :, 0]
    np.testing.assert_allclose(free, [0.5, 0.25, 0.125])
    np.testing.assert_allclose(tf, [0.5, 1.5, 2.5])  # one step from each data point
    np.testing.assert_allclose(stf, [0.5, 0.25, 2.5])  # forced at t = 2 only
    # z̃_1 = (0.5 + 3)/2 = 1.75 -> 0.875; z̃_2 = (0.875 + 5)/2 = 2.9375 -> 1.46875
    np.testing.assert_allclose(gtf, [0.5, 0.875, 1.46875])


def test_gtf_interpolates_between_bptt_and_tf():
    m = LinearRNN(a=0.9)
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(3, 12, 2)).astype(np.float32))
    with torch.no_grad():
        torch.testing.assert_close(GeneralizedTeacherForcing(alpha=0.0).rollout(m, x), BPTT().rollout(m, x))
        torch.testing.assert_close(GeneralizedTeacherForcing(alpha=1.0).rollout(m, x), TeacherForcing(1).rollout(m, x))


def test_partial_forcing_leaves_unobserved_units_free():
    m = LinearRNN(dim=1, a=1.0, latent_dim=2)
    x = torch.tensor([[[1.0], [5.0], [9.0]]])
    seen = []
    orig = m.step

    def spy(z):
        seen.append(z.detach().clone())
        return orig(z)

    m.step = spy
    TeacherForcing(1).rollout(m, x)
    assert seen[1][0, 0] == 5.0 and seen[1][0, 1] == 0.0  # unit 0 forced, unit 1 untouched


def test_gtf_bounds_gradients_that_bptt_lets_explode():
    # an expanding linear map (a = 1.5) on bounded data: the BPTT gradient grows like
    # a^T, while GTF with (1 - alpha) a = 0.8 < 1 keeps it bounded for every T
    m = LinearRNN(a=1.5)
    t = np.arange(81)
    x = np.stack([np.sin(0.3 * t), np.cos(0.3 * t)], axis=1)[None]
    g_bptt = [gradient_norm(m, x[:, : t + 1], BPTT()) for t in (10, 40, 80)]
    gtf = GeneralizedTeacherForcing(alpha=1 - 0.8 / 1.5)
    g_gtf = [gradient_norm(m, x[:, : t + 1], gtf) for t in (10, 40, 80)]
    assert g_bptt[2] / g_bptt[0] > 1e8
    assert g_gtf[2] / g_gtf[0] < 3
    assert all(math.isfinite(g) for g in g_gtf)


def test_adaptive_alpha_follows_the_jacobian_norm():
    # a constant Jacobian a*I: G = a exactly, alpha* = 1 - 1/a
    m = LinearRNN(a=2.0)
    gtf = GeneralizedTeacherForcing(update_every=1, decay=0.5, alpha_init=0.0)
    x = torch.from_numpy(geometric(1.0, 6)[None].astype(np.float32))
    assert gtf.estimate_G(m, x) == pytest.approx(2.0)
    gtf.before_batch(m, x)
    assert gtf.current_alpha == pytest.approx(0.5)  # the maximum is taken at once
    with torch.no_grad():
        m.a.fill_(1.0)  # alpha* = 0 now: decays by gamma = 0.5 per update
    gtf.before_batch(m, x)
    assert gtf.current_alpha == pytest.approx(0.25)
    gtf.before_batch(m, x)
    assert gtf.current_alpha == pytest.approx(0.125)
    # autodiff Jacobian (no .jacobian method) agrees with the analytic one
    assert not hasattr(m, "jacobian")


def test_adaptive_alpha_updates_only_every_k_steps():
    m = LinearRNN(a=4.0)
    gtf = GeneralizedTeacherForcing(update_every=3, alpha_init=0.0)
    x = torch.ones(1, 4, 2)
    for _ in range(2):
        gtf.before_batch(m, x)
    assert gtf.current_alpha == 0.0
    gtf.before_batch(m, x)
    assert gtf.current_alpha == pytest.approx(0.75)


def test_train_learns_a_linear_map_and_is_deterministic():
    rng = np.random.default_rng(1)
    data = [geometric(0.8, 8, x0=rng.normal(size=2)) for _ in range(20)]
    runs = []
    for _ in range(2):
        m = LinearRNN(a=0.2)
        hist = train(
            m,
            data,
            GeneralizedTeacherForcing(),
            epochs=20,
            batches_per_epoch=10,
            batch_size=4,
            seq_len=5,
            lr=0.3,
            lr_end=0.01,
            seed=3,
        )
        runs.append(float(m.a.detach()))
    assert runs[0] == runs[1]
    assert runs[0] == pytest.approx(0.8, abs=0.02)
    assert hist.epochs == 20 and len(hist.grad_norm) == 200 and len(hist.alpha) == 200
    assert hist.loss[-1] < hist.loss[0]


def test_train_stops_on_exploding_loss_naming_the_epoch():
    m = LinearRNN(a=60.0)
    data = np.ones((300, 2))
    with pytest.raises(TrainingError, match=r"epoch 1 .*smaller learning rate or generalized teacher forcing"):
        train(m, data, BPTT(), epochs=2, batches_per_epoch=2, batch_size=2, seq_len=250)


def test_train_rejects_bad_input():
    m = LinearRNN()
    with pytest.raises(ValidationError, match="seq_len"):
        train(m, np.ones((10, 2)), BPTT(), epochs=1, seq_len=20)
    bad = np.ones((50, 2))
    bad[3, 1] = np.nan
    with pytest.raises(ValidationError, match="non-finite"):
        train(m, bad, BPTT(), epochs=1, seq_len=5)
    with pytest.raises(ValidationError, match="Recurrent protocol"):
        train(torch.nn.Linear(2, 2), np.ones((50, 2)), BPTT(), epochs=1, seq_len=5)
    with pytest.raises(ValidationError, match="alpha"):
        GeneralizedTeacherForcing(alpha=1.5)
    with pytest.raises(ValidationError, match="unknown training regime"):
        make_regime("rtrl")


def test_sample_windows_covers_all_series_uniformly():
    series = [np.arange(10.0)[:, None], 100 + np.arange(30.0)[:, None]]
    w = sample_windows(series, 4, 4000, np.random.default_rng(0))
    assert w.shape == (4000, 5, 1)
    assert np.all(np.diff(w[..., 0], axis=1) == 1)  # consecutive states of one series
    # 6 windows in the first series, 26 in the second
    assert np.mean(w[:, 0, 0] < 100) == pytest.approx(6 / 32, abs=0.02)
