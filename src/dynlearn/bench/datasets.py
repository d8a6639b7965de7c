"""Benchmark data: simulated once per (system, seed), cached atomically on disk.

Two levels of cache in ``<out>/cache/``: the raw simulation of a (system,
seed, sampling, length) in ``raw/``, and what one protocol makes of it
(its split, coordinates, standardisation, noise) beside it. Protocols that
sample the same series (the multivariate, univariate and data-limited
variants of chaos135, say) therefore simulate it once.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dynlearn import systems
from dynlearn.bench.suite import Protocol
from dynlearn.data import Standardizer, Trajectory, TrajectorySet, add_noise, load_npz, save_npz
from dynlearn.errors import FileFormatError


@dataclass(frozen=True)
class BenchData:
    """``train``/``test`` are what models see (standardised, noisy if asked);
    ``test_true`` is the clean truth forecasts are scored against."""

    train: Trajectory
    test: Trajectory
    test_true: Trajectory

    @property
    def dt(self) -> float:
        return float(self.train.meta["dt"])

    @property
    def lyapunov_time(self) -> float | None:
        return self.train.meta.get("lyapunov_time")

    @property
    def scale(self) -> np.ndarray:
        """Per-dimension attractor scale (training std) for NRMSE and VPT."""
        return self.train.states.std(axis=0)


def stable_seed(*parts) -> int:
    """A seed from names and numbers that is the same in every process and Python run."""
    return zlib.crc32(json.dumps(parts).encode()) & 0x7FFFFFFF


#: protocol fields added after the first cache layout that change the data; left out of the
#: cache key at their defaults, so existing cache files keep their names
_ADDED_DATA_FIELDS = {"univariate": False, "history_points": 0}


def _cache_path(cache_dir: Path, system: str, seed: int, protocol: Protocol) -> Path:
    fields = [
        systems.fingerprint(system),
        seed,
        protocol.points_per_period,
        protocol.train_points,
        protocol.test_points,
        protocol.noise,
        protocol.standardize,
    ]
    added = {k: getattr(protocol, k) for k, v in _ADDED_DATA_FIELDS.items() if getattr(protocol, k) != v}
    if added:
        fields.append(added)
    spec = json.dumps(fields, sort_keys=True)
    return cache_dir / f"{system}-seed{seed}-{hashlib.sha256(spec.encode()).hexdigest()[:10]}.npz"


def _raw_path(cache_dir: Path, system: str, seed: int, protocol: Protocol) -> Path:
    n = protocol.history + protocol.test_points
    spec = json.dumps([systems.fingerprint(system), seed, protocol.points_per_period, n])
    return cache_dir / "raw" / f"{system}-seed{seed}-{hashlib.sha256(spec.encode()).hexdigest()[:10]}.npz"


def simulate_raw(system: str, seeds: list[int], protocol: Protocol, cache_dir: Path | None = None) -> list[Trajectory]:
    """The whole simulated series (``history + test_points`` samples) of every seed, from the raw
    cache where present; the missing seeds are integrated together in one batch (and cached)."""
    out: dict[int, Trajectory] = {}
    if cache_dir is not None:
        for seed in seeds:
            traj = _load_raw(_raw_path(cache_dir, system, seed, protocol))
            if traj is not None:
                out[seed] = traj
    missing = [s for s in seeds if s not in out]
    if missing:
        trajs = systems.simulate(
            system,
            n_points=protocol.history + protocol.test_points,
            points_per_period=protocol.points_per_period,
            seed=[stable_seed("bench-data", system, s) for s in missing],
        )
        for seed, traj in zip(missing, trajs):
            out[seed] = traj
            if cache_dir is not None:
                path = _raw_path(cache_dir, system, seed, protocol)
                path.parent.mkdir(parents=True, exist_ok=True)
                save_npz(traj, path)
    return [out[s] for s in seeds]


def _load_raw(path: Path) -> Trajectory | None:
    if not path.exists():
        return None
    try:
        traj = load_npz(path)
    except (FileFormatError, ValueError):
        path.unlink(missing_ok=True)  # torn: simulated again
        return None
    return traj if isinstance(traj, Trajectory) else None


def split(traj: Trajectory, system: str, seed: int, protocol: Protocol) -> BenchData:
    """What ``protocol`` makes of one simulated series: the training part (the last
    ``train_points`` of the ``history``), the test part after it, coordinate 0 alone if
    ``univariate``, standardised with training statistics and noisy if asked."""
    h = protocol.history
    if protocol.univariate:
        traj = traj.replace(states=traj.states[:, :1])
    train, test = traj[h - protocol.train_points : h], traj[h : h + protocol.test_points]
    if protocol.standardize:
        scaler = Standardizer().fit(train)
        train, test = scaler.transform(train), scaler.transform(test)
    test_true = test
    if protocol.noise > 0:
        noise_seed = stable_seed("bench-noise", system, seed)
        train = add_noise(train, protocol.noise, seed=noise_seed)
        test = add_noise(test, protocol.noise, seed=noise_seed + 1)
    return BenchData(train, test, test_true)


def make_data(system: str, seeds: list[int], protocol: Protocol, cache_dir: Path | None = None) -> list[BenchData]:
    """Simulate one long trajectory per seed (one batched integration, or the raw cache) and split each."""
    trajs = simulate_raw(system, seeds, protocol, cache_dir)
    return [split(traj, system, seed, protocol) for seed, traj in zip(seeds, trajs)]


def prepare(cache_dir: Path, system: str, seeds: list[int], protocol: Protocol) -> None:
    """Make sure the cache holds the data of every seed (simulating the missing ones together)."""
    # existence only: workers load (and rebuild a torn file) through load_or_make, so the parent
    # does not read every cached trajectory a second time
    missing = [s for s in seeds if not _cache_path(cache_dir, system, s, protocol).exists()]
    if missing:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for seed, data in zip(missing, make_data(system, missing, protocol, cache_dir)):
            save_npz(
                TrajectorySet([data.train, data.test, data.test_true]), _cache_path(cache_dir, system, seed, protocol)
            )


def _load(path: Path) -> BenchData | None:
    if not path.exists():
        return None
    try:
        train, test, test_true = load_npz(path)
        return BenchData(train, test, test_true)
    except (FileFormatError, ValueError):
        path.unlink(missing_ok=True)  # a torn or stale cache file is simply rebuilt
        return None


def load_or_make(cache_dir: Path, system: str, seed: int, protocol: Protocol) -> BenchData:
    data = _load(_cache_path(cache_dir, system, seed, protocol))
    if data is None:
        prepare(cache_dir, system, [seed], protocol)
        data = _load(_cache_path(cache_dir, system, seed, protocol))
    return data
