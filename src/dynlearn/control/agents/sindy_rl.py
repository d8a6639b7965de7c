"""SINDy-RL (Zolman, Fasel, Kutz & Brunton 2024, "SINDy-RL: Interpretable and Efficient Model-Based
Reinforcement Learning"): Dyna-style RL in an ensemble-SINDy surrogate, and a sparse polynomial policy.

The loop, with every real environment step counted (``real_steps_``):

1. collect ``random_steps`` real steps with uniformly random actions;
2. fit an E-SINDy surrogate (Fasel et al. 2022): ``n_models`` sparse discrete-time maps
   ``s_{k+1} = Ξ_m Θ(s_k, a_k)ᵀ``, ``Θ`` a degree-``degree`` polynomial library in state and action,
   each fitted by STLSQ on a bootstrap resample of the rows (bagging); the surrogate steps with the
   median coefficients ``Ξ = median_m Ξ_m`` (``propagation="median"``) or with one member drawn per
   rollout (``"member"``). The reward is the environment's known function (``env.model()``), or, with
   ``reward="sindy"``, a sparse polynomial ``r ≈ w Θ_r(s, a, s')ᵀ`` fitted by STLSQ, as the paper does
   when the reward is unknown;
3. train SAC on rollouts of the surrogate: ``rollout_batch`` surrogate episodes run side by side, each
   started from a real state and cut after ``rollout_horizon`` steps; every batched surrogate step is
   followed by ``updates_per_step`` SAC updates on the surrogate transitions. A rollout that leaves the
   box of the real data widened by ``bound_margin`` times its range (or goes non-finite) is stopped
   and restarted; its last transition is dropped and counted (``diverged_``);
4. after every ``updates_per_cycle`` policy updates, run ``episodes_per_cycle`` real episodes with the
   current (stochastic) policy, add them to the data and refit the surrogate; ``cycles`` times;
5. :meth:`SindyRL.distill` fits a sparse polynomial policy ``a = squash(P(s))``, ``P = W Θ_p(s)ᵀ`` of
   degree ``policy_degree``, by STLSQ on (state, pre-squash action) pairs from states the policy
   visits itself (its real episodes and surrogate rollouts) and, DAgger-style, states the polynomial
   visits in the surrogate; the threshold is chosen by the return in the surrogate (no real steps).

The paper trains PPO in the surrogate; we use the control layer's SAC (its off-policy updates reuse the
surrogate transitions). Logs go to an optional run folder (``config.json``, ``log.jsonl``, one
checkpoint per cycle), and a second ``train`` on the same folder resumes from the last finished cycle.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from dynlearn.config import build_config, config_to_dict
from dynlearn.errors import NotFittedError, ValidationError


@dataclasses.dataclass
class SindyRLConfig:
    """Hyper-parameters of :class:`SindyRL` (see the module doc for the loop)."""

    seed: int = 0
    # real data
    random_steps: int = 1_000
    cycles: int = 4
    updates_per_cycle: int = 2_000
    episodes_per_cycle: int = 1
    # the E-SINDy surrogate
    n_models: int = 20
    degree: int = 2
    threshold: float = 0.005
    ridge: float = 1e-3
    propagation: str = "median"
    reward: str = "env"
    reward_degree: int = 2
    reward_threshold: float = 0.01
    # surrogate rollouts
    rollout_batch: int = 16
    rollout_horizon: int = 200
    bound_margin: float = 0.25
    updates_per_step: int = 1
    # SAC in the surrogate
    hidden: tuple[int, ...] = (64, 64)
    lr: float = 1e-3
    batch_size: int = 256
    gamma: float = 0.99
    tau: float = 0.005
    buffer_size: int = 200_000
    # distillation
    policy_degree: int = 3
    policy_thresholds: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1, 0.2)
    policy_ridge: float = 1e-5
    policy_tolerance: float = 0.02
    distill_rounds: int = 2

    def validate(self) -> None:
        for name in ("random_steps", "n_models", "degree", "rollout_batch", "rollout_horizon", "batch_size",
                     "buffer_size", "policy_degree", "reward_degree"):
            if getattr(self, name) < 1:
                raise ValidationError(f"SindyRLConfig.{name} must be >= 1, got {getattr(self, name)}")
        for name in ("cycles", "updates_per_cycle", "episodes_per_cycle", "updates_per_step"):
            if getattr(self, name) < 0:
                raise ValidationError(f"SindyRLConfig.{name} must be >= 0, got {getattr(self, name)}")
        if self.n_models < 2:
            raise ValidationError(f"SindyRLConfig.n_models must be >= 2 (an ensemble), got {self.n_models}")
        if self.propagation not in ("median", "member"):
            raise ValidationError(f"SindyRLConfig.propagation must be 'median' or 'member', got {self.propagation!r}")
        if self.reward not in ("env", "sindy"):
            raise ValidationError(f"SindyRLConfig.reward must be 'env' (the known reward) or 'sindy', "
                                  f"got {self.reward!r}")
        if not self.policy_thresholds or min(self.policy_thresholds) < 0:
            raise ValidationError(f"SindyRLConfig.policy_thresholds needs values >= 0, got {self.policy_thresholds}")
        for name in ("threshold", "ridge", "bound_margin", "policy_ridge", "policy_tolerance", "reward_threshold",
                     "distill_rounds"):
            if getattr(self, name) < 0:
                raise ValidationError(f"SindyRLConfig.{name} must be >= 0, got {getattr(self, name)}")


# --- the surrogate ----------------------------------------------------------------------------------
class ESindySurrogate:
    """An E-SINDy map ``s' = Ξ Θ(s, a)ᵀ`` fitted on real transitions, behind the control layer's
    :class:`~dynlearn.control.DynamicsModel` interface (``step``, ``reward``, ``terminated``), so it also
    plans with CEM/MPPI. ``step(..., member=k)`` uses ensemble member ``k`` per row instead of the median.
    Runs in numpy (float64)."""

    def __init__(self, *, n_models: int = 20, degree: int = 2, threshold: float = 0.005, ridge: float = 1e-3,
                 seed: int = 0, reward: Any = None, reward_fit: dict[str, float] | None = None):
        from dynlearn import models

        self.model = models.create("sindy", use_inputs=True, discrete_time=True, degree=int(degree),
                                   ensemble="bagging", n_models=int(n_models), threshold=float(threshold),
                                   alpha=float(ridge), unbias=False, seed=int(seed))
        self.reward_model = reward
        self.reward_fit = reward_fit
        self.reward_coef_: np.ndarray | None = None

    # fitting
    def fit(self, data) -> ESindySurrogate:
        import warnings

        from dynlearn.control.transitions import Transitions

        if not isinstance(data, Transitions):
            raise ValidationError(f"fit takes a dynlearn.control.Transitions, got {type(data).__name__}")
        with warnings.catch_warnings():  # collinearity of e.g. cos² + sin² = 1 is expected for angles
            warnings.simplefilter("ignore", UserWarning)
            self.model.fit(data.to_trajectories())
        self.low_ = np.minimum(data.obs.min(0), data.next_obs.min(0))
        self.high_ = np.maximum(data.obs.max(0), data.next_obs.max(0))
        if self.reward_fit is not None:
            if data.rewards is None:
                raise ValidationError("reward='sindy' needs transitions with rewards")
            self._fit_reward(data)
        return self

    def _fit_reward(self, data) -> None:
        from dynlearn.models._sindy_library import build_library
        from dynlearn.models._sindy_optimizers import stlsq

        f = self.reward_fit
        self.reward_library_ = build_library("poly", data.observation_dim * 2 + data.action_dim,
                                             degree=int(f["degree"]), include_bias=True)
        theta = self.reward_library_.evaluate(np.concatenate([data.obs, data.actions, data.next_obs], 1))
        self.reward_coef_ = stlsq(theta, data.rewards[:, None], threshold=float(f["threshold"]), alpha=1e-6)[0]

    @property
    def is_fitted(self) -> bool:
        return getattr(self.model, "is_fitted", False)

    @property
    def observation_dim(self) -> int:
        if not self.is_fitted:
            raise NotFittedError("the E-SINDy surrogate is not fitted; call fit(transitions) first")
        return int(self.model.dim_)

    @property
    def action_dim(self) -> int:
        self.observation_dim  # noqa: B018 - raises when not fitted
        return int(self.model.n_inputs_)

    @property
    def n_models(self) -> int:
        return int(len(self.model.coef_samples_))

    def coefficients(self, member: int | None = None) -> np.ndarray:
        """Ξ ``(obs_dim, n_terms)``: the median over the ensemble, or member ``member``'s."""
        return self.model.coef_ if member is None else self.model.coef_samples_[int(member)]

    def equations(self, precision: int = 4) -> str:
        """The median map, one line per state variable, with each coefficient's ensemble deviation."""
        return self.model.equations(precision=precision)

    # the DynamicsModel interface
    def step(self, obs, actions, *, generator=None, member=None):
        from dynlearn.control.envs._backend import is_torch

        torch_in = is_torch(obs)
        x = obs.detach().cpu().double().numpy() if torch_in else np.asarray(obs, dtype=np.float64)
        a = actions.detach().cpu().double().numpy() if is_torch(actions) else np.asarray(actions, dtype=np.float64)
        single = x.ndim == 1
        x2, a2 = (x[None], a.reshape(1, -1)) if single else (x, a)
        if x2.ndim != 2 or x2.shape[1] != self.observation_dim or a2.ndim != 2 or a2.shape != (len(x2),
                                                                                               self.action_dim):
            raise ValidationError(
                f"the E-SINDy surrogate steps obs (batch, {self.observation_dim}) with actions (batch, "
                f"{self.action_dim}); got obs {x.shape} and actions {a.shape}: pass one action of size "
                f"{self.action_dim} per observation")
        theta = self.model.library_.evaluate(np.concatenate([x2, a2], 1))
        if member is None:
            y = theta @ self.model.coef_.T
        else:
            coefs = self.model.coef_samples_[np.asarray(member, dtype=int).reshape(-1)]
            y = np.einsum("bt,bdt->bd", theta, np.broadcast_to(coefs, (len(x2), *coefs.shape[1:])))
        y = y[0] if single else y
        if torch_in:
            import torch

            return torch.as_tensor(y, dtype=obs.dtype, device=obs.device)
        return y

    def reward(self, obs, actions, next_obs):
        if self.reward_coef_ is not None:
            z = np.concatenate([np.atleast_2d(obs), np.atleast_2d(actions), np.atleast_2d(next_obs)], 1)
            return self.reward_library_.evaluate(z) @ self.reward_coef_
        if self.reward_model is None:
            raise ValidationError("this surrogate has no reward: pass reward=env.model() or reward_fit")
        return self.reward_model.reward(obs, actions, next_obs)

    def terminated(self, next_obs):
        if self.reward_model is None:
            return np.zeros(len(np.atleast_2d(next_obs)), dtype=bool)
        return self.reward_model.terminated(next_obs)

    def inside(self, obs: np.ndarray, margin: float) -> np.ndarray:
        """Rows of ``obs`` that are finite and inside the data's box widened by ``margin`` of its range."""
        pad = margin * (self.high_ - self.low_)
        ok = np.isfinite(obs).all(-1)
        with np.errstate(invalid="ignore"):
            ok &= ((obs >= self.low_ - pad) & (obs <= self.high_ + pad)).all(-1)
        return ok


