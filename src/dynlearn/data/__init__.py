"""Trajectories, collections, windows, splits, noise, standardisation and safe file formats."""

from dynlearn.data.io import load_npz, read_csv, save_npz, write_csv
from dynlearn.data.trajectory import Trajectory, TrajectorySet, as_trajectories
from dynlearn.data.transforms import (
    Standardizer,
    add_noise,
    resample,
    split,
    train_test_split,
    windows,
)

__all__ = [
    "Standardizer",
    "Trajectory",
    "TrajectorySet",
    "add_noise",
    "as_trajectories",
    "load_npz",
    "read_csv",
    "resample",
    "save_npz",
    "split",
    "train_test_split",
    "windows",
    "write_csv",
]
