"""COPlanner: plan to roll out conservatively, explore optimistically (Wang et al. 2024, ICLR,
"COPlanner: Plan to Roll Out Conservatively but to Explore Optimistically for Model-Based RL").

A Dyna-style agent (MBPO) uses its learned ensemble twice: to generate model rollouts for the
policy, and (implicitly) to decide where the real data comes from. COPlanner puts one planner,
**UP-MPC** (uncertainty-aware, policy-guided MPC), in both places.

**Model uncertainty.** For an ensemble of ``M`` members with predicted next-state means
``μ_m(s, a)``, the disagreement is the variance of the means over members, summed over the
state dimensions, each dimension scaled by the deviation ``σ_j`` of the model's training targets
so that ``u`` has no units::

    u(s, a) = Σ_j Var_m[μ_{m,j}(s, a)] / σ_j²

(identical members give ``u = 0``; the members' own predicted variances, the aleatoric part,
do not enter).

**UP-MPC.** From a state ``s_0`` draw ``K`` first actions ``a_0^k ~ π(·|s_0)`` from the current
policy; roll each candidate ``H`` steps through the model with the policy choosing
``a_t^k ~ π(·|s_t^k)`` (one random member per step, with its predicted noise, as MBPO's
rollouts), and score it by::

    J^k = Σ_{t<H} γ^t (r(s_t^k, a_t^k, s_{t+1}^k) + w · u(s_t^k, a_t^k))

until the task terminates. The first action of the best candidate is taken. With ``w = +α``
(optimism) the real agent prefers actions whose outcome the model is unsure of and that pay off:
exploration that reduces model error where it matters. With ``w = -β`` (conservatism) the branched
model rollouts steer away from where the model is unreliable, so less model error reaches the
policy's training data.

:class:`UPMPC` is the planner; :class:`COPlanner` is MBPO with it plugged in through MBPO's
``_policy`` (real actions) and ``_rollout_actions`` (model-rollout actions) hooks, registered as
the agent ``coplanner`` (``dynlearn control train coplanner --env ...``). With
``explore=False, conservative=False`` it is plain MBPO, number for number.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from dynlearn.control.agents.mbpo import MBPO, MBPOConfig
from dynlearn.errors import ValidationError


# --- ensemble disagreement -----------------------------------------------------------------------
def _member_outputs(model, obs, actions):
    """Members' next-state means ``(M, B, d)`` (raw units), their noise deviations (or None) and the
    per-dimension scale ``σ`` used by :func:`disagreement`."""
    import torch

    if hasattr(model, "member_means"):  # any ensemble that exposes its members
        means = torch.as_tensor(model.member_means(obs, actions))
        scale = torch.as_tensor(getattr(model, "disagreement_scale", 1.0), dtype=means.dtype)
        return means, None, scale
    net = getattr(model, "net_", None)
    if net is None or not hasattr(model, "_scalers"):
        raise ValidationError(f"{type(model).__name__} has no ensemble members to disagree; use a "
                              "dynlearn.control.GaussianEnsemble (or give the model a member_means(obs, actions))")
    xm, xs, ym, ys = model._scalers(obs)
    z = (torch.cat([obs, actions.to(obs.dtype)], dim=-1) - xm) / xs
    M = model.members
    mean, logvar = net(z.unsqueeze(0).expand(M, *z.shape))
    std = None if logvar is None else torch.exp(0.5 * logvar) * ys
    return obs + mean * ys + ym, std, ys


def disagreement(model, obs, actions):
    """``u(s, a) = Σ_j Var_m[μ_{m,j}(s, a)] / σ_j²`` for a batch: torch ``(B,)`` (see the module doc).

    ``obs`` ``(B, obs_dim)`` and ``actions`` ``(B, act_dim)`` (environment units), torch or numpy."""
    import torch

    obs = torch.as_tensor(obs, dtype=torch.float32) if not torch.is_tensor(obs) else obs
    actions = torch.as_tensor(actions, dtype=obs.dtype) if not torch.is_tensor(actions) else actions
    with torch.no_grad():
        means, _, scale = _member_outputs(model, obs, actions)
        return (means.var(0, unbiased=False) / scale**2).sum(-1)


# --- UP-MPC ----------------------------------------------------------------------------------------
@dataclasses.dataclass
class UPMPCConfig:
    """UP-MPC's search: ``candidates`` policy samples per state, each scored over ``horizon`` model steps."""

    candidates: int = 5
    horizon: int = 5
    discount: float = 0.99

    def validate(self) -> None:
        if self.candidates < 1 or self.horizon < 1:
            raise ValidationError(f"UP-MPC needs candidates >= 1 and horizon >= 1, got {self.candidates}, "
                                  f"{self.horizon}")
        if not 0.0 < self.discount <= 1.0:
            raise ValidationError(f"UP-MPC discount must be in (0, 1], got {self.discount}")


