"""How SINDy turns samples into regression rows: derivative estimates or the weak form.

SINDy regresses targets on the library, ``Y ≈ Θ Ξᵀ``. A *derivative method*
builds both from one trajectory (library input ``z = (x, u)``, states ``x``,
step ``dt``). Methods are registered by name in :data:`DERIVATIVES` (the
config's ``derivative``); users add their own with ``DERIVATIVES.register``.

* ``fd``: finite differences of order ``fd_order`` (2, 4, 6 or 8). Inside,
  the central stencil of ``fd_order + 1`` points; near the ends the same
  number of points shifted inwards (one-sided). Weights from Fornberg's
  method (Fornberg 1988, Math. Comp. 51:699): the stencil is exact for
  polynomials of degree ``fd_order``, so the error is ``O(dt^fd_order)``.
  Order 2 is pysindy's default and biases the coefficients at coarse
  sampling (Lorenz-63 at 30 points per period: σ 9.86, ρ 26.8).
* ``smoothed_fd``: Savitzky-Golay smoothing (cubic, ``smoother_window``
  points; Savitzky & Golay 1964) then ``fd``; for noisy data.
* ``spectral``: Fourier differentiation ``x' = F⁻¹(i k F(x))`` of the
  samples after the straight line through the two end points is removed
  (which makes the periodic extension continuous); the first and last
  ``spectral_edge`` fraction of rows, where the extension's kink spoils the
  estimate, are left out of the regression.
* ``weak``: the weak (integral) form (Messenger & Bortz 2021, J. Comput. Phys.
  443:110525; Reinbold, Gurevich & Grigoriev 2020, Phys. Rev. E 101:010203).
  With test functions ``φ_k`` supported on windows of ``weak_window``
  samples, ``φ(u) = (1 - u²)^weak_power`` in local coordinates ``u ∈ [-1, 1]``,
  integration by parts turns ``x' = Ξ Θ(x)`` into
  ``-∫ φ_k' x dt = Ξ ∫ φ_k Θ(x) dt`` with no derivative of the data; the
  integrals are trapezoidal sums, which are highly accurate because ``φ``
  and its first ``weak_power - 1`` derivatives vanish at both ends of the
  window. Windows overlap by half. Each row is divided by ``∫ φ_k dt``, so
  it is a weighted mean of the pointwise rows and the optimisers' ridge and
  threshold keep their meaning.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from dynlearn.registry import Registry

#: build ``(theta, y)`` rows: ``fn(library, z, x, dt, config) -> (theta (n, p), y (n, d))``
DesignFn = Callable[[Any, np.ndarray, np.ndarray, float, Any], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class DerivativeMethod:
    """A registered way to build SINDy's regression rows; ``min_length(config)`` samples needed."""

    design: DesignFn
    min_length: Callable[[Any], int]


DERIVATIVES: Registry[DerivativeMethod] = Registry("sindy derivative method")


def fd_weights(offsets: np.ndarray, deriv: int = 1) -> np.ndarray:
    """Weights ``w`` with ``f^(deriv)(0) ≈ Σ_j w_j f(offsets_j)`` for unit spacing, exact for
    polynomials of degree ``len(offsets) - 1`` (the Taylor conditions, solved directly)."""
    s = np.asarray(offsets, dtype=np.float64)
    n = len(s)
    A = np.vander(s, n, increasing=True).T  # A[i, j] = s_j ** i
    rhs = np.zeros(n)
    rhs[deriv] = float(np.prod(np.arange(1, deriv + 1)))
    return np.linalg.solve(A, rhs)


