"""Compiled integrators (numba), generated from the tableaus and the system's own right-hand side.

For a system and a method, :mod:`dynlearn.systems._codegen` writes one small Python module:

* ``_rhs_rows(x, t, p, out, lo, hi)``, the right-hand side for rows
  ``lo:hi`` of a batch, without allocation. A right-hand side in the catalog's
  column convention (``out = np.empty_like(x)``, ``out[:, j] = expr``,
  parameters read as ``p.name``), or one that only returns such a helper's
  result, is rewritten mechanically into one scalar loop over the rows
  (``out[:, j]`` becomes ``out[_b, j]``), checked against the original on a
  test batch; any other right-hand side is called on the row slice as it is.
* ``fixed_kernel``: the explicit Runge–Kutta steps of a fixed-step tableau,
  unrolled stage by stage from :mod:`dynlearn.systems._tableau` in the same
  arithmetic order as :func:`dynlearn.systems._stepper.rk_step`, so that for
  right-hand sides built from ``+ - * /`` both give identical numbers.
* ``adaptive_kernel``: Dormand–Prince 5(4) with per-trajectory step control and
  Shampine's dense output, the algorithm of :mod:`dynlearn.systems._adaptive`
  run trajectory by trajectory.

Parameters travel as a vector of scalars and a ``(n, batch)`` array of
per-trajectory values and are packed into a namedtuple inside the kernel, so a
kernel's signature holds only arrays and floats.

**On-disk cache.** The generated source is written to
``<cache>/kernels/k_<hash>.py`` and compiled with numba's ``cache=True``, so
a fresh process loads the machine code instead of compiling again. The hash
covers everything the machine code depends on: the generated source
(right-hand side, tableau), the values of the globals it reads (numbers,
arrays, helper functions' source), the Python, numba and numpy versions; a
changed system gets a new file. Where the cache is, when it may be trusted
(numba's index is a pickle: only a directory private to the user is used)
and its size bound are :mod:`dynlearn.systems._cache`'s business;
:func:`load_module` gives the SINDy and tangent kernels the same cache.

numba is imported here lazily, on the first compilation: ``import
dynlearn.systems`` does not load it. Without numba, or when a right-hand side
does not compile (e.g. ``np.roll`` with ``axis``), the entry points return
``None`` and the caller uses the numpy path.
"""

from __future__ import annotations

import importlib.util
import math
import os
import sys
import threading
import types
from pathlib import Path

import numpy as np

from dynlearn.systems import _cache
from dynlearn.systems._cache import cache_dir
from dynlearn.systems._cache import on_disk as _on_disk_fn
from dynlearn.systems._tableau import DOPRI5, Tableau

#: trajectories per compiled chunk of the fixed-step kernel (work arrays stay in the L1/L2 cache)
CHUNK = 512
#: compile times (CPU s, Lorenz-63, numba 0.68), used by ``backend="auto"`` when no cached kernel exists
COMPILE_SECONDS = {"fixed": 6.0, "adaptive": 9.0}
#: time (s) to import numba and load a kernel from numba's on-disk cache in a fresh process
LOAD_SECONDS = 0.6
#: compiled cost per trajectory and stage evaluation (s), a 3-dimensional flow on one core
STAGE_SECONDS = 7e-9

_LOADED: dict = {}  # generation key -> loaded kernels module, or None when it does not compile
_LOCK = threading.Lock()
_numba = None


def available() -> bool:
    """Whether numba can be imported (without importing it)."""
    return _numba is not None or importlib.util.find_spec("numba") is not None


def _nb():
    global _numba
    if _numba is None:
        import numba

        _numba = numba
    return _numba


def _path_for(digest: str) -> Path | None:
    d = cache_dir()
    return None if d is None else d / f"k_{digest}.py"


def _import(source: str, injected: dict, digest: str, cacheable: bool):
    nb = _nb()
    name = f"dynlearn_kernel_{digest}"
    path = _path_for(digest) if cacheable else None
    jit_inline = {"nogil": True, "cache": path is not None}
    module = types.ModuleType(name)
    module.__dict__.update({k: (_as_jit(v) if _is_plain_function(v) else v) for k, v in injected.items()})
    module._jit = lambda f: nb.njit(**jit_inline)(f)
    if path is not None:
        if not path.exists() or path.read_text() != source:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(source)
            os.replace(tmp, path)
            _cache.prune(keep=digest)  # a new kernel: keep the cache within its bound
        else:
            _cache.touch(path)
        module.__file__ = str(path)
        sys.modules[name] = module  # numba's cache may refer to the module's namedtuple by name
        code = compile(source, str(path), "exec")
    else:
        code = compile(source, f"<{name}>", "exec")
    exec(code, module.__dict__)
    return module


