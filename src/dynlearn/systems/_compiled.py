"""Optional compiled fast path (numba) for fixed-step RK4 over a batch.

The catalog's right-hand sides follow a numba-friendly convention (``x`` of
shape ``(batch, dim)``, ``out = np.empty_like(x)``, columns assigned,
parameters read as ``p.name``), so the system's own ``rhs`` is compiled as is
with ``numba.njit``; the parameters travel as a namedtuple (floats, or
``(batch,)`` arrays sliced per chunk). The batch is cut into chunks that
integrate independently, each over the whole time span (good cache use), on
a small thread pool (the kernels release the GIL).

Everything here is optional: without numba, or when a right-hand side does not
compile (e.g. ``np.roll`` with ``axis``), :func:`rk4` returns ``None`` and the
caller uses the numpy path. The arithmetic is written in the same order as
the numpy path, so for right-hand sides built from ``+ - * /`` the two give
identical numbers; transcendental functions may differ in the last bit.
"""

from __future__ import annotations

import math
import os
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor

import numpy as np

try:  # numba is an optional extra
    import numba
except ImportError:  # pragma: no cover - exercised when numba is absent
    numba = None

_RHS_CACHE: dict = {}  # rhs function -> compiled dispatcher, or None when it does not compile
_PARAM_TYPES: dict = {}
_KERNEL = None


def available() -> bool:
    return numba is not None


def _kernel():
    global _KERNEL
    if _KERNEL is None:

        @numba.njit(nogil=True)
        def kernel(rhs, x, t0, h, n_sub, n_points, p, out, blowup):  # pragma: no cover - compiled
            m, dim = x.shape
            t = t0
            for i in range(1, n_points):
                for _ in range(n_sub):
                    k1 = rhs(x, t, p)
                    k2 = rhs(x + 0.5 * h * k1, t + 0.5 * h, p)
                    k3 = rhs(x + 0.5 * h * k2, t + 0.5 * h, p)
                    k4 = rhs(x + h * k3, t + h, p)
                    x = x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
                    t += h
                for b in range(m):
                    for d in range(dim):
                        if not abs(x[b, d]) <= blowup:  # also catches NaN
                            return b, i, t
                    for d in range(dim):
                        out[b, i, d] = x[b, d]
            return -1, -1, t

        _KERNEL = kernel
    return _KERNEL


def _compiled_rhs(fn):
    if fn not in _RHS_CACHE:
        _RHS_CACHE[fn] = numba.njit(nogil=True)(fn)
    return _RHS_CACHE[fn]


def _param_tuple(names: tuple[str, ...]):
    if names not in _PARAM_TYPES:
        _PARAM_TYPES[names] = namedtuple("CompiledParams", names)
    return _PARAM_TYPES[names]


def rk4(system, x0, out, *, t0, h, n_sub, params, blowup, threads=None):
    """Fill ``out[:, 1:]`` by RK4 with ``n_sub`` steps of ``h`` per output point.

    Returns ``None`` when the compiled path is unavailable (the caller then
    uses numpy), else ``None``-free tuple ``(trajectory, output_step, t)`` of
    the earliest divergence, or ``(-1, -1, t)`` on success.
    """
    if numba is None or _RHS_CACHE.get(system.rhs, True) is None:
        return None
    B = x0.shape[0]
    names = tuple(params)
    try:
        P = _param_tuple(names)
    except ValueError:  # a parameter name namedtuple refuses (keyword, leading underscore)
        return None
    values = {}
    for k in names:
        v = params[k]
        values[k] = np.ascontiguousarray(v, dtype=np.float64) if np.ndim(v) else float(v)
    n_threads = max(1, min(threads or os.cpu_count() or 1, 8))
    chunk = max(16, min(256, math.ceil(B / n_threads)))
    bounds = [(lo, min(B, lo + chunk)) for lo in range(0, B, chunk)]
    n_points = out.shape[1]

    def run(bound):
        lo, hi = bound
        p = P(**{k: (v[lo:hi] if isinstance(v, np.ndarray) else v) for k, v in values.items()})
        res = _kernel()(rhs, np.ascontiguousarray(x0[lo:hi]), t0, h, n_sub, n_points, p, out[lo:hi], blowup)
        return lo, res

    try:
        rhs = _compiled_rhs(system.rhs)
        results = [run(bounds[0])]  # compile once, on this thread
    except numba.core.errors.NumbaError:
        _RHS_CACHE[system.rhs] = None
        return None
    if len(bounds) > 1:
        if n_threads > 1:
            with ThreadPoolExecutor(n_threads) as pool:
                results += list(pool.map(run, bounds[1:]))
        else:
            results += [run(b) for b in bounds[1:]]
    fails = [(int(i), lo + int(b), float(t)) for lo, (b, i, t) in results if b >= 0]
    if not fails:
        return -1, -1, 0.0
    step, traj, t = min(fails)
    return traj, step, t
