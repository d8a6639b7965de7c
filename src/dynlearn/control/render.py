"""Pictures of control: a filmstrip PNG of a rollout, so a user sees what the policy does.

matplotlib is imported only here, when a picture is asked for.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from dynlearn.errors import ValidationError
from dynlearn.io_utils import atomic_write_bytes


def filmstrip(
    env, observations, path: str | os.PathLike, *, frames: int = 8, rewards=None, title: str | None = None
) -> Path:
    """Draw ``frames`` evenly spaced states of ``observations`` ``(T, obs_dim)`` side by side with
    ``env.draw`` (each panel labelled with its time, and the reward so far when ``rewards`` ``(T-1,)``
    is given), and write a PNG to ``path`` atomically."""
    obs = np.asarray(observations, dtype=np.float64)
    if obs.ndim != 2 or len(obs) < 1:
        raise ValidationError(f"filmstrip needs observations (time, obs_dim); got shape {obs.shape}")
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValidationError(f"cannot write {path}: the filmstrip is a PNG file (end the path in .png)")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(1, min(int(frames), len(obs)))
    idx = np.unique(np.linspace(0, len(obs) - 1, n).round().astype(int))
    fig, axes = plt.subplots(1, len(idx), figsize=(2.0 * len(idx), 2.3), squeeze=False)
    dt = float(getattr(env, "dt", 1.0))
    cum = None if rewards is None else np.concatenate([[0.0], np.cumsum(np.asarray(rewards, dtype=np.float64))])
    for ax, i in zip(axes[0], idx):
        env.draw(ax, obs[i])
        ax.set_aspect("equal", adjustable="box")
        ax.set_xticks([])
        ax.set_yticks([])
        label = f"t = {i * dt:.2f} s"
        if cum is not None and i < len(cum):
            label += f"\nreturn {cum[i]:.1f}"
        ax.set_title(label, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())
