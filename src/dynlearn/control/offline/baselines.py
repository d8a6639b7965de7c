"""Offline RL baselines trained on an :class:`~dynlearn.control.offline.datasets.OfflineDataset`.

- :class:`BC`, behaviour cloning: a deterministic tanh policy regressed on the
  data's actions, min E[(pi(s) - a)^2].
- :class:`TD3BC` (Fujimoto & Gu 2021, "A Minimalist Approach to Offline
  Reinforcement Learning"): TD3 (twin critics, target policy smoothing,
  delayed actor updates) whose actor minimises
  -lambda Q(s, pi(s)) + (pi(s) - a)^2 with lambda = alpha / mean|Q(s, pi(s))|,
  on states standardised with the data's mean and standard deviation.
- :class:`CQL` (Kumar et al. 2020, "Conservative Q-Learning for Offline
  Reinforcement Learning"), the CQL(H) variant on SAC: each critic's loss gets
  alpha_cql (log sum_a exp Q(s, a) - Q(s, a_data)), the log-sum-exp estimated
  by importance sampling over uniform actions and policy actions at s and s'.

Actions inside the networks are squashed to [-1, 1]; :meth:`act` returns the
environment's units. Every random number comes from the seed.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from dynlearn.config import build_config
from dynlearn.errors import NotFittedError, ValidationError


@dataclasses.dataclass
class OfflineConfig:
    """Hyper-parameters shared by the offline baselines (each class adds its own)."""

    seed: int = 0
    hidden: tuple[int, ...] = (256, 256)
    lr: float = 3e-4
    batch_size: int = 256
    steps: int = 10_000


@dataclasses.dataclass
class TD3BCConfig(OfflineConfig):
    gamma: float = 0.99
    tau: float = 0.005
    policy_noise: float = 0.2
    noise_clip: float = 0.5
    policy_delay: int = 2
    alpha: float = 2.5


@dataclasses.dataclass
class CQLConfig(OfflineConfig):
    gamma: float = 0.99
    tau: float = 0.005
    cql_alpha: float = 5.0
    #: sampled actions per state for each of the three proposal distributions
    n_actions: int = 10


class OfflineAgent:
    """Base of the offline baselines: ``fit(dataset)``, ``act(obs)``, ``evaluate(env)``."""

    config_cls: type = OfflineConfig
    name = "offline"

    def __init__(self, config: Any = None, **overrides: Any):
        self.config = build_config(self.config_cls, config, overrides)
        self.history_: list[dict[str, float]] = []

    def fit(self, dataset, steps: int | None = None) -> OfflineAgent:
        """Train for ``steps`` gradient steps (default ``config.steps``) on ``dataset``."""
        import torch

        from dynlearn.control.replay import ReplayBuffer

        if len(dataset) < 2:
            raise ValidationError("an offline dataset needs at least 2 transitions")
        cfg = self.config
        self.obs_dim_, self.act_dim_ = dataset.observations.shape[1], dataset.actions.shape[1]
        self.low_, self.high_ = dataset.action_low, dataset.action_high
        self.buffer_ = ReplayBuffer(self.obs_dim_, self.act_dim_, len(dataset))
        self.buffer_.add_batch(dataset.observations, dataset.squashed_actions(), dataset.rewards,
                               dataset.next_observations, dataset.terminals)
        self.rng_ = np.random.default_rng(np.random.SeedSequence([cfg.seed, 11]))
        self.gen_ = torch.Generator().manual_seed(int(np.random.SeedSequence([cfg.seed, 12]).generate_state(1)[0]))
        self._setup(dataset)
        for _ in range(int(cfg.steps if steps is None else steps)):
            self.history_.append(self._update(self.buffer_.sample(cfg.batch_size, self.rng_)))
        return self

    def act(self, obs, deterministic: bool = True) -> np.ndarray:
        if not hasattr(self, "obs_dim_"):
            raise NotFittedError(f"{self.name} is not trained; call fit(dataset) first")
        obs = np.asarray(obs, np.float32)
        if obs.shape != (self.obs_dim_,):
            raise ValidationError(f"observation has shape {obs.shape}; {self.name} expects ({self.obs_dim_},)")
        a = self._policy(obs)
        return self.low_ + (a + 1.0) * 0.5 * (self.high_ - self.low_)

    def evaluate(self, env, episodes: int = 5, *, seed: int = 10_000) -> np.ndarray:
        out = []
        for i in range(int(episodes)):
            obs, _ = env.reset(seed=seed + i)
            done, total = False, 0.0
            while not done:
                obs, r, term, trunc, _ = env.step(self.act(obs))
                total += float(r)
                done = term or trunc
            out.append(total)
        return np.asarray(out)

    def _setup(self, dataset) -> None:
        raise NotImplementedError

    def _update(self, batch) -> dict[str, float]:
        raise NotImplementedError

    def _policy(self, obs: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def _tensors(batch):
    import torch

    return (torch.as_tensor(batch["observations"]), torch.as_tensor(batch["actions"]),
            torch.as_tensor(batch["rewards"]), torch.as_tensor(batch["next_observations"]),
            torch.as_tensor(batch["terminals"]))


class BC(OfflineAgent):
    """Behaviour cloning: min E_(s,a)~D [(tanh f(s) - a)^2] (actions in [-1, 1])."""

    name = "bc"

    def _setup(self, dataset) -> None:
        import torch

        from dynlearn.control.agents._nets import BatchedMLP

        self.policy_net_ = BatchedMLP(1, [self.obs_dim_, *self.config.hidden, self.act_dim_], self.gen_)
        self.opt_ = torch.optim.Adam(self.policy_net_.parameters(), lr=self.config.lr)

    def _update(self, batch):
        o, a, *_ = _tensors(batch)
        loss = (self.policy_net_(o)[0].tanh() - a).pow(2).mean()
        self.opt_.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_.step()
        return {"bc_loss": float(loss.detach())}

    def _policy(self, obs):
        import torch

        with torch.no_grad():
            return self.policy_net_(torch.from_numpy(obs)[None])[0, 0].tanh().numpy()


class TD3BC(OfflineAgent):
    """TD3+BC: twin critics with target policy smoothing; actor loss -lambda Q + (pi(s) - a)^2."""

    config_cls = TD3BCConfig
    name = "td3bc"

    def _setup(self, dataset) -> None:
        import copy

        import torch

        from dynlearn.control.agents._nets import BatchedMLP

        cfg = self.config
        self.mu_ = dataset.observations.mean(0).astype(np.float32)
        self.sd_ = (dataset.observations.std(0) + 1e-3).astype(np.float32)
        h = list(cfg.hidden)
        self.actor_ = BatchedMLP(1, [self.obs_dim_, *h, self.act_dim_], self.gen_)
        self.critic_ = BatchedMLP(2, [self.obs_dim_ + self.act_dim_, *h, 1], self.gen_)
        self.actor_target_ = copy.deepcopy(self.actor_).requires_grad_(False)
        self.critic_target_ = copy.deepcopy(self.critic_).requires_grad_(False)
        self.actor_opt_ = torch.optim.Adam(self.actor_.parameters(), lr=cfg.lr)
        self.critic_opt_ = torch.optim.Adam(self.critic_.parameters(), lr=cfg.lr)
        self.n_updates_ = 0

    def _norm(self, o):
        import torch

        return (o - torch.from_numpy(self.mu_)) / torch.from_numpy(self.sd_)

    def _update(self, batch):
        import torch

        cfg = self.config
        o, a, r, o2, d = _tensors(batch)
        o, o2 = self._norm(o), self._norm(o2)
        with torch.no_grad():
            noise = (torch.randn(a.shape, generator=self.gen_) * cfg.policy_noise).clamp(-cfg.noise_clip, cfg.noise_clip)
            a2 = (self.actor_target_(o2)[0].tanh() + noise).clamp(-1.0, 1.0)
            q2 = self.critic_target_(torch.cat([o2, a2], -1)).squeeze(-1).min(0).values
            y = r + cfg.gamma * (1.0 - d) * q2
        q = self.critic_(torch.cat([o, a], -1)).squeeze(-1)
        critic_loss = (q - y).pow(2).mean(-1).sum()
        self.critic_opt_.zero_grad(set_to_none=True)
        critic_loss.backward()
        self.critic_opt_.step()
        out = {"critic_loss": float(critic_loss.detach())}
        self.n_updates_ += 1
        if self.n_updates_ % cfg.policy_delay == 0:
            pi = self.actor_(o)[0].tanh()
            frozen = [p.detach() for p in self.critic_.flat_params()]
            q_pi = self.critic_(torch.cat([o, pi], -1), params=frozen)[0].squeeze(-1)
            lam = cfg.alpha / q_pi.abs().mean().detach().clamp_min(1e-6)
            bc = (pi - a).pow(2).mean()
            actor_loss = -lam * q_pi.mean() + bc
            self.actor_opt_.zero_grad(set_to_none=True)
            actor_loss.backward()
            self.actor_opt_.step()
            with torch.no_grad():
                torch._foreach_lerp_(list(self.critic_target_.parameters()), list(self.critic_.parameters()), cfg.tau)
                torch._foreach_lerp_(list(self.actor_target_.parameters()), list(self.actor_.parameters()), cfg.tau)
            out.update(actor_loss=float(actor_loss.detach()), bc_loss=float(bc.detach()))
        return out

    def _policy(self, obs):
        import torch

        with torch.no_grad():
            return self.actor_(self._norm(torch.from_numpy(obs)[None]))[0, 0].tanh().numpy()

    def q_values(self, obs: np.ndarray, squashed_actions: np.ndarray) -> np.ndarray:
        """min_j Q_j(s, a) for a batch (actions in [-1, 1])."""
        import torch

        with torch.no_grad():
            x = torch.cat([self._norm(torch.as_tensor(obs, dtype=torch.float32)),
                           torch.as_tensor(squashed_actions, dtype=torch.float32)], -1)
            return self.critic_(x).squeeze(-1).min(0).values.numpy()


class CQL(OfflineAgent):
    """CQL(H) on SAC: the critic's loss gains alpha_cql (logsumexp_a Q(s, a) - Q(s, a_data))."""

    config_cls = CQLConfig
    name = "cql"

    def _setup(self, dataset) -> None:
        from dynlearn.control.agents._loop import EnvSpec
        from dynlearn.control.agents.sac import SAC

        cfg = self.config
        self.sac_ = SAC(seed=cfg.seed, hidden=cfg.hidden, lr=cfg.lr, batch_size=cfg.batch_size, gamma=cfg.gamma,
                        tau=cfg.tau, buffer_size=1, learning_starts=0)
        self.sac_.setup(EnvSpec(self.obs_dim_, self.act_dim_, -np.ones(self.act_dim_, np.float32),
                                np.ones(self.act_dim_, np.float32)))
        self.sac_.gen_ = self.gen_

    def _penalty(self, o, o2, q_data):
        """alpha_cql * sum_j mean_s [log-sum-exp over proposals of Q_j(s, .) - Q_j(s, a_data)]."""
        import torch

        from dynlearn.control.agents._nets import squashed_gaussian

        cfg, sac = self.config, self.sac_
        n, b, d = cfg.n_actions, o.shape[0], self.act_dim_
        o_rep = o.repeat_interleave(n, 0)
        with torch.no_grad():
            a_unif = torch.rand((b * n, d), generator=self.gen_) * 2 - 1
            a_pi, logp_pi = squashed_gaussian(*sac._dist(o_rep), self.gen_)
            a_pi2, logp_pi2 = squashed_gaussian(*sac._dist(o2.repeat_interleave(n, 0)), self.gen_)
        acts = torch.cat([a_unif, a_pi, a_pi2], 0)
        q = sac.critic_(torch.cat([o_rep.repeat(3, 1), acts], -1)).squeeze(-1)  # (2, 3*b*n)
        log_density = torch.cat([torch.full((b * n,), d * math.log(0.5)), logp_pi, logp_pi2])
        q = (q - log_density).view(2, 3, b, n).permute(0, 2, 1, 3).reshape(2, b, 3 * n)
        lse = torch.logsumexp(q, -1) - math.log(3 * n)
        return cfg.cql_alpha * (lse - q_data).mean(-1).sum()

    def _update(self, batch):
        return self.sac_.update(batch, critic_penalty=self._penalty)

    def _policy(self, obs):
        return self.sac_._policy(obs, True)

    def q_values(self, obs: np.ndarray, squashed_actions: np.ndarray) -> np.ndarray:
        import torch

        with torch.no_grad():
            x = torch.cat([torch.as_tensor(obs, dtype=torch.float32),
                           torch.as_tensor(squashed_actions, dtype=torch.float32)], -1)
            return self.sac_.critic_(x).squeeze(-1).min(0).values.numpy()


BASELINES = {"bc": BC, "td3bc": TD3BC, "cql": CQL}
