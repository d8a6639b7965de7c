"""Simulation of polynomial SINDy models: a generated Python step, or one compiled loop (numba).

A polynomial model ``x' = C θ(x)`` (or the map ``x_{k+1} = C θ(x_k)``) with
``θ_k(x) = Π_j x[idx[k, j]]`` (``idx`` -1: no factor, so a row of -1 is the
constant) is integrated by classical RK4 with ``substeps`` steps per sampling
step. A trajectory whose state leaves the finite numbers (``|x| > 1e12`` or
NaN) is NaN from that step on. Two implementations give the same numbers:

* **generated** (:func:`simulate_python`): the learned equations written out as
  one Python function per model, with only the non-zero terms and the RK4
  stages unrolled (for Lorenz the first stage's ``x0'`` is
  ``k0_0 = -10.0 * t1 + 10.0 * t2``, ``t1 = x0`` and ``t2 = x1`` being library
  terms); it runs on Python floats for one trajectory and on numpy columns for
  a batch. It needs no compiler, so it answers at once in a fresh process:
  6-9 µs per RK4 step of Lorenz (7 terms) on the shared, loaded 2-core
  machine where it was measured.
* **compiled** (:func:`simulate_poly`): one numba loop over the batch that
  takes the model as arrays, so one machine-code kernel serves every model; it
  is written to dynlearn's private, size-bounded kernel cache (see
  :mod:`dynlearn.systems._cache`) and loaded from there by later processes.
  Importing numba and loading the kernel cost a fixed 1.1–4.4 s per process
  in the measurements of ``docs/performance.md``, after which a step costs
  nanoseconds.

Both perform the kernel's floating-point operations in the same order (the
zero terms the generated code leaves out add exact zeros in the kernel), so
they agree to the last bit; :func:`choose` picks the cheaper one for a request
(``backend="auto"``) from counted operations and the fixed cost of numba.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import math
import sys

import numpy as np

from dynlearn.systems._tableau import RK4

_KERNEL = None  # the loaded compiled kernel
BLOWUP = 1e12
# Cost model of backend="auto", measured on the shared 2-core machine at load 8-13 (all of them
# slower than on an idle core, in about the same proportion; only their ratios decide):
#: seconds per counted operation of the generated step: one trajectory on Python floats; a batch on
#: numpy columns (per operation, plus per operation and row)
PY_OP_SECONDS = 6e-8
NP_OP_SECONDS, NP_ROW_SECONDS = 1.5e-6, 1.3e-9
#: compiled seconds per counted operation and trajectory
NB_OP_SECONDS = 5e-9
#: a fresh process's import of numba plus the kernel's load from the disk cache (1.3 s measured at
#: load 8, 4.4 s at load 13), and the kernel's compilation when it is not on disk (3-5 s, more loaded)
LOAD_SECONDS = 1.3
COMPILE_SECONDS = 5.0


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


def _kernel_module():
    """Source, injected globals and cache digest of the compiled kernel's module."""
    from dynlearn.systems._codegen import _numba_version

    source = "# generated by dynlearn.models._sindy_compiled; do not edit\nimport numpy as np\n\n\n@_jit\n"
    source += inspect.getsource(_simulate)
    key = "\n".join([source, repr(BLOWUP), sys.version, _numba_version(), np.__version__])
    return source, {"BLOWUP": BLOWUP}, hashlib.sha256(key.encode()).hexdigest()[:32]


def _kernel():
    global _KERNEL
    if _KERNEL is None:
        from dynlearn.systems import _compiled

        source, injected, digest = _kernel_module()
        _KERNEL = _compiled.load_module(source, injected, digest)._simulate
    return _KERNEL


def simulate_poly(
    x0: np.ndarray, idx: np.ndarray, C: np.ndarray, dt: float, n_steps: int, substeps: int, discrete: bool
) -> np.ndarray:
    """States ``(batch, n_steps, dim)`` after ``x0`` ``(batch, dim)`` by the compiled kernel."""
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


# --------------------------------------------------------------------------- generated Python step


def _sum(terms: list[str]) -> str:
    return " + ".join(terms) if terms else "0.0"


