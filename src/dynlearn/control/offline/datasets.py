"""Offline RL datasets with D4RL's fields, stored as npz + JSON, and a generator of D4RL-style tiers.

A dataset is a folder::

    dataset.json   {"format": "dynlearn-offline", "version": 1, env, tier, counts, returns,
                    action bounds, sha256 of data.npz, ...}
    data.npz       observations (N, obs_dim), actions (N, act_dim), rewards (N,),
                   next_observations (N, obs_dim), terminals (N,), timeouts (N,)   [float32 / bool]

These are D4RL's field names (Fu et al. 2020, "D4RL: Datasets for Deep
Data-Driven Reinforcement Learning"): ``terminals`` marks an episode ended by
the task (no bootstrapping), ``timeouts`` one cut by the time limit. The
archive's SHA-256 is checked on load, so a corrupt or edited file is refused,
as is another format version. :func:`to_minari` writes the same data as a
Minari dataset for users' own tools; the npz/JSON folder stays the stored
format because it needs nothing beyond numpy, is checksummed (Minari's arrow
files are not), and does not need the environment registered in Gymnasium
(Minari records an environment id to rebuild it).

Tiers (:func:`generate_tiers`), as in D4RL: ``random`` (uniform random
actions), ``expert`` (the final SAC policy), ``medium`` (a SAC snapshot whose
evaluation return first reaches ``medium_fraction`` of the way from random to
expert), ``medium-replay`` (every transition the agent saw until that
snapshot).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from dynlearn.errors import FileFormatError, ValidationError

DATASET_FORMAT = "dynlearn-offline"
DATASET_VERSION = 1
TIERS = ("random", "medium", "medium-replay", "expert")
_FIELDS = ("observations", "actions", "rewards", "next_observations", "terminals", "timeouts")


@dataclasses.dataclass
class OfflineDataset:
    """Transitions of an environment with D4RL's fields; ``meta`` holds env, tier, bounds and scores."""

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    next_observations: np.ndarray
    terminals: np.ndarray
    timeouts: np.ndarray
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.observations = np.asarray(self.observations, np.float32)
        self.actions = np.asarray(self.actions, np.float32)
        self.rewards = np.asarray(self.rewards, np.float32).reshape(-1)
        self.next_observations = np.asarray(self.next_observations, np.float32)
        self.terminals = np.asarray(self.terminals, bool).reshape(-1)
        self.timeouts = np.asarray(self.timeouts, bool).reshape(-1)
        n = len(self.observations)
        if self.observations.ndim != 2 or self.actions.ndim != 2:
            raise ValidationError("observations and actions must be 2-D arrays (N, dim)")
        for f in _FIELDS:
            if len(getattr(self, f)) != n:
                raise ValidationError(f"dataset field {f!r} has {len(getattr(self, f))} rows, observations {n}")
        if self.next_observations.shape != self.observations.shape:
            raise ValidationError("next_observations must have the shape of observations")

    def __len__(self) -> int:
        return len(self.observations)

    @property
    def action_low(self) -> np.ndarray:
        return np.asarray(self.meta.get("action_low", -np.ones(self.actions.shape[1])), np.float32)

    @property
    def action_high(self) -> np.ndarray:
        return np.asarray(self.meta.get("action_high", np.ones(self.actions.shape[1])), np.float32)

    def squashed_actions(self) -> np.ndarray:
        """Actions mapped from the environment's bounds to [-1, 1] (what the agents' networks output)."""
        lo, hi = self.action_low, self.action_high
        return np.clip(2.0 * (self.actions - lo) / (hi - lo) - 1.0, -1.0, 1.0).astype(np.float32)

    def episode_returns(self) -> np.ndarray:
        """Return of every complete episode (ended by a terminal or a timeout)."""
        ends = np.flatnonzero(self.terminals | self.timeouts)
        starts = np.concatenate([[0], ends[:-1] + 1])
        return np.asarray([self.rewards[s: e + 1].sum() for s, e in zip(starts, ends)], np.float64)

    # persistence ---------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
        """Write the folder ``path`` (data.npz then dataset.json, each atomically)."""
        import io

        from dynlearn.errors import OutputExistsError
        from dynlearn.io_utils import atomic_write_bytes, atomic_write_text

        path = Path(path)
        if (path / "dataset.json").exists() and not overwrite:
            raise OutputExistsError(f"{path} already holds a dataset; pass overwrite=True (--force) to replace it")
        buf = io.BytesIO()
        np.savez(buf, **{f: getattr(self, f) for f in _FIELDS})
        data = buf.getvalue()
        atomic_write_bytes(path / "data.npz", data)
        meta = {**self.meta, "format": DATASET_FORMAT, "version": DATASET_VERSION, "size": len(self),
                "obs_dim": int(self.observations.shape[1]), "act_dim": int(self.actions.shape[1]),
                "sha256": hashlib.sha256(data).hexdigest()}
        atomic_write_text(path / "dataset.json", json.dumps(meta, indent=2, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> OfflineDataset:
        """Read a dataset folder; a wrong format/version, a checksum mismatch or bad shapes are refused."""
        from dynlearn.io_utils import read_npz

        path = Path(path)
        try:
            meta = json.loads((path / "dataset.json").read_text())
        except FileNotFoundError:
            raise FileFormatError(f"{path} is not an offline dataset (no dataset.json)") from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise FileFormatError(f"{path}/dataset.json is corrupt (not JSON); generate the dataset again") from None
        if not isinstance(meta, dict) or meta.get("format") != DATASET_FORMAT:
            raise FileFormatError(f"{path}/dataset.json is not a {DATASET_FORMAT} dataset")
        if meta.get("version") != DATASET_VERSION:
            raise FileFormatError(f"{path} is dataset version {meta.get('version')}; this dynlearn reads version "
                                  f"{DATASET_VERSION}: generate it again with `dynlearn control collect`")
        try:
            raw = (path / "data.npz").read_bytes()
        except FileNotFoundError:
            raise FileFormatError(f"{path} has no data.npz; the dataset is incomplete") from None
        if hashlib.sha256(raw).hexdigest() != meta.get("sha256"):
            raise FileFormatError(f"{path}/data.npz does not match the checksum in dataset.json: "
                                  "the file is corrupt or was changed; generate the dataset again")
        try:
            arrays = read_npz(path / "data.npz", what="offline dataset")
        except FileFormatError:
            raise
        except Exception as exc:
            raise FileFormatError(f"{path}/data.npz is unreadable ({exc})") from None
        missing = [f for f in _FIELDS if f not in arrays]
        if missing:
            raise FileFormatError(f"{path}/data.npz lacks the fields {missing}")
        fixed = {k: meta[k] for k in meta if k not in ("format", "version", "size", "obs_dim", "act_dim", "sha256")}
        try:
            ds = cls(**{f: arrays[f] for f in _FIELDS}, meta=fixed)
        except ValidationError as exc:
            raise FileFormatError(f"{path}: {exc}") from None
        if len(ds) != meta.get("size") or ds.observations.shape[1] != meta.get("obs_dim"):
            raise FileFormatError(f"{path}: data.npz shapes disagree with dataset.json")
        return ds


# --- collection --------------------------------------------------------------------------------------
def collect(env, policy, n_steps: int, *, seed: int = 0, meta: dict[str, Any] | None = None) -> OfflineDataset:
    """Roll ``policy(obs, rng) -> action`` (or ``"random"``) in ``env`` for ``n_steps`` steps.

    Episode ``k`` is reset with a seed derived from ``(seed, k)``; the last,
    unfinished episode is marked as a timeout so every transition belongs to
    an episode."""
    from dynlearn.control.agents._loop import EnvSpec, env_id, episode_seed

    spec = EnvSpec.of(env)
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 7]))
    if policy == "random":
        def policy(o, g):
            return spec.to_env(g.uniform(-1.0, 1.0, spec.act_dim).astype(np.float32))
    n = int(n_steps)
    if n < 1:
        raise ValidationError(f"n_steps must be >= 1, got {n_steps}")
    obs_b = np.zeros((n, spec.obs_dim), np.float32)
    act_b = np.zeros((n, spec.act_dim), np.float32)
    rew_b = np.zeros(n, np.float32)
    nxt_b = np.zeros((n, spec.obs_dim), np.float32)
    term_b = np.zeros(n, bool)
    tout_b = np.zeros(n, bool)
    i, episode = 0, 0
    while i < n:
        obs, _ = env.reset(seed=episode_seed(seed, 1_000_000 + episode))
        done = False
        while not done and i < n:
            a = np.clip(np.asarray(policy(np.asarray(obs, np.float32), rng), np.float32), spec.low, spec.high)
            nxt, r, term, trunc, _ = env.step(a)
            obs_b[i], act_b[i], rew_b[i], nxt_b[i], term_b[i], tout_b[i] = obs, a, r, nxt, term, trunc
            obs, done, i = nxt, term or trunc, i + 1
        if not done:
            tout_b[i - 1] = True
        episode += 1
    info = {"env": env_id(env), "action_low": spec.low.tolist(), "action_high": spec.high.tolist(), "seed": int(seed),
            **(meta or {})}
    return OfflineDataset(obs_b, act_b, rew_b, nxt_b, term_b, tout_b, meta=info)


