"""Offline RL: D4RL-style datasets (npz + JSON) and baselines (behaviour cloning, TD3+BC, CQL)."""

from dynlearn.control.offline.datasets import TIERS, OfflineDataset, collect, generate_tiers, to_minari

__all__ = ["TIERS", "OfflineDataset", "collect", "generate_tiers", "to_minari", "BC", "TD3BC", "CQL"]


def __getattr__(name):  # the baselines import torch: load them on first use
    if name in ("BC", "TD3BC", "CQL", "BASELINES"):
        from dynlearn.control.offline import baselines

        return getattr(baselines, name)
    raise AttributeError(name)
