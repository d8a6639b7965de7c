"""Sim-to-real alignment: a delta-action model (ASAP, He et al. 2025) and the baselines it is compared with.

A simulator ``f_sim(s, a)`` differs from the real system ``f_real(s, a)``. ASAP ("Aligning Simulation and
Real-World Physics for Learning Agile Humanoid Whole-Body Skills") learns a *delta-action* policy
``pi_delta(s, a) -> delta_a`` such that

    f_sim(s, a + pi_delta(s, a)) ~ f_real(s, a),

from a few real episodes, then fine-tunes the task policy in the simulator with the delta applied to
every action (``sim + delta``). The simulator itself is untouched: the correction lives in action space.

Here ``pi_delta`` is an MLP whose last layer starts at zero, so an untrained delta is exactly the identity
(``sim + 0 = sim``). The paper trains it with PPO on a tracking reward because its simulators are not
differentiable. dynlearn's true models are (``env.model()`` runs in torch), so :meth:`DeltaActionModel.fit`
minimises the same tracking error directly by gradient descent through the simulator:

    L(phi) = mean over windows, k = 1..K of  || (s_hat_{t+k} - s_{t+k}) / sigma ||^2,
    s_hat_{t+k} = f_sim(s_hat_{t+k-1}, a_{t+k-1} + pi_delta(s_hat_{t+k-1}, a_{t+k-1})),  s_hat_t = s_t,

(``K = horizon``; ``K = 1`` is the one-step fit; sigma the per-dimension spread of the real states).
Gradient descent on the exact objective needs far fewer samples than RL on it; it is only possible
because the simulator is differentiable (say so when you compare with the paper).

Baselines, as in the paper:

- :func:`sysid_grid`: system identification, a grid search over simulator parameters (e.g. mass,
  torque gain) ranked by the open-loop rollout error on the real episodes;
- :class:`RandomizedEnv`: domain randomisation, a fresh draw of the parameters on every reset;
- :class:`ResidualDynamics`: a learned state correction ``s' = f_sim(s, a) + r_phi(s, a)`` ("delta
  dynamics"), fitted by the same loss and stepped as an environment by :class:`ModelEnv`.

:class:`DeltaActionWrapper` is ``sim + delta`` as a Gymnasium environment (it passes Gymnasium's env
checker) for fine-tuning any agent; :func:`rollout_error` measures open-loop prediction error at
several horizons on held-out real episodes.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from dynlearn.control.envs._backend import is_torch
from dynlearn.errors import NotFittedError, ValidationError

try:
    import gymnasium
except ImportError:  # pragma: no cover - the control extra is needed
    gymnasium = None


# --- data ------------------------------------------------------------------------------------------
def _episodes(episodes, obs_dim: int, act_dim: int, name: str = "episodes"):
    """Validate a sequence of episodes (objects with ``observations`` ``(T+1, d)`` and ``actions`` ``(T, m)``)."""
    if not isinstance(episodes, Sequence) or isinstance(episodes, (str, bytes)) or len(episodes) == 0:
        raise ValidationError(f"{name} must be a non-empty list of episodes (e.g. from run_episode); "
                              f"got {type(episodes).__name__}")
    out = []
    for i, ep in enumerate(episodes):
        obs = np.asarray(getattr(ep, "observations", None), dtype=np.float64)
        act = np.asarray(getattr(ep, "actions", None), dtype=np.float64)
        if obs.ndim != 2 or obs.shape[1] != obs_dim or act.ndim != 2 or act.shape[1] != act_dim:
            raise ValidationError(f"{name}[{i}] needs observations (T+1, {obs_dim}) and actions (T, {act_dim}); "
                                  f"got {obs.shape} and {act.shape}")
        if obs.shape[0] != act.shape[0] + 1 or act.shape[0] < 1:
            raise ValidationError(f"{name}[{i}] has {obs.shape[0]} observations for {act.shape[0]} actions; "
                                  "give one more observation than actions and at least one action")
        if not (np.all(np.isfinite(obs)) and np.all(np.isfinite(act))):
            raise ValidationError(f"{name}[{i}] holds NaN or inf; drop that episode")
        out.append((obs, act))
    return out


def _windows(episodes, horizon: int):
    """All windows of ``horizon`` steps: starts ``(N, d)``, actions ``(N, K, m)``, targets ``(N, K, d)``."""
    s0, acts, tgt = [], [], []
    for obs, act in episodes:
        T = act.shape[0]
        for t in range(0, T - horizon + 1):
            s0.append(obs[t])
            acts.append(act[t:t + horizon])
            tgt.append(obs[t + 1:t + 1 + horizon])
    if not s0:
        raise ValidationError(f"no episode is {horizon} steps long; lower the horizon")
    return np.asarray(s0), np.asarray(acts), np.asarray(tgt)


def rollout_error(model, episodes, horizons: Sequence[int] = (1, 5, 10, 20), *, stride: int = 1) -> dict[int, float]:
    """Open-loop prediction error of ``model`` on recorded episodes, per horizon.

    From every ``stride``-th state ``s_t`` the model is rolled out with the recorded actions,
    ``s_hat_{t+k} = model.step(s_hat_{t+k-1}, a_{t+k-1})``, and the error at horizon ``h`` is the
    root-mean-square over windows of ``|| s_hat_{t+h} - s_{t+h} ||_2``. Batched over windows (numpy)."""
    horizons = sorted({int(h) for h in horizons})
    if not horizons or horizons[0] < 1:
        raise ValidationError(f"horizons must be positive integers, got {horizons}")
    eps = _episodes(episodes, model.observation_dim, model.action_dim)
    s0, acts, tgt = _windows(eps, horizons[-1])
    s0, acts, tgt = s0[::stride], acts[::stride], tgt[::stride]
    out, s = {}, s0
    for k in range(horizons[-1]):
        s = np.asarray(model.step(s, acts[:, k]), dtype=np.float64)
        if k + 1 in horizons:
            out[k + 1] = float(np.sqrt(np.mean(np.sum((s - tgt[:, k]) ** 2, axis=-1))))
    return out


# --- learned corrections of a simulator ------------------------------------------------------------
CORRECTION_FORMAT = "dynlearn.control.sim2real.correction"


@dataclasses.dataclass
class CorrectionConfig:
    """Hyper-parameters of a learned simulator correction (delta action or residual state)."""

    hidden: tuple[int, ...] = (64, 64)
    epochs: int = 300
    lr: float = 3e-3
    batch_size: int = 256
    #: open-loop steps per training window (1: one-step fit)
    horizon: int = 1
    weight_decay: float = 0.0
    seed: int = 0

    def validate(self) -> None:
        if not self.hidden or min(self.hidden) < 1:
            raise ValidationError(f"hidden needs positive layer widths, got {self.hidden}")
        for name in ("epochs", "batch_size", "horizon"):
            if int(getattr(self, name)) < 1:
                raise ValidationError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.lr <= 0 or self.weight_decay < 0:
            raise ValidationError(f"need lr > 0 and weight_decay >= 0, got {self.lr}, {self.weight_decay}")


class _CorrectedSim:
    """A simulator's true model plus a small MLP ``g_phi(s, a)`` (zero output at initialisation).

    Follows :class:`dynlearn.control.DynamicsModel`: ``step``, ``reward``, ``terminated`` over batches,
    numpy float64 in and out, or torch in and out (differentiable)."""

    def __init__(self, sim, out_dim: int, config: CorrectionConfig | None = None, **overrides: Any):
        import torch

        from dynlearn.config import build_config

        self.sim = sim
        self.config = build_config(CorrectionConfig, config, overrides)
        self.config.validate()
        self.observation_dim, self.action_dim = int(sim.observation_dim), int(sim.action_dim)
        gen = torch.Generator().manual_seed(int(self.config.seed))
        sizes = [self.observation_dim + self.action_dim, *self.config.hidden, out_dim]
        layers: list[Any] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            lin = torch.nn.Linear(a, b, dtype=torch.float64)
            with torch.no_grad():
                if i == len(sizes) - 2:  # zero last layer: g = 0, so the correction starts as the identity
                    lin.weight.zero_()
                    lin.bias.zero_()
                else:
                    bound = 1.0 / np.sqrt(a)
                    lin.weight.copy_((torch.rand(b, a, generator=gen, dtype=torch.float64) * 2 - 1) * bound)
                    lin.bias.copy_((torch.rand(b, generator=gen, dtype=torch.float64) * 2 - 1) * bound)
            layers += [lin, torch.nn.Tanh()]
        self.net = torch.nn.Sequential(*layers[:-1])
        # inputs are standardised with statistics of the fitting data (identity until fitted)
        self.in_mean_ = torch.zeros(sizes[0], dtype=torch.float64)
        self.in_std_ = torch.ones(sizes[0], dtype=torch.float64)
        self.history_: list[float] = []

    # the correction ---------------------------------------------------------------------------------
    def _g(self, obs, actions):
        """``g_phi(s, a)`` in torch (float64) for torch ``(B, d)``, ``(B, m)``."""
        import torch

        x = torch.cat([obs, actions], -1).to(torch.float64)
        return self.net((x - self.in_mean_) / self.in_std_)

    def correction(self, obs, actions):
        """``g_phi(s, a)`` for a batch (numpy in, numpy out; torch in, torch out)."""
        import torch

        if is_torch(obs):
            return self._g(obs, actions).to(obs.dtype)
        with torch.no_grad():
            o = torch.as_tensor(np.atleast_2d(np.asarray(obs, np.float64)))
            a = torch.as_tensor(np.atleast_2d(np.asarray(actions, np.float64)))
            out = self._g(o, a).numpy()
        return out[0] if np.ndim(obs) == 1 else out

    def _torch_step(self, obs, actions):
        raise NotImplementedError

    def step(self, obs, actions, *, generator=None):
        import torch

        if is_torch(obs):
            return self._torch_step(obs, actions)
        o = np.asarray(obs, np.float64)
        a = np.asarray(actions, np.float64)
        if o.shape[-1:] != (self.observation_dim,) or a.shape[-1:] != (self.action_dim,) or o.ndim != a.ndim:
            raise ValidationError(f"{type(self).__name__}.step needs obs (batch, {self.observation_dim}) and "
                                  f"actions (batch, {self.action_dim}); got {o.shape} and {a.shape}")
        with torch.no_grad():
            out = self._torch_step(torch.as_tensor(np.atleast_2d(o)), torch.as_tensor(np.atleast_2d(a))).numpy()
        return out[0] if o.ndim == 1 else out

    def reward(self, obs, actions, next_obs):
        return self.sim.reward(obs, actions, next_obs)

    def terminated(self, next_obs):
        return self.sim.terminated(next_obs)

    # fitting ----------------------------------------------------------------------------------------
    def fit(self, episodes, *, progress=None):
        """Fit ``g_phi`` to real episodes by gradient descent through the simulator (see the module docs).

        ``episodes``: recorded real episodes (``observations (T+1, d)``, ``actions (T, m)``). Returns self;
        ``history_`` holds the mean loss of every epoch."""
        import torch

        cfg = self.config
        eps = _episodes(episodes, self.observation_dim, self.action_dim)
        s0, acts, tgt = (torch.as_tensor(x) for x in _windows(eps, int(cfg.horizon)))
        rows = torch.cat([torch.as_tensor(np.concatenate([o[:-1] for o, _ in eps])),
                          torch.as_tensor(np.concatenate([a for _, a in eps]))], -1)
        self.in_mean_ = rows.mean(0)
        self.in_std_ = rows.std(0).clamp_min(1e-6)
        scale = tgt.reshape(-1, self.observation_dim).std(0).clamp_min(1e-6)
        opt = torch.optim.Adam(self.net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        gen = torch.Generator().manual_seed(int(cfg.seed) + 1)
        n = s0.shape[0]
        for epoch in range(int(cfg.epochs)):
            perm = torch.randperm(n, generator=gen)
            total, batches = 0.0, 0
            for i in range(0, n, int(cfg.batch_size)):
                idx = perm[i:i + int(cfg.batch_size)]
                s, loss = s0[idx], 0.0
                for k in range(int(cfg.horizon)):
                    s = self._torch_step(s, acts[idx, k])
                    loss = loss + (((s - tgt[idx, k]) / scale) ** 2).sum(-1).mean()
                loss = loss / int(cfg.horizon)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += float(loss.detach())
                batches += 1
            self.history_.append(total / batches)
            if progress is not None:
                progress(epoch, self.history_[-1])
        self.fitted_ = True
        return self

    # persistence (safetensors + JSON, never pickle) -------------------------------------------------------
    def save(self, path) -> None:
        """Write the correction to the folder ``path`` (``correction.json`` + ``weights.safetensors``).
        The simulator is not saved: pass it again to :meth:`load`."""
        import json
        from pathlib import Path

        from safetensors.torch import save as st_save

        from dynlearn.config import config_to_dict
        from dynlearn.io_utils import atomic_write_bytes, atomic_write_text

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = {f"net.{k}": v.detach().contiguous() for k, v in self.net.state_dict().items()}
        tensors.update(in_mean=self.in_mean_.contiguous(), in_std=self.in_std_.contiguous())
        atomic_write_bytes(path / "weights.safetensors", st_save(tensors))
        meta = {"format": CORRECTION_FORMAT, "version": 1, "kind": type(self).__name__,
                "observation_dim": self.observation_dim, "action_dim": self.action_dim,
                "config": config_to_dict(self.config)}
        atomic_write_text(path / "correction.json", json.dumps(meta, indent=1) + "\n")

    @classmethod
    def load(cls, path, sim):
        """A correction saved by :meth:`save`, put in front of the simulator model ``sim`` again."""
        import json
        from pathlib import Path

        from safetensors.torch import load as st_load

        from dynlearn.errors import FileFormatError

        path = Path(path)
        try:
            meta = json.loads((path / "correction.json").read_text())
            tensors = st_load((path / "weights.safetensors").read_bytes())
        except FileNotFoundError:
            raise FileFormatError(f"{path} is not a saved correction (correction.json and weights.safetensors "
                                  "expected)") from None
        except Exception as exc:
            raise FileFormatError(f"{path} holds a corrupt correction ({exc}); save it again") from None
        if meta.get("format") != CORRECTION_FORMAT or meta.get("version") != 1 or meta.get("kind") != cls.__name__:
            raise FileFormatError(f"{path}/correction.json is not a version-1 {cls.__name__}")
        if (meta["observation_dim"], meta["action_dim"]) != (int(sim.observation_dim), int(sim.action_dim)):
            raise ValidationError(f"{path} was fitted for obs/action dims {meta['observation_dim']}/"
                                  f"{meta['action_dim']}; this simulator has {sim.observation_dim}/{sim.action_dim}")
        model = cls(sim, meta["config"])
        model.net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")})
        model.in_mean_, model.in_std_ = tensors["in_mean"], tensors["in_std"]
        model.fitted_ = True
        return model


class DeltaActionModel(_CorrectedSim):
    """``sim + delta``: ``s' = f_sim(s, clip(a + pi_delta(s, a)))`` (ASAP's delta-action model).

    ``sim``: the simulator's batched true model (``make_env(...).model()``); ``pi_delta`` is an MLP of
    ``(s, a)`` with a zero-initialised last layer, so before fitting ``step`` equals ``sim.step``
    exactly. The corrected action is clipped to the simulator's action box, as the simulator does."""

    def __init__(self, sim, config: CorrectionConfig | None = None, **overrides: Any):
        super().__init__(sim, int(sim.action_dim), config, **overrides)

    def delta(self, obs, actions):
        """``pi_delta(s, a)``, the action correction (numpy or torch)."""
        return self.correction(obs, actions)

    def _torch_step(self, obs, actions):
        return self.sim.step(obs, actions + self._g(obs, actions).to(actions.dtype))


