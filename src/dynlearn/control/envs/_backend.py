"""One set of array functions over numpy and torch, so each environment's true dynamics is written once.

``ops(x)`` returns the namespace matching ``x``: numpy arrays run in numpy (float64), torch tensors
in torch (any dtype and device, differentiable). Nothing here imports torch unless a tensor arrives.
"""

from __future__ import annotations

import math

import numpy as np


def is_torch(x) -> bool:
    return type(x).__module__.startswith("torch")


class _NumpyOps:
    pi = math.pi
    sin, cos, tanh, exp, sqrt, abs = (staticmethod(f) for f in (np.sin, np.cos, np.tanh, np.exp, np.sqrt, np.abs))
    atan2, where = staticmethod(np.arctan2), staticmethod(np.where)
    minimum, maximum = staticmethod(np.minimum), staticmethod(np.maximum)

    @staticmethod
    def clip(x, lo, hi):
        return np.clip(x, lo, hi)

    @staticmethod
    def stack(xs):
        return np.stack(xs, -1)

    @staticmethod
    def sum(x):
        return np.sum(x, -1)

    @staticmethod
    def full_like(x, v):
        return np.full_like(x, v)


class _TorchOps:
    pi = math.pi

    def __init__(self):
        import torch

        self.t = torch
        self.sin, self.cos, self.tanh, self.exp, self.sqrt, self.abs = (
            torch.sin,
            torch.cos,
            torch.tanh,
            torch.exp,
            torch.sqrt,
            torch.abs,
        )
        self.atan2 = torch.atan2

    def where(self, c, a, b):
        t = self.t
        a = a if isinstance(a, t.Tensor) else t.as_tensor(a, dtype=b.dtype if isinstance(b, t.Tensor) else None)
        return t.where(c, a, b)

    def minimum(self, a, b):
        return self.t.clamp(a, max=b) if not isinstance(b, self.t.Tensor) else self.t.minimum(a, b)

    def maximum(self, a, b):
        return self.t.clamp(a, min=b) if not isinstance(b, self.t.Tensor) else self.t.maximum(a, b)

    def clip(self, x, lo, hi):
        return self.t.clamp(x, lo, hi)

    def stack(self, xs):
        return self.t.stack(xs, -1)

    def sum(self, x):
        return x.sum(-1)

    def full_like(self, x, v):
        return self.t.full_like(x, v)


_NP = _NumpyOps()
_TORCH: _TorchOps | None = None


def ops(x):
    """The numpy or torch namespace for ``x``."""
    global _TORCH
    if is_torch(x):
        if _TORCH is None:
            _TORCH = _TorchOps()
        return _TORCH
    return _NP


def tolerance(
    o, x, lower: float, upper: float, margin: float = 0.0, sigmoid: str = "gaussian", value_at_margin: float = 0.1
):
    """DeepMind Control Suite's ``tolerance`` reward shaping (Tassa et al. 2018, dm_control.utils.rewards).

    1 inside ``[lower, upper]``; outside, a sigmoid of the distance ``d`` to the interval in units of
    ``margin`` that equals ``value_at_margin`` at ``d = 1``: ``gaussian`` ``exp(-(d s)^2 / 2)`` with
    ``s = sqrt(-2 ln v)``, or ``quadratic`` ``max(1 - d^2, 0)`` (``v = 0``). ``margin = 0`` gives a step.
    """
    if margin == 0:
        inside = (x >= lower) & (x <= upper)
        return o.where(inside, 1.0, o.full_like(x, 0.0))
    # distance to the interval (0 inside); both sigmoids equal 1 at distance 0, so no branch is needed
    d = (o.maximum(lower - x, 0.0) + o.maximum(x - upper, 0.0)) if lower != upper else o.abs(x - lower)
    if sigmoid == "gaussian":
        s = math.sqrt(-2.0 * math.log(value_at_margin)) / margin
        return o.exp(-0.5 * (d * s) ** 2)
    if sigmoid == "quadratic":
        return o.maximum(1.0 - (d / margin) ** 2, 0.0)
    raise ValueError(sigmoid)  # pragma: no cover - internal
