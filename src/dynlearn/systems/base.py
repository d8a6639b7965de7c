"""The System record: equations as a small vectorised function plus data.

A system is declared, not subclassed: a name, default parameters, a default
initial condition on the attractor, a right-hand side ``rhs(x, t, p)`` over a
batch of states ``x`` of shape ``(batch, dim)`` (``p`` a :class:`Params`
whose entries are scalars or ``(batch,)`` arrays), optionally an analytic
Jacobian ``jac(x, t, p) -> (batch, dim, dim)``, a reference and invariants.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from dynlearn.errors import ValidationError

RHS = Callable[[np.ndarray, float, "Params"], np.ndarray]


class Params(dict):
    """Parameters with attribute access (``p.sigma``), as passed to ``rhs``."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class System:
    """A dynamical system of the catalog.

    ``kind`` is ``"flow"`` (ODE), ``"map"`` (iterated map) or ``"delay"``
    (delay differential equation, ``rhs(x, x_delayed, t, p)``).
    ``jacobian`` is an analytic function ``jac(x, t, p) -> (batch, dim, dim)``,
    or ``None``/``"complex"`` for a complex-step derivative of ``rhs``
    (exact to rounding for analytic right-hand sides), or ``"fd"`` for central
    differences (right-hand sides with ``abs``, ``sign``, branches).
    ``dt`` (integration step), ``period`` (dominant period) and the entries of
    ``invariants`` are computed by :mod:`dynlearn.systems.invariants` and
    shipped in ``systems/data/invariants.json``. ``family`` groups the catalog
    (``"lorenz"``, ``"sprott"``, ``"maps"``, ...: the catalog module that declares
    the system); it is empty for a user's system unless given.
    """

    name: str
    rhs: Callable
    params: Mapping[str, float]
    x0: tuple[float, ...]
    description: str
    reference: str
    kind: Literal["flow", "map", "delay"] = "flow"
    jacobian: Callable[[np.ndarray, float, Params], np.ndarray] | str | None = None
    nonautonomous: bool = False
    delay_param: str | None = None
    dt: float = 0.01
    period: float = 1.0
    max_lyapunov: float | None = None
    invariants: Mapping[str, Any] = field(default_factory=dict)
    invariants_source: str = ""
    equations: str = ""
    family: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return len(self.x0)

    @property
    def lyapunov_time(self) -> float | None:
        """1 / λ_max in time units (for maps: in iterations)."""
        if self.max_lyapunov is None or self.max_lyapunov <= 0:
            return None
        return 1.0 / self.max_lyapunov

    def make_params(self, overrides: Mapping[str, Any] | None = None) -> Params:
        """Default parameters updated by ``overrides``; unknown names are an error."""
        p = Params(self.params)
        for key, value in (overrides or {}).items():
            if key not in p:
                import difflib

                close = difflib.get_close_matches(key, list(p), n=2)
                hint = f"did you mean {close[0]!r}?" if close else f"its parameters are {sorted(p)}"
                raise ValidationError(f"{self.name} has no parameter {key!r}; {hint}")
            p[key] = value
        return p

    def _batch(self, x) -> tuple[np.ndarray, bool]:
        x = np.asarray(x)
        if not np.iscomplexobj(x):
            x = x.astype(np.float64, copy=False)
        xb = np.atleast_2d(x)
        if xb.ndim != 2 or xb.shape[-1] != self.dim:
            raise ValidationError(
                f"{self.name} has dimension {self.dim}; states must have shape ({self.dim},) or "
                f"(batch, {self.dim}), got {x.shape}"
            )
        return xb, x.ndim == 1

    def __call__(self, x, t: float = 0.0, params: Mapping[str, Any] | None = None, x_delayed=None) -> np.ndarray:
        """Evaluate the right-hand side at a state ``(dim,)`` or a batch ``(batch, dim)``.

        For delay systems ``x_delayed`` is the delayed state (default: ``x``,
        as on a steady history)."""
        xb, single = self._batch(x)
        p = self.make_params(params)
        if self.kind == "delay":
            xd = xb if x_delayed is None else self._batch(x_delayed)[0]
            out = self.rhs(xb, xd, t, p)
        else:
            out = self.rhs(xb, t, p)
        return out[0] if single else out

    def jac(self, x, t: float = 0.0, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """Jacobian ``d rhs / d x`` of shape ``(batch, dim, dim)`` (``(dim, dim)`` for one state).

        For delay systems: the derivative with respect to the current state
        on a steady history (current and delayed state equal)."""
        xb, single = self._batch(x)
        p = self.make_params(params)
        f = (lambda y: self.rhs(y, y, t, p)) if self.kind == "delay" else (lambda y: self.rhs(y, t, p))
        if callable(self.jacobian):
            J = self.jacobian(xb, t, p)
        elif self.jacobian in (None, "complex"):
            h = 1e-30
            cols = []
            for j in range(self.dim):
                y = xb.astype(np.complex128)
                y[:, j] += 1j * h
                cols.append(np.imag(f(y)) / h)
            J = np.stack(cols, axis=-1)
        elif self.jacobian == "fd":
            eps = 1e-6 * np.maximum(1.0, np.abs(xb))
            cols = []
            for j in range(self.dim):
                e = np.zeros_like(xb)
                e[:, j] = eps[:, j]
                cols.append((f(xb + e) - f(xb - e)) / (2 * eps[:, j : j + 1]))
            J = np.stack(cols, axis=-1)
        else:
            raise ValueError(f"{self.name}: jacobian must be a function, 'complex' or 'fd'; got {self.jacobian!r}")
        return J[0] if single else J