class ResidualDynamics(_CorrectedSim):
    """The "delta dynamics" baseline: ``s' = f_sim(s, a) + r_phi(s, a)``, a learned state correction
    (zero at initialisation), fitted by the same loss as :class:`DeltaActionModel`."""

    def __init__(self, sim, config: CorrectionConfig | None = None, **overrides: Any):
        super().__init__(sim, int(sim.observation_dim), config, **overrides)

    def _torch_step(self, obs, actions):
        return self.sim.step(obs, actions) + self._g(obs, actions).to(obs.dtype)


# --- environments ------------------------------------------------------------------------------------
def _wrapper_base():
    return gymnasium.Wrapper if gymnasium is not None else object


def _env_base():
    return gymnasium.Env if gymnasium is not None else object


class DeltaActionWrapper(_wrapper_base()):
    """The simulator environment with ASAP's delta applied to every action: ``env.step(a + pi_delta(s, a))``.

    ``delta``: a :class:`DeltaActionModel` (its correction is used; its simulator is not) or any
    ``callable(obs (1, d), actions (1, m)) -> (1, m)``. The corrected action is clipped to the action box.
    Spaces, rewards and time limit are the wrapped environment's; ``info["delta_action"]`` holds the delta."""

    def __init__(self, env, delta):
        super().__init__(env)
        self.delta = delta
        self._obs: np.ndarray | None = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        self._obs = np.asarray(obs, np.float64)
        return obs, info

    def step(self, action):
        if self._obs is None:
            raise ValidationError("DeltaActionWrapper: call reset() before step()")
        a = np.asarray(action, np.float64)
        if a.shape != self.action_space.shape:
            raise ValidationError(f"actions must have shape {self.action_space.shape}; got {a.shape}")
        fn = self.delta.delta if hasattr(self.delta, "delta") else self.delta
        d = np.asarray(fn(self._obs[None], a[None]), np.float64).reshape(a.shape)
        corrected = np.clip(a + d, self.action_space.low, self.action_space.high).astype(self.action_space.dtype)
        obs, r, term, trunc, info = self.env.step(corrected)
        self._obs = np.asarray(obs, np.float64)
        return obs, r, term, trunc, {**info, "delta_action": d}

    def model(self) -> DeltaActionModel:
        """The batched ``sim + delta`` model (the :class:`DeltaActionModel` given)."""
        if not isinstance(self.delta, DeltaActionModel):
            raise ValidationError("model() needs the wrapper to hold a DeltaActionModel, not a plain callable")
        return self.delta