def generate_tiers(env_name: str, out_dir: str | os.PathLike, *, train_steps: int = 20_000, eval_every: int = 1_000,
                   steps_per_tier: int = 10_000, medium_fraction: float = 0.5, seed: int = 0,
                   tiers: tuple[str, ...] = TIERS, agent_config: dict[str, Any] | None = None,
                   overwrite: bool = False, log=print) -> dict[str, Path]:
    """Train SAC on ``env_name`` and write the D4RL-style ``tiers`` to ``out_dir/<env>-<tier>``.

    SAC is trained for ``train_steps`` steps and evaluated every ``eval_every``
    steps (actor weights kept at each evaluation). Scores are the mean
    deterministic return over 5 episodes; ``medium`` is the first snapshot
    whose normalised score (score - random) / (expert - random) reaches
    ``medium_fraction``. Returns the folders written."""
    import copy

    from dynlearn.control.agents._loop import EnvSpec, make_env
    from dynlearn.control.agents.sac import SAC

    unknown = [t for t in tiers if t not in TIERS]
    if unknown:
        raise ValidationError(f"unknown tier(s) {unknown}; tiers are {', '.join(TIERS)}")
    out_dir = Path(out_dir)
    env, eval_env = make_env(env_name), make_env(env_name)
    agent = SAC(agent_config or {}, seed=seed)
    random_score = float(np.mean(_random_returns(eval_env, 5, seed)))
    snaps = []
    for stop in range(eval_every, train_steps + 1, eval_every):
        agent.train(env, stop)
        score = float(agent.evaluate(eval_env, 5).mean())
        snaps.append((stop, score, copy.deepcopy(agent.actor_.state_dict()), len(agent.buffer_)))
        log(f"  SAC step {stop}: return {score:.1f}")
    expert_score = snaps[-1][1]
    span = expert_score - random_score
    medium = next((s for s in snaps if span > 0 and (s[1] - random_score) / span >= medium_fraction), snaps[-1])
    written: dict[str, Path] = {}
    base = {"env": env_name, "random_score": random_score, "expert_score": expert_score,
            "sac_train_steps": train_steps}

    def sample_policy(o, g):
        return agent.act(o, deterministic=False)

    spec = EnvSpec.of(env)
    final_state = copy.deepcopy(agent.actor_.state_dict())
    for tier in tiers:
        name = f"{env_name}-{tier}"
        if tier == "random":
            ds = collect(env, "random", steps_per_tier, seed=seed, meta={**base, "tier": tier})
        elif tier in ("medium", "expert"):
            agent.actor_.load_state_dict(medium[2] if tier == "medium" else final_state)
            ds = collect(env, sample_policy, steps_per_tier, seed=seed,
                         meta={**base, "tier": tier, "policy_step": medium[0] if tier == "medium" else train_steps,
                               "policy_score": medium[1] if tier == "medium" else expert_score})
            agent.actor_.load_state_dict(final_state)
        else:  # medium-replay: the agent's own experience until the medium snapshot
            arr = {k: v[: medium[3]] for k, v in agent.buffer_.arrays().items()}
            term = arr["terminals"] > 0.5
            # an episode ends where the next transition does not start from this one's next state
            cut = np.ones(len(term), bool)
            cut[:-1] = np.any(arr["next_observations"][:-1] != arr["observations"][1:], axis=1)
            ds = OfflineDataset(arr["observations"], spec.to_env(arr["actions"]), arr["rewards"],
                                arr["next_observations"], term, cut & ~term,
                                meta={**base, "tier": tier, "policy_step": medium[0],
                                      "action_low": spec.low.tolist(), "action_high": spec.high.tolist()})
        written[tier] = ds.save(out_dir / name, overwrite=overwrite)
        log(f"  wrote {out_dir / name}: {len(ds)} transitions, mean episode return "
            f"{ds.episode_returns().mean():.1f}")
    return written


