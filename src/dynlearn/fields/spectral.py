"""Pseudo-spectral solvers on periodic grids, batched over initial conditions and parameters.

All three share one exponential integrator, ETDRK4 (Cox & Matthews 2002) with the coefficients
evaluated by contour integrals (Kassam & Trefethen 2005), for equations

.. math::
    \\partial_t \\hat u_k = L_k \\hat u_k + \\hat N(u)_k

whose linear part :math:`L` is diagonal in Fourier space (diffusion, hyper-diffusion, drag). The
linear part is integrated exactly, the nonlinear part to fourth order, and the nonlinear products
are de-aliased by the 2/3 rule (modes with :math:`|k_j| > N_j/3` are zeroed).

- :func:`burgers_1d`: :math:`u_t + u u_x = \\nu u_{xx}`.
- :func:`kuramoto_sivashinsky_1d`: :math:`u_t + u u_x + u_{xx} + u_{xxxx} = 0`.
- :func:`navier_stokes_2d`: incompressible flow in vorticity form,
  :math:`\\omega_t + \\mathbf u \\cdot \\nabla \\omega = \\nu \\nabla^2 \\omega - \\alpha \\omega + f`,
  :math:`\\mathbf u = (\\partial_y \\psi, -\\partial_x \\psi)`, :math:`-\\nabla^2 \\psi = \\omega`.

Arrays are torch tensors internally (``torch.fft``) and numpy at the boundary. ``dtype="float64"``
(the default) computes in double precision; ``dtype="float32"`` computes in single precision
(complex64 spectra, the ETDRK4 coefficients built in double and rounded) and returns float32. The first axis is the batch; parameters (``nu``, ``drag``) are scalars or one
value per batch member.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from dynlearn.errors import DivergenceError, ValidationError

#: explicit CFL bound used to refuse unstable steps: max |u| dt / dx <= CFL_MAX
CFL_MAX = 1.0


def _torch():
    import torch

    return torch


def _per_member(name: str, value: Any, batch: int) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        arr = np.full(batch, float(arr))
    if arr.shape != (batch,):
        raise ValidationError(f"{name} must be a scalar or one value per batch member ({batch}), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValidationError(f"{name} contains NaN or inf")
    return arr


@dataclasses.dataclass
class ETDRK4:
    """ETDRK4 coefficients for a diagonal linear operator ``L`` (complex, any shape) and step ``dt``."""

    E: Any
    E2: Any
    Q: Any
    f1: Any
    f2: Any
    f3: Any

    @classmethod
    def build(cls, L, dt: float, contour_points: int = 32) -> ETDRK4:
        """Coefficients for ``L`` (real, leading axis = batch members). Members with the same ``L``
        (the same viscosity and drag) share one evaluation: the contour integrals cost far more
        than a step, so a batch of one parameter set builds them once."""
        torch = _torch()
        if L.ndim >= 2 and L.shape[0] > 1 and not torch.is_complex(L):
            uniq, inv = torch.unique(L, dim=0, return_inverse=True)
            if len(uniq) < L.shape[0]:
                c = cls.build(uniq, dt, contour_points)
                if len(uniq) == 1:  # broadcasts over the batch as it is
                    return c
                return cls(*(x[inv] for x in dataclasses.astuple(c)))
        Ldt = (L * dt).to(torch.complex128)
        r = torch.exp(2j * math.pi * (torch.arange(1, contour_points + 1, dtype=torch.float64) - 0.5) / contour_points)
        LR = Ldt[..., None] + r.to(torch.complex128)  # points on a circle around each L dt
        # the phi-functions of Cox & Matthews by the mean over the contour (Kassam & Trefethen, eq. 2.5)
        Q = dt * torch.mean((torch.exp(LR / 2) - 1) / LR, dim=-1)
        f1 = dt * torch.mean((-4 - LR + torch.exp(LR) * (4 - 3 * LR + LR**2)) / LR**3, dim=-1)
        f2 = dt * torch.mean((2 + LR + torch.exp(LR) * (-2 + LR)) / LR**3, dim=-1)
        f3 = dt * torch.mean((-4 - 3 * LR - LR**2 + torch.exp(LR) * (4 - LR)) / LR**3, dim=-1)
        # real L (diffusion, drag): the contour mean of a conjugate-symmetric circle is real
        return cls(torch.exp(Ldt), torch.exp(Ldt / 2), Q, f1, f2, f3)

    def step(self, v, N: Callable):
        Nv = N(v)
        a = self.E2 * v + self.Q * Nv
        Na = N(a)
        b = self.E2 * v + self.Q * Na
        Nb = N(b)
        c = self.E2 * a + self.Q * (2 * Nb - Nv)
        Nc = N(c)
        return self.E * v + Nv * self.f1 + 2 * (Na + Nb) * self.f2 + Nc * self.f3


def _dealias_mask(shape: tuple[int, ...], torch) -> Any:
    """Keep |k_j| <= N_j / 3 on the rfft grid of ``shape`` (last axis halved)."""
    masks = []
    for j, n in enumerate(shape):
        if j == len(shape) - 1:
            k = torch.arange(n // 2 + 1)
        else:
            k = torch.fft.fftfreq(n, d=1.0 / n).abs()
        masks.append(k <= n / 3)
    out = masks[0]
    for m in masks[1:]:
        out = out[..., None] & m
    return out


def _wavenumbers(shape: tuple[int, ...], lengths: tuple[float, ...], torch):
    ks = []
    for j, (n, length) in enumerate(zip(shape, lengths)):
        scale = 2 * math.pi / length
        if j == len(shape) - 1:
            k = torch.arange(n // 2 + 1, dtype=torch.float64) * scale
        else:
            k = torch.fft.fftfreq(n, d=1.0 / n).to(torch.float64) * scale
        view = [1] * len(shape)
        view[j] = -1
        ks.append(k.reshape(view))
    return ks


def _check_field(name: str, arr: np.ndarray, ndim: int) -> np.ndarray:
    arr = np.asarray(arr, dtype=float)
    if arr.ndim == ndim:
        arr = arr[None]
    if arr.ndim != ndim + 1:
        raise ValidationError(
            f"{name} must have shape (batch, {', '.join('n' * ndim)}) or ({', '.join('n' * ndim)}), got {arr.shape}"
        )
    if min(arr.shape[1:]) < 8:
        raise ValidationError(f"{name}: the grid {arr.shape[1:]} is too small; use at least 8 points per axis")
    if not np.all(np.isfinite(arr)):
        raise ValidationError(f"{name} contains NaN or inf")
    return arr


def _precision(dtype: str):
    """``(real, complex)`` torch dtypes of the computation: float32 output runs in single precision."""
    torch = _torch()
    if dtype not in ("float32", "float64"):
        raise ValidationError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return (torch.float32, torch.complex64) if dtype == "float32" else (torch.float64, torch.complex128)


def _check_steps(dt: float, n_steps: int, save_every: int) -> None:
    if not (dt > 0 and math.isfinite(dt)):
        raise ValidationError(f"dt must be a positive number, got {dt}")
    if n_steps < 1 or save_every < 1:
        raise ValidationError(f"n_steps and save_every must be >= 1, got {n_steps} and {save_every}")


def _run(v0, L, N, dt, n_steps, save_every, to_real, dtype_out, what: str, progress=None):
    """March ``v0`` (spectral) ``n_steps`` with ETDRK4; return the real frames every ``save_every`` steps."""
    torch = _torch()
    scheme = ETDRK4.build(L, dt)
    if v0.dtype == torch.complex64:  # single precision: the coefficients follow (built in double)
        scheme = ETDRK4(*(c.to(torch.complex64) for c in dataclasses.astuple(scheme)))
    v = v0
    frames = [to_real(v)]
    for step in range(1, n_steps + 1):
        v = scheme.step(v, N)
        if step % save_every == 0:
            real = to_real(v)
            bad = ~torch.isfinite(real.reshape(real.shape[0], -1)).all(dim=1)
            if bool(bad.any()):
                members = torch.nonzero(bad).flatten().tolist()
                raise DivergenceError(
                    f"{what}: the field of batch member(s) {members[:5]} left the finite numbers by step {step} "
                    f"(t = {step * dt:.6g}); use a smaller dt or more viscosity"
                )
            frames.append(real)
            if progress is not None:
                progress(step, n_steps)
    out = torch.stack(frames, dim=1).numpy().astype(dtype_out, copy=False)
    times = np.arange(len(frames)) * save_every * dt
    return times, out


def burgers_1d(u0, *, nu, dt: float, n_steps: int, save_every: int = 1, length: float = 2 * math.pi, dtype="float64"):
    """Viscous Burgers ``u_t + u u_x = nu u_xx`` on a periodic interval of ``length``.

    ``u0``: ``(batch, n)`` or ``(n,)``; ``nu``: scalar or one per member. Returns ``(times, u)`` with
    ``u`` of shape ``(batch, frames, n)``.
    """
    torch = _torch()
    u0 = _check_field("u0", u0, 1)
    _check_steps(dt, n_steps, save_every)
    B, n = u0.shape
    nu = _per_member("nu", nu, B)
    if np.any(nu < 0):
        raise ValidationError("nu must be >= 0")
    umax = float(np.abs(u0).max())
    dx = length / n
    _cfl("burgers_1d", umax, dt, dx)
    (k,) = _wavenumbers((n,), (length,), torch)
    mask = _dealias_mask((n,), torch)
    L = -torch.as_tensor(nu)[:, None] * k**2
    real, cplx = _precision(dtype)
    ik = (1j * k).to(cplx)

    def N(v):
        u = torch.fft.irfft(v, n=n)
        return -0.5 * ik * torch.fft.rfft(u * u) * mask

    v0 = torch.fft.rfft(torch.as_tensor(u0).to(real)) * mask
    times, out = _run(v0, L, N, dt, n_steps, save_every, lambda v: torch.fft.irfft(v, n=n), dtype, "burgers_1d")
    return times, out


def kuramoto_sivashinsky_1d(
    u0, *, dt: float, n_steps: int, save_every: int = 1, length: float = 32 * math.pi, dtype="float64"
):
    """Kuramoto-Sivashinsky ``u_t + u u_x + u_xx + u_xxxx = 0`` on a periodic interval (Kassam &
    Trefethen's setting by default: ``length = 32 pi``). Returns ``(times, u)``, ``u (batch, frames, n)``."""
    torch = _torch()
    u0 = _check_field("u0", u0, 1)
    _check_steps(dt, n_steps, save_every)
    B, n = u0.shape
    (k,) = _wavenumbers((n,), (length,), torch)
    mask = _dealias_mask((n,), torch)
    L = (k**2 - k**4).expand(B, -1)
    real, cplx = _precision(dtype)
    ik = (1j * k).to(cplx)

    def N(v):
        u = torch.fft.irfft(v, n=n)
        return -0.5 * ik * torch.fft.rfft(u * u) * mask

    v0 = torch.fft.rfft(torch.as_tensor(u0).to(real)) * mask
    return _run(v0, L, N, dt, n_steps, save_every, lambda v: torch.fft.irfft(v, n=n), dtype, "kuramoto_sivashinsky_1d")


def _cfl(what: str, umax: float, dt: float, dx: float) -> None:
    if umax * dt / dx > CFL_MAX:
        raise ValidationError(
            f"{what}: dt = {dt:g} is unstable for this field (CFL number {umax * dt / dx:.3g} > {CFL_MAX}: "
            f"max |u| = {umax:.4g}, dx = {dx:.4g}); the largest stable step is about {CFL_MAX * dx / umax:.4g}"
        )


def kolmogorov_forcing(n: int, *, wavenumber: int = 4, amplitude: float = 1.0, length: float = 2 * math.pi):
    """The vorticity of the Kolmogorov body force ``f_x = A sin(k y)``: ``-A k cos(k y)``, shape ``(n, n)``
    (axis 0 is x, axis 1 is y)."""
    y = np.arange(n) * length / n
    return np.broadcast_to(-amplitude * wavenumber * np.cos(wavenumber * y)[None, :], (n, n)).copy()


def navier_stokes_2d(
    w0,
    *,
    nu,
    dt: float,
    n_steps: int,
    save_every: int = 1,
    length: float = 2 * math.pi,
    drag=0.0,
    forcing=None,
    dtype="float64",
    with_velocity: bool = False,
    progress=None,
):
    """2-D incompressible Navier-Stokes in vorticity form on a periodic square of side ``length``.

    ``w0``: vorticity ``(batch, n, n)`` or ``(n, n)`` (axis 0 is x, axis 1 is y); ``nu`` and ``drag``
    (linear friction ``alpha``): scalars or one per member; ``forcing``: the curl of the body force,
    ``(n, n)`` or ``(batch, n, n)`` (see :func:`kolmogorov_forcing`), constant in time. Returns
    ``(times, w)`` with ``w (batch, frames, n, n)``; with ``with_velocity=True`` the frames hold three
    channels ``(w, u, v)`` as ``(batch, frames, 3, n, n)``.
    """
    torch = _torch()
    w0 = _check_field("w0", w0, 2)
    _check_steps(dt, n_steps, save_every)
    B, nx, ny = w0.shape
    if nx != ny:
        raise ValidationError(f"navier_stokes_2d needs a square grid, got {nx} x {ny}")
    nu = _per_member("nu", nu, B)
    drag = _per_member("drag", drag, B)
    if np.any(nu < 0) or np.any(drag < 0):
        raise ValidationError("nu and drag must be >= 0")
    kx, ky = _wavenumbers((nx, ny), (length, length), torch)
    k2 = kx**2 + ky**2
    inv_k2 = torch.where(k2 > 0, 1.0 / torch.where(k2 > 0, k2, 1.0), 0.0)
    mask = _dealias_mask((nx, ny), torch)
    L = -torch.as_tensor(nu)[:, None, None] * k2 - torch.as_tensor(drag)[:, None, None]
    real, cplx = _precision(dtype)
    kx, ky, k2, inv_k2 = (x.to(real) for x in (kx, ky, k2, inv_k2))
    if forcing is not None:
        f = np.asarray(forcing, dtype=float)
        if f.shape not in ((nx, ny), (B, nx, ny)):
            raise ValidationError(f"forcing must have shape ({nx}, {ny}) or ({B}, {nx}, {ny}), got {f.shape}")
        f_hat = torch.fft.rfft2(torch.as_tensor(f).to(real)) * mask
    else:
        f_hat = None

    def velocity(v):
        psi = v * inv_k2
        u = torch.fft.irfft2(1j * ky * psi, s=(nx, ny))
        w = torch.fft.irfft2(-1j * kx * psi, s=(nx, ny))
        return u, w

    # one batched inverse transform gives u, v, w_x, w_y from w's spectrum
    ops = torch.stack(
        [1j * ky * inv_k2, -1j * kx * inv_k2, (1j * kx).expand_as(k2), (1j * ky).expand_as(k2)]
    )  # (4, nx, ny//2+1)

    def N(v):
        g = torch.fft.irfft2(v[:, None] * ops, s=(nx, ny))
        adv = -torch.fft.rfft2(g[:, 0] * g[:, 2] + g[:, 1] * g[:, 3]) * mask
        return adv if f_hat is None else adv + f_hat

    v0 = torch.fft.rfft2(torch.as_tensor(w0).to(real)) * mask
    u0, w0v = velocity(v0)
    umax = float(torch.sqrt(u0**2 + w0v**2).max())
    _cfl("navier_stokes_2d", umax, dt, length / nx)

    if with_velocity:

        def to_real(v):
            u, w = velocity(v)
            return torch.stack([torch.fft.irfft2(v, s=(nx, ny)), u, w], dim=1)
    else:

        def to_real(v):
            return torch.fft.irfft2(v, s=(nx, ny))

    return _run(v0, L, N, dt, n_steps, save_every, to_real, dtype, "navier_stokes_2d", progress)


def random_vorticity(
    batch: int, n: int, *, peak: float = 4.0, rms: float = 1.0, seed: int = 0, length: float = 2 * math.pi
):
    """Smooth random vorticity fields ``(batch, n, n)``: Gaussian Fourier coefficients with the energy
    spectrum ``k^4 exp(-2 (k / peak)^2)`` (a band around wavenumber ``peak``), zero mean, scaled to the
    given root-mean-square vorticity."""
    torch = _torch()
    gen = torch.Generator().manual_seed(int(seed))
    kx, ky = _wavenumbers((n, n), (length, length), torch)
    k = torch.sqrt(kx**2 + ky**2) * length / (2 * math.pi)
    amp = torch.where(k > 0, k**2 * torch.exp(-((k / peak) ** 2)), 0.0) * _dealias_mask((n, n), torch)
    re = torch.randn((batch, *amp.shape), generator=gen, dtype=torch.float64)
    im = torch.randn((batch, *amp.shape), generator=gen, dtype=torch.float64)
    w = torch.fft.irfft2((re + 1j * im) * amp, s=(n, n))
    w = w - w.mean(dim=(1, 2), keepdim=True)
    w = w * rms / w.pow(2).mean(dim=(1, 2), keepdim=True).sqrt()
    return w.numpy()


__all__ = [
    "CFL_MAX",
    "ETDRK4",
    "burgers_1d",
    "kolmogorov_forcing",
    "kuramoto_sivashinsky_1d",
    "navier_stokes_2d",
    "random_vorticity",
]
