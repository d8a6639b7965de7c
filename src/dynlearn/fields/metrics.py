"""Errors of predicted fields: relative L2, NMSE, error against rollout step, and energy spectra.

Arrays are ``(N, T, C, *space)`` as in :class:`~dynlearn.fields.Fields` (a ``Fields`` is accepted
too): N trajectories, T frames, C channels, one or two periodic spatial axes. Each error is computed
per trajectory and frame over the channels and the grid, then averaged as asked:

- :func:`relative_l2`: :math:`\\|\\hat u - u\\|_2 / \\|u\\|_2`;
- :func:`nmse`: :math:`\\overline{(\\hat u - u)^2} / \\overline{u^2}` (the square of the former);
- :func:`rollout_error`: either of them against the frame index, averaged over trajectories (the
  curve that shows how a one-step-accurate model degrades over an autoregressive rollout);
- :func:`energy_spectrum`: the isotropic spectrum :math:`E(k)` (shell sums of
  :math:`|\\hat u_k|^2` over integer :math:`|k|`, normalised so that :math:`\\sum_k E(k)` is the
  mean of :math:`u^2` over the grid: Parseval), and :func:`spectrum_error`, the log ratio of the
  predicted to the true spectrum per shell (where a model loses or invents small scales).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dynlearn.errors import ValidationError


def _values(x: Any, name: str) -> np.ndarray:
    arr = np.asarray(getattr(x, "values", x), dtype=float)
    if arr.ndim not in (4, 5):
        raise ValidationError(f"{name} must have shape (N, T, C, X) or (N, T, C, H, W), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValidationError(
            f"{name} contains NaN or inf (a diverged rollout?); errors of non-finite fields are undefined"
        )
    return arr


def _pair(pred: Any, true: Any) -> tuple[np.ndarray, np.ndarray]:
    p, t = _values(pred, "pred"), _values(true, "true")
    if p.shape != t.shape:
        raise ValidationError(f"pred has shape {p.shape} but true has {t.shape}; compare the same frames and grid")
    return p, t


def _reduce(err: np.ndarray, reduce: str) -> np.ndarray | float:
    if reduce == "none":
        return err
    if reduce == "mean":
        return float(err.mean())
    if reduce == "frame":
        return err.mean(axis=0)
    raise ValidationError(f"reduce must be 'none', 'frame' or 'mean', got {reduce!r}")


def relative_l2(pred: Any, true: Any, *, reduce: str = "mean", eps: float = 1e-12):
    """``||pred - true|| / ||true||`` over channels and grid, per trajectory and frame: an ``(N, T)``
    array (``reduce="none"``), its mean over trajectories per frame (``"frame"``) or one number."""
    p, t = _pair(pred, true)
    axes = tuple(range(2, p.ndim))
    err = np.sqrt(((p - t) ** 2).sum(axis=axes)) / np.maximum(np.sqrt((t**2).sum(axis=axes)), eps)
    return _reduce(err, reduce)


def nmse(pred: Any, true: Any, *, reduce: str = "mean", eps: float = 1e-24):
    """Mean squared error over channels and grid divided by the mean square of ``true``."""
    p, t = _pair(pred, true)
    axes = tuple(range(2, p.ndim))
    err = ((p - t) ** 2).mean(axis=axes) / np.maximum((t**2).mean(axis=axes), eps)
    return _reduce(err, reduce)


def rollout_error(pred: Any, true: Any, *, metric: str = "relative_l2") -> np.ndarray:
    """The error of each frame of a rollout, averaged over trajectories: shape ``(T,)``."""
    funcs = {"relative_l2": relative_l2, "nmse": nmse}
    if metric not in funcs:
        raise ValidationError(f"metric must be one of {sorted(funcs)}, got {metric!r}")
    return funcs[metric](pred, true, reduce="frame")


def energy_spectrum(fields: Any) -> np.ndarray:
    """Isotropic spectrum ``E[k]`` for integer shells ``k = 0 .. K`` (grid wavenumbers), averaged over
    trajectories, frames and channels; ``E.sum()`` equals the mean of ``u**2`` over the grid."""
    u = _values(fields, "fields")
    space = u.shape[3:]
    axes = tuple(range(3, u.ndim))
    power = np.abs(np.fft.fftn(u, axes=axes)) ** 2 / float(np.prod(space)) ** 2
    power = power.mean(axis=(0, 1, 2))
    ks = np.meshgrid(*[np.fft.fftfreq(n, 1.0 / n) for n in space], indexing="ij")
    shell = np.rint(np.sqrt(sum(k**2 for k in ks))).astype(int)
    return np.bincount(shell.ravel(), weights=power.ravel())


def spectrum_error(pred: Any, true: Any, *, eps: float = 1e-30) -> np.ndarray:
    """``log10(E_pred[k] / E_true[k])`` per shell: 0 where the scales match, negative where the
    prediction has lost energy (over-smoothed), positive where it has invented some."""
    p, t = _pair(pred, true)
    return np.log10((energy_spectrum(p) + eps) / (energy_spectrum(t) + eps))


__all__ = ["energy_spectrum", "nmse", "relative_l2", "rollout_error", "spectrum_error"]
