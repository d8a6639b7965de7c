"""The interaction loop shared by off-policy agents (SAC, MBPO): act, store, update, log, checkpoint.

Episode ``k`` of a run with seed ``s`` starts from ``env.reset(seed=f(s, k))``,
and checkpoints are taken at episode ends, so a checkpoint holds everything a
resumed run needs (no environment internals): weights, optimisers, replay
buffers and the agent's random generators.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from dynlearn.config import build_config, config_to_dict
from dynlearn.errors import NotFittedError, UnknownNameError, ValidationError


# --- environments --------------------------------------------------------------------------------
def make_env(name: str, **kwargs):
    """An environment by name: the control layer's (``pendulum``, ``cartpole_swingup``, ..., with their
    batched true models) or any Gymnasium id (``Pendulum-v1``); unknown names get suggestions."""
    try:
        import gymnasium as gym
    except ImportError:  # pragma: no cover - depends on the install
        raise ValidationError("the control layer needs gymnasium: pip install 'dynlearn[control]'") from None
    from dynlearn.control.envs import env_names
    from dynlearn.control.envs import make_env as make_control_env
    from dynlearn.registry import normalize_name

    if normalize_name(name) in {normalize_name(n) for n in env_names()}:
        return make_control_env(name, **kwargs)
    if name in gym.registry:
        return gym.make(name, **kwargs)
    raise UnknownNameError("environment", name, env_names() + [k for k in gym.registry if "/" not in k])


def env_id(env) -> str:
    """The name ``make_env`` rebuilds ``env`` from."""
    if getattr(env, "env_name", None):
        return str(env.env_name)
    spec = getattr(env, "spec", None)
    return getattr(spec, "id", None) or type(getattr(env, "unwrapped", env)).__name__


@dataclasses.dataclass(frozen=True)
class EnvSpec:
    """Shapes and action bounds an agent is built for."""

    obs_dim: int
    act_dim: int
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def of(cls, env) -> EnvSpec:
        from gymnasium import spaces

        o, a = env.observation_space, env.action_space
        if not isinstance(a, spaces.Box) or len(a.shape) != 1:
            raise ValidationError(f"{env_id(env)} has action space {a}; these agents need a 1-D Box "
                                  "(continuous actions): use a continuous-control environment")
        if not isinstance(o, spaces.Box) or len(o.shape) != 1:
            raise ValidationError(f"{env_id(env)} has observation space {o}; these agents need a 1-D Box")
        if not (np.all(np.isfinite(a.low)) and np.all(np.isfinite(a.high))):
            raise ValidationError(f"{env_id(env)} has unbounded actions; wrap it to give finite bounds")
        return cls(int(o.shape[0]), int(a.shape[0]), a.low.astype(np.float32), a.high.astype(np.float32))

    def to_env(self, a: np.ndarray) -> np.ndarray:
        """Map a squashed action in [-1, 1] to the environment's bounds."""
        return self.low + (np.asarray(a, np.float32) + 1.0) * 0.5 * (self.high - self.low)

    def as_dict(self) -> dict[str, Any]:
        return {"obs_dim": self.obs_dim, "act_dim": self.act_dim, "low": self.low.tolist(), "high": self.high.tolist()}


def episode_seed(seed: int, episode: int) -> int:
    """The reset seed of episode ``episode`` of a run with ``seed`` (independent streams)."""
    return int(np.random.SeedSequence([int(seed), int(episode), 0x5AC]).generate_state(1)[0])


