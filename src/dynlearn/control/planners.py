"""Sampling-based trajectory optimisers, batched over the population in torch.

A planner maximises the predicted return ``Σ_t r(s_t, a_t, s_{t+1})`` (rewards after a predicted
termination are dropped) of an action sequence ``a_0..a_{H-1}`` under any
:class:`~dynlearn.control.DynamicsModel` from the current observation. Each candidate is rolled out
by ``particles`` particles (for a stochastic model) and scored by their mean return.

- :class:`RandomShooting`: the best of ``population`` uniform sequences.
- :class:`CEM`: the cross-entropy method (Rubinstein 1999; in PETS, Chua et al. 2018): sample a
  clipped Gaussian, refit mean and std to the ``elites`` best, smoothed by ``alpha``
  (``μ ← α μ + (1 − α) μ_elite``).
- :class:`ICEM`: improved CEM (Pinneri et al. 2020): temporally correlated "coloured" noise with power
  spectrum ``∝ f^(−noise_beta)``, a population shrinking by ``population_decay`` per iteration, a
  fraction ``keep_elites`` of the elites carried into the next iteration, and the mean itself
  tried in the last iteration.
- :class:`MPPI`: model-predictive path integral control (Williams et al. 2017): the new mean is the
  average of the samples weighted by ``softmax(R / temperature)``.

``plan(model, obs, init=...)`` returns a :class:`Plan`. A rollout that leaves the finite numbers
(NaN/inf) disqualifies its candidate; the plan records how many did and the first step it happened.
If every candidate diverges, :class:`~dynlearn.errors.DivergenceError` names the step (the
:class:`~dynlearn.control.MPC` controller then falls back to its previous plan).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import numpy as np
import torch

from dynlearn.config import build_config
from dynlearn.errors import DivergenceError, ValidationError
from dynlearn.registry import Registry

PLANNERS: Registry = Registry("planner")


@dataclasses.dataclass
class PlannerConfig:
    """Settings shared by all planners (each uses the ones it needs)."""

    horizon: int = 30
    population: int = 500
    iterations: int = 5
    #: iterations of a warm-started plan (``init`` given, as in MPC after the first step); None: ``iterations``
    warm_iterations: int | None = None
    elites: int = 50
    particles: int = 1
    alpha: float = 0.1
    init_std: float = 0.5
    temperature: float = 1.0
    noise_beta: float = 2.0
    population_decay: float = 1.25
    keep_elites: float = 0.3
    seed: int = 0

    def validate(self) -> None:
        for name in ("horizon", "population", "iterations", "elites", "particles"):
            if getattr(self, name) < 1:
                raise ValidationError(f"planner {name} must be >= 1, got {getattr(self, name)}")
        if self.warm_iterations is not None and self.warm_iterations < 1:
            raise ValidationError(f"planner warm_iterations must be >= 1 or None, got {self.warm_iterations}")
        if self.elites > self.population:
            raise ValidationError(f"planner elites ({self.elites}) cannot exceed population ({self.population})")
        if not 0 <= self.alpha < 1 or self.temperature <= 0 or self.init_std <= 0:
            raise ValidationError("planner needs 0 <= alpha < 1, temperature > 0 and init_std > 0")


@dataclasses.dataclass
class Plan:
    """A planner's answer. ``actions`` ``(horizon, action_dim)`` numpy: the sequence to execute
    (its first row now); ``mean``: the torch sequence used to warm-start the next plan;
    ``value``: predicted return of the best candidate; ``diverged``: candidates whose rollout
    went non-finite (last iteration); ``diverged_step``: the first step where one did (or None);
    ``elites``: the last iteration's elites ``(k, horizon, action_dim)``, best first (iCEM only: the
    next plan's ``carry``, shifted by one step)."""

    actions: np.ndarray
    mean: torch.Tensor
    value: float
    diverged: int = 0
    diverged_step: int | None = None
    elites: torch.Tensor | None = None