class ModelEnv(_env_base()):
    """A Gymnasium environment stepped by a batched dynamics model (e.g. :class:`ResidualDynamics`).

    Initial states come from ``base_env.reset(seed=...)``; ``step`` applies ``model.step``,
    ``model.reward`` and ``model.terminated`` to the one state; episodes are truncated after
    ``max_episode_steps`` (default: the base environment's). Spaces are the base environment's."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, base_env, model, max_episode_steps: int | None = None):
        for attr in ("step", "reward", "terminated"):
            if not callable(getattr(model, attr, None)):
                raise ValidationError(f"ModelEnv needs a dynamics model with {attr}(); got {type(model).__name__}")
        self.base_env, self.model_ = base_env, model
        self.observation_space, self.action_space = base_env.observation_space, base_env.action_space
        self.max_episode_steps = int(max_episode_steps or getattr(base_env, "max_episode_steps", 200))
        self.env_name = f"{getattr(base_env, 'env_name', 'env')}+model"
        self.render_mode = None
        self._s: np.ndarray | None = None
        self._t = 0

    def model(self):
        return self.model_

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        obs, _ = self.base_env.reset(seed=seed)
        self._s, self._t = np.asarray(obs, np.float64), 0
        return np.asarray(obs, np.float32), {}

    def step(self, action):
        if self._s is None:
            raise ValidationError("ModelEnv: call reset() before step()")
        a = np.asarray(action, np.float64)
        if a.shape != self.action_space.shape:
            raise ValidationError(f"actions must have shape {self.action_space.shape}; got {a.shape}")
        a = np.clip(a, self.action_space.low, self.action_space.high)[None]
        s2 = np.asarray(self.model_.step(self._s[None], a), np.float64)
        if not np.all(np.isfinite(s2)):
            raise ValidationError(f"{self.env_name}: the model stepped to a non-finite state at step {self._t}")
        r = float(np.asarray(self.model_.reward(self._s[None], a, s2)).reshape(-1)[0])
        term = bool(np.asarray(self.model_.terminated(s2)).reshape(-1)[0])
        self._s, self._t = s2[0], self._t + 1
        trunc = self._t >= self.max_episode_steps and not term
        return self._s.astype(np.float32), r, term, trunc, {}


class RandomizedEnv(_env_base()):
    """Domain randomisation: ``make_env(name, **fixed, **draw)`` rebuilt on every reset, each parameter of
    ``ranges`` (``{"mass": (0.7, 1.8)}``) drawn uniformly from its interval by the reset's seed."""

    metadata: dict[str, Any] = {"render_modes": []}

    def __init__(self, name: str, ranges: dict[str, tuple[float, float]], **fixed: Any):
        from dynlearn.control.envs import make_env

        if not ranges:
            raise ValidationError("RandomizedEnv needs at least one parameter range, e.g. {'mass': (0.7, 1.8)}")
        for k, r in ranges.items():
            if len(r) != 2 or not float(r[0]) <= float(r[1]):
                raise ValidationError(f"range of {k!r} must be (low, high) with low <= high; got {r}")
        self.name, self.ranges, self.fixed = name, {k: (float(a), float(b)) for k, a, b in
                                                   ((k, *v) for k, v in ranges.items())}, fixed
        self.env_ = make_env(name, **fixed, **{k: lo for k, (lo, _) in self.ranges.items()})
        self.observation_space, self.action_space = self.env_.observation_space, self.env_.action_space
        self.max_episode_steps = getattr(self.env_, "max_episode_steps", None)
        self.env_name = f"{name}+dr"
        self.render_mode = None
        self.drawn_: dict[str, float] = {}

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        from dynlearn.control.envs import make_env

        super().reset(seed=seed)
        self.drawn_ = {k: float(self.np_random.uniform(lo, hi)) for k, (lo, hi) in self.ranges.items()}
        self.env_ = make_env(self.name, **self.fixed, **self.drawn_)
        obs, info = self.env_.reset(seed=None if seed is None else int(self.np_random.integers(2**31)))
        return obs, {**info, "params": dict(self.drawn_)}

    def step(self, action):
        return self.env_.step(action)


