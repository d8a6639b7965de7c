"""Transitions ``(s, a, s', r, terminated)``: what a dynamics model with actions learns from.

Shapes: ``obs`` and ``next_obs`` ``(n, obs_dim)``, ``actions`` ``(n, action_dim)``, ``rewards`` and
``terminated`` ``(n,)``, ``episode`` ``(n,)`` (the index of the episode a row belongs to, so
episodes can be rebuilt as :class:`~dynlearn.data.Trajectory` with actions as inputs).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dynlearn.errors import ValidationError


@dataclasses.dataclass
class Transitions:
    obs: np.ndarray
    actions: np.ndarray
    next_obs: np.ndarray
    rewards: np.ndarray | None = None
    terminated: np.ndarray | None = None
    episode: np.ndarray | None = None

    def __post_init__(self):
        self.obs = _rows(self.obs, "obs")
        self.actions = _rows(self.actions, "actions")
        self.next_obs = _rows(self.next_obs, "next_obs")
        n = len(self.obs)
        if len(self.actions) != n or self.next_obs.shape != self.obs.shape:
            raise ValidationError(
                f"transitions need one action and one next_obs per obs; got obs {self.obs.shape}, "
                f"actions {self.actions.shape}, next_obs {self.next_obs.shape}"
            )
        for name in ("rewards", "terminated", "episode"):
            v = getattr(self, name)
            if v is not None:
                v = np.asarray(v).reshape(-1)
                if len(v) != n:
                    raise ValidationError(f"transitions {name} has {len(v)} rows for {n} obs")
                setattr(self, name, v)

    def __len__(self) -> int:
        return len(self.obs)

    @property
    def observation_dim(self) -> int:
        return int(self.obs.shape[1])

    @property
    def action_dim(self) -> int:
        return int(self.actions.shape[1])

    def concat(self, other: Transitions) -> Transitions:
        """These rows followed by ``other``'s (episode indices of ``other`` are shifted past ours)."""
        if len(self) == 0:
            return other
        if other.observation_dim != self.observation_dim or other.action_dim != self.action_dim:
            raise ValidationError(
                f"cannot join transitions of dims ({self.observation_dim}, {self.action_dim}) and "
                f"({other.observation_dim}, {other.action_dim})"
            )

        def cat(a, b, shift=0):
            return None if a is None or b is None else np.concatenate([a, b + shift])

        shift = 0 if self.episode is None else int(self.episode.max()) + 1
        return Transitions(
            np.concatenate([self.obs, other.obs]),
            np.concatenate([self.actions, other.actions]),
            np.concatenate([self.next_obs, other.next_obs]),
            cat(self.rewards, other.rewards),
            cat(self.terminated, other.terminated),
            cat(self.episode, other.episode, shift),
        )

    def to_trajectories(self, dt: float = 1.0) -> list:
        """Each episode as a :class:`~dynlearn.data.Trajectory` (states ``s_0..s_T``, inputs = the
        action taken at each state, the last one repeated), for models fitted on trajectories (SINDy)."""
        from dynlearn.data import Trajectory

        ep = np.zeros(len(self), dtype=int) if self.episode is None else self.episode
        out = []
        for e in np.unique(ep):
            idx = np.flatnonzero(ep == e)
            states = np.concatenate([self.obs[idx], self.next_obs[idx[-1:]]])
            inputs = np.concatenate([self.actions[idx], self.actions[idx[-1:]]])
            out.append(Trajectory(np.arange(len(states)) * dt, states, inputs=inputs))
        return out


def _rows(x, name: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValidationError(f"transitions {name} must be (n, dim); got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValidationError(f"transitions {name} contains NaN or inf; drop those rows before fitting")
    return a


def collect(env, policy=None, n_steps: int = 1000, *, seed: int = 0) -> Transitions:
    """Run ``policy(obs) -> action`` (default: uniform random actions) in ``env`` for ``n_steps`` real
    steps, resetting at episode ends, and return the transitions. Seeded: same seed, same data."""
    rng = np.random.default_rng(seed)
    lo, hi = env.action_space.low, env.action_space.high
    obs, _ = env.reset(seed=int(rng.integers(2**31)))
    rows: dict[str, list] = {k: [] for k in ("obs", "actions", "next_obs", "rewards", "terminated", "episode")}
    ep = 0
    for _ in range(int(n_steps)):
        a = rng.uniform(lo, hi) if policy is None else np.asarray(policy(obs), dtype=np.float64)
        nxt, r, term, trunc, _ = env.step(a.astype(np.float32))
        for k, v in zip(rows, (obs, a, nxt, r, term, ep)):
            rows[k].append(v)
        obs = nxt
        if term or trunc:
            obs, _ = env.reset(seed=int(rng.integers(2**31)))
            ep += 1
    return Transitions(*(np.asarray(rows[k]) for k in rows))