# --- the distilled policy ----------------------------------------------------------------------------
@dataclasses.dataclass
class PolynomialPolicy:
    """A sparse polynomial policy. ``P(s) = W Θ(s)ᵀ``, ``Θ`` the polynomial library of degree ``degree`` in
    the observation (constant term included); the action is ``low + (tanh P(s) + 1) (high − low) / 2``
    with ``squash`` (the squashing of the SAC actor it is distilled from) or ``clip(P(s), low, high)``
    without. ``n_params`` counts the non-zero coefficients of ``W``: the whole policy."""

    coef: np.ndarray  # (act_dim, n_terms)
    degree: int
    low: np.ndarray
    high: np.ndarray
    variables: tuple[str, ...] = ()
    squash: bool = False

    def __post_init__(self):
        from math import comb

        from dynlearn.models._sindy_library import build_library

        self.coef = np.asarray(self.coef, dtype=np.float64)
        self.low = np.asarray(self.low, dtype=np.float64).reshape(-1)
        self.high = np.asarray(self.high, dtype=np.float64).reshape(-1)
        if not self.variables:  # infer the observation size from the number of terms
            n = next((n for n in range(1, 64) if comb(n + self.degree, self.degree) == self.coef.shape[-1]), 1)
            self.variables = tuple(f"s{i}" for i in range(n))
        self.variables = tuple(self.variables)
        self.library = build_library("poly", len(self.variables), degree=self.degree, include_bias=True)
        if self.coef.shape != (len(self.low), self.library.n_terms):
            raise ValidationError(f"polynomial policy coefficients have shape {self.coef.shape}; expected "
                                  f"({len(self.low)}, {self.library.n_terms})")

    @property
    def n_params(self) -> int:
        return int(np.count_nonzero(self.coef))

    @property
    def observation_dim(self) -> int:
        return len(self.variables)

    def __call__(self, obs) -> np.ndarray:
        x = np.asarray(obs, dtype=np.float64)
        single = x.ndim == 1
        x2 = x[None] if single else x
        if x2.ndim != 2 or x2.shape[1] != self.observation_dim:
            raise ValidationError(f"the polynomial policy takes observations of size {self.observation_dim}; "
                                  f"got shape {x.shape}")
        p = self.library.evaluate(x2) @ self.coef.T
        if self.squash:
            a = self.low + (np.tanh(p) + 1.0) * 0.5 * (self.high - self.low)
        else:
            a = np.clip(p, self.low, self.high)
        return a[0] if single else a

    def equations(self, precision: int = 3) -> str:
        names = self.library.names(list(self.variables))
        lines = []
        for i, row in enumerate(self.coef):
            terms = [f"{row[j]:.{precision}f}" + ("" if names[j] == "1" else f" {names[j]}")
                     for j in np.flatnonzero(row)]
            rhs = " + ".join(terms).replace("+ -", "- ") if terms else "0"
            lines.append(f"a{i} = squash({rhs})" if self.squash else f"a{i} = clip({rhs})")
        return "\n".join(lines)