def load_module(source: str, injected: dict, digest: str, cacheable: bool = True):
    """Execute a generated kernels module (its functions decorated ``@_jit``) backed by the disk
    cache when one may be used: the SINDy and tangent kernels are cached exactly like the integrators'."""
    return _import(source, injected, digest, cacheable)


def on_disk(digest: str, function: str) -> bool:
    """Whether numba's disk cache holds ``function`` of the generated module ``digest``."""
    return _on_disk_fn(digest, function)


def _is_plain_function(v) -> bool:
    return isinstance(v, types.FunctionType)


def _as_jit(fn):
    return _nb().njit(nogil=True)(fn)


def _param_values(params, names, arrays, lo, hi):
    ps = np.array([0.0 if k in arrays else float(params[k]) for k in names])
    pa = np.empty((len(arrays), hi - lo))
    for i, k in enumerate(arrays):
        pa[i] = params[k][lo:hi]
    return ps, pa


_GENERATED: dict = {}  # memory key -> (source, injected, cacheable, digest), or None when nothing can be generated


def _key(system, kind: str, tab: Tableau, params):
    names = tuple(params)
    return (system.rhs, kind, tab.name, names, tuple(k for k in names if np.ndim(params[k])))


def _generated(system, kind: str, tab: Tableau, params, x0):
    """The generated kernels source for this system, method and per-trajectory parameters (memoised)."""
    mem_key = _key(system, kind, tab, params)
    if mem_key not in _GENERATED:
        from dynlearn.systems._codegen import Unsupported, generate  # ast and inspect: not at import

        _, _, _, names, arrays = mem_key
        try:
            n = min(16, len(x0))
            x_test = np.array(x0[:n], dtype=np.float64)
            p_test = {k: (np.asarray(params[k], dtype=np.float64)[:n] if k in arrays else params[k]) for k in names}
            from collections import namedtuple

            namedtuple("_Check", names)  # names a namedtuple refuses (keywords, leading underscores)
            _GENERATED[mem_key] = generate(system, kind, tab, names, arrays, x_test, p_test)
        except (Unsupported, OSError, SyntaxError, TypeError, ValueError):
            _GENERATED[mem_key] = None
    return _GENERATED[mem_key]


def _kernels(system, kind: str, tab: Tableau, params, x0):
    """The loaded kernels module for this system, method and set of per-trajectory parameters, or None."""
    mem_key = _key(system, kind, tab, params)
    if mem_key in _LOADED:
        return _LOADED[mem_key]
    with _LOCK:
        if mem_key in _LOADED:
            return _LOADED[mem_key]
        module = None
        gen = _generated(system, kind, tab, params, x0)
        if gen is not None:
            source, injected, cacheable, digest = gen
            names, arrays = mem_key[3], mem_key[4]
            try:
                module = _import(source, injected, digest, cacheable)
                module.names, module.arrays = names, arrays
                _warm(module, kind, np.array(x0[:1], dtype=np.float64), params, names, arrays)
            except Exception as exc:  # noqa: BLE001 - anything that does not compile means "use numpy"
                if not _is_compile_failure(exc):
                    raise
                module = None
        _LOADED[mem_key] = module
        return module


def _is_compile_failure(exc: BaseException) -> bool:
    from dynlearn.systems._codegen import Unsupported

    nb = _numba
    if nb is not None and isinstance(exc, nb.core.errors.NumbaError):
        return True
    return isinstance(exc, Unsupported | OSError | SyntaxError | TypeError | ValueError | AttributeError | NameError)


def _warm(module, kind, x1, params, names, arrays) -> None:
    """Compile (or load from the disk cache) on this thread, integrating nothing."""
    import warnings

    ps, pa = _param_values(params, names, arrays, 0, 1)
    with warnings.catch_warnings():  # numba's advice on array layouts in right-hand sides compiled as written
        warnings.simplefilter("ignore", _nb().core.errors.NumbaPerformanceWarning)
        _call_once(module, kind, x1, ps, pa)


def _call_once(module, kind, x1, ps, pa) -> None:
    if kind == "fixed":
        module.fixed_kernel(x1, 0.0, 1e-3, 1, 1, ps, pa, np.empty((1, 1, x1.shape[1])), 1e12)
    else:
        module.adaptive_kernel(
            x1,
            np.array([0.0]),
            1e-6,
            1e-9,
            math.inf,
            ps,
            pa,
            np.empty((1, 1, x1.shape[1])),
            1e12,
            np.empty(x1.shape[1]),
        )


