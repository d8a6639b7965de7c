"""Pictures of particle trajectories: a filmstrip of frames, and truth beside predictions.

Both write PNGs with matplotlib's Agg backend (no display needed). Particles are coloured by their
``kind`` (material); the axes are the simulation domain, so pictures of one scene line up.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from dynlearn.errors import ValidationError

_COLOURS = ("#c8a24a", "#3b6fb6", "#c0504d", "#5a9e5a", "#8064a2", "#4bacc6")


def _frames(n: int, count: int) -> np.ndarray:
    return np.unique(np.linspace(0, n - 1, max(1, count)).round().astype(int))


def _draw(ax, xy: np.ndarray, kind: np.ndarray, domain, size: float) -> None:
    colours = np.array(_COLOURS)[np.asarray(kind) % len(_COLOURS)]
    ax.scatter(xy[:, 0], xy[:, 1], s=size, c=colours, linewidths=0)
    (x0, y0), (x1, y1) = domain[0][:2], domain[1][:2]
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def _marker_size(n_particles: int) -> float:
    return float(np.clip(3000.0 / max(n_particles, 1), 0.3, 8.0))


def plot_particles(particles, output: str | os.PathLike, *, scene: int = 0, frames: int = 6, title: str | None = None):
    """A filmstrip of ``frames`` evenly spaced frames of scene ``scene`` of a
    :class:`~dynlearn.particles.Particles` (2-D; a 3-D dataset is drawn from its first two axes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    output = Path(output)
    if output.suffix.lower() != ".png":
        raise ValidationError(f"cannot write {output}: plots are PNG files (end the path in .png)")
    if not 0 <= scene < len(particles):
        raise ValidationError(
            f"scene {scene} is out of range: the dataset holds {len(particles)} (0 to {len(particles) - 1})"
        )
    idx = _frames(len(particles.times), frames)
    kind = particles.kinds()[scene]
    fig, axes = plt.subplots(1, len(idx), figsize=(2.4 * len(idx), 2.6), squeeze=False)
    for ax, i in zip(axes[0], idx):
        _draw(ax, particles.positions[scene, i], kind, particles.domain, _marker_size(particles.n_particles))
        ax.set_title(f"t = {particles.times[i]:.3g}", fontsize=9)
    fig.suptitle(title or f"{particles.meta.get('scene', 'particles')}, scene {scene}", fontsize=10)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return output


def plot_rollouts(
    truth: np.ndarray,
    predictions: dict[str, np.ndarray],
    output: str | os.PathLike,
    *,
    domain,
    kind: np.ndarray | None = None,
    times: Sequence[float] | None = None,
    frames: int = 4,
    title: str | None = None,
):
    """Rows: the ground truth ``(T, P, d)`` and each named prediction ``(T, P, d)`` (same frames);
    columns: ``frames`` evenly spaced frames. The picture a reproduction page shows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    truth = np.asarray(truth)
    rows = {"truth": truth, **{k: np.asarray(v) for k, v in predictions.items()}}
    for name, arr in rows.items():
        if arr.ndim != 3 or arr.shape[0] != truth.shape[0] or arr.shape[2] != truth.shape[2]:
            raise ValidationError(f"{name} has shape {arr.shape}; every row must be (T={truth.shape[0]}, P, d)")
    idx = _frames(truth.shape[0], frames)
    fig, axes = plt.subplots(len(rows), len(idx), figsize=(2.3 * len(idx), 2.3 * len(rows)), squeeze=False)
    for r, (name, arr) in enumerate(rows.items()):
        k = np.zeros(arr.shape[1], dtype=int) if kind is None or len(kind) != arr.shape[1] else kind
        for c, i in enumerate(idx):
            _draw(axes[r, c], arr[i], k, domain, _marker_size(arr.shape[1]))
            if r == 0:
                axes[r, c].set_title(f"t = {times[i]:.3g}" if times is not None else f"step {i}", fontsize=9)
        axes[r, 0].set_ylabel(name, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return output


__all__ = ["plot_particles", "plot_rollouts"]
