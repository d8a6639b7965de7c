"""Compiled echo-state-network loops (numba, cached on disk): driven runs and closed-loop generation.

Both loops take the reservoir ``W`` in CSR form (``indptr``, ``indices``,
``data``): with ``density`` 0.1 a step costs ``0.1 n²`` multiply-adds instead
of the dense ``n²``, and the whole recurrence (sparse product, ``tanh``, leak,
readout) runs without a Python call per step, which is where the numpy loops
spent most of their time. The update is the one of
:class:`dynlearn.models.reservoir.ESN`:

    r_t = (1 - a) r_{t-1} + a tanh(W r_{t-1} + W_in u_t + b),
    u_{t+1} = W_out φ(r_t, u_t) + c        (closed loop),

with ``φ`` squaring every second unit (``pathak``) and appending ``u_t``
(``use_input``). numba is imported on the first call; ``cache=True`` keeps
the machine code on disk, so only the first process ever compiles.
"""

from __future__ import annotations

import importlib.util

import numpy as np

_KERNELS: dict[str, object] = {}


def available() -> bool:
    """Whether numba is installed (checked without importing it)."""
    return bool(_KERNELS) or importlib.util.find_spec("numba") is not None


def _drive(indptr, indices, data, drive, r0, leak, out):  # pragma: no cover - compiled by numba
    B, T, n = drive.shape
    r = np.empty(n)
    pre = np.empty(n)
    for b in range(B):
        for i in range(n):
            r[i] = r0[b, i]
        for t in range(T):
            for i in range(n):
                s = drive[b, t, i]
                for p in range(indptr[i], indptr[i + 1]):
                    s += data[p] * r[indices[p]]
                pre[i] = s
            for i in range(n):
                r[i] = (1.0 - leak) * r[i] + leak * np.tanh(pre[i])
                out[b, t, i] = r[i]


def _closed_loop(
    indptr, indices, data, Win, bias, WoutT, bout, r0, u0, leak, pathak, use_input, out
):  # pragma: no cover
    B, H, d = out.shape
    n = bias.shape[0]
    r = np.empty(n)
    pre = np.empty(n)
    u = np.empty(d)
    feat = np.zeros(WoutT.shape[1])
    for b in range(B):
        for i in range(n):
            r[i] = r0[b, i]
        for j in range(d):
            u[j] = u0[b, j]
        for h in range(H):
            # readout features φ(r, u), then W_out φ + c (WoutT rows are contiguous)
            for i in range(n):
                feat[i] = r[i] * r[i] if (pathak and i % 2 == 1) else r[i]
            if use_input:
                for j in range(d):
                    feat[n + j] = u[j]
            for k in range(d):
                s = bout[k]
                for i in range(feat.shape[0]):
                    s += WoutT[k, i] * feat[i]
                out[b, h, k] = s
                u[k] = s
            for i in range(n):
                s = bias[i]
                for j in range(d):
                    s += Win[i, j] * u[j]
                for p in range(indptr[i], indptr[i + 1]):
                    s += data[p] * r[indices[p]]
                pre[i] = s
            for i in range(n):
                r[i] = (1.0 - leak) * r[i] + leak * np.tanh(pre[i])


def _kernel(name: str):
    if name not in _KERNELS:
        import numba

        _KERNELS[name] = numba.njit(cache=True, nogil=True)({"drive": _drive, "closed_loop": _closed_loop}[name])
    return _KERNELS[name]


def _csr(W):
    import scipy.sparse

    S = scipy.sparse.csr_matrix(W)
    # 64-bit indices and weights: measured faster in numba's loop than 32-bit ones (which
    # need a conversion per element) and exact, so both backends hold the same matrix
    return S.indptr.astype(np.int64), S.indices.astype(np.int64), S.data.astype(np.float64)


class CompiledReservoir:
    """A reservoir ``W`` (dense array) held in CSR form for the compiled loops."""

    def __init__(self, W: np.ndarray):
        self.csr = _csr(W)

    def drive(self, drive: np.ndarray, r0: np.ndarray, leak: float) -> np.ndarray:
        """States ``(B, T, n)`` driven by ``drive = U W_inᵀ + b`` ``(B, T, n)`` from ``r0`` ``(B, n)``."""
        out = np.empty(drive.shape)
        _kernel("drive")(*self.csr, np.ascontiguousarray(drive), np.ascontiguousarray(r0), float(leak), out)
        return out

    def closed_loop(self, Win, bias, Wout, bout, r0, u0, leak: float, horizon: int, pathak: bool, use_input: bool):
        """Closed-loop outputs ``(B, horizon, d)`` from reservoir states ``r0`` and last inputs ``u0``."""
        out = np.empty((r0.shape[0], horizon, u0.shape[1]))
        _kernel("closed_loop")(
            *self.csr,
            np.ascontiguousarray(Win, dtype=np.float64),
            np.ascontiguousarray(bias, dtype=np.float64),
            np.ascontiguousarray(np.asarray(Wout, dtype=np.float64).T),
            np.ascontiguousarray(bout, dtype=np.float64),
            np.ascontiguousarray(r0, dtype=np.float64),
            np.ascontiguousarray(u0, dtype=np.float64),
            float(leak),
            bool(pathak),
            bool(use_input),
            out,
        )
        return out
