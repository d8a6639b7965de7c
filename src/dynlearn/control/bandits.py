"""Dynamical linear bandits: actions whose reward spreads over time through a hidden linear state.

The setting of Mussi, Metelli & Restelli, "Dynamical Linear Bandits" (ICML 2023). A hidden state
:math:`x_t \\in \\mathbb{R}^n` evolves as

.. math::
    x_{t+1} = A x_t + B a_t + \\eta_t, \\qquad y_t = \\omega^\\top x_t + \\theta^\\top a_t + \\epsilon_t,

with :math:`\\rho(A) < 1`; the learner picks :math:`a_t` from a set of arms in :math:`\\mathbb{R}^d` and
sees only the reward :math:`y_t`. Playing one arm forever earns, in the steady state,
:math:`h^\\top a` with the *steady-state gain*

.. math::
    h = \\theta + B^\\top (I - A)^{-\\top} \\omega = \\theta + \\sum_{k \\ge 1} (\\omega^\\top A^{k-1} B)^\\top,

so the best policy plays :math:`a^* = \\arg\\max_a h^\\top a` at every step (the paper shows that a
constant action is optimal up to a transient). The expected reward given the past actions is the
Markov-parameter expansion

.. math::
    \\mathbb{E}[y_t] = \\omega^\\top A^t x_0 + \\theta^\\top a_t + \\sum_{k=1}^{t} \\omega^\\top A^{k-1} B a_{t-k},

linear in the lagged actions. :class:`DynLinUCB` regresses the rewards on the last ``H + 1`` actions
(truncating the expansion where :math:`\\rho^H` is negligible), estimates :math:`h` as the sum of
the lag coefficients, and plays the arm of the largest upper confidence bound on :math:`h^\\top a`,
holding it for a block of steps so the state settles; :class:`LinUCB` is the same with no lags and
blocks of one step (the classic linear bandit, blind to the dynamics), and :class:`EpsilonGreedy`
replaces optimism by random exploration.

Regret is measured as pseudo-regret against the oracle that plays :math:`a^*` from the same
:math:`x_0`: :math:`R_T = \\sum_t \\mathbb{E}[y^*_t] - \\mathbb{E}[y_t \\mid a_{0..t}]`, computed from
the noise-free state, so it does not carry the reward noise.

Our choices where the paper (only its abstract is stored here) is not followed to the letter: the
block length (the lag horizon ``H`` by default), the confidence radius (the self-normalised bound of
Abbasi-Yadkori et al. 2011 on the lag regression, plus the truncation bias), and ε-greedy's schedule
(:math:`\\epsilon_t = \\min(1, c\\,t^{-1/3})` on the same lagged regression).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Protocol

import numpy as np

from dynlearn.errors import ValidationError


def _finite(name: str, value, shape: tuple[int, ...] | None = None) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if shape is not None and arr.shape != shape:
        raise ValidationError(f"{name} has shape {arr.shape}, expected {shape}; check the bandit's dimensions")
    if not np.all(np.isfinite(arr)):
        raise ValidationError(f"{name} contains NaN or inf; pass finite values")
    return arr


def circle_arms(k: int) -> np.ndarray:
    """``k`` unit vectors evenly spaced on the circle, shape ``(k, 2)`` (a fine grid of the unit ball's
    boundary, where a linear bandit's regret grows as √T)."""
    if k < 2:
        raise ValidationError(f"need at least 2 arms, got {k}")
    ang = 2 * np.pi * np.arange(k) / k
    return np.stack([np.cos(ang), np.sin(ang)], axis=1)


@dataclasses.dataclass
class DynamicalLinearBandit:
    """A dynamical linear bandit (see the module docstring): ``A (n, n)``, ``B (n, d)``, ``omega (n,)``,
    ``theta (d,)``, ``arms (K, d)``, Gaussian state and reward noise, initial state ``x0``."""

    A: np.ndarray
    B: np.ndarray
    omega: np.ndarray
    theta: np.ndarray
    arms: np.ndarray
    state_noise: float = 0.05
    reward_noise: float = 0.1
    x0: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.A = _finite("A", self.A)
        if self.A.ndim != 2 or self.A.shape[0] != self.A.shape[1]:
            raise ValidationError(f"A must be a square matrix, got shape {self.A.shape}")
        n = self.A.shape[0]
        self.B = _finite("B", self.B)
        if self.B.ndim != 2 or self.B.shape[0] != n:
            raise ValidationError(f"B must have shape ({n}, d), got {self.B.shape}")
        d = self.B.shape[1]
        self.omega = _finite("omega", self.omega, (n,))
        self.theta = _finite("theta", self.theta, (d,))
        self.arms = _finite("arms", self.arms)
        if self.arms.ndim != 2 or self.arms.shape[1] != d:
            raise ValidationError(f"arms must have shape (K, {d}) (one action vector per row), got {self.arms.shape}")
        self.x0 = np.zeros(n) if self.x0 is None else _finite("x0", self.x0, (n,))
        if self.spectral_radius >= 1:
            raise ValidationError(
                f"the hidden dynamics are not stable: spectral radius of A is {self.spectral_radius:.4g} >= 1 "
                "(a dynamical linear bandit needs rho(A) < 1)"
            )
        if self.state_noise < 0 or self.reward_noise < 0:
            raise ValidationError("noise levels must be >= 0")

    @classmethod
    def random(
        cls,
        *,
        n: int = 3,
        rho: float = 0.6,
        arms: np.ndarray | int = 64,
        conflict: float = 0.5,
        state_noise: float = 0.05,
        reward_noise: float = 0.1,
        seed: int = 0,
    ) -> DynamicalLinearBandit:
        """A random instance with spectral radius exactly ``rho`` (``A = rho * Q``, Q a random rotation).

        ``conflict`` in [0, 1) sets the instantaneous effect against the delayed one:
        ``theta = -conflict * g + (noise)`` with ``g = B^T (I - A)^{-T} omega`` the delayed part of the
        gain, so for ``conflict > 0`` the arm with the best immediate reward is far from the best arm
        in the long run (the advertising example: a cost now, a conversion later). The gain ``h`` is
        scaled to unit norm, so regrets of different instances compare. ``arms`` is an array of action
        vectors or a number of unit vectors on the circle (``d = 2``).
        """
        if not 0 < rho < 1:
            raise ValidationError(f"rho must be in (0, 1), got {rho}")
        if not 0 <= conflict < 1:
            raise ValidationError(f"conflict must be in [0, 1), got {conflict}")
        rng = np.random.default_rng(seed)
        arm_set = circle_arms(arms) if isinstance(arms, (int, np.integer)) else np.asarray(arms, dtype=float)
        d = arm_set.shape[1]
        q, r = np.linalg.qr(rng.standard_normal((n, n)))
        q = q * np.sign(np.diag(r))
        A = rho * q
        B = rng.standard_normal((n, d)) / math.sqrt(n)
        omega = rng.standard_normal(n)
        g = B.T @ np.linalg.solve((np.eye(n) - A).T, omega)
        theta = -conflict * g + 0.1 * np.linalg.norm(g) * rng.standard_normal(d) / math.sqrt(d)
        scale = np.linalg.norm(theta + g)
        return cls(A, B, omega / scale, theta / scale, arm_set, state_noise, reward_noise, x0=rng.standard_normal(n))

    @property
    def n(self) -> int:
        return self.A.shape[0]

    @property
    def d(self) -> int:
        return self.B.shape[1]

    @property
    def spectral_radius(self) -> float:
        return float(np.max(np.abs(np.linalg.eigvals(self.A))))

    @property
    def gain(self) -> np.ndarray:
        """The steady-state gain ``h = theta + B^T (I - A)^{-T} omega``."""
        return self.theta + self.B.T @ np.linalg.solve((np.eye(self.n) - self.A).T, self.omega)

    @property
    def best_arm(self) -> int:
        return int(np.argmax(self.arms @ self.gain))

    def markov_parameters(self, lags: int) -> np.ndarray:
        """``(lags + 1, d)``: ``theta``, then ``(omega^T A^{k-1} B)`` for ``k = 1..lags``."""
        out = np.empty((lags + 1, self.d))
        out[0] = self.theta
        v = self.omega.copy()
        for k in range(1, lags + 1):
            out[k] = self.B.T @ v
            v = self.A.T @ v
        return out

    def lags_for(self, tol: float = 1e-3) -> int:
        """Lag horizon ``H`` where the truncated tail of the expansion, ``rho^H / (1 - rho)`` relative to
        the first term, falls under ``tol``."""
        rho = self.spectral_radius
        if rho < 1e-12:
            return 1
        return max(1, math.ceil(math.log(tol * (1 - rho)) / math.log(rho)))

    def expected_rewards(self, arm_sequence: np.ndarray) -> np.ndarray:
        """Noise-free rewards ``E[y_t | a_0..a_t]`` of a sequence of arm indices, from ``x0``."""
        idx = np.asarray(arm_sequence, dtype=int)
        acts = self.arms[idx]
        out = np.empty(len(idx))
        x = self.x0.copy()
        drive = acts @ self.B.T
        inst = acts @ self.theta
        for t in range(len(idx)):
            out[t] = self.omega @ x + inst[t]
            x = self.A @ x + drive[t]
        return out


class BanditPolicy(Protocol):
    """What :func:`run_bandit` drives: an arm index per step, then the observed reward."""

    def reset(self, arms: np.ndarray, horizon: int, rng: np.random.Generator) -> None: ...

    def select(self, t: int) -> int: ...

    def update(self, arm: int, reward: float) -> None: ...


class DynLinUCB:
    """Optimism on the steady-state gain of a lagged linear regression (see the module docstring).

    ``lags``: ``H``, the number of past actions in the regression (``0`` gives :class:`LinUCB`);
    ``block``: steps an arm is held once chosen (default ``max(1, H)``); ``lam``: ridge;
    ``sigma``: sub-Gaussian scale of the reward noise for the confidence radius; ``delta``: the
    confidence level; ``beta_scale``: a multiplier on the radius (1 = the theory's).
    """

    name = "DynLin-UCB"

    def __init__(
        self,
        lags: int,
        *,
        block: int | None = None,
        lam: float = 1.0,
        sigma: float = 0.1,
        delta: float = 0.05,
        beta_scale: float = 1.0,
        param_bound: float = 1.0,
    ):
        if lags < 0:
            raise ValidationError(f"lags must be >= 0, got {lags}")
        if block is not None and block < 1:
            raise ValidationError(f"block must be >= 1, got {block}")
        if lam <= 0 or sigma < 0 or not 0 < delta < 1 or beta_scale < 0:
            raise ValidationError("need lam > 0, sigma >= 0, 0 < delta < 1 and beta_scale >= 0")
        self.lags = int(lags)
        self.block = int(block) if block is not None else max(1, self.lags)
        self.lam, self.sigma, self.delta = lam, sigma, delta
        self.beta_scale, self.param_bound = beta_scale, param_bound

    # -- the lagged regression -------------------------------------------------------------
    #: exact refactorisation of the running inverse every this many rank-one updates
    REFRESH = 4096

    def reset(self, arms: np.ndarray, horizon: int, rng: np.random.Generator) -> None:
        self.arms = np.asarray(arms, dtype=float)
        self.rng = rng
        d = self.arms.shape[1]
        L = self.lags + 1
        self.p = d * L
        self.V = self.lam * np.eye(self.p)
        self.Vinv = np.eye(self.p) / self.lam
        self.logdet = 0.0  # log det(V / lam)
        self.b = np.zeros(self.p)
        # a doubled ring of the last H + 1 actions: the feature vector is one contiguous slice
        self._ring = np.zeros((2 * L, d))
        self._pos = 0
        self._updates = 0
        self._pending: list[np.ndarray] = []
        self._current = -1
        self._left = 0
        self.decisions = 0

    def _push(self, action: np.ndarray) -> np.ndarray:
        L = self.lags + 1
        self._pos = (self._pos - 1) % L
        self._ring[self._pos] = action
        self._ring[self._pos + L] = action
        return self._ring[self._pos : self._pos + L].ravel()

    def _observe(self, z: np.ndarray, y: float) -> None:
        """Add one row. Re-deciding every step (``block == 1``): ``V^{-1}`` and ``log det V`` follow by
        Sherman-Morrison, refactorised exactly every ``REFRESH`` rows. Otherwise rows wait until the
        next decision, which refactorises ``V`` once (:meth:`_absorb`)."""
        self.b += y * z
        if self.block > 1:
            self._pending.append(z.copy())
            return
        self.V += np.outer(z, z)
        u = self.Vinv @ z
        denom = 1.0 + z @ u
        self.Vinv -= np.outer(u, u) / denom
        self.logdet += math.log(denom)
        self._updates += 1
        if self._updates % self.REFRESH == 0:
            self._refactor()

    def _absorb(self) -> None:
        if self._pending:
            Z = np.asarray(self._pending)
            self.V += Z.T @ Z
            self._pending.clear()
            self._refactor()

    def _refactor(self) -> None:
        c = np.linalg.cholesky(self.V)
        ci = np.linalg.inv(c)
        self.Vinv = ci.T @ ci
        self.logdet = 2 * float(np.sum(np.log(np.diag(c)))) - self.p * math.log(self.lam)

    def estimate(self) -> tuple[np.ndarray, np.ndarray, float]:
        """``(h_hat, M, beta)``: the gain estimate (the sum of the lag coefficients), its shape matrix
        ``S V^{-1} S^T`` (``S`` sums the lag blocks) and the confidence radius."""
        self._absorb()
        d, L = self.arms.shape[1], self.lags + 1
        phi = self.Vinv @ self.b
        h = phi.reshape(L, d).sum(axis=0)
        M = self.Vinv.reshape(L, d, L, d).sum(axis=(0, 2))
        beta = self.sigma * math.sqrt(2 * math.log(1 / self.delta) + self.logdet)
        beta += math.sqrt(self.lam) * self.param_bound
        return h, M, self.beta_scale * beta

    def choose(self) -> int:
        h, M, beta = self.estimate()
        width = np.sqrt(np.maximum(np.einsum("kd,kd->k", self.arms @ M, self.arms), 0.0))
        return int(np.argmax(self.arms @ h + beta * width))

    def select(self, t: int) -> int:
        if self._left == 0:
            self._current = self.choose()
            self._left = self.block
            self.decisions += 1
        self._left -= 1
        return self._current

    def update(self, arm: int, reward: float) -> None:
        self._observe(self._push(self.arms[arm]), float(reward))


class LinUCB(DynLinUCB):
    """The classic linear UCB (OFUL): regresses the reward on the current action only and re-decides
    every step, blind to the hidden state."""

    name = "LinUCB"

    def __init__(self, **kw):
        super().__init__(0, block=1, **kw)


class EpsilonGreedy(DynLinUCB):
    """Greedy on the same lagged regression as :class:`DynLinUCB`; a uniformly random arm with
    probability ``eps_t = min(1, c t^{-1/3})`` at each decision (the schedule whose regret is
    ``O(T^{2/3})``)."""

    name = "ε-greedy"

    def __init__(self, lags: int, *, c: float = 1.0, **kw):
        super().__init__(lags, **kw)
        self.c = c

    def choose(self) -> int:
        t = max(1, self.decisions * self.block)
        if self.rng.random() < min(1.0, self.c * t ** (-1 / 3)):
            return int(self.rng.integers(len(self.arms)))
        h, _, _ = self.estimate()
        return int(np.argmax(self.arms @ h))


class Oracle:
    """Plays the best arm of the steady state at every step (knows the bandit)."""

    name = "oracle"

    def __init__(self, bandit: DynamicalLinearBandit):
        self.arm = bandit.best_arm

    def reset(self, arms, horizon, rng) -> None:
        pass

    def select(self, t: int) -> int:
        return self.arm

    def update(self, arm: int, reward: float) -> None:
        pass


@dataclasses.dataclass
class BanditRun:
    """One run: the arms played, the observed rewards, the expected rewards and the pseudo-regret
    ``regret[t] = sum_{s <= t} (E[y*_s] - E[y_s])``."""

    arms: np.ndarray
    rewards: np.ndarray
    expected: np.ndarray
    regret: np.ndarray


def run_bandit(bandit: DynamicalLinearBandit, policy: BanditPolicy, horizon: int, *, seed: int = 0) -> BanditRun:
    """Run ``policy`` on ``bandit`` for ``horizon`` steps; noise and the policy's randomness from ``seed``."""
    if horizon < 1:
        raise ValidationError(f"horizon must be >= 1, got {horizon}")
    rng = np.random.default_rng(seed)
    policy_rng = np.random.default_rng([seed, 1])
    policy.reset(bandit.arms, horizon, policy_rng)
    n = bandit.n
    eta = bandit.state_noise * rng.standard_normal((horizon, n))
    eps = bandit.reward_noise * rng.standard_normal(horizon)
    A, B, omega, theta, arms = bandit.A, bandit.B, bandit.omega, bandit.theta, bandit.arms
    x = bandit.x0.copy()
    played = np.empty(horizon, dtype=np.int64)
    rewards = np.empty(horizon)
    for t in range(horizon):
        k = policy.select(t)
        if not 0 <= k < len(arms):
            raise ValidationError(f"policy chose arm {k}, but the bandit has {len(arms)} arms")
        a = arms[k]
        y = omega @ x + theta @ a + eps[t]
        x = A @ x + B @ a + eta[t]
        played[t] = k
        rewards[t] = y
        policy.update(k, y)
    expected = bandit.expected_rewards(played)
    best = bandit.expected_rewards(np.full(horizon, bandit.best_arm))
    return BanditRun(played, rewards, expected, np.cumsum(best - expected))


def regret_slope(regret: np.ndarray, *, start: int | None = None) -> float:
    """Slope of ``log R(t)`` against ``log t`` by least squares on 30 log-spaced points from ``start``
    (default: 2% of the horizon) to the end; about 0.5 for √T regret, 1 for linear regret."""
    T = len(regret)
    t0 = max(10, T // 50) if start is None else start
    ts = np.unique(np.geomspace(t0, T, 30).astype(int))
    r = np.maximum(regret[ts - 1], 1e-12)
    return float(np.polyfit(np.log(ts), np.log(r), 1)[0])


__all__ = [
    "BanditPolicy",
    "BanditRun",
    "DynLinUCB",
    "DynamicalLinearBandit",
    "EpsilonGreedy",
    "LinUCB",
    "Oracle",
    "circle_arms",
    "regret_slope",
    "run_bandit",
]