def fd_derivative(x: np.ndarray, dt: float, order: int = 2) -> np.ndarray:
    """``dx/dt`` along axis 0 by finite differences of even ``order`` (see the module docstring)."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    order = min(order, n - 1 - (n - 1) % 2)
    if order < 2:
        raise ValueError(f"finite differences need at least 3 samples, got {n}")
    h = order // 2
    out = np.empty_like(x)
    w = fd_weights(np.arange(-h, h + 1))
    out[h : n - h] = sum(w[j] * x[j : n - 2 * h + j] for j in range(2 * h + 1))
    for i in list(range(h)) + list(range(n - h, n)):
        start = min(max(i - h, 0), n - order - 1)
        wi = fd_weights(np.arange(start, start + order + 1) - i)
        out[i] = wi @ x[start : start + order + 1]
    return out / dt


def smoothed_fd_derivative(x: np.ndarray, dt: float, window: int = 11, order: int = 2) -> np.ndarray:
    """Savitzky-Golay smoothing (cubic, ``window`` points) followed by :func:`fd_derivative`."""
    from scipy.signal import savgol_filter

    w = min(window, len(x) - (1 - len(x) % 2))
    smooth = savgol_filter(x, w, min(3, w - 1), axis=0) if w >= 5 else x
    return fd_derivative(smooth, dt, order)


def spectral_derivative(x: np.ndarray, dt: float) -> np.ndarray:
    """Fourier derivative of ``x`` minus its end-to-end line, plus the line's slope."""
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    slope = (x[-1] - x[0]) / ((n - 1) * dt)
    r = x - x[0] - np.arange(n)[:, None] * dt * slope
    k = 2j * np.pi * np.fft.rfftfreq(n, d=dt)
    if n % 2 == 0:
        k[-1] = 0.0  # the Nyquist mode has no well-defined derivative
    return np.fft.irfft(k[:, None] * np.fft.rfft(r, axis=0), n=n, axis=0) + slope


def weak_test_functions(m: int, power: int, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Trapezoid-weighted ``φ`` and ``φ'`` on a window of ``m`` samples (both vanish at the ends),
    divided by ``∫ φ dt``: a weak row is then a weighted mean of pointwise rows, on their scale,
    so the ridge penalty and the threshold mean what they mean for derivative rows."""
    u = np.linspace(-1.0, 1.0, m)
    phi = (1.0 - u**2) ** power
    dphi = -2.0 * power * u * (1.0 - u**2) ** (power - 1) * (2.0 / ((m - 1) * dt))
    return phi / phi.sum(), dphi / phi.sum()


def weak_rows(library, z: np.ndarray, x: np.ndarray, dt: float, window: int, power: int):
    """The weak-form rows ``(∫ φ_k Θ dt, -∫ φ_k' x dt)`` over windows overlapping by half."""
    m = min(window, len(x) - (1 - len(x) % 2))
    v, dv = weak_test_functions(m, power, dt)
    stride = max(1, (m - 1) // 2)
    theta = library.evaluate(z)
    win_theta = np.lib.stride_tricks.sliding_window_view(theta, m, axis=0)[::stride]  # (K, p, m)
    win_x = np.lib.stride_tricks.sliding_window_view(x, m, axis=0)[::stride]  # (K, d, m)
    return win_theta @ v, -(win_x @ dv)


def _pointwise(deriv: Callable[[np.ndarray, float, Any], np.ndarray]) -> DesignFn:
    def design(library, z, x, dt, config):
        return library.evaluate(z), deriv(x, dt, config)

    return design


def _spectral_design(library, z, x, dt, config):
    edge = int(np.ceil(config.spectral_edge * len(x)))
    keep = slice(edge, len(x) - edge)
    return library.evaluate(z[keep]), spectral_derivative(x, dt)[keep]


DERIVATIVES.register(
    "fd",
    DerivativeMethod(_pointwise(lambda x, dt, c: fd_derivative(x, dt, c.fd_order)), lambda c: c.fd_order + 1),
)
DERIVATIVES.register(
    "smoothed_fd",
    DerivativeMethod(
        _pointwise(lambda x, dt, c: smoothed_fd_derivative(x, dt, c.smoother_window, c.fd_order)),
        lambda c: max(c.smoother_window, c.fd_order + 1),
    ),
)
DERIVATIVES.register("spectral", DerivativeMethod(_spectral_design, lambda c: 16))
DERIVATIVES.register(
    "weak",
    DerivativeMethod(
        lambda lib, z, x, dt, c: weak_rows(lib, z, x, dt, c.weak_window, c.weak_power),
        lambda c: c.weak_window,
    ),
)