def _bounds(model, action_dim: int, bounds) -> tuple[np.ndarray, np.ndarray]:
    if bounds is None:
        lo = getattr(model, "action_low", None)
        hi = getattr(model, "action_high", None)
        bounds = (-np.ones(action_dim), np.ones(action_dim)) if lo is None or hi is None else (lo, hi)
    lo, hi = (np.broadcast_to(np.asarray(b, dtype=np.float64), (action_dim,)).copy() for b in bounds)
    if np.any(hi <= lo):
        raise ValidationError(f"action bounds need low < high; got low={lo}, high={hi}")
    return lo, hi


class Planner:
    """Base class: input checks, rollouts and scoring; subclasses implement ``_optimise``."""

    name: ClassVar[str] = "planner"

    def __init__(self, config: Any = None, **overrides: Any):
        self.config = build_config(PlannerConfig, config, overrides)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config})"

    def plan(
        self, model, obs, *, bounds=None, init=None, carry=None, generator: torch.Generator | None = None
    ) -> Plan:
        """Optimise an action sequence from ``obs`` ``(obs_dim,)`` under ``model``.

        ``bounds``: ``(low, high)`` of the actions (default: the model's, else [-1, 1]);
        ``init``: a ``(horizon, action_dim)`` warm start (e.g. the previous plan shifted by one);
        ``carry``: ``(k, horizon, action_dim)`` candidates added to the first iteration's population
        (iCEM's shifted elites of the previous plan; the other planners ignore it)."""
        obs_dim, act_dim = int(model.observation_dim), int(model.action_dim)
        x = torch.as_tensor(np.asarray(obs, dtype=np.float32))
        if x.shape != (obs_dim,):
            raise ValidationError(
                f"plan needs one observation of shape ({obs_dim},) for this model; got {tuple(x.shape)}"
            )
        lo, hi = _bounds(model, act_dim, bounds)
        H = self.config.horizon
        low, high = torch.as_tensor(lo, dtype=torch.float32), torch.as_tensor(hi, dtype=torch.float32)
        if init is None:
            mean = ((low + high) / 2).expand(H, act_dim).clone()
        else:
            mean = (
                torch.as_tensor(np.asarray(init, dtype=np.float32))
                if not isinstance(init, torch.Tensor)
                else init.float()
            )
            if mean.shape != (H, act_dim):
                raise ValidationError(f"init must have shape ({H}, {act_dim}); got {tuple(mean.shape)}")
        if carry is not None:
            carry = torch.as_tensor(np.asarray(carry, dtype=np.float32)) if not isinstance(carry, torch.Tensor) else carry
            if carry.ndim != 3 or carry.shape[1:] != (H, act_dim):
                raise ValidationError(f"carry must have shape (k, {H}, {act_dim}); got {tuple(carry.shape)}")
            carry = _clip(carry.float(), low, high)
        gen = generator if generator is not None else torch.Generator().manual_seed(int(self.config.seed))
        self._stats = {"diverged": 0, "step": None}
        self._carry, self._elites = carry, None
        warm = self.config.warm_iterations
        self._iterations = int(warm if init is not None and warm is not None else self.config.iterations)
        with torch.no_grad():
            best, mean, value = self._optimise(model, x, mean, low, high, gen)
        return Plan(
            best.numpy().astype(np.float64),
            mean,
            float(value),
            self._stats["diverged"],
            self._stats["step"],
            self._elites,
        )

    def evaluate(self, model, x: torch.Tensor, actions: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
        """Mean return over particles of each candidate ``actions`` ``(n, H, A)`` -> ``(n,)``; -inf
        for a candidate any of whose particles diverged.

        The states come from the model's fused ``rollout(obs, actions, generator=...)`` when it has
        one (the learned models do), else from ``H`` calls of ``step``. Reward and termination are
        then evaluated once on all ``H x rows`` transitions; a reward counts while no earlier step
        has terminated: ``R = Σ_t r_t Π_{k<t} (1 − d_k)``."""
        n, H, A = actions.shape
        P = self.config.particles
        a = actions.repeat_interleave(P, dim=0) if P > 1 else actions
        rows, d = n * P, x.shape[0]
        s0 = x.expand(rows, d)
        fused = getattr(model, "rollout", None)
        if fused is not None:
            states = fused(s0, a, generator=gen)  # (H, rows, d)
        else:
            states = torch.empty(H, rows, d)
            s = s0
            for t in range(H):
                s = model.step(s, a[:, t], generator=gen)
                states[t] = s
        prev = torch.cat([s0[None], states[:-1]])
        flat = (H * rows, d)
        r = model.reward(prev.reshape(flat), a.transpose(0, 1).reshape(H * rows, A), states.reshape(flat))
        r = torch.as_tensor(r).float().view(H, rows)
        done = torch.as_tensor(model.terminated(states.reshape(flat))).view(H, rows)
        alive = torch.ones(H, rows)
        if H > 1:
            torch.cumprod((~done[:-1]).float(), dim=0, out=alive[1:])
        total = (alive * r).sum(0)
        # a non-finite state poisons every later step; find each row's first one once, at the end
        finite = torch.isfinite(states).all(dim=-1)  # (H, rows)
        state_bad = ~finite.all(dim=0)
        bad = state_bad | ~torch.isfinite(total)  # a reward can go non-finite on finite states too
        first = torch.argmin(finite.to(torch.uint8), dim=0)
        bad_at = torch.where(state_bad, first, torch.where(bad, H - 1, H))
        total = torch.where(bad, torch.full_like(total, -math.inf), total)
        returns = total.view(n, P).mean(dim=1)
        n_bad = int(bad.view(n, P).any(dim=1).sum())
        self._stats["diverged"] = n_bad
        if n_bad:
            first = int(bad_at.min())
            self._stats["step"] = first if self._stats["step"] is None else min(first, self._stats["step"])
            if n_bad == n:
                raise DivergenceError(
                    f"every one of {n} model rollouts went non-finite (first at step {first} of the horizon {H}); "
                    "the model diverges from this state: retrain it, shorten the horizon, or narrow the actions"
                )
        return returns

    def _optimise(self, model, x, mean, low, high, gen):  # pragma: no cover - abstract
        raise NotImplementedError


def _clip(a: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    return torch.maximum(torch.minimum(a, high), low)


@PLANNERS.register("random")
class RandomShooting(Planner):
    name = "random"

    def _optimise(self, model, x, mean, low, high, gen):
        c = self.config
        u = torch.rand(c.population, c.horizon, len(low), generator=gen)
        cand = low + u * (high - low)
        cand[0] = mean  # the warm start competes too
        ret = self.evaluate(model, x, cand, gen)
        i = int(torch.argmax(ret))
        return cand[i], cand[i], ret[i]


@PLANNERS.register("cem")
class CEM(Planner):
    name = "cem"

    def _noise(self, n: int, H: int, A: int, gen) -> torch.Tensor:
        return torch.randn(n, H, A, generator=gen)

    def _optimise(self, model, x, mean, low, high, gen):
        c = self.config
        H, A = mean.shape
        std = (c.init_std * (high - low) / 2).expand(H, A).clone()
        best_ret = torch.tensor(-math.inf)
        for _ in range(self._iterations):
            cand = _clip(mean + std * self._noise(c.population, H, A, gen), low, high)
            ret = self.evaluate(model, x, cand, gen)
            top = torch.topk(ret, c.elites).indices
            elite = cand[top]
            mean = c.alpha * mean + (1 - c.alpha) * elite.mean(0)
            std = c.alpha * std + (1 - c.alpha) * elite.std(0, unbiased=False)
            if ret[top[0]] > best_ret:
                best_ret = ret[top[0]]
        return mean, mean, best_ret


def colored_noise(beta: float, n: int, H: int, A: int, gen: torch.Generator) -> torch.Tensor:
    """Gaussian noise ``(n, H, A)`` with power spectrum ``∝ f^(−beta)`` along the horizon, unit variance
    (beta = 0: white; 2: Brownian-like, smooth). Generated in the frequency domain."""
    if beta == 0:
        return torch.randn(n, H, A, generator=gen)
    f = torch.fft.rfftfreq(H)
    f[0] = f[1] if H > 1 else 1.0
    scale = f ** (-beta / 2.0)
    re = torch.randn(n, A, len(f), generator=gen)
    im = torch.randn(n, A, len(f), generator=gen)
    x = torch.fft.irfft(torch.complex(re * scale, im * scale), n=H)
    x = x / x.std(dim=-1, keepdim=True).clamp_min(1e-8)
    return x.transpose(1, 2).contiguous()


@PLANNERS.register("icem")
class ICEM(CEM):
    """iCEM (Pinneri et al. 2020): coloured noise, a decaying population, and elites kept.

    Within a plan, the best ``keep_elites × elites`` candidates of an iteration join the next
    iteration's population, and the mean joins the last one. Between plans, :class:`~dynlearn.control.MPC`
    passes the previous plan's elites shifted by one step (last action repeated) as ``carry``: the
    same fraction of them joins the first iteration (the paper's "shift elites")."""

    name = "icem"

    def _optimise(self, model, x, mean, low, high, gen):
        c = self.config
        H, A = mean.shape
        std = (c.init_std * (high - low) / 2).expand(H, A).clone()
        best_ret = torch.tensor(-math.inf)
        n_keep = max(1, int(c.keep_elites * c.elites))
        kept = self._carry[:n_keep] if self._carry is not None and len(self._carry) else None
        for it in range(self._iterations):
            n = max(int(c.population * c.population_decay ** (-it)), 2 * c.elites)
            cand = _clip(mean + std * colored_noise(c.noise_beta, n, H, A, gen), low, high)
            extra = [kept] if kept is not None else []
            if it == self._iterations - 1:
                extra.append(mean[None])
            if extra:
                cand = torch.cat([cand, *extra])
            ret = self.evaluate(model, x, cand, gen)
            top = torch.topk(ret, min(c.elites, len(cand))).indices
            elite = cand[top]
            kept = elite[:n_keep]
            mean = c.alpha * mean + (1 - c.alpha) * elite.mean(0)
            std = c.alpha * std + (1 - c.alpha) * elite.std(0, unbiased=False)
            if ret[top[0]] > best_ret:
                best_ret = ret[top[0]]
        self._elites = elite
        return mean, mean, best_ret


@PLANNERS.register("mppi")
class MPPI(Planner):
    name = "mppi"

    def _optimise(self, model, x, mean, low, high, gen):
        c = self.config
        H, A = mean.shape
        std = (c.init_std * (high - low) / 2).expand(H, A)
        best_ret = torch.tensor(-math.inf)
        for _ in range(self._iterations):
            cand = _clip(mean + std * torch.randn(c.population, H, A, generator=gen), low, high)
            ret = self.evaluate(model, x, cand, gen)
            w = torch.softmax((ret - ret.max()) / c.temperature, dim=0)
            w = torch.nan_to_num(w, nan=0.0)
            mean = c.alpha * mean + (1 - c.alpha) * (w[:, None, None] * cand).sum(0)
            i = int(torch.argmax(ret))
            if ret[i] > best_ret:
                best_ret = ret[i]
        return mean, mean, best_ret


def make_planner(name: str, config: Any = None, **overrides: Any) -> Planner:
    """The planner ``name`` (``random``, ``cem``, ``icem``, ``mppi``) with config overrides."""
    return PLANNERS.get(name)(config, **overrides)