class UPMPC:
    """Uncertainty-aware policy-guided MPC over a learned ensemble (see the module doc).

    ``policy(obs)`` maps a torch batch of observations to sampled actions (the agent's own units,
    e.g. squashed to [-1, 1]); ``to_env(a)`` maps those to the model's action units (default: the
    same). ``plan(obs, weight)`` returns the chosen first actions (policy units) and the chosen
    candidates' mean score and first-step disagreement."""

    def __init__(self, model, policy: Callable, *, to_env: Callable | None = None, candidates: int = 5,
                 horizon: int = 5, discount: float = 0.99, generator=None):
        self.config = UPMPCConfig(int(candidates), int(horizon), float(discount))
        self.config.validate()
        self.model, self.policy = model, policy
        self.to_env = to_env if to_env is not None else (lambda a: a)
        self.generator = generator

    def _step(self, s, ea):
        """One model step from the members computed once: disagreement and a TS-1 sample."""
        import torch

        means, std, scale = _member_outputs(self.model, s, ea)
        u = (means.var(0, unbiased=False) / scale**2).sum(-1)
        if std is None:  # a model that exposes only its means steps itself
            return u, torch.as_tensor(self.model.step(s, ea, generator=self.generator), dtype=s.dtype)
        M, B = means.shape[:2]
        g = self.generator
        pick = torch.randint(M, (B,), generator=g) if g is not None else torch.randint(M, (B,))
        rows = torch.arange(B)
        eps = torch.randn(means.shape[1:], generator=g, dtype=means.dtype) if g is not None else \
            torch.randn(means.shape[1:], dtype=means.dtype)
        return u, means[pick, rows] + std[pick, rows] * eps

    def plan(self, obs, weight: float):
        """The best first action for each row of ``obs`` ``(B, obs_dim)`` under score weight ``weight``
        (``+α`` optimistic, ``-β`` conservative); returns ``(actions (B, act_dim), info)``."""
        import torch

        c = self.config
        obs = torch.as_tensor(obs, dtype=torch.float32) if not torch.is_tensor(obs) else obs
        if obs.ndim != 2:
            raise ValidationError(f"UP-MPC plans from a batch of observations (B, obs_dim); got shape "
                                  f"{tuple(obs.shape)}")
        B, K = obs.shape[0], c.candidates
        with torch.no_grad():
            s = obs.repeat_interleave(K, 0)
            first = a = self.policy(s)
            score = torch.zeros(B * K, dtype=torch.float64)
            alive = torch.ones(B * K, dtype=torch.bool)
            u0 = None
            for t in range(c.horizon):
                if t > 0:
                    a = self.policy(s)
                ea = self.to_env(a)
                u, s2 = self._step(s, ea)
                r = torch.as_tensor(self.model.reward(s, ea, s2), dtype=torch.float64).reshape(-1)
                gain = (c.discount**t) * (r + float(weight) * u.double())
                score = score + torch.where(alive, gain, torch.zeros_like(gain))
                if u0 is None:
                    u0 = u
                alive = alive & ~torch.as_tensor(self.model.terminated(s2)).reshape(-1).bool()
                s = torch.where(torch.isfinite(s2), s2, s)
            score = torch.where(torch.isfinite(score), score, torch.full_like(score, -torch.inf))
            best = score.view(B, K).argmax(1)
            rows = torch.arange(B)
            chosen = first.view(B, K, -1)[rows, best]
            info = {"score": float(score.view(B, K)[rows, best].mean()),
                    "disagreement": float(u0.view(B, K)[rows, best].double().mean())}
        return chosen, info