def _episode_length(env) -> int:
    n = getattr(env, "max_episode_steps", None) or getattr(getattr(env, "spec", None), "max_episode_steps", None)
    if not n:
        raise ValidationError("tier generation needs an environment with a time limit (spec.max_episode_steps)")
    return int(n)


def _random_returns(env, episodes: int, seed: int):
    ds = collect(env, "random", episodes * _episode_length(env), seed=seed + 99)
    return ds.episode_returns()


# --- Minari interop ------------------------------------------------------------------------------------
def to_minari(dataset: OfflineDataset, dataset_id: str, root: str | os.PathLike, *, author: str = "dynlearn",
              email: str = "dynlearn@example.org", url: str = "https://example.org/dynlearn"):
    """Write ``dataset`` as a Minari dataset ``dataset_id`` (e.g. ``"pendulum/medium-v0"``) under ``root``
    (Minari's arrow format; needs ``pip install minari pyarrow``). Returns the ``MinariDataset``.

    Episodes are rebuilt from ``terminals | timeouts``; Minari's observations of an
    episode are its states plus the final next state."""
    import contextlib

    try:
        import minari
        from gymnasium import spaces
        from minari.data_collector import EpisodeBuffer
    except ImportError:
        raise ValidationError("Minari export needs minari and pyarrow: pip install minari pyarrow") from None
    ends = np.flatnonzero(dataset.terminals | dataset.timeouts)
    if len(ends) == 0 or ends[-1] != len(dataset) - 1:
        ends = np.append(ends, len(dataset) - 1)
    starts = np.concatenate([[0], ends[:-1] + 1])
    episodes = []
    for k, (s, e) in enumerate(zip(starts, ends)):
        sl = slice(s, e + 1)
        obs = np.concatenate([dataset.observations[sl], dataset.next_observations[e: e + 1]])
        episodes.append(EpisodeBuffer(id=k, observations=obs, actions=dataset.actions[sl],
                                      rewards=dataset.rewards[sl].astype(np.float64),
                                      terminations=dataset.terminals[sl], truncations=dataset.timeouts[sl]))
    obs_space = spaces.Box(-np.inf, np.inf, (dataset.observations.shape[1],), np.float32)
    act_space = spaces.Box(dataset.action_low, dataset.action_high, dtype=np.float32)

    @contextlib.contextmanager
    def _root():
        old = os.environ.get("MINARI_DATASETS_PATH")
        os.environ["MINARI_DATASETS_PATH"] = str(Path(root).resolve())
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("MINARI_DATASETS_PATH", None)
            else:
                os.environ["MINARI_DATASETS_PATH"] = old

    import warnings

    with _root(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Minari's advice on optional metadata
        return minari.create_dataset_from_buffers(
            dataset_id, episodes, action_space=act_space, observation_space=obs_space, data_format="arrow",
            algorithm_name=str(dataset.meta.get("tier", "dynlearn")), author=author, author_email=email,
            code_permalink=url, description=f"dynlearn offline dataset {dataset.meta.get('env', '')} "
                                             f"{dataset.meta.get('tier', '')}".strip())
