"""How good a trained field model is: one-step and k-step errors, error-against-step curves, and a
"true | predicted | error" picture of a rollout.

Definitions (errors from :mod:`dynlearn.fields.metrics`, per trajectory and frame over channels and
grid, then averaged over trajectories):

- **one-step error**: the model is given the true ``Th`` frames before every frame ``t >= Th`` of each
  test trajectory and predicts frame ``t``; the error is averaged over all those frames (teacher-forced);
- **rollout** from frame ``start``: the model gets the true frames ``start .. start+Th-1`` and then
  feeds back its own predictions for ``k`` steps; :func:`error_curve` is the error at each step
  ``1..k``; the **k-step error** is the mean of that curve over steps ``1..k`` (the accumulated
  rollout error of PDEArena and SineNet; the curve itself is also reported).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from dynlearn.errors import ValidationError
from dynlearn.fields import _windows, metrics

METRICS = ("relative_l2", "nmse")


def _metric(name: str):
    if name not in METRICS:
        raise ValidationError(f"metric must be one of {list(METRICS)}, got {name!r}")
    return getattr(metrics, name)


@torch.no_grad()
def rollout(
    model, fields, *, steps: int, start: int = 0, params: tuple[str, ...] | None = None, batch_size: int = 16
) -> tuple[np.ndarray, np.ndarray]:
    """``(pred, true)``, each ``(N, steps, C, *space)``: the model's autoregressive rollout of every
    trajectory from its true frames ``start .. start+Th-1``, and the true frames it should match."""
    spec = model.spec
    names = _windows.param_names(fields, spec, params)
    data = _windows.Tensors(fields, spec, names)
    first = start + spec.history
    if start < 0 or steps < 1 or first + steps > data.values.shape[1]:
        raise ValidationError(
            f"a {steps}-step rollout from frame {start} with history {spec.history} needs {first + steps} frames; "
            f"the data has {data.values.shape[1]}"
        )
    model.eval()
    preds = []
    for b in range(0, len(data), batch_size):
        idx = torch.arange(b, min(b + batch_size, len(data)))
        p, m = data.take(idx)
        preds.append(model.rollout(data.values[idx, start:first], p, m, steps=steps))
    pred = torch.cat(preds).numpy().astype(np.float64)
    return pred, np.asarray(fields.values[:, first : first + steps], dtype=np.float64)


@torch.no_grad()
def one_step_error(
    model, fields, *, metric: str = "relative_l2", params: tuple[str, ...] | None = None, batch_size: int = 64
) -> float:
    """The teacher-forced next-frame error, averaged over every predictable frame and trajectory."""
    func = _metric(metric)
    spec = model.spec
    names = _windows.param_names(fields, spec, params)
    data = _windows.Tensors(fields, spec, names)
    n, t = data.values.shape[:2]
    if t <= spec.history:
        raise ValidationError(f"one-step errors need more than {spec.history} frames per trajectory, got {t}")
    model.eval()
    pairs = torch.stack(torch.meshgrid(torch.arange(n), torch.arange(spec.history, t), indexing="ij"), -1).reshape(
        -1, 2
    )
    errs = []
    for b in range(0, len(pairs), batch_size):
        traj, k = pairs[b : b + batch_size, 0], pairs[b : b + batch_size, 1]
        offs = torch.arange(-spec.history, 0)
        hist = data.values[traj[:, None], k[:, None] + offs[None, :]]
        p, m = data.take(traj)
        pred = model(hist, p, m).numpy().astype(np.float64)
        true = data.values[traj, k].numpy().astype(np.float64)
        errs.append(func(pred[:, None], true[:, None], reduce="none")[:, 0])
    return float(np.concatenate(errs).mean())


def error_curve(model, fields, *, steps: int, start: int = 0, metric: str = "relative_l2", params=None) -> np.ndarray:
    """The rollout error at each step ``1..steps``, averaged over trajectories: shape ``(steps,)``."""
    pred, true = rollout(model, fields, steps=steps, start=start, params=params)
    return metrics.rollout_error(pred, true, metric=metric)


def evaluate(
    model,
    fields,
    *,
    steps: tuple[int, ...] = (1, 10),
    start: int = 0,
    metrics_: tuple[str, ...] = ("relative_l2",),
    params=None,
) -> dict[str, Any]:
    """One-step and k-step errors of ``model`` on ``fields``: keys ``"<metric>_1step"`` (teacher-forced,
    all frames) and ``"<metric>_<k>"`` for each ``k`` in ``steps`` (mean rollout error over steps 1..k),
    plus ``"curve_<metric>"``, the per-step error list of the longest rollout."""
    kmax = max(steps)
    pred, true = rollout(model, fields, steps=kmax, start=start, params=params)
    out: dict[str, Any] = {}
    for name in metrics_:
        func = _metric(name)
        out[f"{name}_1step"] = one_step_error(model, fields, metric=name, params=params)
        curve = func(pred, true, reduce="frame")
        for k in steps:
            out[f"{name}_{k}"] = float(np.mean(curve[:k]))
        out[f"curve_{name}"] = [float(x) for x in curve]
    return out


def plot_rollout(
    true: np.ndarray,
    pred: np.ndarray,
    path: str | Path,
    *,
    trajectory: int = 0,
    channel: int = 0,
    frames: int = 5,
    title: str | None = None,
    dt: float | None = None,
) -> Path:
    """A PNG of one rollout: rows "true", "predicted" and "error" (predicted - true), columns evenly
    spaced rollout steps; 1-D fields as space-time diagrams. ``true``/``pred`` are ``(N, T, C, *space)``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    true, pred = np.asarray(true), np.asarray(pred)
    if true.shape != pred.shape or true.ndim not in (4, 5):
        raise ValidationError(f"true and pred must share a shape (N, T, C, *space), got {true.shape} and {pred.shape}")
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValidationError(f"cannot write {path}: rollout plots are PNG files (end the path in .png)")
    u, v = true[trajectory, :, channel], pred[trajectory, :, channel]
    err = v - u
    lim = float(np.abs(u).max()) or 1.0
    elim = float(np.abs(err).max()) or 1.0
    if u.ndim == 2:
        fig, axes = plt.subplots(1, 3, figsize=(11, 3.2))
        for ax, img, name, scale, cmap in zip(
            axes, (u, v, err), ("true", "predicted", "error"), (lim, lim, elim), ("RdBu_r", "RdBu_r", "PuOr_r")
        ):
            im = ax.imshow(img.T, aspect="auto", origin="lower", cmap=cmap, vmin=-scale, vmax=scale)
            ax.set_title(name, fontsize=9)
            ax.set_xlabel("rollout step")
            fig.colorbar(im, ax=ax, shrink=0.8)
    else:
        idx = np.unique(np.linspace(0, u.shape[0] - 1, max(1, frames)).round().astype(int))
        fig, axes = plt.subplots(3, len(idx), figsize=(2.2 * len(idx) + 1, 6.6), squeeze=False)
        rows = ((u, lim, "RdBu_r", "true"), (v, lim, "RdBu_r", "predicted"), (err, elim, "PuOr_r", "error"))
        for row, (series, scale, cmap, name) in enumerate(rows):
            for col, i in enumerate(idx):
                ax = axes[row, col]
                im = ax.imshow(series[i].T, origin="lower", cmap=cmap, vmin=-scale, vmax=scale)
                ax.set_xticks([])
                ax.set_yticks([])
                if row == 0:
                    ax.set_title(f"step {i + 1}" + (f" (t+{(i + 1) * dt:.3g})" if dt else ""), fontsize=9)
                if col == 0:
                    ax.set_ylabel(name)
            fig.colorbar(im, ax=list(axes[row]), shrink=0.85)
    if title:
        fig.suptitle(title, fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


def plot_curves(curves: dict[str, np.ndarray], path: str | Path, *, ylabel: str = "relative L2", title=None) -> Path:
    """Error against rollout step, one line per label (median line, shaded 25-75% over seeds if a
    label maps to a 2-D array ``(seeds, steps)``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8))
    for label, c in curves.items():
        c = np.atleast_2d(np.asarray(c, dtype=float))
        x = np.arange(1, c.shape[1] + 1)
        ax.plot(x, np.median(c, axis=0), label=label, marker="o", ms=3)
        if c.shape[0] > 1:
            ax.fill_between(x, np.percentile(c, 25, axis=0), np.percentile(c, 75, axis=0), alpha=0.2)
    ax.set_xlabel("rollout step")
    ax.set_ylabel(ylabel)
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path


__all__ = ["error_curve", "evaluate", "one_step_error", "plot_curves", "plot_rollout", "rollout"]
