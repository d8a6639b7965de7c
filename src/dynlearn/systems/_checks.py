"""Argument checks and error messages shared by the integrators (flows, maps, delay equations)."""

from __future__ import annotations

import numpy as np

from dynlearn.errors import DivergenceError, ValidationError
from dynlearn.systems.base import Params, System

#: states beyond this magnitude count as a blow-up
BLOWUP = 1e12
#: refuse requests whose output would exceed this many bytes
MAX_BYTES = 4 * 2**30


def check_initial_conditions(system: System, x0) -> np.ndarray:
    """``x0`` as a float ``(batch, dim)`` array; ValidationError for a wrong shape or a non-finite entry."""
    x = np.array(x0, dtype=np.float64, ndmin=2)
    if x.ndim != 2 or x.shape[1] != system.dim:
        raise ValidationError(
            f"{system.name} has dimension {system.dim}; initial conditions must have shape "
            f"({system.dim},) or (batch, {system.dim}), got {np.shape(x0)}"
        )
    if not np.isfinite(x).all():
        j = int(np.argmax(~np.isfinite(x).all(axis=1)))
        raise ValidationError(f"{system.name}: initial condition {j} is not finite: {x[j].tolist()}")
    return x


def batch_params(system: System, params, batch: int) -> Params:
    """The system's parameters with overrides; each a float or a ``(batch,)`` array."""
    p = system.make_params(params)
    for key, value in p.items():
        if np.ndim(value) == 0:
            p[key] = float(value)
            continue
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != (batch,):
            raise ValidationError(
                f"{system.name}: parameter {key!r} must be a number or an array of shape ({batch},) "
                f"(one value per trajectory), got shape {arr.shape}"
            )
        p[key] = arr
    return p


def check_size(nbytes: int, what: str, advice: str = "ask for fewer points or trajectories") -> None:
    if nbytes > MAX_BYTES:
        raise ValidationError(
            f"this request needs {nbytes / 2**30:.1f} GiB {what}; the limit is {MAX_BYTES / 2**30:.0f} GiB: {advice}"
        )


def diverged(system: System, j: int, t: float, state, detail: str = "") -> DivergenceError:
    extra = f" ({detail})" if detail else ""
    return DivergenceError(
        f"{system.name}: trajectory {j} diverged at t={t:.6g}{extra}; state {np.asarray(state).tolist()}. "
        "Use a smaller step (max_step, or a tighter rtol), another initial condition, or check the parameters"
    )
