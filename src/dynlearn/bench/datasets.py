"""Benchmark data: simulated once per (system, seed), cached atomically on disk."""

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


def _cache_path(cache_dir: Path, system: str, seed: int, protocol: Protocol) -> Path:
    spec = json.dumps(
        [
            systems.fingerprint(system),
            seed,
            protocol.points_per_period,
            protocol.train_points,
            protocol.test_points,
            protocol.noise,
            protocol.standardize,
        ],
        sort_keys=True,
    )
    return cache_dir / f"{system}-seed{seed}-{hashlib.sha256(spec.encode()).hexdigest()[:10]}.npz"


def make_data(system: str, seeds: list[int], protocol: Protocol) -> list[BenchData]:
    """Simulate one long trajectory per seed (one batched integration) and split each."""
    n = protocol.train_points + protocol.test_points
    trajs = systems.simulate(
        system,
        n_points=n,
        points_per_period=protocol.points_per_period,
        seed=[stable_seed("bench-data", system, s) for s in seeds],
    )
    out = []
    for seed, traj in zip(seeds, trajs):
        train, test = traj[: protocol.train_points], traj[protocol.train_points :]
        if protocol.standardize:
            scaler = Standardizer().fit(train)
            train, test = scaler.transform(train), scaler.transform(test)
        test_true = test
        if protocol.noise > 0:
            noise_seed = stable_seed("bench-noise", system, seed)
            train = add_noise(train, protocol.noise, seed=noise_seed)
            test = add_noise(test, protocol.noise, seed=noise_seed + 1)
        out.append(BenchData(train, test, test_true))
    return out


def prepare(cache_dir: Path, system: str, seeds: list[int], protocol: Protocol) -> None:
    """Make sure the cache holds the data of every seed (simulating the missing ones together)."""
    # existence only: workers load (and rebuild a torn file) through load_or_make, so the parent
    # does not read every cached trajectory a second time
    missing = [s for s in seeds if not _cache_path(cache_dir, system, s, protocol).exists()]
    if missing:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for seed, data in zip(missing, make_data(system, missing, protocol)):
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
