import numpy as np
import pytest
import torch

from dynlearn import systems
from dynlearn.data import Standardizer

# Tests run two at a time on a 2-core machine: one thread each, or torch's pools oversubscribe the CPU.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def lorenz_traj():
    """A standardised Lorenz-63 trajectory, 1,200 points at 30 points per period."""
    (traj,) = systems.simulate("Lorenz", n_points=1200, points_per_period=30, seed=123)
    return Standardizer().fit_transform(traj)


@pytest.fixture()
def rng():
    return np.random.default_rng(0)
