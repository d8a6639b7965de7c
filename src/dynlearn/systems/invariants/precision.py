"""Lyapunov spectrum to a stated precision: the QR method with sequential stopping.

:func:`lyapunov_to_precision` runs the QR method of
:func:`~dynlearn.systems.invariants.estimate_lyapunov` (Benettin et al. 1980,
Meccanica 15, 9; Shimada & Nagashima 1979, Prog. Theor. Phys. 61, 1605) on a
batch of ``B`` trajectories, but in rounds: after each round the estimate of
trajectory ``b`` is ``λ_b = Σ log R_jj / T`` over its whole measured time
``T``, the exponent is their mean and its standard error
``SE = std(λ_b) / √B``. The run stops at the first check where

    SE(λ_1) ≤ max(rel_se · |λ_1|, abs_se)

or when ``max_steps`` measured steps are reached (the cap; ``reached`` then
says the target was missed). Checks come at geometrically growing lengths
(each round at least 1.5× and at most 4× longer than the run so far, aimed
at the length that ``SE ∝ T^(-1/2)`` predicts), so the optional-stopping
bias of looking at a noisy ``SE`` is small.

Long runs matter for the mean too, not only its spread: the frame's
alignment transient adds an ``O(1)`` offset to ``Σ log R_jj`` and so an
``O(1/T)`` bias (e.g. Rössler's zero exponent comes out positive on short
runs). The stepping is compiled (:mod:`._tangent`) when numba is installed,
which makes runs of 10^5–10^6 steps per trajectory affordable.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from dynlearn._validation import check_positive
from dynlearn.errors import DivergenceError, ValidationError
from dynlearn.systems._stepper import rk_step
from dynlearn.systems._tableau import RK4
from dynlearn.systems.base import System
from dynlearn.systems.integrate import BLOWUP, integrate
from dynlearn.systems.invariants import _tangent as _compiled_tangent
from dynlearn.systems.invariants.lyapunov import LyapunovEstimate, _start_states, _tangent

#: trajectory-steps in one round above which ``backend="auto"`` compiles (numpy: ~3 s of work)
SWITCH_WORK = 100_000
#: ``backend="auto"`` without a compiled tangent stops after this many measured trajectory-steps (~1 min of numpy)
NUMPY_MAX_WORK = 2_000_000


@dataclass(frozen=True)
class PrecisionEstimate(LyapunovEstimate):
    """A :class:`LyapunovEstimate` with the stopping rule's outcome: the
    relative and absolute ``target`` on ``SE(λ_1)``, whether it was
    ``reached`` before the step cap, the ``backend`` that stepped last
    (``"numba"`` or ``"numpy"``), the wall-clock ``seconds`` and
    ``per_trajectory``, the ``λ_1`` of each trajectory (shape ``(B,)``):
    trajectories that disagree by more than their noise (some regular, some
    chaotic) mean a mixed phase space or coexisting attractors, where longer
    runs do not shrink the standard error."""

    rel_se: float = math.nan
    abs_se: float = 0.0
    reached: bool = False
    backend: str = "numpy"
    seconds: float = 0.0
    per_trajectory: np.ndarray | None = None

    @property
    def relative_stderr(self) -> float:
        """``SE(λ_1) / |λ_1|``."""
        lam = abs(float(self.spectrum[0]))
        return float(self.stderr[0]) / lam if lam > 0 else math.inf


def _numpy_stepper(system: System, p):
    """The same loop as the compiled one, in numpy (complex-step or ``jac`` tangents)."""
    is_map = system.kind == "map"

    def step(x, Q, t0, h, n, logs, blowup):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for i in range(n):
                t = t0 + i * h
                if is_map:
                    xn, Qn = _tangent(system, x, Q, t, p)
                else:
                    xn, Qn = rk_step(lambda y, tt: _tangent(system, y[0], y[1], tt, p), (x, Q), t, h, RK4)
                bad = ~(np.abs(xn) <= blowup).all(axis=1)
                if bad.any():
                    return int(np.argmax(bad)), i
                Qn, R = np.linalg.qr(Qn)
                r = np.log(np.abs(np.diagonal(R, axis1=1, axis2=2)))
                if not np.isfinite(r).all():
                    return int(np.argmax(~np.isfinite(r).all(axis=1))), i
                x[:], Q[:] = xn, Qn
                logs += r
        return -1, n

    return step


def lyapunov_to_precision(
    system: System,
    *,
    rel_se: float = 0.02,
    abs_se: float = 0.0,
    dt: float | None = None,
    min_steps: int = 1000,
    max_steps: int = 1_000_000,
    align_steps: int = 2000,
    transient: int = 0,
    n_trajectories: int = 8,
    x0=None,
    seed: int = 0,
    params=None,
    backend: str = "auto",
) -> PrecisionEstimate:
    """Lyapunov spectrum (descending) with ``SE(λ_1) ≤ max(rel_se·|λ_1|, abs_se)``
    or ``max_steps`` measured steps per trajectory (see module doc).

    Start states are ``x0`` of shape ``(batch, dim)``, or ``n_trajectories``
    seeded 1% offsets of ``x0`` (default: the system's); they first run
    ``transient`` plain steps, then ``align_steps`` steps with the frame
    (discarded), then at least ``min_steps`` measured steps of size ``dt``
    (default ``system.dt``; maps: iterations). ``backend`` is ``"numpy"``,
    ``"numba"`` (an error if nothing compiles) or ``"auto"``: numpy, switching
    to the compiled loop (when available) from the first round of more than
    ``SWITCH_WORK`` trajectory-steps, so short estimates pay no compilation.
    The switch depends on the work only: same seed and settings, same numbers.
    When nothing compiles, ``"auto"`` also stops after ``NUMPY_MAX_WORK``
    measured trajectory-steps (``reached`` says whether the target was met).
    ``backend`` of the result names the last stepper used."""
    if system.kind == "delay":
        raise ValidationError(
            f"{system.name} is a delay equation (infinite-dimensional): use max_lyapunov_delay for λ_max"
        )
    if backend not in ("auto", "numba", "numpy"):
        raise ValidationError(f"backend must be 'auto', 'numba' or 'numpy', got {backend!r}")
    rel_se = check_positive(rel_se, "rel_se", allow_zero=True)
    abs_se = check_positive(abs_se, "abs_se", allow_zero=True)
    min_steps = check_positive(min_steps, "min_steps", integer=True)
    max_steps = max(min_steps, check_positive(max_steps, "max_steps", integer=True))
    align_steps = check_positive(align_steps, "align_steps", integer=True, allow_zero=True)
    transient = check_positive(transient, "transient", integer=True, allow_zero=True)
    is_map = system.kind == "map"
    h = 1.0 if is_map else check_positive(dt if dt is not None else system.dt, "dt")
    p = system.make_params(params)
    x = np.array(_start_states(system, check_positive(n_trajectories, "n_trajectories", integer=True), seed, x0))
    x = np.ascontiguousarray(x, dtype=np.float64)
    B, d = x.shape
    started = time.perf_counter()
    if transient:
        x = np.ascontiguousarray(integrate(system, x, n_points=transient + 1, dt=h, params=p, max_step=h)[:, -1])
    step, used = _numpy_stepper(system, p), "numpy"
    if backend == "numba":
        step, used = _compiled_tangent.compiled_qr(system, p, x), "numba"
        if step is None:
            raise ValidationError(
                f"{system.name}: no compiled tangent (numba missing, or the right-hand side does not compile); "
                "use backend='numpy' or 'auto'"
            )
    Q = np.ascontiguousarray(np.broadcast_to(np.eye(d), (B, d, d)))
    t = transient * h

    def advance(n: int, logs: np.ndarray) -> None:
        nonlocal t, step, used
        if backend == "auto" and used == "numpy" and n * B > SWITCH_WORK:
            # compiling costs seconds: worth it for long rounds only (decided by work, so reproducible)
            fast = _compiled_tangent.compiled_qr(system, p, x)
            if fast is not None:
                step, used = fast, "numba"
        b, i = step(x, Q, t, h, n, logs, BLOWUP)
        if b >= 0:
            raise DivergenceError(
                f"{system.name}: trajectory {b} diverged (or its tangent frame degenerated) at "
                f"t={t + (i + 1) * h:.6g} while estimating Lyapunov exponents; use a smaller dt or check the "
                "parameters and initial condition"
            )
        t += n * h

    advance(align_steps, np.zeros((B, d)))
    logs = np.zeros((B, d))
    done, goal = 0, min_steps
    while True:
        advance(goal - done, logs)
        done = goal
        per = logs / (done * h)
        mean = per.mean(axis=0)
        err = per.std(axis=0, ddof=1) / math.sqrt(B) if B > 1 else np.full(d, np.nan)
        target = max(rel_se * abs(mean[0]), abs_se)
        reached = bool(err[0] <= target)
        if reached or done >= max_steps or (used == "numpy" and backend == "auto" and done * B >= NUMPY_MAX_WORK):
            break
        want = done * (err[0] / target) ** 2 * 1.2 if target > 0 and np.isfinite(err[0]) else 4 * done
        goal = int(min(max_steps, max(1.5 * done, min(4 * done, want))))
    order = np.argsort(mean)[::-1]
    return PrecisionEstimate(
        spectrum=mean[order],
        stderr=err[order],
        dt=h,
        n_steps=done,
        transient=align_steps,
        n_trajectories=B,
        rel_se=rel_se,
        abs_se=abs_se,
        reached=reached,
        backend=used,
        seconds=time.perf_counter() - started,
        per_trajectory=per[:, order[0]].copy(),
    )


__all__ = ["PrecisionEstimate", "lyapunov_to_precision"]