# --- system identification ---------------------------------------------------------------------------
@dataclasses.dataclass
class SysIdResult:
    """The best parameters of a grid search and the error of every grid point (``table``: rows of
    ``{param: value, ..., "error": rollout error}``)."""

    params: dict[str, float]
    error: float
    table: list[dict[str, float]]


def sysid_grid(name: str, episodes, grid: dict[str, Sequence[float]], *, horizon: int = 10,
               **fixed: Any) -> SysIdResult:
    """System identification by grid search: the parameters of ``make_env(name, ...)`` whose true model
    best reproduces recorded real ``episodes`` open-loop.

    Each combination of ``grid`` (``{"mass": [0.8, 1.0, ...], "torque_gain": [...]}``) is scored by the
    mean of :func:`rollout_error` over horizons ``1..horizon``; ties keep the first combination. Parameters
    that enter the dynamics only together (in ``Pendulum-v1``, mass and torque gain only through
    ``torque_gain / mass``) are not identifiable separately: the search then finds a ridge."""
    from dynlearn.control.envs import make_env

    if not grid or any(len(v) == 0 for v in grid.values()):
        raise ValidationError("sysid_grid needs a non-empty list of values for every parameter, "
                              "e.g. {'mass': [0.8, 1.0, 1.2]}")
    keys = list(grid)
    table = []
    for values in itertools.product(*(grid[k] for k in keys)):
        params = dict(zip(keys, (float(v) for v in values)))
        model = make_env(name, **fixed, **params).model()
        errs = rollout_error(model, episodes, range(1, int(horizon) + 1), stride=max(1, int(horizon) // 2))
        table.append({**params, "error": float(np.mean(list(errs.values())))})
    best = min(table, key=lambda row: row["error"])
    return SysIdResult({k: best[k] for k in keys}, best["error"], table)


# --- agents --------------------------------------------------------------------------------------------
def clone_agent(agent):
    """An independent copy of a trained off-policy agent (weights, optimisers, buffer, generators), so several
    fine-tuning arms can start from one pre-trained policy."""
    import copy

    if getattr(agent, "spec_", None) is None:
        raise NotFittedError("clone_agent needs a trained agent (call train or setup first)")
    twin = type(agent)(copy.deepcopy(agent.config))
    twin.setup(agent.spec_)
    twin._load_state(copy.deepcopy(agent._state()))
    twin.rng_.bit_generator.state = copy.deepcopy(agent.rng_.bit_generator.state)
    twin.steps_ = agent.steps_
    twin.episodes_ = getattr(agent, "episodes_", 0)
    return twin


__all__ = ["CorrectionConfig", "DeltaActionModel", "DeltaActionWrapper", "ModelEnv", "RandomizedEnv",
           "ResidualDynamics", "SysIdResult", "clone_agent", "rollout_error", "sysid_grid"]
