"""Compiled echo-state-network loops (numba, cached on disk): driven runs and closed-loop generation.

The update is the one of :class:`dynlearn.models.reservoir.ESN`:

    r_t = (1 - a) r_{t-1} + a tanh(W r_{t-1} + W_in u_t + b),
    u_{t+1} = W_out φ(r_t, u_t) + c        (closed loop),

with ``φ`` squaring every second unit (``pathak``) and appending ``u_t``
(``use_input``). Two layouts of ``W``:

* **dense** (float32 reservoirs up to ``DENSE_MAX_BYTES``): one BLAS ``sgemv``
  per step and sequence (``sgemm`` for a batch of at least ``GEMM_MIN_BATCH``
  sequences). At 500 units the float32 matrix is 1 MB, one core's L2, and
  the vectorised BLAS kernel beats a CSR loop over the 10% non-zero weights,
  whose every multiply waits on an indexed load. ``tanh`` is
  :func:`_tanh32`, branch-free and vectorisable (libm's is a scalar call).
* **csr** (float64 reservoirs, and float32 ones too large for the dense
  layout): a compiled CSR loop with four partial sums per row.

numba is imported on the first call; ``cache=True`` keeps the machine code on
disk, so only the first process ever compiles.
"""

from __future__ import annotations

import importlib.util

import numpy as np

_KERNELS: dict[str, object] = {}

#: largest float32 matrix held dense: the 500-unit reservoir (1 MB) fits one core's L2; beyond a few
#: MB a dense product reads more memory than CSR's 10% of weights plus their indices
DENSE_MAX_BYTES = 4 * 1024 * 1024


def available() -> bool:
    """Whether numba is installed (checked without importing it)."""
    return bool(_KERNELS) or importlib.util.find_spec("numba") is not None


def _tanh32(x):  # pragma: no cover - compiled by numba
    """tanh to 1.5e-7 (float32 rounding is 6e-8) without a library call, so that loops vectorise.

    tanh(x) for |x| <= 10 (beyond, tanh is 1 in float32) from y = x / 16: the Taylor series
    y - y³/3 + 2y⁵/15 - 17y⁷/315 (truncation below 1e-9 for |y| <= 5/8), then four doublings
    tanh(2y) = 2 tanh(y) / (1 + tanh(y)²), which do not amplify relative errors."""
    y = x  # clamped so that NaN stays NaN (min/max would turn it into ±10)
    if y > np.float32(10.0):
        y = np.float32(10.0)
    elif y < np.float32(-10.0):
        y = np.float32(-10.0)
    y = y * np.float32(0.0625)
    y2 = y * y
    t = y * (
        np.float32(1.0) + y2 * (np.float32(-1.0 / 3.0) + y2 * (np.float32(2.0 / 15.0) + y2 * np.float32(-17.0 / 315.0)))
    )
    for _ in range(4):
        t = np.float32(2.0) * t / (np.float32(1.0) + t * t)
    return t


def _leak_tanh(r, pre, leak, fast):  # pragma: no cover - compiled by numba
    """r <- (1 - leak) r + leak tanh(pre), elementwise over 1-d ``r`` and ``pre``."""
    keep = r.dtype.type(1.0 - leak)
    a = r.dtype.type(leak)
    if fast:
        for i in range(r.shape[0]):
            r[i] = keep * r[i] + a * _TANH32(pre[i])
    else:
        for i in range(r.shape[0]):
            r[i] = keep * r[i] + a * np.tanh(pre[i])


def _csr_mv(indptr, indices, data, r, pre):  # pragma: no cover - compiled by numba
    """pre += W r for W in CSR form; four partial sums hide the latency of the indexed loads."""
    for i in range(pre.shape[0]):
        a0 = a1 = a2 = a3 = data.dtype.type(0.0)
        p, e = indptr[i], indptr[i + 1]
        while p + 4 <= e:
            a0 += data[p] * r[indices[p]]
            a1 += data[p + 1] * r[indices[p + 1]]
            a2 += data[p + 2] * r[indices[p + 2]]
            a3 += data[p + 3] * r[indices[p + 3]]
            p += 4
        while p < e:
            a0 += data[p] * r[indices[p]]
            p += 1
        pre[i] += (a0 + a1) + (a2 + a3)


