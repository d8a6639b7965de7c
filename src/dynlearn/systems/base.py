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

    Attributes ``dt`` (integration step), ``period`` (dominant period) and
    ``max_lyapunov`` are invariants in the system's time units; they are
    computed by :mod:`dynlearn.systems.invariants` and checked in the tests.
    """

    name: str
    rhs: RHS
    params: Mapping[str, float]
    x0: tuple[float, ...]
    description: str
    reference: str
    kind: Literal["flow", "map"] = "flow"
    jacobian: Callable[[np.ndarray, float, Params], np.ndarray] | None = None
    dt: float = 0.01
    period: float = 1.0
    max_lyapunov: float | None = None
    invariants_source: str = ""
    equations: str = ""
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

    def __call__(self, x, t: float = 0.0, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """Evaluate the right-hand side at a state ``(dim,)`` or a batch ``(batch, dim)``."""
        x = np.asarray(x, dtype=np.float64)
        single = x.ndim == 1
        xb = np.atleast_2d(x)
        if xb.shape[-1] != self.dim:
            raise ValidationError(f"{self.name} has dimension {self.dim}; got states of shape {x.shape}")
        out = self.rhs(xb, t, self.make_params(params))
        return out[0] if single else out

    def jac(self, x, t: float = 0.0, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """Jacobian ``(batch, dim, dim)`` (analytic if declared, else central differences)."""
        xb = np.atleast_2d(np.asarray(x, dtype=np.float64))
        p = self.make_params(params)
        if self.jacobian is not None:
            return self.jacobian(xb, t, p)
        eps = 1e-6 * np.maximum(1.0, np.abs(xb))
        cols = []
        for j in range(self.dim):
            e = np.zeros_like(xb)
            e[:, j] = eps[:, j]
            cols.append((self.rhs(xb + e, t, p) - self.rhs(xb - e, t, p)) / (2 * eps[:, j : j + 1]))
        return np.stack(cols, axis=-1)