def distill_policy(states: np.ndarray, targets: np.ndarray, low, high, *, degree: int = 3,
                   threshold: float = 0.05, ridge: float = 1e-5, variables: tuple[str, ...] = (),
                   squash: bool = False) -> PolynomialPolicy:
    """Fit a sparse polynomial policy to (state, target) pairs by STLSQ: thresholded ridge regression on
    library columns scaled to unit root-mean-square, so ``threshold`` is the smallest effect a kept term
    has on the target at a typical state. The targets are the actions (``squash=False``, the policy
    clips) or the pre-squash outputs (``squash=True``, the policy applies the tanh squashing). No
    unbiasing refit: the library is rank-deficient for angles given as (cos θ, sin θ), and the ridge
    picks the smallest coefficients among the equivalent ones."""
    from dynlearn.models._sindy_library import build_library
    from dynlearn.models._sindy_optimizers import stlsq

    s = np.asarray(states, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    if s.ndim != 2 or y.ndim != 2 or len(s) != len(y):
        raise ValidationError(f"distillation needs states (n, obs_dim) and targets (n, act_dim); got {s.shape} "
                              f"and {y.shape}")
    lib = build_library("poly", s.shape[1], degree=int(degree), include_bias=True)
    theta = lib.evaluate(s)
    rms = np.sqrt(np.mean(theta**2, axis=0))
    rms[rms == 0] = 1.0
    coef = stlsq(theta / rms, y, threshold=float(threshold), alpha=float(ridge) * len(s), unbias=False) / rms
    return PolynomialPolicy(coef, int(degree), np.asarray(low), np.asarray(high),
                            tuple(variables) or tuple(f"s{i}" for i in range(s.shape[1])), bool(squash))


# --- the agent -----------------------------------------------------------------------------------------
class SindyRL:
    """Dyna-style SINDy-RL: SAC trained in an E-SINDy surrogate refitted on real episodes (module doc).

    >>> agent = SindyRL(seed=0)                                           # doctest: +SKIP
    >>> records = agent.train("pendulum", run_dir="runs/sindy_rl")       # doctest: +SKIP
    >>> agent.real_steps_, agent.evaluate(make_env("pendulum")).mean()   # doctest: +SKIP
    >>> policy = agent.distill(); policy.n_params                        # doctest: +SKIP
    """

    config_cls = SindyRLConfig
    name = "sindy_rl"

    def __init__(self, config: Any = None, **overrides: Any):
        self.config = build_config(self.config_cls, config, overrides)
        self.sac_ = None
        self.surrogate_: ESindySurrogate | None = None
        self.real_steps_ = 0
        self.surrogate_steps_ = 0
        self.diverged_ = 0
        self.cycle_ = 0
        self.episodes_ = 0

    # setup -------------------------------------------------------------------------------------------
    def _setup(self, env) -> None:
        from dynlearn.control.agents._loop import EnvSpec
        from dynlearn.control.agents.sac import SAC

        c = self.config
        self.spec_ = EnvSpec.of(env)
        self.sac_ = SAC(seed=c.seed, hidden=c.hidden, lr=c.lr, batch_size=c.batch_size, gamma=c.gamma, tau=c.tau,
                        buffer_size=c.buffer_size, learning_starts=0)
        self.sac_.setup(self.spec_)
        self.rng_ = np.random.default_rng(np.random.SeedSequence([c.seed, 11]))
        self.data_: dict[str, list] = {k: [] for k in ("obs", "actions", "next_obs", "rewards", "terminated",
                                                       "episode")}

    @property
    def n_policy_params(self) -> int:
        """Parameters of the neural policy (the SAC actor, mean and log-std heads)."""
        if self.sac_ is None:
            raise NotFittedError("this SindyRL has no policy yet; train it first")
        return int(sum(p.numel() for p in self.sac_.actor_.parameters()))

    def transitions(self):
        """Every real transition collected so far, as :class:`~dynlearn.control.Transitions`."""
        from dynlearn.control.transitions import Transitions

        d = self.data_
        return Transitions(np.asarray(d["obs"]), np.asarray(d["actions"]), np.asarray(d["next_obs"]),
                           np.asarray(d["rewards"]), np.asarray(d["terminated"]), np.asarray(d["episode"]))

    # real interaction ------------------------------------------------------------------------------------
    def _real_episode(self, env, max_steps: int | None, policy) -> float:
        """Run one real episode (or ``max_steps`` of it), store every step; returns its return."""
        from dynlearn.control.agents._loop import episode_seed

        obs, _ = env.reset(seed=episode_seed(self.config.seed, self.episodes_))
        total, done, n = 0.0, False, 0
        while not done and (max_steps is None or n < max_steps):
            a = policy(np.asarray(obs, np.float32))
            env_a = self.spec_.to_env(a)
            nxt, r, term, trunc, _ = env.step(env_a)
            for k, v in zip(self.data_, (obs, env_a, nxt, r, term, self.episodes_)):
                self.data_[k].append(np.asarray(v, dtype=np.float64) if k in ("obs", "actions", "next_obs") else v)
            self.real_steps_ += 1
            n += 1
            total += float(r)
            done = term or trunc
            obs = nxt
        self.episodes_ += 1
        return total

    def _fit_surrogate(self) -> dict[str, float]:
        c = self.config
        t0 = time.perf_counter()
        fit = {"degree": c.reward_degree, "threshold": c.reward_threshold} if c.reward == "sindy" else None
        self.surrogate_ = ESindySurrogate(n_models=c.n_models, degree=c.degree, threshold=c.threshold,
                                          ridge=c.ridge, seed=c.seed + 7919 * self.cycle_,
                                          reward=self.reward_source_, reward_fit=fit)
        data = self.transitions()
        self.surrogate_.fit(data)
        pred = self.surrogate_.step(data.obs, data.actions)
        return {"model_mse": float(np.mean((pred - data.next_obs) ** 2)),
                "model_terms": int(np.count_nonzero(self.surrogate_.coefficients())),
                "fit_s": time.perf_counter() - t0}

    # surrogate training ----------------------------------------------------------------------------------
    def _reset_rows(self, rows: np.ndarray) -> None:
        data_obs = self._starts
        self._obs[rows] = data_obs[self.rng_.integers(0, len(data_obs), len(rows))]
        self._t[rows] = 0
        self._member[rows] = self.rng_.integers(0, self.surrogate_.n_models, len(rows))

    def _train_in_surrogate(self, n_updates: int) -> dict[str, float]:
        import torch

        c = self.config
        sur = self.surrogate_
        self._starts = np.asarray(self.data_["obs"])
        B = c.rollout_batch
        self._obs = np.zeros((B, self.spec_.obs_dim))
        self._t = np.zeros(B, dtype=int)
        self._member = np.zeros(B, dtype=int)
        self._reset_rows(np.arange(B))
        low, span = self.spec_.low.astype(np.float64), (self.spec_.high - self.spec_.low).astype(np.float64)
        sums: dict[str, float] = {}
        diverged0, t0, updates, steps = self.diverged_, time.perf_counter(), 0, 0
        while updates < n_updates:
            obs32 = torch.as_tensor(self._obs, dtype=torch.float32)
            a = self.sac_.policy_batch(obs32).numpy().astype(np.float64)
            env_a = low + (a + 1.0) * 0.5 * span
            member = self._member if c.propagation == "member" else None
            nxt = sur.step(self._obs, env_a, member=member)
            ok = sur.inside(nxt, c.bound_margin)
            r = np.asarray(sur.reward(self._obs, env_a, np.where(ok[:, None], nxt, self._obs)), dtype=np.float64)
            ok &= np.isfinite(r)
            term = np.asarray(sur.terminated(np.where(ok[:, None], nxt, self._obs)), dtype=bool).reshape(-1)
            if ok.any():
                self.sac_.buffer_.add_batch(self._obs[ok].astype(np.float32), a[ok].astype(np.float32),
                                            r[ok].astype(np.float32), nxt[ok].astype(np.float32),
                                            term[ok].astype(np.float32))
            self.diverged_ += int((~ok).sum())
            steps += int(ok.sum())
            self._obs = np.where(ok[:, None], nxt, self._obs)
            self._t += 1
            done = ~ok | term | (self._t >= c.rollout_horizon)
            if done.any():
                self._reset_rows(np.flatnonzero(done))
            if len(self.sac_.buffer_) >= c.batch_size:
                for _ in range(c.updates_per_step):
                    out = self.sac_.update(self.sac_.buffer_.sample(c.batch_size, self.rng_))
                    for k, v in out.items():
                        sums[k] = sums.get(k, 0.0) + v
                    updates += 1
                    if updates >= n_updates:
                        break
        self.surrogate_steps_ += steps
        out = {k: v / max(updates, 1) for k, v in sums.items()}
        out.update({"updates": updates, "surrogate_steps": steps, "diverged": self.diverged_ - diverged0,
                    "train_s": time.perf_counter() - t0})
        return out

    # the loop -----------------------------------------------------------------------------------------------
    def train(self, env, *, run_dir=None, eval_env=None, eval_episodes: int = 5, callback=None) -> list[dict]:
        """Run the whole loop (module doc) on ``env`` (a name or an environment of ``dynlearn.control`` with
        ``env.model()`` for the reward); returns the records, one per cycle (cycle 0: after the random
        steps and the first fit). With ``eval_env`` the deterministic policy is evaluated after each cycle
        on ``eval_episodes`` episodes (not counted as real training steps). ``callback(record)`` runs after
        each record. With ``run_dir`` the records are logged and the state is checkpointed after each
        cycle; calling ``train`` again on the folder resumes after the last finished cycle."""
        from dynlearn.control.agents._loop import env_id, make_env

        if isinstance(env, str):
            env = make_env(env)
        c = self.config
        true_model = getattr(env, "model", None)
        if c.reward == "env" and not callable(true_model):
            raise ValidationError(f"SINDy-RL with reward='env' needs the reward function of {env_id(env)} "
                                  "(env.model()); use an environment of dynlearn.control (e.g. 'pendulum') "
                                  "or reward='sindy'")
        self.reward_source_ = true_model() if callable(true_model) else None
        if self.sac_ is None:
            self._setup(env)
        elif self.spec_.obs_dim != env.observation_space.shape[0] or self.spec_.act_dim != env.action_space.shape[0]:
            raise ValidationError(f"this SindyRL was built for observations of size {self.spec_.obs_dim} and "
                                  f"actions of size {self.spec_.act_dim}; {env_id(env)} differs: use a new agent")
        log = None
        records: list[dict] = []
        if run_dir is not None:
            from dynlearn.control.runlog import RunLog

            log = RunLog(run_dir, {"agent": self.name, "env": env_id(env), "spec": self.spec_.as_dict(),
                                   "config": config_to_dict(c)})
            restored = log.restored_state()
            if restored is not None:
                self._load_state(restored)
                records = log.records()

        def emit(rec):
            records.append(rec)
            if log is not None:
                log.append(rec)
            if callback is not None:
                callback(rec)

        def evaluate(rec):
            if eval_env is not None:
                rets = self.evaluate(eval_env, eval_episodes)
                rec.update(eval_mean=float(rets.mean()), eval_std=float(rets.std()))
            return rec

        def checkpoint():
            if log is not None:
                log.checkpoint(self._state())

        if self.cycle_ == 0 and self.real_steps_ == 0:
            t0 = time.perf_counter()
            while self.real_steps_ < c.random_steps:
                self._real_episode(env, c.random_steps - self.real_steps_,
                                   lambda o: self.rng_.uniform(-1.0, 1.0, self.spec_.act_dim).astype(np.float32))
            fit = self._fit_surrogate()
            emit(evaluate({"kind": "cycle", "cycle": 0, "real_steps": self.real_steps_, "updates": 0,
                           "wall_s": time.perf_counter() - t0, **fit}))
            checkpoint()
        while self.cycle_ < c.cycles:
            t0 = time.perf_counter()
            if self.surrogate_ is None:
                self._fit_surrogate()
            trained = self._train_in_surrogate(c.updates_per_cycle)
            rets = [self._real_episode(env, None, lambda o: self.sac_._policy(o, False))
                    for _ in range(c.episodes_per_cycle)]
            self.cycle_ += 1
            fit = self._fit_surrogate()
            rec = {"kind": "cycle", "cycle": self.cycle_, "real_steps": self.real_steps_,
                   "updates": int(self.sac_.updates_), "episode_return": float(np.mean(rets)) if rets else None,
                   **{f"sac_{k}" if k in ("critic_loss", "actor_loss", "alpha") else k: v
                      for k, v in trained.items() if k != "updates"},
                   **fit, "wall_s": time.perf_counter() - t0}
            emit(evaluate(rec))
            checkpoint()
        return records

    # acting -------------------------------------------------------------------------------------------------
    def act(self, obs, deterministic: bool = True) -> np.ndarray:
        """The neural policy's action (environment units) for one observation."""
        if self.sac_ is None:
            raise NotFittedError("this SindyRL has no policy yet; train it first")
        return self.sac_.act(obs, deterministic)

    def evaluate(self, env, episodes: int = 5, *, seed: int = 10_000, policy=None) -> np.ndarray:
        """Returns of ``episodes`` real episodes (reset seeds ``seed + i``) of the deterministic neural
        policy, or of ``policy(obs) -> action`` (e.g. the distilled one). Not counted in ``real_steps_``."""
        act = policy if policy is not None else self.act
        out = []
        for i in range(int(episodes)):
            obs, _ = env.reset(seed=int(seed) + i)
            total, done = 0.0, False
            while not done:
                obs, r, term, trunc, _ = env.step(np.asarray(act(obs), dtype=np.float32))
                total += float(r)
                done = term or trunc
            out.append(total)
        return np.asarray(out)

    # distillation ---------------------------------------------------------------------------------------------
    def _neural_mean(self, x: np.ndarray) -> np.ndarray:
        """The actor's pre-squash mean at states ``x`` (its deterministic action is ``tanh`` of it)."""
        import torch

        with torch.no_grad():
            mean, _ = self.sac_._dist(torch.as_tensor(np.asarray(x), dtype=torch.float32))
        return mean.numpy().astype(np.float64).reshape(len(x), -1)

    def _to_env(self, squashed: np.ndarray) -> np.ndarray:
        low, high = self.spec_.low.astype(np.float64), self.spec_.high.astype(np.float64)
        return low + (squashed + 1.0) * 0.5 * (high - low)

    def surrogate_rollouts(self, policy, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Roll ``policy(states) -> actions`` (batched, environment units) out in the surrogate for
        ``rollout_horizon`` steps from ``starts``; returns the states visited and each rollout's return.
        A rollout that leaves the data's box stays at its last state inside. No real steps are spent."""
        c = self.config
        x = np.asarray(starts, dtype=np.float64).copy()
        seen, ret = [x], np.zeros(len(x))
        for _ in range(c.rollout_horizon):
            a = np.asarray(policy(x), dtype=np.float64).reshape(len(x), -1)
            nxt = self.surrogate_.step(x, a)
            ok = self.surrogate_.inside(nxt, c.bound_margin)
            nxt = np.where(ok[:, None], nxt, x)
            ret += np.asarray(self.surrogate_.reward(x, a, nxt), dtype=np.float64).reshape(-1)
            x = nxt
            seen.append(x[ok])
        return np.concatenate(seen), ret

    def distill(self, variables: tuple[str, ...] = (), *, n_rollouts: int = 128) -> PolynomialPolicy:
        """The neural policy distilled into a sparse polynomial (``squash=True``: fitted to the actor's
        pre-squash mean, clipped to ±3, and squashed like the actor).

        States: the policy's real on-policy episodes and ``n_rollouts`` surrogate rollouts of the neural
        policy from real states; then ``distill_rounds`` rounds of DAgger in the surrogate (the states the
        polynomial itself visits, labelled by the neural policy). One fit per threshold of
        ``policy_thresholds``, each judged by its mean return in the surrogate from the real episodes'
        first states; the sparsest within ``policy_tolerance`` of the best is kept. ``distill_report_``
        lists the candidates (and the neural policy's surrogate return). No real steps are spent."""
        if self.surrogate_ is None:
            raise NotFittedError("this SindyRL has no surrogate yet; train it first")
        c = self.config
        d = self.transitions()
        rng = np.random.default_rng(np.random.SeedSequence([c.seed, 13]))
        starts = d.obs[rng.integers(0, len(d.obs), n_rollouts)]
        # candidates are judged from the real episodes' first states: the task's own initial conditions
        check = d.obs[np.flatnonzero(np.r_[True, np.diff(d.episode) != 0])]

        def neural(x):
            return self._to_env(np.tanh(self._neural_mean(x)))

        visited, _ = self.surrogate_rollouts(neural, starts)
        base = np.concatenate([d.obs[c.random_steps:], visited])
        neural_return = float(self.surrogate_rollouts(neural, check)[1].mean())
        cands = []
        for th in c.policy_thresholds:
            s = base
            for r in range(c.distill_rounds + 1):
                policy = distill_policy(s, np.clip(self._neural_mean(s), -3.0, 3.0), self.spec_.low, self.spec_.high,
                                        degree=c.policy_degree, threshold=th, ridge=c.policy_ridge,
                                        variables=variables, squash=True)
                if r < c.distill_rounds:
                    s = np.concatenate([s, self.surrogate_rollouts(policy, starts)[0]])
            cands.append((float(th), policy, float(self.surrogate_rollouts(policy, check)[1].mean())))
        best = max(x[2] for x in cands)
        good = [x for x in cands if x[2] >= best - c.policy_tolerance * abs(best)]
        pick = min(good, key=lambda x: (x[1].n_params, -x[2]))
        self.distill_report_ = {"neural_surrogate_return": neural_return, "chosen_threshold": pick[0],
                                "candidates": [{"threshold": t, "n_params": p.n_params, "surrogate_return": r}
                                               for t, p, r in cands]}
        return pick[1]

    # state ------------------------------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return {"sac": self.sac_._state(), "sac_rng": self.sac_.rng_.bit_generator.state,
                "rng": self.rng_.bit_generator.state,
                "data": {k: np.asarray(v, dtype=np.float64) for k, v in self.data_.items()},
                "counters": [self.real_steps_, self.surrogate_steps_, self.diverged_, self.cycle_, self.episodes_]}

    def _load_state(self, state: dict[str, Any]) -> None:
        self.sac_._load_state(state["sac"])
        self.sac_.rng_.bit_generator.state = state["sac_rng"]
        self.rng_.bit_generator.state = state["rng"]
        d = state["data"]
        self.data_ = {k: [np.asarray(r) for r in d[k]] if d[k].ndim == 2 else list(d[k]) for k in d}
        self.data_["episode"] = [int(e) for e in self.data_["episode"]]
        self.data_["terminated"] = [bool(e) for e in self.data_["terminated"]]
        self.real_steps_, self.surrogate_steps_, self.diverged_, self.cycle_, self.episodes_ = (
            int(v) for v in state["counters"])
        self._fit_surrogate()
