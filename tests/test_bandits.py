"""Dynamical linear bandits (dynlearn.control.bandits): the environment's algebra, the lagged
regression, the policies and the regret bookkeeping."""

from __future__ import annotations

import numpy as np
import pytest

from dynlearn.control.bandits import (
    DynamicalLinearBandit,
    DynLinUCB,
    EpsilonGreedy,
    LinUCB,
    Oracle,
    circle_arms,
    regret_slope,
    run_bandit,
)
from dynlearn.errors import ValidationError


def test_random_instance_has_the_requested_spectral_radius_and_unit_gain():
    b = DynamicalLinearBandit.random(rho=0.7, seed=3)
    assert b.spectral_radius == pytest.approx(0.7, abs=1e-12)
    assert np.linalg.norm(b.gain) == pytest.approx(1.0, abs=1e-12)
    assert b.arms.shape == (64, 2)


def test_gain_is_the_sum_of_the_markov_parameters():
    b = DynamicalLinearBandit.random(rho=0.6, seed=1)
    mk = b.markov_parameters(200)
    assert np.allclose(mk.sum(axis=0), b.gain, atol=1e-12)
    assert np.allclose(mk[0], b.theta)


def test_conflict_sets_immediate_and_delayed_effects_apart():
    b = DynamicalLinearBandit.random(rho=0.6, conflict=0.9, arms=360, seed=0)
    immediate = int(np.argmax(b.arms @ b.theta))
    cos = b.arms[immediate] @ b.arms[b.best_arm]
    assert cos < 0  # the arm of the best immediate reward points away from the best steady-state arm


def test_expected_rewards_follow_the_noise_free_recursion():
    b = DynamicalLinearBandit.random(rho=0.5, seed=2, state_noise=0.0, reward_noise=0.0)
    rng = np.random.default_rng(0)
    arms = rng.integers(len(b.arms), size=50)

    class Fixed:
        def reset(self, *a):
            self.t = 0

        def select(self, t):
            return int(arms[t])

        def update(self, arm, reward):
            pass

    run = run_bandit(b, Fixed(), 50)
    assert np.allclose(run.rewards, b.expected_rewards(arms), atol=1e-12)
    # the Markov expansion of the same rewards, the initial state's transient included
    acts = b.arms[arms]
    mk = b.markov_parameters(49)
    for t in (0, 7, 49):
        x_part = b.omega @ np.linalg.matrix_power(b.A, t) @ b.x0
        lagged = sum(mk[k] @ acts[t - k] for k in range(t + 1))
        assert run.expected[t] == pytest.approx(x_part + lagged, abs=1e-10)


def test_lagged_regression_recovers_the_steady_state_gain():
    b = DynamicalLinearBandit.random(rho=0.5, seed=4, arms=circle_arms(16))
    H = b.lags_for(1e-4)
    pol = DynLinUCB(H, block=1)
    rng = np.random.default_rng(0)
    pol.reset(b.arms, 4000, rng)
    x = b.x0.copy()
    for _ in range(4000):
        k = int(rng.integers(len(b.arms)))
        a = b.arms[k]
        y = b.omega @ x + b.theta @ a + 0.01 * rng.standard_normal()
        x = b.A @ x + b.B @ a
        pol.update(k, y)
    h, M, beta = pol.estimate()
    assert np.linalg.norm(h - b.gain) < 0.02
    assert M.shape == (2, 2) and beta > 0


def test_sherman_morrison_inverse_matches_the_exact_one():
    b = DynamicalLinearBandit.random(rho=0.6, seed=5)
    pol = DynLinUCB(4, block=1)
    pol.REFRESH = 10**9
    rng = np.random.default_rng(1)
    pol.reset(b.arms, 500, rng)
    for _ in range(500):
        pol.update(int(rng.integers(len(b.arms))), float(rng.standard_normal()))
    assert np.allclose(pol.Vinv, np.linalg.inv(pol.V), atol=1e-10)
    assert pol.logdet == pytest.approx(np.linalg.slogdet(pol.V)[1] - pol.p * np.log(pol.lam), abs=1e-8)
    # the blocked path (rows absorbed at decisions) gives the same estimate
    blocked = DynLinUCB(4, block=7)
    rng = np.random.default_rng(1)
    blocked.reset(b.arms, 500, rng)
    for _ in range(500):
        blocked.update(int(rng.integers(len(b.arms))), float(rng.standard_normal()))
    for x, y in zip(pol.estimate(), blocked.estimate()):
        assert np.allclose(x, y, atol=1e-9)


def test_linucb_is_dynlin_ucb_without_lags_deciding_every_step():
    b = DynamicalLinearBandit.random(rho=0.6, seed=6)
    r1 = run_bandit(b, LinUCB(), 600, seed=3)
    r2 = run_bandit(b, DynLinUCB(0, block=1), 600, seed=3)
    assert np.array_equal(r1.arms, r2.arms)


def test_oracle_has_zero_regret_and_same_seed_same_numbers():
    b = DynamicalLinearBandit.random(rho=0.6, seed=7)
    assert np.all(run_bandit(b, Oracle(b), 300, seed=0).regret == 0)
    H = b.lags_for()
    a = run_bandit(b, EpsilonGreedy(H), 800, seed=4)
    c = run_bandit(b, EpsilonGreedy(H), 800, seed=4)
    assert np.array_equal(a.arms, c.arms) and np.array_equal(a.rewards, c.rewards)


def test_dynlin_ucb_beats_linucb_when_immediate_and_delayed_effects_conflict():
    b = DynamicalLinearBandit.random(rho=0.6, conflict=0.9, arms=128, seed=11)
    dyn = run_bandit(b, DynLinUCB(b.lags_for(), sigma=b.reward_noise), 4000, seed=0)
    lin = run_bandit(b, LinUCB(sigma=b.reward_noise), 4000, seed=0)
    assert dyn.regret[-1] < 0.5 * lin.regret[-1]
    # and it ends near the best arm
    assert b.arms[dyn.arms[-1]] @ b.arms[b.best_arm] > 0.95


def test_regret_slope_reads_sqrt_and_linear_growth():
    t = np.arange(1, 10_001, dtype=float)
    assert regret_slope(3 * np.sqrt(t)) == pytest.approx(0.5, abs=1e-6)
    assert regret_slope(0.2 * t) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"A": np.eye(2) * 1.2}, "not stable"),
        ({"A": np.ones((2, 3))}, "square"),
        ({"B": np.ones((3, 2))}, r"B must have shape \(2, d\)"),
        ({"omega": np.ones(3)}, "omega has shape"),
        ({"theta": np.array([np.nan, 0.0])}, "NaN"),
        ({"arms": np.ones((4, 3))}, r"arms must have shape \(K, 2\)"),
    ],
)
def test_bad_bandits_are_refused_with_the_problem_named(kwargs, match):
    good = {
        "A": 0.5 * np.eye(2),
        "B": np.eye(2),
        "omega": np.ones(2),
        "theta": np.zeros(2),
        "arms": circle_arms(8),
    }
    good.update(kwargs)
    with pytest.raises(ValidationError, match=match):
        DynamicalLinearBandit(**good)


def test_bad_settings_are_refused():
    with pytest.raises(ValidationError, match="rho"):
        DynamicalLinearBandit.random(rho=1.0)
    with pytest.raises(ValidationError, match="lags"):
        DynLinUCB(-1)
    with pytest.raises(ValidationError, match="horizon"):
        run_bandit(DynamicalLinearBandit.random(), LinUCB(), 0)