def step_source(idx: np.ndarray, C: np.ndarray, discrete: bool) -> tuple[str, int]:
    """Python source of ``_step(x0, ..., x{d-1}, h, n_sub)`` advancing one sampling step, and the
    number of arithmetic operations it performs per sampling step (for :func:`choose`).

    Only non-zero coefficients and the library terms they use appear; sums and products keep the
    compiled kernel's order, so both give the same floating-point numbers."""
    d, n_terms = C.shape
    used = [k for k in range(n_terms) if np.any(C[:, k] != 0.0)]
    xs = [f"x{i}" for i in range(d)]
    a, bw = RK4.a_f, RK4.b_f
    stages = 1 if discrete else len(bw)
    L = [f"def _step({', '.join(xs)}, h, n_sub):"]
    ops = 0
    ind = "    "
    if not discrete:
        L.append(f"{ind}for _ in range(n_sub):")
        ind += "    "
    for st in range(stages):
        for i in range(d):
            terms = [f"{float(a[st, j])!r} * k{j}_{i}" for j in range(st) if a[st, j] != 0.0]
            L.append(f"{ind}y{i} = x{i} + h * ({_sum(terms)})" if terms else f"{ind}y{i} = x{i}")
            ops += 2 * len(terms) + (1 if terms else 0)
        for k in used:
            factors = [f"y{j}" for j in idx[k] if j >= 0]
            L.append(f"{ind}t{k} = {' * '.join(factors) if factors else '1.0'}")
            ops += max(0, len(factors) - 1)
        for i in range(d):
            terms = [f"{float(C[i, k])!r} * t{k}" for k in used if C[i, k] != 0.0]
            # long sums in chunks, left to right as before (Python's compiler recurses on long expressions)
            L.append(f"{ind}k{st}_{i} = {_sum(terms[:64])}")
            for lo in range(64, len(terms), 64):
                L.append(f"{ind}k{st}_{i} = k{st}_{i} + {_sum(terms[lo : lo + 64])}")
            ops += 2 * len(terms)
    for i in range(d):
        if discrete:
            L.append(f"{ind}x{i} = k0_{i}")
        else:
            terms = [f"{float(bw[st])!r} * k{st}_{i}" for st in range(stages) if bw[st] != 0.0]
            L.append(f"{ind}x{i} = x{i} + h * ({_sum(terms)})")
            ops += 2 * len(terms) + 1
    L.append(f"    return {', '.join(xs)}{',' if d == 1 else ''}")
    return "\n".join(L) + "\n", max(ops, 1)


_STEPS: dict = {}  # (idx, C, discrete) bytes -> (step function, operations per sampling step)


def _step(idx: np.ndarray, C: np.ndarray, discrete: bool):
    key = (idx.tobytes(), idx.shape, C.tobytes(), C.shape, discrete)
    if key not in _STEPS:
        if len(_STEPS) > 64:
            _STEPS.clear()
        source, ops = step_source(idx, C, discrete)
        ns: dict = {}
        exec(compile(source, "<sindy model>", "exec"), ns)  # source built from numbers only (repr of floats)
        _STEPS[key] = ns["_step"], ops
    return _STEPS[key]


def simulate_python(
    x0: np.ndarray, idx: np.ndarray, C: np.ndarray, dt: float, n_steps: int, substeps: int, discrete: bool
) -> np.ndarray:
    """States ``(batch, n_steps, dim)`` after ``x0`` ``(batch, dim)`` by the generated step
    (same numbers as :func:`simulate_poly`)."""
    x0 = np.asarray(x0, dtype=np.float64)
    B, d = x0.shape
    step, _ = _step(np.asarray(idx, dtype=np.int64), np.asarray(C, dtype=np.float64), discrete)
    h, n_sub = float(dt) / substeps, 1 if discrete else int(substeps)
    out = np.full((B, n_steps, d), np.nan)
    if B == 1:  # Python floats: no per-operation numpy overhead
        x = tuple(float(v) for v in x0[0])
        rows = []
        for _ in range(n_steps):
            x = step(*x, h, n_sub)
            if not all(abs(v) <= BLOWUP for v in x):
                break
            rows.append(x)
        if rows:
            out[0, : len(rows)] = rows
        return out
    cols = tuple(x0[:, i].copy() for i in range(d))
    alive = np.ones(B, dtype=bool)
    with np.errstate(all="ignore"):
        for s in range(n_steps):
            cols = step(*cols, h, n_sub)
            for i in range(d):
                alive &= np.abs(cols[i]) <= BLOWUP
                out[:, s, i] = cols[i]
            if not alive.all():
                out[~alive, s] = np.nan
                if not alive.any():
                    break
    return out


def choose(batch: int, n_steps: int, substeps: int, idx: np.ndarray, C: np.ndarray, discrete: bool) -> str:
    """``"python"`` or ``"numba"``, whichever is expected to answer first for this request.

    Generated: operations × (60 ns on floats for one trajectory, or 1.5 µs + 1.3 ns per row on numpy
    columns). Compiled: operations × 5 ns per trajectory, plus importing numba and loading the kernel
    from the disk cache (:data:`LOAD_SECONDS`) or compiling it (:data:`COMPILE_SECONDS`) unless this
    process already did. The decision depends only on the request's sizes and the cache's state,
    never on a clock, so the same call makes the same choice (and both give the same numbers)."""
    if not available():
        return "python"
    _, ops = _step(np.asarray(idx, dtype=np.int64), np.asarray(C, dtype=np.float64), discrete)
    work = ops * n_steps * (1 if discrete else substeps)
    py = work * (PY_OP_SECONDS if batch == 1 else NP_OP_SECONDS + NP_ROW_SECONDS * batch)
    nb = work * batch * NB_OP_SECONDS
    if _KERNEL is None:
        if py < LOAD_SECONDS:  # cannot lose to the fixed cost: do not even look at the cache
            return "python"
        from dynlearn.systems import _compiled

        nb += LOAD_SECONDS if _compiled.on_disk(_kernel_module()[2], "_simulate") else COMPILE_SECONDS
    return "python" if py <= nb or not math.isfinite(nb) else "numba"
