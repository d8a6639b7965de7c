"""Model-based policy optimisation (Janner et al. 2019, "When to Trust Your Model: Model-Based Policy Optimization").

MBPO alternates three things while it acts in the real environment with its SAC policy:

1. every ``model_train_freq`` real steps, refit a probabilistic ensemble
   (:class:`dynlearn.control.GaussianEnsemble`, PETS's model) on all real transitions;
2. at the same time, branch ``rollout_batch`` short rollouts of length k from
   real states drawn from the replay, with the current policy and a random
   member per transition (TS-1), and store the model transitions in a model
   buffer that keeps the last ``model_retain`` refits' rollouts;
3. after every real step, take ``updates_per_step`` SAC gradient steps on
   batches with a fraction ``real_ratio`` of real transitions and the rest
   from the model buffer.

The rollout length follows the paper's linear schedule: k grows from
``rollout_schedule[2]`` to ``rollout_schedule[3]`` between real steps
``rollout_schedule[0]`` and ``rollout_schedule[1]``. Short branches keep the
compounding model error small while still giving the policy many samples per
real step. The reward and termination of model transitions come from the
environment's known functions (``env.model()``), as in PETS; the ensemble
learns the dynamics.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from dynlearn.control.agents._loop import EnvSpec, OffPolicyAgent, env_id
from dynlearn.errors import ValidationError


@dataclasses.dataclass
class MBPOConfig:
    """Hyper-parameters of :class:`MBPO`: the SAC learner, the ensemble, the rollouts."""

    seed: int = 0
    # SAC on mixed data
    hidden: tuple[int, ...] = (256, 256)
    lr: float = 3e-4
    batch_size: int = 256
    gamma: float = 0.99
    tau: float = 0.005
    updates_per_step: int = 10
    real_ratio: float = 0.05
    #: SAC's entropy target (None: -action dimension, SAC's default); sparse-reward tasks may need a lower one
    target_entropy: float | None = None
    #: uniformly random actions before the first model fit
    learning_starts: int = 250
    # the ensemble
    members: int = 7
    model_hidden: int = 200
    model_layers: int = 3
    model_lr: float = 1e-3
    model_epochs: int = 20
    model_train_freq: int = 250
    #: fraction of the real transitions held out for early stopping (at most ``model_holdout_max``); 0 = off,
    #: then every refit runs ``model_epochs`` passes
    model_holdout: float = 0.0
    model_holdout_max: int = 1_000
    #: passes without a > 1 % holdout improvement of any member before a refit stops
    model_patience: int = 5
    # branched rollouts
    rollout_batch: int = 5_000
    #: (start step, end step, start length, end length) of the linear rollout-length schedule
    rollout_schedule: tuple[int, ...] = (1_000, 4_000, 1, 5)
    model_retain: int = 4
    # Lipschitz regularisation of SAC's critic (Zheng et al. 2023; see dynlearn.control.agents.sac)
    critic_spectral_norm: bool = False
    target_noise: float = 0.0
    target_noise_steps: int = 1

    def validate(self) -> None:
        if len(self.rollout_schedule) != 4 or self.rollout_schedule[2] < 1 or self.rollout_schedule[3] < 1:
            raise ValidationError("MBPOConfig.rollout_schedule is (start step, end step, start length, end length) "
                                  f"with lengths >= 1, got {self.rollout_schedule}")
        if not 0.0 <= self.model_holdout < 1.0:
            raise ValidationError(f"MBPOConfig.model_holdout must be in [0, 1), got {self.model_holdout}")
        if not 0.0 <= self.real_ratio <= 1.0:
            raise ValidationError(f"MBPOConfig.real_ratio must be in [0, 1], got {self.real_ratio}")
        for name in ("members", "model_epochs", "model_train_freq", "rollout_batch", "model_retain", "batch_size"):
            if getattr(self, name) < 1:
                raise ValidationError(f"MBPOConfig.{name} must be >= 1, got {getattr(self, name)}")

    def rollout_length(self, step: int) -> int:
        a, b, x, y = self.rollout_schedule
        frac = 1.0 if b <= a else min(max((step - a) / (b - a), 0.0), 1.0)
        return int(round(x + frac * (y - x)))


class MBPO(OffPolicyAgent):
    """MBPO: SAC trained mostly on short branched rollouts of a learned ensemble (see the module doc)."""

    config_cls = MBPOConfig
    name = "mbpo"

    def train(self, env, total_steps: int, **kwargs) -> list[dict]:
        if isinstance(env, str):
            from dynlearn.control.agents._loop import make_env

            env = make_env(env)
        true_model = getattr(env, "model", None)
        if not callable(true_model):
            raise ValidationError(f"MBPO needs the reward function of {env_id(env)} (env.model()); use an "
                                  "environment of dynlearn.control, e.g. 'pendulum' (dynlearn control envs)")
        self.reward_source_ = true_model()
        if self.spec_ is not None:
            self.model_.reward_model = self.reward_source_
        return super().train(env, total_steps, **kwargs)

    def _setup(self, spec: EnvSpec) -> None:
        import torch

        from dynlearn.control.agents.sac import SAC
        from dynlearn.control.models import GaussianEnsemble
        from dynlearn.control.replay import ReplayBuffer

        c = self.config
        self.sac_ = SAC(seed=c.seed, hidden=c.hidden, lr=c.lr, batch_size=c.batch_size, gamma=c.gamma, tau=c.tau,
                        buffer_size=1, learning_starts=0, critic_spectral_norm=c.critic_spectral_norm,
                        target_noise=c.target_noise, target_noise_steps=c.target_noise_steps,
                        target_entropy=c.target_entropy)
        self.sac_.setup(spec)
        self.model_ = GaussianEnsemble(seed=c.seed, members=c.members, hidden=c.model_hidden,
                                       layers=c.model_layers, learning_rate=c.model_lr, epochs=c.model_epochs,
                                       propagation="ts1", reward=getattr(self, "reward_source_", None))
        self.env_buffer_ = ReplayBuffer(spec.obs_dim, spec.act_dim, 1_000_000)
        cap = c.rollout_batch * max(c.rollout_schedule[2], c.rollout_schedule[3]) * c.model_retain
        self.model_buffer_ = ReplayBuffer(spec.obs_dim, spec.act_dim, cap)
        self.gen_ = torch.Generator().manual_seed(int(np.random.SeedSequence([c.seed, 3]).generate_state(1)[0]))
        self.low_t_ = torch.as_tensor(spec.low)
        self.span_t_ = torch.as_tensor(spec.high - spec.low)
        self.model_fitted_ = False
        self.dropped_ = 0
        #: CPU seconds spent fitting the dynamics model (this process, all refits)
        self.model_cpu_s_ = 0.0

    def _policy(self, obs, deterministic):
        return self.sac_._policy(obs, deterministic)

    # the three parts ------------------------------------------------------------------------------
    def _observe(self, step, obs, action, reward, next_obs, terminal) -> dict[str, float]:
        c = self.config
        self.env_buffer_.add(obs, action, reward, next_obs, terminal)
        n = step + 1
        out: dict[str, float] = {}
        if n >= c.learning_starts and (n - c.learning_starts) % c.model_train_freq == 0:
            out.update(self._fit_model())
            out.update(self._rollout(self.config.rollout_length(n)))
        if self.model_fitted_ and len(self.model_buffer_) > 0:
            for _ in range(c.updates_per_step):
                out.update(self.sac_.update(self._mixed_batch()))
        return out

    def _fit_model(self) -> dict[str, float]:
        from dynlearn.control.transitions import Transitions

        arr = self.env_buffer_.arrays()
        acts = self.spec_.to_env(arr["actions"])
        data = Transitions(arr["observations"], acts, arr["next_observations"], arr["rewards"], arr["terminals"] > 0.5)
        out = {}
        if self.model_fitted_:  # error on the transitions gathered since the last fit, before refitting on them
            k = min(self.config.model_train_freq, len(data))
            recent = Transitions(data.obs[-k:], data.actions[-k:], data.next_obs[-k:])
            out["model_mse_new"] = self.model_.mse(recent)
        c = self.config
        t0, before = time.process_time(), len(self.model_.history_)
        n_hold = min(int(len(data) * c.model_holdout), c.model_holdout_max)
        if n_hold >= 1:
            perm = self.rng_.permutation(len(data))
            hold, train = perm[:n_hold], perm[n_hold:]
            self.model_.fit(_subset(data, train), holdout=_subset(data, hold), patience=c.model_patience)
            out["model_holdout_mse"] = float(np.mean(self.model_.holdout_mse_))
        else:
            self.model_.fit(data)
        self.model_cpu_s_ += time.process_time() - t0
        self.model_fitted_ = True
        out["model_loss"] = float(self.model_.history_[-1])
        out["model_epochs"] = float(len(self.model_.history_) - before)
        return out

    def _rollout(self, length: int) -> dict[str, float]:
        """Branch ``rollout_batch`` rollouts of ``length`` steps from real states into the model buffer."""
        import torch

        c = self.config
        if self.model_.reward_model is None:
            raise ValidationError("MBPO's model has no reward function; train MBPO with env.model() available")
        idx = self.env_buffer_.sample_indices(c.rollout_batch, self.rng_)
        obs = torch.as_tensor(self.env_buffer_.observations[idx])
        added = 0
        for _ in range(length):
            a = self._rollout_actions(obs)
            env_a = self.low_t_ + (a + 1.0) * 0.5 * self.span_t_
            with torch.no_grad():
                nxt = self.model_.step(obs, env_a, generator=self.gen_).to(torch.float32)
                r = torch.as_tensor(self.model_.reward(obs, env_a, nxt), dtype=torch.float32)
                term = torch.as_tensor(self.model_.terminated(nxt)).reshape(-1).bool()
            ok = torch.isfinite(nxt).all(-1) & torch.isfinite(r)
            self.dropped_ += int((~ok).sum())
            self.model_buffer_.add_batch(obs[ok].numpy(), a[ok].numpy(), r[ok].numpy(), nxt[ok].numpy(),
                                         term[ok].numpy())
            added += int(ok.sum())
            keep = ok & ~term
            if not bool(keep.any()):
                break
            obs = nxt[keep]
        return {"rollout_length": float(length), "model_transitions": float(added)}

    def _rollout_actions(self, obs):
        """Hook: the squashed actions the branched rollouts take from ``obs`` (a torch batch); the
        current policy's samples here. A plug-in replaces it (COPlanner's conservative planner,
        :mod:`dynlearn.control.coplanner`)."""
        return self.sac_.policy_batch(obs)

    def _mixed_batch(self) -> dict[str, np.ndarray]:
        c = self.config
        n_real = int(round(c.batch_size * c.real_ratio))
        real = self.env_buffer_.sample(n_real, self.rng_) if n_real else None
        fake = self.model_buffer_.sample(c.batch_size - n_real, self.rng_) if n_real < c.batch_size else None
        if real is None:
            return fake
        if fake is None:
            return real
        return {k: np.concatenate([real[k], fake[k]]) for k in real}

    # state --------------------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        model = self.model_.get_state() if self.model_fitted_ else None
        return {"sac": self.sac_._state(), "env_buffer": self.env_buffer_.state_arrays(),
                "model_buffer": self.model_buffer_.state_arrays(), "generator": self.gen_.get_state(),
                "model": model, "dropped": self.dropped_, "model_cpu_s": self.model_cpu_s_}

    def _load_state(self, state: dict[str, Any]) -> None:
        from dynlearn.control.replay import ReplayBuffer

        self.sac_._load_state(state["sac"])
        self.env_buffer_ = ReplayBuffer.from_state_arrays(state["env_buffer"], source="checkpoint")
        self.model_buffer_ = ReplayBuffer.from_state_arrays(state["model_buffer"], source="checkpoint")
        self.gen_.set_state(state["generator"])
        self.dropped_ = int(state["dropped"])
        self.model_cpu_s_ = float(state.get("model_cpu_s", 0.0))
        ms = state["model"]
        if ms is not None:
            self.model_.set_state(ms)
            self.model_fitted_ = True

    def _modules(self) -> dict[str, Any]:
        return self.sac_._modules()

    def _after_load(self) -> None:
        self.sac_._after_load()


def _subset(data, idx):
    from dynlearn.control.transitions import Transitions

    return Transitions(data.obs[idx], data.actions[idx], data.next_obs[idx])


def _register() -> None:
    from dynlearn.control.agents import AGENTS

    AGENTS.register("mbpo", MBPO)


_register()
