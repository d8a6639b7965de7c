"""Soft actor-critic (Haarnoja et al. 2018, "Soft Actor-Critic Algorithms and Applications").

The policy maximises return plus entropy, J(pi) = E[sum_t r_t + alpha H(pi(.|s_t))]:

- twin critics Q_1, Q_2 regress on the soft Bellman target
  y = r + gamma (1 - d) [min_j Q'_j(s', a') - alpha log pi(a'|s')],  a' ~ pi(.|s'),
  with target networks Q'_j tracking Q_j by Polyak averaging (rate ``tau``);
- the tanh-squashed Gaussian actor minimises E[alpha log pi(a|s) - min_j Q_j(s, a)]
  through the reparameterised sample; critics and actor take their step from
  the same batch and the same critic weights (simultaneous updates, as in the
  paper's Algorithm 1; stable-baselines3 evaluates the actor's loss on the
  critics after their step), which needs one backward pass instead of two;
- with ``auto_alpha`` the temperature minimises E[-alpha (log pi(a|s) + H_target)],
  H_target = -dim(A) by default, so the policy's entropy is driven to the target.

The twin critics are one batched network (one ``baddbmm`` per layer); the
actor's loss uses detached critic weights so no critic gradient is computed
for it; Adam is fused; acting on one observation runs in numpy on views of
the actor's weights. Every random number comes from the agent's own generators (seeded by
``config.seed``).

Two options regularise the critic's Lipschitz constant (Zheng et al. 2023, "Is Model
Ensemble Necessary? Model-based RL via a Single Model with Lipschitz Regularized Value
Function"); both are off by default, and off they change no number:

- ``critic_spectral_norm``: every hidden layer of both critics (and of their targets) is
  spectrally normalised, W <- W / sigma_max(W) by one power iteration per update (the output
  layer stays free and sets the scale), so Lip(Q) <= ||W_out||_2;
- ``target_noise = eps``: the next state of the value target is moved adversarially within
  an L2 ball of radius eps, y = r + gamma (1 - d) V'(s' + delta*),
  delta* ~ argmin_{||delta|| <= eps} V'(s' + delta) with V'(s) = min_j Q'_j(s, mu(s)), found by
  ``target_noise_steps`` projected-gradient steps from delta = 0 (one step is the L2 fast-gradient
  step delta = -eps g / ||g||); the target then samples a' ~ pi(.|s' + delta*) as usual. The radius
  is in the environment's observation units.

:meth:`SAC.critic_lipschitz` estimates Q's Lipschitz constant in (s, a): the product of the
layers' spectral norms (an upper bound for ReLU networks) and the largest gradient norm
||grad_(s,a) Q|| over given states (a lower bound).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from dynlearn.control.agents._loop import EnvSpec, OffPolicyAgent
from dynlearn.errors import ValidationError


@dataclasses.dataclass
class SACConfig:
    """Hyper-parameters of :class:`SAC` (defaults follow the paper and stable-baselines3)."""

    seed: int = 0
    hidden: tuple[int, ...] = (256, 256)
    lr: float = 3e-4
    batch_size: int = 256
    gamma: float = 0.99
    tau: float = 0.005
    buffer_size: int = 1_000_000
    #: uniformly random actions for the first steps, and no update before
    learning_starts: int = 100
    updates_per_step: int = 1
    init_alpha: float = 1.0
    auto_alpha: bool = True
    #: entropy target; None means -dim(A)
    target_entropy: float | None = None
    #: spectral normalisation of the critics' hidden layers (Lipschitz-regularised value)
    critic_spectral_norm: bool = False
    #: radius (L2, observation units) of the adversarial perturbation of s' in the value target; 0 = off
    target_noise: float = 0.0
    #: projected-gradient steps that find the perturbation (1 = fast-gradient step)
    target_noise_steps: int = 1

    def validate(self) -> None:
        if not self.hidden or min(self.hidden) < 1:
            raise ValidationError(f"SACConfig.hidden needs positive layer widths, got {self.hidden}")
        for name in ("lr", "batch_size", "buffer_size", "init_alpha"):
            if getattr(self, name) <= 0:
                raise ValidationError(f"SACConfig.{name} must be > 0, got {getattr(self, name)}")
        if not 0.0 <= self.gamma <= 1.0 or not 0.0 < self.tau <= 1.0:
            raise ValidationError(f"SACConfig needs 0 <= gamma <= 1 and 0 < tau <= 1, got {self.gamma}, {self.tau}")
        if self.updates_per_step < 0 or self.learning_starts < 0:
            raise ValidationError("SACConfig.updates_per_step and learning_starts must be >= 0")
        if self.target_noise < 0 or self.target_noise_steps < 1:
            raise ValidationError(f"SACConfig needs target_noise >= 0 and target_noise_steps >= 1, got "
                                  f"{self.target_noise} and {self.target_noise_steps}")


class SAC(OffPolicyAgent):
    """Soft actor-critic with twin critics, target networks and automatic entropy tuning.

    >>> agent = SAC(seed=0)                                    # doctest: +SKIP
    >>> agent.train("Pendulum-v1", 20_000, run_dir="runs/sac")  # doctest: +SKIP
    >>> agent.evaluate(make_env("Pendulum-v1")).mean()          # doctest: +SKIP
    """

    config_cls = SACConfig
    name = "sac"

    def _setup(self, spec: EnvSpec) -> None:
        import torch

        from dynlearn.control.agents._nets import BatchedMLP
        from dynlearn.control.replay import ReplayBuffer

        cfg = self.config
        self.gen_ = torch.Generator().manual_seed(int(np.random.SeedSequence([cfg.seed, 2]).generate_state(1)[0]))
        h = list(cfg.hidden)
        self.actor_ = BatchedMLP(1, [spec.obs_dim, *h, 2 * spec.act_dim], self.gen_)
        sn = tuple(range(len(h))) if cfg.critic_spectral_norm else ()
        self.critic_ = BatchedMLP(2, [spec.obs_dim + spec.act_dim, *h, 1], self.gen_, spectral_norm=sn)
        self.critic_target_ = BatchedMLP(2, [spec.obs_dim + spec.act_dim, *h, 1], self.gen_, spectral_norm=sn)
        self.critic_target_.load_state_dict(self.critic_.state_dict())
        self.critic_target_.requires_grad_(False)
        self.log_alpha_ = torch.tensor(float(np.log(cfg.init_alpha)), requires_grad=True)
        # one fused Adam over critics, actor and temperature (three parameter groups, one kernel and
        # one Python call per update; Adam is element-wise, so this is three Adams in one step)
        self.opt_ = torch.optim.Adam(
            [{"params": list(self.critic_.parameters())}, {"params": list(self.actor_.parameters())},
             {"params": [self.log_alpha_]}], lr=cfg.lr, fused=True)
        self.act_rng_ = np.random.default_rng(np.random.SeedSequence([cfg.seed, 4]))
        self.target_entropy_ = float(-spec.act_dim if cfg.target_entropy is None else cfg.target_entropy)
        self.buffer_ = ReplayBuffer(spec.obs_dim, spec.act_dim, cfg.buffer_size)
        self.updates_ = 0
        self._actor_np_ = None

    # acting -------------------------------------------------------------------------------------
    def _dist(self, obs):
        out = self.actor_(obs).squeeze(0)
        mean, log_std = out.chunk(2, dim=-1)
        return mean, log_std.clamp(-20.0, 2.0)

    def _policy(self, obs: np.ndarray, deterministic: bool) -> np.ndarray:
        # one observation: numpy on views of the actor's weights (torch's per-op overhead would dominate);
        # the views share memory with the parameters, which Adam and load_state_dict update in place
        if self._actor_np_ is None:
            self._actor_np_ = [(w.detach().numpy()[0], b.detach().numpy()[0, 0])
                               for w, b in zip(self.actor_.weights, self.actor_.biases)]
        n = len(self._actor_np_)
        h = obs
        for i, (w, b) in enumerate(self._actor_np_):
            h = h @ w + b
            if i < n - 1:
                h = np.maximum(h, 0.0)
        mean, log_std = np.split(h, 2)
        if deterministic:
            return np.tanh(mean)
        eps = self.act_rng_.standard_normal(mean.shape).astype(np.float32)
        return np.tanh(mean + np.exp(np.clip(log_std, -20.0, 2.0)) * eps)

    def policy_batch(self, obs, deterministic: bool = False):
        """Squashed actions in [-1, 1] for a batch of observations (a torch tensor ``(B, obs_dim)``)."""
        import torch

        from dynlearn.control.agents._nets import squashed_gaussian

        with torch.no_grad():
            mean, log_std = self._dist(obs)
            return squashed_gaussian(mean, log_std, self.gen_, deterministic)[0]

    # learning ------------------------------------------------------------------------------------
    def _observe(self, step, obs, action, reward, next_obs, terminal) -> dict[str, float]:
        self.buffer_.add(obs, action, reward, next_obs, terminal)
        if step < self.config.learning_starts:
            return {}
        out: dict[str, float] = {}
        for _ in range(self.config.updates_per_step):
            out = self.update(self.buffer_.sample(self.config.batch_size, self.rng_))
        return out

    def update(self, batch: dict[str, np.ndarray], critic_penalty=None) -> dict[str, float]:
        """One gradient step of critics, actor and temperature on a batch of transitions (actions in [-1, 1]).

        ``critic_penalty(o, o2, critic)``, if given, returns a scalar tensor added to the
        critics' loss (CQL's conservative term uses it)."""
        import torch

        from dynlearn.control.agents._nets import squashed_gaussian

        cfg = self.config
        o = torch.as_tensor(batch["observations"])
        a = torch.as_tensor(batch["actions"])
        r = torch.as_tensor(batch["rewards"])
        o2 = torch.as_tensor(batch["next_observations"])
        d = torch.as_tensor(batch["terminals"])
        alpha = self.log_alpha_.detach().exp()
        if cfg.critic_spectral_norm:
            self.critic_.power_iteration_()
            self.critic_target_.power_iteration_()
        if cfg.target_noise > 0:
            o2 = self.adversarial_next_obs(o2)
        with torch.no_grad():
            a2, logp2 = squashed_gaussian(*self._dist(o2), self.gen_)
            q_next = self.critic_target_(torch.cat([o2, a2], -1)).squeeze(-1).min(0).values
            y = r + cfg.gamma * (1.0 - d) * (q_next - alpha * logp2)
        q = self.critic_(torch.cat([o, a], -1)).squeeze(-1)
        critic_loss = 0.5 * (q - y).pow(2).mean(-1).sum()
        penalty = None
        if critic_penalty is not None:
            penalty = critic_penalty(o, o2, q)
            critic_loss = critic_loss + penalty
        pi, logp = squashed_gaussian(*self._dist(o), self.gen_)
        frozen = [p.detach() for p in self.critic_.flat_params()]
        q_pi = self.critic_(torch.cat([o, pi], -1), params=frozen).squeeze(-1).min(0).values
        actor_loss = (alpha * logp - q_pi).mean()
        # one backward for both losses: the critics get gradient only from their loss (the target is
        # computed without grad), the actor only from its own (it sees detached critic weights)
        self.opt_.zero_grad(set_to_none=True)
        (critic_loss + actor_loss).backward()
        if cfg.auto_alpha:  # d/d(log alpha) of -E[log alpha (log pi + H)], without another backward pass
            self.log_alpha_.grad = -(logp.detach() + self.target_entropy_).mean().reshape(())
        self.opt_.step()  # a parameter without a gradient (log alpha when not tuned) is left alone

        out = {"critic_loss": float(critic_loss.detach()), "actor_loss": float(actor_loss.detach()),
               "alpha": float(alpha)}
        if penalty is not None:
            out["critic_penalty"] = float(penalty.detach())
        with torch.no_grad():
            torch._foreach_lerp_(list(self.critic_target_.parameters()), list(self.critic_.parameters()), cfg.tau)
        self.updates_ += 1
        return out

    # Lipschitz regularisation (Zheng et al. 2023) ---------------------------------------------------
    def adversarial_next_obs(self, o2, radius: float | None = None, steps: int | None = None):
        """``s' + delta`` with ``||delta||_2 <= radius`` lowering the target value V'(s') = min_j Q'_j(s', mu(s'))
        by projected-gradient steps (see the module doc); ``o2`` is a tensor ``(B, obs_dim)``."""
        import torch

        eps = float(self.config.target_noise if radius is None else radius)
        k = int(self.config.target_noise_steps if steps is None else steps)
        o2 = torch.as_tensor(o2)
        if eps <= 0:
            return o2
        step = eps if k == 1 else 2.5 * eps / k
        delta = torch.zeros_like(o2)
        for _ in range(k):
            delta.requires_grad_(True)
            s = o2 + delta
            a = torch.tanh(self._dist(s)[0])
            v = self.critic_target_(torch.cat([s, a], -1)).squeeze(-1).min(0).values
            (g,) = torch.autograd.grad(v.sum(), [delta])
            with torch.no_grad():
                delta = delta - step * g / g.norm(dim=-1, keepdim=True).clamp_min(1e-12)
                norm = delta.norm(dim=-1, keepdim=True)
                delta = delta * torch.clamp(eps / norm.clamp_min(1e-12), max=1.0)
        return (o2 + delta).detach()

    def critic_lipschitz(self, observations=None, actions=None) -> dict[str, float]:
        """Estimates of the critics' Lipschitz constant in the input (s, a), the largest over the two critics:
        ``spectral_bound``, the product of the layers' spectral norms (an upper bound: ReLU is 1-Lipschitz), and,
        given observations and actions in [-1, 1] (e.g. replay samples), ``grad_max``, the largest
        ||grad_(s,a) Q_j(s, a)||_2 over them (a lower bound)."""
        import torch

        if self.spec_ is None:
            raise ValidationError("this sac has no critic yet; train it or call setup(env) first")
        c = self.critic_
        with torch.no_grad():
            ws = c.effective_weights([w.detach() for w in c.weights])
            bound = torch.ones(c.n_members, dtype=torch.float64)
            for w in ws:
                bound = bound * torch.linalg.matrix_norm(w.double(), ord=2)
        out = {"spectral_bound": float(bound.max())}
        if observations is not None:
            x = torch.cat([torch.as_tensor(observations, dtype=torch.float32),
                           torch.as_tensor(actions, dtype=torch.float32)], -1).requires_grad_(True)
            q = c(x).squeeze(-1)  # (2, B); each row's gradient depends on its own input only
            grads = [torch.autograd.grad(q[j].sum(), [x], retain_graph=j == 0)[0] for j in range(c.n_members)]
            out["grad_max"] = float(max(g.norm(dim=-1).max() for g in grads))
        return out

    # state ----------------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return {
            "actor": self.actor_.state_dict(), "critic": self.critic_.state_dict(),
            "critic_target": self.critic_target_.state_dict(), "log_alpha": self.log_alpha_.detach().clone(),
            "opt": self.opt_.state_dict(), "generator": self.gen_.get_state(),
            "act_rng": self.act_rng_.bit_generator.state,
            "buffer": self.buffer_.state_arrays(), "updates": self.updates_,
        }

    def _load_state(self, state: dict[str, Any]) -> None:
        import torch

        from dynlearn.control.replay import ReplayBuffer

        self.actor_.load_state_dict(state["actor"])
        self.critic_.load_state_dict(state["critic"])
        self.critic_target_.load_state_dict(state["critic_target"])
        with torch.no_grad():
            self.log_alpha_.copy_(state["log_alpha"])
        self.opt_.load_state_dict(state["opt"])
        self.gen_.set_state(state["generator"])
        self.act_rng_.bit_generator.state = state["act_rng"]
        self.buffer_ = ReplayBuffer.from_state_arrays(state["buffer"], source="checkpoint")
        self.updates_ = int(state["updates"])

    # persistence of the policy ----------------------------------------------------------------------
    def _modules(self) -> dict[str, Any]:
        return {"actor": self.actor_, "critic": self.critic_}

    def _after_load(self) -> None:
        self.critic_target_.load_state_dict(self.critic_.state_dict())


def _register() -> None:
    from dynlearn.control.agents import AGENTS

    AGENTS.register("sac", SAC)


_register()
