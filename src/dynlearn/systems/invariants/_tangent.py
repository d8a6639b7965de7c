"""Compiled QR tangent integration (numba), used by :mod:`.precision`.

One call advances a batch of states ``x (B, d)`` and orthonormal frames
``Q (B, d, d)`` by ``n`` steps and accumulates ``log R_jj`` of the
re-orthonormalisation after every step, exactly as the numpy loop of
:func:`~dynlearn.systems.invariants.estimate_lyapunov` does, but in one
compiled loop:

* flows: classical RK4 on the pair ``(x, Q)`` with ``dQ/dt = J(x) Q``;
  maps: ``x <- f(x)``, ``Q <- J(x) Q``;
* ``J q_k`` by the complex step (Squire & Trapp 1998, SIAM Rev. 40, 110):
  the right-hand side is evaluated once on the ``B d`` complex points
  ``x + i h q_k`` (``h = 1e-30``), ``Re f = f(x)`` and ``Im f / h = J q_k``,
  exact to rounding for analytic right-hand sides; systems declared with
  ``jacobian="fd"`` use central differences per coordinate (the same
  ``J`` as :meth:`System.jac`);
* re-orthonormalisation by modified Gram–Schmidt (``Q R = Z``, ``R_jj > 0``).

**Disk cache.** For each system and tangent mode one small module is
generated (the right-hand side's loop form or the function as written, the
tangent and QR loops below, and a ``qr_run`` entry point that packs the
parameters) and loaded through :func:`dynlearn.systems._compiled.load_module`,
so numba keeps its machine code in dynlearn's private, size-bounded kernel
cache (:mod:`dynlearn.systems._cache`) and a fresh process loads it instead
of compiling again; the module's name hashes everything the code depends on.

Only what compiles is used: :func:`compiled_qr` returns ``None`` (the caller
then steps in numpy) without numba, for an analytic Python ``jacobian``, for
per-trajectory parameter arrays, or when the right-hand side does not compile
or its compiled tangent disagrees with :meth:`System.jac` on attractor points.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from collections import namedtuple

import numpy as np

from dynlearn.systems._tableau import RK4

_COMPLEX_H = 1e-30
_FD_REL = 1e-6
_CACHE: dict = {}  # (rhs, mode, parameter names) -> loaded generated module, or None


# The three loops below are not compiled here: their source is written into each system's generated
# module (see _module_source), where numba compiles them with the system's right-hand side and caches them.
# There ``_rhs`` is the system's compiled right-hand side and ``_tangent`` one of the two tangent loops:
# calling them as globals, not passing them as arguments, is what lets numba cache the machine code.
_rhs = _tangent = None


def _tangent_complex(x, Q, t, p, z, zr, J, fx, JQ):  # pragma: no cover - compiled
    B, d = x.shape
    for b in range(B):
        for k in range(d):
            r = b * d + k
            for i in range(d):
                z[r, i] = complex(x[b, i], _COMPLEX_H * Q[b, i, k])
    fz = _rhs(z, t, p)
    for b in range(B):
        for i in range(d):
            fx[b, i] = fz[b * d, i].real
        for k in range(d):
            for i in range(d):
                JQ[b, i, k] = fz[b * d + k, i].imag / _COMPLEX_H


def _tangent_fd(x, Q, t, p, z, zr, J, fx, JQ):  # pragma: no cover - compiled
    # rows: B points x, then for each (b, j) the pair x +- eps e_j
    B, d = x.shape
    for b in range(B):
        for i in range(d):
            zr[b, i] = x[b, i]
        for j in range(d):
            r = B + 2 * (b * d + j)
            for i in range(d):
                zr[r, i] = x[b, i]
                zr[r + 1, i] = x[b, i]
            eps = _FD_REL * max(1.0, abs(x[b, j]))
            zr[r, j] += eps
            zr[r + 1, j] -= eps
    fz = _rhs(zr, t, p)
    for b in range(B):
        for i in range(d):
            fx[b, i] = fz[b, i]
        for j in range(d):
            r = B + 2 * (b * d + j)
            eps = _FD_REL * max(1.0, abs(x[b, j]))
            for i in range(d):
                J[b, i, j] = (fz[r, i] - fz[r + 1, i]) / (2.0 * eps)
        for i in range(d):
            for k in range(d):
                s = 0.0
                for j in range(d):
                    s += J[b, i, j] * Q[b, j, k]
                JQ[b, i, k] = s


def _run(x, Q, t0, h, n, p, logs, is_map, blowup, a, bw, c):  # pragma: no cover - compiled
    """Advance ``n`` steps of the explicit Runge–Kutta method ``(a, bw, c)``
    (a Butcher tableau of :mod:`dynlearn.systems._tableau`, as float arrays)
    on the state and its tangent frame; returns (-1, n) or (trajectory,
    step) of a blow-up / degenerate frame."""
    B, d = x.shape
    s = bw.shape[0]
    z = np.empty((B * d, d), dtype=np.complex128)
    zr = np.empty((B * (2 * d + 1), d))
    J = np.empty((B, d, d))
    fx = np.empty((B, d))
    JQ = np.empty((B, d, d))
    xs = np.empty((B, d))
    Qs = np.empty((B, d, d))
    Kx = np.empty((s, B, d))
    KQ = np.empty((s, B, d, d))
    for step in range(n):
        t = t0 + step * h
        if is_map:
            _tangent(x, Q, t, p, z, zr, J, fx, JQ)
            x[:, :] = fx
            Q[:, :, :] = JQ
        else:
            for st in range(s):
                for b in range(B):
                    for i in range(d):
                        acc = 0.0
                        for j in range(st):
                            acc += a[st, j] * Kx[j, b, i]
                        xs[b, i] = x[b, i] + h * acc
                        for k in range(d):
                            acc = 0.0
                            for j in range(st):
                                acc += a[st, j] * KQ[j, b, i, k]
                            Qs[b, i, k] = Q[b, i, k] + h * acc
                _tangent(xs, Qs, t + c[st] * h, p, z, zr, J, fx, JQ)
                Kx[st] = fx
                KQ[st] = JQ
            for b in range(B):
                for i in range(d):
                    acc = 0.0
                    for st in range(s):
                        acc += bw[st] * Kx[st, b, i]
                    x[b, i] += h * acc
                    for k in range(d):
                        acc = 0.0
                        for st in range(s):
                            acc += bw[st] * KQ[st, b, i, k]
                        Q[b, i, k] += h * acc
        for b in range(B):
            for i in range(d):
                if not abs(x[b, i]) <= blowup:  # also catches NaN
                    return b, step
            # modified Gram-Schmidt on the columns of Q[b]
            for j in range(d):
                for i in range(j):
                    r = 0.0
                    for k in range(d):
                        r += Q[b, k, i] * Q[b, k, j]
                    for k in range(d):
                        Q[b, k, j] -= r * Q[b, k, i]
                nrm = 0.0
                for k in range(d):
                    nrm += Q[b, k, j] * Q[b, k, j]
                nrm = np.sqrt(nrm)
                if not (nrm > 0.0 and nrm < np.inf):
                    return b, step
                logs[b, j] += np.log(nrm)
                for k in range(d):
                    Q[b, k, j] /= nrm
    return -1, n


def _names(p) -> tuple | None:
    """Parameter names for the generated ``_P`` namedtuple, or ``None`` (per-trajectory arrays, bad names)."""
    names = tuple(p)
    if any(np.ndim(v) for v in p.values()):
        return None
    try:
        namedtuple("_Check", names)
    except ValueError:  # a name namedtuple refuses
        return None
    return names


def _module_source(system, mode: str, names: tuple, candidate: int):
    """``(source, injected globals, cacheable, digest)`` of the generated module for one right-hand
    side form (0: the integrators' one-loop rewrite, 1: the function as written), or ``None``."""
    from dynlearn.systems._codegen import _fingerprint, _globals_of, _loop_form, _numba_version, _slice_source

    if candidate == 0:
        rows, owner = _loop_form(system.rhs)
        if rows is None:
            return None
        fns = [owner]
    else:
        rows, fns = _slice_source(system.rhs, names, ()), [system.rhs]
    if not rows.startswith("@_jit"):
        rows = "@_jit\n" + rows
    tangent = {"complex": _tangent_complex, "fd": _tangent_fd}[mode]
    loops = f"@_jit\n{inspect.getsource(tangent)}\n_tangent = {tangent.__name__}\n\n\n@_jit\n{inspect.getsource(_run)}"
    pack = f"_P({', '.join(f'ps[{i}]' for i in range(len(names)))})"
    source = (
        f"# generated by dynlearn.systems.invariants._tangent for {system.name} ({mode}); do not edit\n"
        "import numpy as np\nfrom collections import namedtuple\n\n"
        f"_COMPLEX_H = {_COMPLEX_H!r}\n_FD_REL = {_FD_REL!r}\n_P = namedtuple('_P', {list(names)!r})\n\n\n"
        f"{rows}\n\n@_jit\ndef _rhs(x, t, p):\n    res = np.empty_like(x)\n"
        "    _rhs_rows(x, t, p, res, 0, x.shape[0])\n    return res\n\n\n"
        f"{loops}\n\n"
        "@_jit\ndef qr_run(x, Q, t0, h, n, ps, logs, is_map, blowup, a, bw, c):\n"
        f"    return _run(x, Q, t0, h, n, {pack}, logs, is_map, blowup, a, bw, c)\n\n\n"
        "@_jit\ndef qr_tangent(x, Q, t, ps, z, zr, J, fx, JQ):\n"
        f"    _tangent(x, Q, t, {pack}, z, zr, J, fx, JQ)\n"
    )
    injected = _globals_of(fns)
    prints = [_fingerprint(injected[k]) for k in sorted(injected)]
    cacheable = None not in prints
    key = "\n".join([source, *map(str, prints), sys.version, _numba_version(), np.__version__])
    import hashlib

    return source, injected, cacheable, hashlib.sha256(key.encode()).hexdigest()[:32]


def _compile(system, mode: str, names: tuple, p, x_test: np.ndarray):
    """The generated module for ``mode``, its tangent checked at ``x_test``; ``None`` if it fails."""
    key = (system.rhs, mode, names)
    if key in _CACHE:
        return _CACHE[key]
    _CACHE[key] = None
    from dynlearn.systems._compiled import load_module

    x_test = np.ascontiguousarray(x_test[:4], dtype=np.float64)
    B, d = x_test.shape
    ps = np.array([float(p[k]) for k in names])
    for candidate in (0, 1):
        try:
            gen = _module_source(system, mode, names, candidate)
            if gen is None:
                continue
            source, injected, cacheable, digest = gen
            module = load_module(source, injected, digest, cacheable=cacheable)
            Qt = np.ascontiguousarray(np.broadcast_to(np.eye(d), (B, d, d)))
            fx, JQ = np.empty((B, d)), np.empty((B, d, d))
            z, zr = np.empty((B * d, d), np.complex128), np.empty((B * (2 * d + 1), d))
            with np.errstate(all="ignore"):
                module.qr_tangent(x_test, Qt, 0.0, ps, z, zr, np.empty((B, d, d)), fx, JQ)
                ref = system.jac(x_test, 0.0, p)
                f_ref = system.rhs(x_test, 0.0, p)
        except Exception:  # noqa: BLE001 - numba typing errors and anything the rhs raises: not compilable
            continue
        scale = max(1.0, float(np.abs(ref).max()))
        tol = 1e-9 if mode == "complex" else 1e-5
        if np.allclose(JQ, ref, rtol=tol, atol=tol * scale) and np.allclose(fx, f_ref, rtol=1e-12, atol=1e-12):
            _CACHE[key] = module
            break
    return _CACHE[key]


def compiled_qr(system, p, x_test: np.ndarray):
    """A function ``step(x, Q, t0, h, n, logs) -> (traj, step)`` running the
    compiled QR loop for ``system`` with parameters ``p``, or ``None``.

    The first use compiles (or loads from the disk cache) the right-hand side
    for the tangent mode and checks the compiled ``f`` and ``J Q`` against
    :meth:`System.jac` at the states ``x_test`` (relative 1e-9 for the complex
    step, 1e-5 for differences); a mismatch (e.g. a non-analytic function
    under the complex step) means trying the next mode, then ``None``. The
    complex step is tried first for an analytic ``jacobian``, differences for
    ``jacobian="fd"``."""
    if not available() or system.kind == "delay":
        return None
    names = _names(p)
    if names is None:
        return None
    # an analytic ``jacobian`` is the reference the compiled tangent is checked against
    modes = ("fd",) if system.jacobian == "fd" else ("complex", "fd") if callable(system.jacobian) else ("complex",)
    for mode in modes:
        module = _compile(system, mode, names, p, x_test)
        if module is not None:
            break
    else:
        return None
    is_map = system.kind == "map"
    ps = np.array([float(p[k]) for k in names])

    def step(x, Q, t0, h, n, logs, blowup):
        b, i = module.qr_run(
            x, Q, float(t0), float(h), int(n), ps, logs, is_map, float(blowup), RK4.a_f, RK4.b_f, RK4.c_f
        )
        return int(b), int(i)

    return step


def available() -> bool:
    return importlib.util.find_spec("numba") is not None
