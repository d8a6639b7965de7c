"""Compiled simulation of polynomial SINDy models (numba, cached on disk).

A polynomial model ``x' = C θ(x)`` (or the map ``x_{k+1} = C θ(x_k)``) with
``θ_k(x) = Π_j x[idx[k, j]]`` (``idx`` -1: no factor, so a row of -1 is the
constant) is integrated by classical RK4 with ``substeps`` steps per sampling
step, every trajectory of the batch in one compiled loop. A trajectory whose
state leaves the finite numbers (``|x| > 1e12`` or NaN) is NaN from that step on,
the same rule as the numpy path.

numba is imported on the first call, not with the module, and the kernel is
compiled with ``cache=True``: numba stores the machine code beside this file
(or in ``NUMBA_CACHE_DIR``), so only the first process ever pays the compile;
later processes load it in milliseconds. The kernel takes the model as arrays,
so one compiled function serves every model.
"""

from __future__ import annotations

import importlib.util

import numpy as np

from dynlearn.systems._tableau import RK4

_KERNEL = None
BLOWUP = 1e12


def available() -> bool:
    """Whether numba is installed (checked without importing it)."""
    return _KERNEL is not None or importlib.util.find_spec("numba") is not None


def _simulate(x0, idx, C, h, n_steps, substeps, discrete, out, a, bw, c):  # pragma: no cover - compiled by numba
    B, d = x0.shape
    feat = np.empty(idx.shape[0])
    f = np.empty(d)
    acc = np.empty(d)
    y = np.empty(d)
    x = np.empty(d)
    # an explicit Runge-Kutta tableau (a, bw, c) as data: stage st evaluates at x + h sum_j a[st, j] K[j]
    n_stages = 1 if discrete else bw.shape[0]
    K = np.empty((bw.shape[0], d))
    n_sub = 1 if discrete else substeps
    for b in range(B):
        for i in range(d):
            x[i] = x0[b, i]
            f[i] = 0.0
        alive = True
        for s in range(n_steps):
            if alive:
                for _ in range(n_sub):
                    for i in range(d):
                        acc[i] = 0.0
                    for st in range(n_stages):
                        for i in range(d):
                            v = 0.0
                            for j in range(st):
                                v += a[st, j] * K[j, i]
                            y[i] = x[i] + h * v
                        for k in range(idx.shape[0]):
                            v = 1.0
                            for j in range(idx.shape[1]):
                                if idx[k, j] >= 0:
                                    v *= y[idx[k, j]]
                            feat[k] = v
                        for i in range(d):
                            v = 0.0
                            for k in range(C.shape[1]):
                                v += C[i, k] * feat[k]
                            f[i] = v
                            K[st, i] = v
                            acc[i] += bw[st] * v
                    for i in range(d):
                        x[i] = f[i] if discrete else x[i] + h * acc[i]
                for i in range(d):
                    if not (abs(x[i]) <= BLOWUP):
                        alive = False
            for i in range(d):
                out[b, s, i] = x[i] if alive else np.nan


def _kernel():
    global _KERNEL
    if _KERNEL is None:
        import numba

        _KERNEL = numba.njit(cache=True, nogil=True)(_simulate)
    return _KERNEL


def simulate_poly(
    x0: np.ndarray, idx: np.ndarray, C: np.ndarray, dt: float, n_steps: int, substeps: int, discrete: bool
) -> np.ndarray:
    """States ``(batch, n_steps, dim)`` after ``x0`` ``(batch, dim)``; see the module docstring."""
    out = np.empty((x0.shape[0], n_steps, x0.shape[1]))
    _kernel()(
        np.ascontiguousarray(x0, dtype=np.float64),
        np.ascontiguousarray(idx, dtype=np.int64),
        np.ascontiguousarray(C, dtype=np.float64),
        float(dt) / substeps,
        int(n_steps),
        int(substeps),
        bool(discrete),
        out,
        RK4.a_f,
        RK4.b_f,
        RK4.c_f,
    )
    return out
