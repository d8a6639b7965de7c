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

Only what compiles is used: :func:`compiled_qr` returns ``None`` (the caller
then steps in numpy) without numba, for an analytic Python ``jacobian``, for
per-trajectory parameter arrays, or when the right-hand side does not compile
or its compiled tangent disagrees with :meth:`System.jac` on attractor points.
"""

from __future__ import annotations

import importlib.util
from collections import namedtuple

import numpy as np

from dynlearn.systems._tableau import RK4

_NUMBA = None  # imported on first compile: `import dynlearn.systems` must not load numba


def _numba():
    global _NUMBA
    if _NUMBA is None:
        import numba

        _NUMBA = numba
    return _NUMBA

_COMPLEX_H = 1e-30
_FD_REL = 1e-6
_CACHE: dict = {}  # (rhs, mode) -> compiled dispatcher or None
_KERNELS: dict = {}
_PARAM_TYPES: dict = {}


def _kernels():
    if _KERNELS:
        return _KERNELS
    numba = _numba()

    @numba.njit(nogil=True)
    def tangent_complex(rhs, x, Q, t, p, z, zr, J, fx, JQ):  # pragma: no cover - compiled
        B, d = x.shape
        for b in range(B):
            for k in range(d):
                r = b * d + k
                for i in range(d):
                    z[r, i] = complex(x[b, i], _COMPLEX_H * Q[b, i, k])
        fz = rhs(z, t, p)
        for b in range(B):
            for i in range(d):
                fx[b, i] = fz[b * d, i].real
            for k in range(d):
                for i in range(d):
                    JQ[b, i, k] = fz[b * d + k, i].imag / _COMPLEX_H

    @numba.njit(nogil=True)
    def tangent_fd(rhs, x, Q, t, p, z, zr, J, fx, JQ):  # pragma: no cover - compiled
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
        fz = rhs(zr, t, p)
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

    @numba.njit(nogil=True)
    def run(tangent, rhs, x, Q, t0, h, n, p, logs, is_map, blowup, a, bw, c):  # pragma: no cover - compiled
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
                tangent(rhs, x, Q, t, p, z, zr, J, fx, JQ)
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
                    tangent(rhs, xs, Qs, t + c[st] * h, p, z, zr, J, fx, JQ)
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

    _KERNELS.update(complex=tangent_complex, fd=tangent_fd, run=run)
    return _KERNELS


def _params(p) -> tuple | None:
    names = tuple(p)
    if any(np.ndim(v) for v in p.values()):
        return None
    try:
        if names not in _PARAM_TYPES:
            _PARAM_TYPES[names] = namedtuple("TangentParams", names)
        return _PARAM_TYPES[names](**{k: float(v) for k, v in p.items()})
    except ValueError:  # a name namedtuple refuses
        return None


def _candidates(system) -> list:
    """The integrator's one-loop form of the right-hand side when it can be
    generated (no array temporaries; see ``systems/_codegen.py``), then the
    function itself. Each is checked against ``System.jac`` before use."""
    out = []
    try:
        from dynlearn.systems._codegen import _globals_of, _loop_form

        src, fn = _loop_form(system.rhs)
        if src is not None:
            ns = {"np": np, **_globals_of([fn])}
            exec(compile(src, f"<rows of {system.name}>", "exec"), ns)
            rows = _numba().njit(nogil=True)(ns["_rhs_rows"])

            def looped(x, t, p):
                res = np.empty_like(x)
                rows(x, t, p, res, 0, x.shape[0])
                return res

            out.append(looped)
    except Exception:  # noqa: BLE001 - the loop form is an optimisation only
        pass
    return [*out, system.rhs]


def _compile(system, mode: str, P, p, x_test: np.ndarray):
    """The right-hand side compiled for ``mode``, checked at ``x_test``; ``None`` if it fails."""
    key = (system.rhs, mode)
    if key in _CACHE:
        return _CACHE[key]
    _CACHE[key] = None
    k = _kernels()
    x_test = np.ascontiguousarray(x_test[:4], dtype=np.float64)
    B, d = x_test.shape
    for fn in _candidates(system):
        rhs = _numba().njit(nogil=True)(fn)
        try:
            Qt = np.ascontiguousarray(np.broadcast_to(np.eye(d), (B, d, d)))
            fx, JQ = np.empty((B, d)), np.empty((B, d, d))
            z, zr = np.empty((B * d, d), np.complex128), np.empty((B * (2 * d + 1), d))
            with np.errstate(all="ignore"):
                k[mode](rhs, x_test, Qt, 0.0, P, z, zr, np.empty((B, d, d)), fx, JQ)
                ref = system.jac(x_test, 0.0, p)
                f_ref = system.rhs(x_test, 0.0, p)
        except Exception:  # noqa: BLE001 - numba typing errors and anything the rhs raises: not compilable
            continue
        scale = max(1.0, float(np.abs(ref).max()))
        tol = 1e-9 if mode == "complex" else 1e-5
        if np.allclose(JQ, ref, rtol=tol, atol=tol * scale) and np.allclose(fx, f_ref, rtol=1e-12, atol=1e-12):
            _CACHE[key] = rhs
            break
    return _CACHE[key]


def compiled_qr(system, p, x_test: np.ndarray):
    """A function ``step(x, Q, t0, h, n, logs) -> (traj, step)`` running the
    compiled QR loop for ``system`` with parameters ``p``, or ``None``.

    The first use compiles the right-hand side for the tangent mode and checks
    the compiled ``f`` and ``J Q`` against :meth:`System.jac` at the states
    ``x_test`` (relative 1e-9 for the complex step, 1e-5 for differences); a
    mismatch (e.g. a non-analytic function under the complex step) means
    trying the next mode, then ``None``. The complex step is tried first for
    an analytic ``jacobian``, differences for ``jacobian="fd"``."""
    if not available() or system.kind == "delay":
        return None
    P = _params(p)
    if P is None:
        return None
    # an analytic ``jacobian`` is the reference the compiled tangent is checked against
    modes = ("fd",) if system.jacobian == "fd" else ("complex", "fd") if callable(system.jacobian) else ("complex",)
    for mode in modes:
        rhs = _compile(system, mode, P, p, x_test)
        if rhs is not None:
            break
    else:
        return None
    k = _kernels()
    is_map = system.kind == "map"
    tangent, run = k[mode], k["run"]

    def step(x, Q, t0, h, n, logs, blowup):
        b, i = run(
            tangent, rhs, x, Q, float(t0), float(h), int(n), P, logs, is_map, float(blowup), RK4.a_f, RK4.b_f, RK4.c_f
        )
        return int(b), int(i)

    return step


def available() -> bool:
    return importlib.util.find_spec("numba") is not None
