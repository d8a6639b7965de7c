"""Pictures of attractors (matplotlib, imported lazily)."""

from __future__ import annotations

from pathlib import Path

from dynlearn.io_utils import atomic_write_bytes
from dynlearn.systems.base import System


def plot_attractor(system: System, path: str | Path, *, n_points: int = 20_000, seed: int = 0) -> Path:
    """Simulate ``system`` and draw its attractor: a 3-D projection of the first
    three coordinates (2-D for two, a return map x_n vs x_{n+1} for one)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dynlearn.systems import simulate

    (traj,) = simulate(system, n_points=n_points, seed=seed)
    x = traj.states
    fig = plt.figure(figsize=(6, 5))
    style = {"lw": 0.3} if system.kind != "map" else {"marker": ".", "ms": 0.8, "ls": "none"}
    if x.shape[1] >= 3:
        ax = fig.add_subplot(projection="3d")
        ax.plot(x[:, 0], x[:, 1], x[:, 2], color="#1f4e79", **style)
        ax.set_xlabel("x0")
        ax.set_ylabel("x1")
        ax.set_zlabel("x2")
    else:
        ax = fig.add_subplot()
        a, b = (x[:-1, 0], x[1:, 0]) if x.shape[1] == 1 else (x[:, 0], x[:, 1])
        ax.plot(a, b, color="#1f4e79", **style)
        ax.set_xlabel("x0" if x.shape[1] > 1 else "x(n)")
        ax.set_ylabel("x1" if x.shape[1] > 1 else "x(n+1)")
    lam = f", λ_max = {system.max_lyapunov:.3g}" if system.max_lyapunov else ""
    ax.set_title(f"{system.name} ({system.kind}, dim {system.dim}{lam})", fontsize=10)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return atomic_write_bytes(path, buf.getvalue())


__all__ = ["plot_attractor"]