# --- the agent base ------------------------------------------------------------------------------
class OffPolicyAgent:
    """Base of agents trained online with a replay buffer. Subclasses set ``config_cls`` and ``name``
    and implement ``_setup``, ``_policy``, ``_observe``, ``_state`` and ``_load_state``."""

    config_cls: type = object
    name = "agent"

    def __init__(self, config: Any = None, **overrides: Any):
        self.config = build_config(self.config_cls, config, overrides)
        self.spec_: EnvSpec | None = None
        self.steps_ = 0

    # subclass hooks ---------------------------------------------------------------------------
    def _setup(self, spec: EnvSpec) -> None:
        raise NotImplementedError

    def _policy(self, obs: np.ndarray, deterministic: bool) -> np.ndarray:
        """A squashed action in [-1, 1] for one observation."""
        raise NotImplementedError

    def _observe(self, step: int, obs, action, reward: float, next_obs, terminal: bool) -> dict[str, float]:
        """Store a transition and learn; returns losses to log (may be empty)."""
        raise NotImplementedError

    def _state(self) -> dict[str, Any]:
        raise NotImplementedError

    def _load_state(self, state: dict[str, Any]) -> None:
        raise NotImplementedError

    # public -----------------------------------------------------------------------------------
    def setup(self, env_or_spec) -> OffPolicyAgent:
        """Build the networks for an environment (done by ``train``; call it to act before training)."""
        spec = env_or_spec if isinstance(env_or_spec, EnvSpec) else EnvSpec.of(env_or_spec)
        if self.spec_ is None:
            self.rng_ = np.random.default_rng(np.random.SeedSequence([int(self.config.seed), 1]))
            self.spec_ = spec
            self._setup(spec)
        elif (spec.obs_dim, spec.act_dim) != (self.spec_.obs_dim, self.spec_.act_dim):
            raise ValidationError(
                f"this {self.name} was built for observations of size {self.spec_.obs_dim} and actions of size "
                f"{self.spec_.act_dim}; the environment has {spec.obs_dim} and {spec.act_dim}: use a new agent")
        return self

    def act(self, obs, deterministic: bool = True) -> np.ndarray:
        """The action (in the environment's units) for one observation."""
        if self.spec_ is None:
            raise NotFittedError(f"this {self.name} has no networks yet; call train(env) or setup(env) first")
        obs = np.asarray(obs, np.float32)
        if obs.shape != (self.spec_.obs_dim,):
            raise ValidationError(f"observation has shape {obs.shape}; this {self.name} expects "
                                  f"({self.spec_.obs_dim},)")
        return self.spec_.to_env(self._policy(obs, deterministic))

    def evaluate(self, env, episodes: int = 5, *, seed: int = 10_000) -> np.ndarray:
        """Returns of ``episodes`` deterministic-policy episodes, reset with seeds ``seed + i``."""
        self.setup(env)
        out = []
        for i in range(int(episodes)):
            obs, _ = env.reset(seed=int(seed) + i)
            total, done = 0.0, False
            while not done:
                obs, r, term, trunc, _ = env.step(self.act(obs, deterministic=True))
                total += float(r)
                done = term or trunc
            out.append(total)
        return np.asarray(out)

    def train(self, env, total_steps: int, *, run_dir=None, eval_env=None, eval_every: int = 0,
              eval_episodes: int = 5, checkpoint_every: int = 1, callback=None, progress=None) -> list[dict]:
        """Interact with ``env`` until ``total_steps`` environment steps have been taken in this run.

        With ``run_dir`` the run is logged and checkpointed every ``checkpoint_every`` episodes;
        calling ``train`` again on the same folder resumes from the last checkpoint. Returns the
        records logged (episodes and evaluations). ``callback(step)`` runs after every step."""
        from dynlearn.control.runlog import RunLog

        if int(total_steps) < 1:
            raise ValidationError(f"total_steps must be >= 1, got {total_steps}")
        if isinstance(env, str):
            env, eval_env = make_env(env), (eval_env or (make_env(env) if eval_every else None))
        if eval_every and eval_env is None:
            eval_env = make_env(env_id(env))
        spec = EnvSpec.of(env)
        self.setup(spec)
        records: list[dict] = []
        log = None
        step, episode = self.steps_, getattr(self, "episodes_", 0)  # a second call continues the first
        wall0 = 0.0
        if run_dir is not None:
            log = RunLog(run_dir, {"agent": self.name, "env": env_id(env), "spec": spec.as_dict(),
                                   "config": config_to_dict(self.config)})
            restored = log.restored_state()
            if restored is not None:
                self._load_state(restored["agent"])
                self.rng_.bit_generator.state = restored["rng"]
                step, episode, wall0 = restored["step"], restored["episode"], restored["wall_s"]
                self.steps_, self.episodes_ = step, episode
                records = log.records()
        t_start = time.perf_counter() - wall0

        def emit(rec):
            records.append(rec)
            if log is not None:
                log.append(rec)

        while step < total_steps:
            obs, _ = env.reset(seed=episode_seed(self.config.seed, episode))
            ep_ret, ep_len, done, t0 = 0.0, 0, False, time.perf_counter()
            sums: dict[str, float] = {}
            counts: dict[str, int] = {}
            while not done and step < total_steps:
                if step < getattr(self.config, "learning_starts", 0):
                    a = self.rng_.uniform(-1.0, 1.0, self.spec_.act_dim).astype(np.float32)
                else:
                    a = self._policy(np.asarray(obs, np.float32), False)
                next_obs, r, term, trunc, _ = env.step(self.spec_.to_env(a))
                for k, v in self._observe(step, obs, a, float(r), next_obs, bool(term)).items():
                    sums[k] = sums.get(k, 0.0) + v
                    counts[k] = counts.get(k, 0) + 1
                step += 1
                self.steps_ = step
                ep_ret += float(r)
                ep_len += 1
                done = term or trunc
                obs = next_obs
                if eval_every and step % eval_every == 0:
                    rets = self.evaluate(eval_env, eval_episodes)
                    emit({"kind": "eval", "step": step, "return_mean": float(rets.mean()),
                          "return_std": float(rets.std()), "episodes": len(rets),
                          "wall_s": time.perf_counter() - t_start})
                if progress is not None:
                    progress(step)
                if callback is not None:
                    callback(step)
            wall = time.perf_counter() - t0
            emit({"kind": "episode", "episode": episode, "step": step, "return": ep_ret, "length": ep_len,
                  "complete": bool(done), "wall_s": wall, "s_per_step": wall / max(ep_len, 1),
                  **{k: sums[k] / counts[k] for k in sums}})
            episode += 1
            self.episodes_ = episode
            if log is not None and (episode % max(int(checkpoint_every), 1) == 0 or step >= total_steps):
                log.checkpoint({"agent": self._state(), "rng": self.rng_.bit_generator.state, "step": step,
                                "episode": episode, "wall_s": time.perf_counter() - t_start})
        return records

    # persistence of the trained networks (not the training state: that is the run folder's checkpoint)
    def _modules(self) -> dict[str, Any]:
        raise NotImplementedError

    def _after_load(self) -> None:
        pass

    def save(self, path) -> None:
        """Write the networks (safetensors) and config + environment shapes (JSON) to the folder ``path``."""
        import json
        from pathlib import Path

        from safetensors.torch import save as st_save

        from dynlearn.io_utils import atomic_write_bytes, atomic_write_text

        if self.spec_ is None:
            raise NotFittedError(f"this {self.name} has no networks to save; train it first")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        tensors = {f"{m}.{k}": v.detach().contiguous()
                   for m, mod in self._modules().items() for k, v in mod.state_dict().items()}
        atomic_write_bytes(path / "weights.safetensors", st_save(tensors))
        meta = {"format": AGENT_FORMAT, "version": 1, "agent": self.name, "config": config_to_dict(self.config),
                "spec": self.spec_.as_dict(), "steps": int(self.steps_)}
        atomic_write_text(path / "agent.json", json.dumps(meta, indent=2) + "\n")

    @classmethod
    def load(cls, path) -> OffPolicyAgent:
        """An agent saved by :meth:`save` (its class is read from the folder; must be ``cls`` or a subclass)."""
        import json
        from pathlib import Path

        from safetensors.torch import load as st_load

        from dynlearn.control.agents import get_agent
        from dynlearn.errors import FileFormatError

        path = Path(path)
        try:
            meta = json.loads((path / "agent.json").read_text())
            tensors = st_load((path / "weights.safetensors").read_bytes())
        except FileNotFoundError:
            raise FileFormatError(f"{path} is not a saved agent (agent.json and weights.safetensors expected)") from None
        except Exception as exc:
            raise FileFormatError(f"{path} holds a corrupt agent ({exc}); save it again") from None
        if meta.get("format") != AGENT_FORMAT or meta.get("version") != 1:
            raise FileFormatError(f"{path}/agent.json is not a version-1 dynlearn agent")
        klass = get_agent(meta["agent"])
        if not issubclass(klass, cls):
            raise FileFormatError(f"{path} holds a {meta['agent']} agent, not a {cls.name}")
        agent = klass(meta["config"])
        s = meta["spec"]
        agent.setup(EnvSpec(s["obs_dim"], s["act_dim"], np.asarray(s["low"], np.float32),
                            np.asarray(s["high"], np.float32)))
        agent.steps_ = int(meta.get("steps", 0))
        for m, mod in agent._modules().items():
            sd = {k[len(m) + 1:]: v for k, v in tensors.items() if k.startswith(m + ".")}
            try:
                mod.load_state_dict(sd)
            except RuntimeError as exc:
                raise FileFormatError(f"{path}: weights of {m!r} do not fit the saved config ({exc})") from None
        agent._after_load()
        return agent


AGENT_FORMAT = "dynlearn-agent"
