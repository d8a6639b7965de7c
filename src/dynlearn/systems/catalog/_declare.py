"""Declaring catalog entries: a decorated right-hand side is a System.

Write the equations once, as a small function over a batch of states, and
let the decorator turn it (plus data: parameters, initial condition,
reference) into a :class:`~dynlearn.systems.base.System`::

    @flow(params={"a": 0.2, "b": 0.2, "c": 5.7}, x0=(6.5, 0.5, 0.3),
          reference="Rossler, O. E. (1976). Phys. Lett. A 57, 397.",
          description="Rossler's spiral attractor.", dt=0.01, period=5.9)
    def Rossler(x, t, p):
        out = np.empty_like(x)
        out[:, 0] = -x[:, 1] - x[:, 2]
        out[:, 1] = x[:, 0] + p.a * x[:, 1]
        out[:, 2] = p.b + x[:, 2] * (x[:, 0] - p.c)
        return out

Conventions every right-hand side follows (so one function serves numpy,
batched parameters, complex-step Jacobians and compiled kernels):

* ``x`` has shape ``(batch, dim)``; build the result with
  ``out = np.empty_like(x)`` and assign columns ``out[:, i] = ...``;
* parameters are read as attributes ``p.name``; each may be a float or a
  ``(batch,)`` array (one parameter set per trajectory);
* only numpy ufuncs that accept complex input (``+ - * / **``, ``np.sin``,
  ``np.exp``, ``np.tanh``, ...) unless an analytic ``jacobian`` is given;
  ``np.abs``, ``np.sign``, ``np.maximum``, comparisons break the
  complex-step Jacobian: for those pass ``jacobian=...`` or ``jacobian="fd"``;
* non-autonomous systems read ``t`` and say ``nonautonomous=True``; ``t`` is a
  float, except under ``method="dopri5"`` where it is a ``(batch,)`` array (each
  trajectory's own time), so write t-dependent terms elementwise.

Maps (``@map_``) return the next state; delay equations (``@delay``) take
``rhs(x, x_delayed, t, p)`` where ``x_delayed`` is the state ``p.<delay>``
time units ago.

The decorators return the :class:`System` (the name ``Rossler`` above is the
System, not the function), so a declaration outside the catalog is registered
with ``systems.register(Rossler)``. Any other :class:`System` field can be
given as a keyword (``family="lorenz"``, ``max_lyapunov=0.9``); the remaining
keywords go to ``extra`` (e.g. the dysts oracle's ``dysts_params``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dynlearn.systems.base import System

_FIELDS = {f.name for f in dataclasses.fields(System)}

#: dysts declares some published systems without parameters, while every catalog entry has at
#: least one: ours expose a published constant as ``a``, which the dysts oracle must not pass
#: (agreement is checked at the default value). Use as ``dysts_params=DYSTS_HAS_NO_PARAMS``.
DYSTS_HAS_NO_PARAMS = {"a": None}


def _declare(kind: str, **fields) -> Callable[[Callable], System]:
    extra = dict(fields.pop("extra", {}))
    for key in list(extra):
        if key in _FIELDS:  # e.g. max_lyapunov, family or invariants_source given as keywords
            fields[key] = extra.pop(key)
    fields["extra"] = extra
    name = fields.pop("name", None)

    def deco(fn: Callable) -> System:
        if not callable(fn):
            raise TypeError(f"@{kind} decorates a right-hand side function; got {type(fn).__name__}")
        return System(name=name or fn.__name__, rhs=fn, kind=kind, **fields)

    return deco


def flow(
    *,
    params: Mapping[str, float],
    x0: Sequence[float],
    reference: str,
    description: str,
    equations: str = "",
    dt: float = 0.01,
    period: float = 1.0,
    jacobian: Callable | str | None = None,
    nonautonomous: bool = False,
    name: str | None = None,
    **extra: Any,
) -> Callable[[Callable], System]:
    """Declare an ODE ``dx/dt = rhs(x, t, p)``. ``dt`` and ``period`` are first
    guesses; ``dynlearn systems compute-invariants`` replaces them."""
    return _declare(
        "flow",
        params=dict(params),
        x0=tuple(float(v) for v in x0),
        reference=reference,
        description=description,
        equations=equations,
        dt=dt,
        period=period,
        jacobian=jacobian,
        nonautonomous=nonautonomous,
        name=name,
        extra=extra,
    )


def map_(
    *,
    params: Mapping[str, float],
    x0: Sequence[float],
    reference: str,
    description: str,
    equations: str = "",
    jacobian: Callable | str | None = None,
    period: float = 1.0,
    name: str | None = None,
    **extra: Any,
) -> Callable[[Callable], System]:
    """Declare a map ``x_{n+1} = rhs(x_n, n, p)`` (one output point per iteration)."""
    return _declare(
        "map",
        params=dict(params),
        x0=tuple(float(v) for v in x0),
        reference=reference,
        description=description,
        equations=equations,
        dt=1.0,
        period=period,
        jacobian=jacobian,
        name=name,
        extra=extra,
    )


def delay(
    *,
    params: Mapping[str, float],
    x0: Sequence[float],
    reference: str,
    description: str,
    delay_param: str = "tau",
    equations: str = "",
    dt: float = 0.01,
    period: float = 1.0,
    name: str | None = None,
    **extra: Any,
) -> Callable[[Callable], System]:
    """Declare a delay equation ``dx/dt = rhs(x(t), x(t - p.<delay_param>), t, p)``;
    the history before t0 is the constant initial condition."""
    if delay_param not in params:
        raise ValueError(f"delay parameter {delay_param!r} must be one of the params")
    return _declare(
        "delay",
        params=dict(params),
        x0=tuple(float(v) for v in x0),
        reference=reference,
        description=description,
        equations=equations,
        dt=dt,
        period=period,
        jacobian="fd",
        delay_param=delay_param,
        name=name,
        extra=extra,
    )
