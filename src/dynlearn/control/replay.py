"""A preallocated numpy replay buffer for off-policy agents (SAC, MBPO, offline baselines).

Transitions ``(s, a, r, s', terminated)`` live in fixed float32 arrays; the
buffer is a ring (the oldest transition is overwritten once ``capacity`` is
reached). Sampling draws uniform indices from a ``numpy.random.Generator``
the caller owns, so the same seed gives the same batches. ``save``/``load``
use one npz archive (read without pickle) and check shapes and version.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from dynlearn.errors import FileFormatError, ValidationError

FORMAT_VERSION = 1
FIELDS = ("observations", "actions", "rewards", "next_observations", "terminals")


class ReplayBuffer:
    """Ring buffer of transitions with observation dim ``obs_dim`` and action dim ``act_dim``."""

    def __init__(self, obs_dim: int, act_dim: int, capacity: int):
        if int(capacity) < 1:
            raise ValidationError(f"replay capacity must be >= 1, got {capacity}")
        self.obs_dim, self.act_dim, self.capacity = int(obs_dim), int(act_dim), int(capacity)
        self.observations = np.zeros((self.capacity, self.obs_dim), np.float32)
        self.actions = np.zeros((self.capacity, self.act_dim), np.float32)
        self.rewards = np.zeros(self.capacity, np.float32)
        self.next_observations = np.zeros((self.capacity, self.obs_dim), np.float32)
        self.terminals = np.zeros(self.capacity, np.float32)
        self.size = 0
        self.pos = 0

    def __len__(self) -> int:
        return self.size

    def add(self, obs, action, reward, next_obs, terminal) -> None:
        """Store one transition (``terminal`` = the episode ended by the task, not by a time limit)."""
        i = self.pos
        self.observations[i] = obs
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_observations[i] = next_obs
        self.terminals[i] = float(terminal)
        self.pos = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def add_batch(self, obs, actions, rewards, next_obs, terminals) -> None:
        """Store ``n`` transitions at once (arrays with a leading batch axis)."""
        obs = np.asarray(obs, np.float32).reshape(-1, self.obs_dim)
        n = obs.shape[0]
        if n == 0:
            return
        if n > self.capacity:  # only the newest fit
            sl = slice(n - self.capacity, n)
            obs, actions, rewards, next_obs, terminals = (
                obs[sl], np.asarray(actions)[sl], np.asarray(rewards)[sl], np.asarray(next_obs)[sl],
                np.asarray(terminals)[sl])
            n = self.capacity
        idx = (self.pos + np.arange(n)) % self.capacity
        self.observations[idx] = obs
        self.actions[idx] = np.asarray(actions, np.float32).reshape(n, self.act_dim)
        self.rewards[idx] = np.asarray(rewards, np.float32).reshape(n)
        self.next_observations[idx] = np.asarray(next_obs, np.float32).reshape(n, self.obs_dim)
        self.terminals[idx] = np.asarray(terminals, np.float32).reshape(n)
        self.pos = int((self.pos + n) % self.capacity)
        self.size = min(self.size + n, self.capacity)

    def sample_indices(self, batch_size: int, rng: np.random.Generator) -> np.ndarray:
        if self.size == 0:
            raise ValidationError("cannot sample from an empty replay buffer; add transitions first")
        return rng.integers(0, self.size, size=int(batch_size))

    def sample(self, batch_size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """``batch_size`` transitions drawn uniformly with replacement, as a dict of arrays."""
        idx = self.sample_indices(batch_size, rng)
        return {f: getattr(self, f)[idx] for f in FIELDS}

    def arrays(self) -> dict[str, np.ndarray]:
        """The stored transitions in insertion order (oldest first), as views or copies."""
        if self.size < self.capacity:
            return {f: getattr(self, f)[: self.size] for f in FIELDS}
        order = (self.pos + np.arange(self.capacity)) % self.capacity
        return {f: getattr(self, f)[order] for f in FIELDS}

    # --- persistence ------------------------------------------------------------------
    def state_arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Everything needed to restore the buffer exactly (ring position included)."""
        out = {prefix + f: getattr(self, f)[: self.size] for f in FIELDS}
        out[prefix + "meta"] = np.array([FORMAT_VERSION, self.obs_dim, self.act_dim, self.capacity,
                                         self.size, self.pos], np.int64)
        return out

    @classmethod
    def from_state_arrays(cls, arrays: dict[str, np.ndarray], prefix: str = "", *, source: str = "buffer"):
        try:
            meta = np.asarray(arrays[prefix + "meta"]).astype(np.int64)
            version, obs_dim, act_dim, capacity, size, pos = (int(v) for v in meta)
        except (KeyError, ValueError, TypeError):
            raise FileFormatError(f"{source} is not a dynlearn replay buffer (no valid 'meta' record)") from None
        if version != FORMAT_VERSION:
            raise FileFormatError(f"{source} is a replay buffer of format {version}; this dynlearn reads "
                                  f"format {FORMAT_VERSION}: write it again with this version")
        buf = cls(obs_dim, act_dim, capacity)
        if not (0 <= size <= capacity and 0 <= pos < capacity):
            raise FileFormatError(f"{source}: replay size {size} / position {pos} do not fit capacity {capacity}")
        widths = {"observations": obs_dim, "actions": act_dim, "next_observations": obs_dim}
        for f in FIELDS:
            a = arrays.get(prefix + f)
            want = (size, widths[f]) if f in widths else (size,)
            if a is None or a.shape != want or not np.issubdtype(a.dtype, np.floating):
                got = None if a is None else a.shape
                raise FileFormatError(f"{source}: replay field {f!r} has shape {got}, expected {want}; "
                                      "the file is corrupt or truncated")
            getattr(buf, f)[:size] = a
        buf.size, buf.pos = size, pos
        return buf

    def save(self, path: str | os.PathLike) -> Path:
        """Write the buffer atomically to ``path`` (npz, no pickle)."""
        from dynlearn.io_utils import atomic_savez

        return atomic_savez(path, **self.state_arrays())

    @classmethod
    def load(cls, path: str | os.PathLike) -> ReplayBuffer:
        from dynlearn.io_utils import read_npz

        try:
            arrays = read_npz(path, what="replay buffer")
        except FileFormatError:
            raise
        except Exception as exc:  # zip errors, truncated files
            raise FileFormatError(f"{path} is not a readable replay buffer ({exc}); write it again") from None
        return cls.from_state_arrays(arrays, source=str(path))