# --- the agent: MBPO with UP-MPC plugged in ------------------------------------------------------------
@dataclasses.dataclass
class COPlannerConfig(MBPOConfig):
    """MBPO's hyper-parameters plus COPlanner's: the optimism ``α`` of real exploration, the
    conservatism ``β`` of model rollouts, and UP-MPC's search."""

    #: α: weight of the disagreement bonus when choosing real actions
    optimism: float = 1.0
    #: β: weight of the disagreement penalty when choosing model-rollout actions
    conservatism: float = 1.0
    plan_candidates: int = 5
    plan_horizon: int = 5
    plan_discount: float = 0.99
    #: plan real actions with UP-MPC (+α u); off = the policy's own samples
    explore: bool = True
    #: plan model-rollout actions with UP-MPC (-β u); off = the policy's own samples
    conservative: bool = True

    def validate(self) -> None:
        super().validate()
        UPMPCConfig(self.plan_candidates, self.plan_horizon, self.plan_discount).validate()
        if self.optimism < 0 or self.conservatism < 0:
            raise ValidationError(f"COPlannerConfig.optimism and conservatism are weights >= 0, got "
                                  f"{self.optimism}, {self.conservatism}")


class COPlanner(MBPO):
    """MBPO whose real actions come from optimistic UP-MPC and whose model rollouts from conservative
    UP-MPC (see the module doc). Episode records add ``explore_disagreement`` (mean u of the real
    actions chosen) and ``rollout_disagreement`` (mean u of the first rollout step's actions)."""

    config_cls = COPlannerConfig
    name = "coplanner"

    def _setup(self, spec) -> None:
        import torch

        super()._setup(spec)
        c = self.config
        low, span = self.low_t_, self.span_t_
        self.planner_ = UPMPC(self.model_, self.sac_.policy_batch, to_env=lambda a: low + (a + 1.0) * 0.5 * span,
                              candidates=c.plan_candidates, horizon=c.plan_horizon, discount=c.plan_discount,
                              generator=self.gen_)
        self._explore_u: list[float] = []
        self._rollout_u: list[float] = []
        self._torch = torch

    def _policy(self, obs, deterministic):
        if deterministic or not self.config.explore or not self.model_fitted_:
            return super()._policy(obs, deterministic)
        a, info = self.planner_.plan(self._torch.as_tensor(obs, dtype=self._torch.float32)[None],
                                     self.config.optimism)
        self._explore_u.append(info["disagreement"])
        return a[0].numpy()

    def _rollout_actions(self, obs):
        if not self.config.conservative:
            return super()._rollout_actions(obs)
        a, info = self.planner_.plan(obs, -self.config.conservatism)
        self._rollout_u.append(info["disagreement"])
        return a

    def _observe(self, step, obs, action, reward, next_obs, terminal) -> dict[str, float]:
        out = super()._observe(step, obs, action, reward, next_obs, terminal)
        if self._explore_u:
            out["explore_disagreement"] = float(np.mean(self._explore_u))
            self._explore_u.clear()
        if self._rollout_u:
            out["rollout_disagreement"] = float(np.mean(self._rollout_u))
            self._rollout_u.clear()
        return out


def _register() -> None:
    from dynlearn.control.agents import AGENTS

    AGENTS.register("coplanner", COPlanner)


_register()