#: from this many sequences on, one matrix-matrix product per step; below, one matrix-vector product per
#: sequence (measured: a BLAS sgemm packs the 500 x 500 matrix on every call, which at 6 sequences
#: cost about 1.7 times six sgemv's, while at 16 it was the cheaper one)
GEMM_MIN_BATCH = 16


def _dense_mv(R, WT, pre):  # pragma: no cover - compiled by numba
    """pre = R Wᵀ row by row: (B, n) states times the C-ordered (n, n) Wᵀ."""
    if R.shape[0] >= GEMM_MIN_BATCH:
        np.dot(R, WT, pre)
    else:
        for b in range(R.shape[0]):
            np.dot(R[b], WT, pre[b])


def _add_input(pre, WinT, bias, u, acc):  # pragma: no cover - compiled by numba
    """pre += W_in u + b, accumulated in float64 (``acc``, n) over the d inputs, loops over the units."""
    n = pre.shape[0]
    for i in range(n):
        acc[i] = bias[i]
    for j in range(WinT.shape[0]):
        uj = u[j]
        for i in range(n):
            acc[i] += WinT[j, i] * uj
    for i in range(n):
        pre[i] += acc[i]


def _readout(r, u, WoutT, bout, pathak, use_input, feat, y):  # pragma: no cover - compiled by numba
    """y = W_out φ(r, u) + c in float64; ``feat`` (n + d) is scratch."""
    n = r.shape[0]
    for i in range(n):
        feat[i] = r[i]
    if pathak:
        for i in range(1, n, 2):
            feat[i] = feat[i] * feat[i]
    m = n
    if use_input:
        for j in range(u.shape[0]):
            feat[n + j] = u[j]
        m = n + u.shape[0]
    for k in range(y.shape[0]):
        s = 0.0
        for i in range(m):
            s += WoutT[k, i] * feat[i]
        y[k] = bout[k] + s


def _drive(WT, indptr, indices, data, dense, U, WinT, bias, r0, leak, fast, out):  # pragma: no cover
    """States ``out`` (B, T, n) of sequences driven by inputs ``U`` (B, T, d) from states ``r0`` (B, n).

    The input term W_in u_t + b is formed inside the loop (3 multiply-adds a unit for 3 inputs):
    a (B, T, n) array of it in float64, made before the loop and converted, cost more in memory
    traffic than the loop's own products."""
    B, T, n = out.shape
    R = r0.copy()
    pre = np.empty((B, n), dtype=R.dtype)
    acc = np.empty(n)
    for t in range(T):
        if dense:
            _DENSE_MV(R, WT, pre)
        else:
            for b in range(B):
                pre[b, :] = 0.0
                _CSR_MV(indptr, indices, data, R[b], pre[b])
        for b in range(B):
            _ADD_INPUT(pre[b], WinT, bias, U[b, t], acc)
            _LEAK_TANH(R[b], pre[b], leak, fast)
            for i in range(n):
                out[b, t, i] = R[b, i]


def _closed_loop(
    WT, indptr, indices, data, dense, WinT, bias, WoutT, bout, r0, u0, leak, pathak, use_input, fast, out
):  # pragma: no cover - compiled by numba
    """Closed-loop outputs ``out`` (B, H, d) from states ``r0`` (B, n) and last inputs ``u0`` (B, d).

    The readout and the input product run in float64 whatever the reservoir's dtype."""
    B, H, d = out.shape
    n = bias.shape[0]
    R = r0.copy()
    U = u0.copy()
    pre = np.empty((B, n), dtype=R.dtype)
    acc = np.empty(n)
    feat = np.empty(n + d)
    for h in range(H):
        for b in range(B):
            _READOUT(R[b], U[b], WoutT, bout, pathak, use_input, feat, out[b, h])
            for k in range(d):
                U[b, k] = out[b, h, k]
        if dense:
            _DENSE_MV(R, WT, pre)
        else:
            for b in range(B):
                pre[b, :] = 0.0
                _CSR_MV(indptr, indices, data, R[b], pre[b])
        for b in range(B):
            _ADD_INPUT(pre[b], WinT, bias, U[b], acc)
            _LEAK_TANH(R[b], pre[b], leak, fast)


_FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
_TANH32 = _LEAK_TANH = _CSR_MV = _DENSE_MV = _ADD_INPUT = _READOUT = None


def _kernel(name: str):
    global _TANH32, _LEAK_TANH, _CSR_MV, _DENSE_MV, _ADD_INPUT, _READOUT
    if name not in _KERNELS:
        import numba

        if _TANH32 is None:
            _DENSE_MV = numba.njit(cache=True)(_dense_mv)
            _ADD_INPUT = numba.njit(cache=True)(_add_input)
            # fastmath: the readout's sums may be reassociated (and so vectorised)
            _READOUT = numba.njit(cache=True, fastmath=_FASTMATH)(_readout)
            # the helpers are globals of the kernels, so numba's disk cache can hold them
            # fast-math without its no-NaN/no-inf assumptions: a diverging run keeps its NaN
            _TANH32 = numba.njit(cache=True, fastmath=_FASTMATH, inline="always")(_tanh32)
            _LEAK_TANH = numba.njit(cache=True, fastmath=_FASTMATH)(_leak_tanh)
            _CSR_MV = numba.njit(cache=True)(_csr_mv)
        _KERNELS[name] = numba.njit(cache=True, nogil=True)({"drive": _drive, "closed_loop": _closed_loop}[name])
    return _KERNELS[name]


class CompiledReservoir:
    """A reservoir ``W`` (dense float64 array) prepared for the compiled loops in ``dtype``.

    float32 reservoirs up to ``DENSE_MAX_BYTES`` are held dense (BLAS products), the rest in
    CSR form (64-bit indices and weights for float64: exact, so both backends hold the same matrix)."""

    def __init__(self, W: np.ndarray, dtype=np.float64):
        self.dtype = np.dtype(dtype)
        n = W.shape[0]
        self.dense = self.dtype == np.float32 and n * n * 4 <= DENSE_MAX_BYTES
        if self.dense:
            # Wᵀ C-ordered: the row-vector product r Wᵀ = (W r)ᵀ reads it row by row
            self.WT = np.ascontiguousarray(W.T, dtype=self.dtype)
            self.csr = (np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0, self.dtype))
        else:
            import scipy.sparse

            S = scipy.sparse.csr_matrix(W)
            self.WT = np.zeros((1, 1), self.dtype)
            self.csr = (S.indptr.astype(np.int64), S.indices.astype(np.int64), S.data.astype(self.dtype))
        self.fast_tanh = self.dtype == np.float32

    def drive(self, U: np.ndarray, Win: np.ndarray, bias: np.ndarray, r0: np.ndarray, leak: float) -> np.ndarray:
        """States ``(B, T, n)`` (in ``dtype``) driven by inputs ``U`` ``(B, T, d)`` from ``r0`` ``(B, n)``."""
        out = np.empty((*U.shape[:2], bias.shape[0]), self.dtype)
        _kernel("drive")(
            self.WT,
            *self.csr,
            self.dense,
            np.ascontiguousarray(U, dtype=np.float64),
            np.ascontiguousarray(np.asarray(Win, dtype=np.float64).T),
            np.ascontiguousarray(bias, dtype=np.float64),
            np.ascontiguousarray(r0, dtype=self.dtype),
            float(leak),
            self.fast_tanh,
            out,
        )
        return out

    def closed_loop(self, Win, bias, Wout, bout, r0, u0, leak: float, horizon: int, pathak: bool, use_input: bool):
        """Closed-loop outputs ``(B, horizon, d)`` from reservoir states ``r0`` and last inputs ``u0``."""
        out = np.empty((r0.shape[0], horizon, u0.shape[1]))
        _kernel("closed_loop")(
            self.WT,
            *self.csr,
            self.dense,
            np.ascontiguousarray(np.asarray(Win, dtype=np.float64).T),
            np.ascontiguousarray(bias, dtype=np.float64),
            np.ascontiguousarray(np.asarray(Wout, dtype=np.float64).T),
            np.ascontiguousarray(bout, dtype=np.float64),
            np.ascontiguousarray(r0, dtype=self.dtype),
            np.ascontiguousarray(u0, dtype=np.float64),
            float(leak),
            bool(pathak),
            bool(use_input),
            self.fast_tanh,
            out,
        )
        return out