def expected_seconds(system, tab: Tableau, work: float, params, x0, numpy_seconds: float) -> float:
    """Estimated wall time of the compiled path: compile, or load from the disk cache, then ``work``
    stage evaluations of one trajectory. ``backend="auto"`` compiles when this beats ``numpy_seconds``."""
    if not available():
        return math.inf
    kind = "adaptive" if tab.adaptive else "fixed"
    mem_key = _key(system, kind, tab, params)
    run = work * STAGE_SECONDS * max(1.0, system.dim / 3) / max(1, min(os.cpu_count() or 1, 8))
    if mem_key in _LOADED:
        return run if _LOADED[mem_key] is not None else math.inf
    if numpy_seconds < LOAD_SECONDS:  # cannot win: do not even generate the source
        return math.inf
    gen = _generated(system, kind, tab, params, x0)
    if gen is None:
        return math.inf
    return run + (LOAD_SECONDS if _on_disk(gen[3], kind) else COMPILE_SECONDS[kind])


def _on_disk(digest: str, kind: str) -> bool:
    """Whether numba's cache holds the kernel of this generated module."""
    return _on_disk_fn(digest, f"{kind}_kernel")


def _pool_map(fn, items, threads):
    n_threads = max(1, min(threads or os.cpu_count() or 1, 8))
    if n_threads > 1 and len(items) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(n_threads, len(items))) as pool:
            return list(pool.map(fn, items))
    return [fn(b) for b in items]


def fixed(system, tab: Tableau, x0, out, *, t0, h, n_sub, params, blowup, threads=None):
    """Fill ``out[:, 1:]`` by ``tab`` with ``n_sub`` steps of ``h`` per output point.

    Returns ``None`` when the compiled path is unavailable (the caller then
    uses numpy), else ``(trajectory, output_step, t)`` of the earliest
    divergence, or ``(-1, -1, t)`` on success.
    """
    if not available():
        return None
    module = _kernels(system, "fixed", tab, params, x0)
    if module is None:
        return None
    B = x0.shape[0]
    n_threads = max(1, min(threads or os.cpu_count() or 1, 8))
    chunk = max(16, min(CHUNK, math.ceil(B / n_threads)))
    bounds = [(lo, min(B, lo + chunk)) for lo in range(0, B, chunk)]
    n_points = out.shape[1]

    def run(bound):
        lo, hi = bound
        ps, pa = _param_values(params, module.names, module.arrays, lo, hi)
        res = module.fixed_kernel(np.ascontiguousarray(x0[lo:hi]), t0, h, n_sub, n_points, ps, pa, out[lo:hi], blowup)
        return lo, res

    results = _pool_map(run, bounds, threads)
    fails = [(int(i), lo + int(b), float(t)) for lo, (b, i, t) in results if b >= 0]
    if not fails:
        return -1, -1, 0.0
    step, traj, t = min(fails)
    return traj, step, t


def adaptive(system, x0, t_out, *, params, rtol, atol, max_step, blowup, threads=None, tab: Tableau = DOPRI5):
    """States ``(batch, n, dim)`` on ``t_out`` by compiled Dormand–Prince, and the first failure
    ``(trajectory, t, state, reason)`` or ``None``; ``None`` when the compiled path is unavailable."""
    if not available():
        return None
    module = _kernels(system, "adaptive", tab, params, x0)
    if module is None:
        return None
    B, D = x0.shape
    out = np.empty((B, len(t_out), D))
    n_threads = max(1, min(threads or os.cpu_count() or 1, 8))
    chunk = max(1, min(64, math.ceil(B / (4 * n_threads))))  # small chunks: trajectories differ in cost
    bounds = [(lo, min(B, lo + chunk)) for lo in range(0, B, chunk)]
    t_out = np.ascontiguousarray(t_out, dtype=np.float64)

    def run(bound):
        lo, hi = bound
        ps, pa = _param_values(params, module.names, module.arrays, lo, hi)
        state = np.empty(D)
        b, t, code = module.adaptive_kernel(
            np.ascontiguousarray(x0[lo:hi]), t_out, rtol, atol, max_step, ps, pa, out[lo:hi], blowup, state
        )
        return lo + b if b >= 0 else -1, t, code, state

    results = [r for r in _pool_map(run, bounds, threads) if r[0] >= 0]
    if not results:
        return out, None
    j, t, code, state = min(results, key=lambda r: r[0])
    reason = "exceeded the blow-up bound" if code == 1 else "step size collapsed (finite-time blow-up or stiffness)"
    return out, (j, float(t), state, reason)


def clear() -> None:
    """Forget the kernels loaded in this process (the disk cache stays)."""
    _LOADED.clear()
