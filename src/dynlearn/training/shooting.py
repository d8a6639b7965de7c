"""Multiple shooting on short segments, for continuous-time models.

Fitting a vector field by integrating over a whole chaotic trajectory fails:
the simulated and observed orbits separate exponentially, so the loss surface
is rugged and gradients explode. Multiple shooting (Bock & Plitt 1984; for
neural ODEs e.g. Turan & Jäschke 2021, "Multiple shooting for training neural
differential equations on time series", IEEE Control Systems Letters) cuts the
observed series into short segments and integrates each one from its own
initial state, so every segment stays within the predictability horizon.

Here the shooting nodes are the observed first states of the segments (noise-
free data make the continuity penalty of the full method superfluous); the
loss of a batch of segments ``s`` with observations ``x_{s,0..L-1}`` at times
``t_{s,0..L-1}`` is

    ℓ = 1/(B (L-1) d) Σ_s Σ_{j≥1} ‖φ(x_{s,0}; t_{s,0} → t_{s,j}) − x_{s,j}‖²,

where φ is the model's flow. Times may be irregular and differ between
segments: only the gaps ``t_{s,j} − t_{s,j-1}`` are used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np
import torch

from dynlearn.data import Trajectory
from dynlearn.errors import ValidationError


@dataclasses.dataclass(frozen=True)
class Segments:
    """Short segments of observations: ``times (n, length)``, ``states (n, length, dim)``."""

    times: np.ndarray
    states: np.ndarray

    def __len__(self) -> int:
        return len(self.times)

    @property
    def gaps(self) -> np.ndarray:
        """``(n, length-1)`` time between consecutive observations."""
        return np.diff(self.times, axis=1)


def segments(trajectories: Sequence[Trajectory], length: int, *, stride: int = 1) -> Segments:
    """Every run of ``length`` consecutive observations, starting every ``stride`` samples,
    of every trajectory (times kept, so irregular sampling is preserved)."""
    if length < 2 or stride < 1:
        raise ValidationError(f"segments need length >= 2 and stride >= 1; got length={length}, stride={stride}")
    times, states = [], []
    for i, tr in enumerate(trajectories):
        if len(tr) < length:
            raise ValidationError(
                f"trajectory {i} has {len(tr)} samples, fewer than one shooting segment of {length}; "
                "use a shorter segment length or longer trajectories"
            )
        starts = np.arange(0, len(tr) - length + 1, stride)
        idx = starts[:, None] + np.arange(length)
        times.append(tr.times[idx])
        states.append(tr.states[idx])
    return Segments(np.concatenate(times), np.concatenate(states))


def shooting_loss(
    flow: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], states: torch.Tensor, gaps: torch.Tensor
) -> torch.Tensor:
    """Mean squared error of the segments' rollouts from their first states.

    ``flow(x0 (B, d), gaps (B, L-1)) -> (B, L-1, d)`` returns the model's states
    at the following observation times; ``states`` is ``(B, L, d)``.
    """
    pred = flow(states[:, 0], gaps)
    return torch.mean((pred - states[:, 1:]) ** 2)


__all__ = ["Segments", "segments", "shooting_loss"]
