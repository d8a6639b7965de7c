"""Errors of particle rollouts: by particle identity, and as point clouds when identities differ.

- :func:`position_mse_per_step`: the mean squared position error at every rollout step, averaged
  over scenes, particles and coordinates (GNS's "one-step / rollout MSE" unit: length^2);
- :func:`rollout_mse`: its mean over the steps;
- :func:`chamfer_distance`: a symmetric nearest-neighbour distance between two clouds that ignores
  particle identity and allows different counts (the mean squared distance from each point to the
  other cloud's nearest, averaged over both directions; length^2), by the cell-list k-NN of
  :mod:`dynlearn.particles.graph`, O(P) memory;
- :func:`mmd`: the squared maximum mean discrepancy with a Gaussian kernel (biased V-statistic),
  another identity-free distance between distributions of points, computed in blocks.

Inputs are numpy arrays or torch tensors; results are floats (or a numpy array per step).
"""

from __future__ import annotations

import numpy as np

from dynlearn.errors import ValidationError


def _np(x, name: str) -> np.ndarray:
    try:
        import torch

        if torch.is_tensor(x):
            x = x.detach().cpu().numpy()
    except ImportError:  # pragma: no cover - torch is a dependency of the particles layer
        pass
    x = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(x)):
        raise ValidationError(f"{name} contains NaN or inf (a diverged rollout?)")
    return x


def position_mse_per_step(pred, true) -> np.ndarray:
    """``pred`` and ``true`` of shape ``(N, T, P, d)`` (or ``(T, P, d)``) -> the MSE at each of the T
    steps, ``(T,)``, averaged over scenes, particles and coordinates."""
    p, t = _np(pred, "pred"), _np(true, "true")
    if p.shape != t.shape or p.ndim not in (3, 4):
        raise ValidationError(
            f"pred and true must share a shape (N, T, P, d) or (T, P, d), got {p.shape} and {t.shape}"
        )
    if p.ndim == 3:
        p, t = p[None], t[None]
    return ((p - t) ** 2).mean(axis=(0, 2, 3))


def rollout_mse(pred, true) -> float:
    """The position MSE over every step of a rollout (mean of :func:`position_mse_per_step`)."""
    return float(position_mse_per_step(pred, true).mean())


def _clouds(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = _np(a, "a"), _np(b, "b")
    if a.ndim == 2:
        a = a[None]
    if b.ndim == 2:
        b = b[None]
    if a.ndim < 3 or b.ndim < 3 or a.shape[:-2] != b.shape[:-2] or a.shape[-1] != b.shape[-1]:
        raise ValidationError(
            f"point clouds must be (..., P, d) and (..., Q, d) with the same leading axes and d, got {a.shape}, {b.shape}"
        )
    if a.shape[-2] == 0 or b.shape[-2] == 0:
        raise ValidationError("a point cloud needs at least one point")
    d = a.shape[-1]
    return a.reshape(-1, a.shape[-2], d), b.reshape(-1, b.shape[-2], d)


def chamfer_distance(a, b) -> float:
    """The symmetric Chamfer distance between clouds ``a (..., P, d)`` and ``b (..., Q, d)`` (same
    leading axes, e.g. scenes and frames): for each cloud pair,
    ``mean_i min_j |a_i - b_j|^2 / 2 + mean_j min_i |a_i - b_j|^2 / 2``, averaged over the pairs.
    Zero iff the clouds hold the same points; P and Q may differ."""
    import torch

    from dynlearn.particles.graph import knn

    a, b = _clouds(a, b)
    n, p, d = a.shape
    q = b.shape[1]
    ta = torch.as_tensor(a.reshape(-1, d))
    tb = torch.as_tensor(b.reshape(-1, d))
    ba = torch.arange(n).repeat_interleave(p)
    bb = torch.arange(n).repeat_interleave(q)
    qi, si = knn(tb, ta, 1, src_batch=bb, dst_batch=ba)
    ab = ((ta[qi] - tb[si]) ** 2).sum(1).reshape(n, p).mean(1)
    qi, si = knn(ta, tb, 1, src_batch=ba, dst_batch=bb)
    ba_ = ((tb[qi] - ta[si]) ** 2).sum(1).reshape(n, q).mean(1)
    return float((0.5 * (ab + ba_)).mean())


def mmd(a, b, *, bandwidth: float | None = None, block: int = 2048) -> float:
    """The squared maximum mean discrepancy with the kernel ``exp(-|x - y|^2 / (2 h^2))`` between
    clouds ``a (..., P, d)`` and ``b (..., Q, d)`` (biased estimate, averaged over the cloud pairs).
    ``bandwidth`` h: by default the median distance of ``b``'s points to its centroid, per pair.
    O(P Q) time in blocks of ``block`` rows (memory O(block * Q))."""
    a, b = _clouds(a, b)
    out = []
    for x, y in zip(a, b):
        h = float(bandwidth) if bandwidth is not None else float(np.median(np.linalg.norm(y - y.mean(0), axis=1)))
        h = max(h, 1e-12)

        def mean_k(u, v, h=h):
            total = 0.0
            for s in range(0, len(u), block):
                d2 = ((u[s : s + block, None, :] - v[None, :, :]) ** 2).sum(-1)
                total += float(np.exp(-d2 / (2 * h * h)).sum())
            return total / (len(u) * len(v))

        out.append(mean_k(x, x) + mean_k(y, y) - 2 * mean_k(x, y))
    return float(max(np.mean(out), 0.0))


__all__ = ["chamfer_distance", "mmd", "position_mse_per_step", "rollout_mse"]
