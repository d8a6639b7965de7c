"""D2Q9 lattice Boltzmann for 2-D incompressible flow in channels with obstacles, batched over shapes.

The populations :math:`f_i(\\mathbf x, t)` on the D2Q9 lattice (velocities :math:`\\mathbf c_i`, weights
:math:`w_i = 4/9, 1/9, 1/36`, sound speed :math:`c_s^2 = 1/3`) collide and stream,

.. math::
    f_i(\\mathbf x + \\mathbf c_i, t + 1) = f_i^*(\\mathbf x, t), \\qquad
    f_i^* = f_i - \\omega^+ (f_i^+ - f_i^{eq+}) - \\omega^- (f_i^- - f_i^{eq-}) + S_i,

with the second-order equilibrium :math:`f_i^{eq} = w_i\\rho\\,(1 + 3\\,\\mathbf c_i\\cdot\\mathbf u
+ \\tfrac92 (\\mathbf c_i\\cdot\\mathbf u)^2 - \\tfrac32 u^2)`, :math:`f^\\pm` the parts of :math:`f` even and
odd under :math:`\\mathbf c_i \\to -\\mathbf c_i`. ``collision="bgk"`` uses one rate
:math:`\\omega^\\pm = 1/\\tau` (Bhatnagar, Gross & Krook 1954; Qian, d'Humieres & Lallemand 1992);
``collision="trt"`` (the default) relaxes the odd part at :math:`\\omega^- = 1/\\tau^-` with the "magic"
product :math:`\\Lambda = (\\tau - \\tfrac12)(\\tau^- - \\tfrac12) = 3/16` (Ginzburg, Verhaeghe & d'Humieres
2008), which puts the half-way bounce-back wall exactly half-way between nodes for every
:math:`\\tau` (BGK's wall moves with :math:`\\tau`; tests/test_fields_lbm.py measures both). The
kinematic viscosity is :math:`\\nu = (\\tau - \\tfrac12)/3` in lattice units. A body force
:math:`\\mathbf F` enters by Guo, Zheng & Shi (2002): :math:`\\mathbf u = (\\sum_i f_i \\mathbf c_i + \\mathbf
F/2)/\\rho`, :math:`S_i = w_i[3(\\mathbf c_i - \\mathbf u) + 9(\\mathbf c_i\\cdot\\mathbf u)\\mathbf
c_i]\\cdot\\mathbf F` split into even/odd parts scaled by :math:`1 - \\omega^\\pm/2`.

Boundaries (node :math:`(y, x)` at the cell centre :math:`((x+\\tfrac12)\\Delta x, (y+\\tfrac12)\\Delta
x)`):

- **Obstacles and walls: half-way bounce-back.** A population that would stream from a solid node
  into a fluid node is the fluid node's own post-collision population in the opposite direction,
  :math:`f_{\\bar i}(\\mathbf x, t+1) = f_i^*(\\mathbf x, t)`; the no-slip surface lies half-way along the
  link. Channel walls lie half a cell below row 0 and above the last row. Streaming and bounce-back
  are one ``gather`` with a per-member index built once from the masks, so a batch of different
  obstacles costs one kernel, no Python loop over members.
- **Inlet (x = 0): Zou & He (1997) velocity condition**: the unknown :math:`f_1, f_5, f_8` from the
  given :math:`u_x(y)` (:math:`u_y = 0`) and the known populations, with :math:`\\rho = [f_0 + f_2 + f_4 +
  2(f_3 + f_6 + f_7)]/(1 - u_x)`.
- **Outlet (last column): Zou & He pressure condition** :math:`\\rho = 1` (:math:`u_y = 0`), solving for
  :math:`f_3, f_6, f_7`.
- ``periodic_x=True`` instead wraps the channel (for body-force-driven flows).

**Drag and lift by momentum exchange** (Ladd 1994; Mei, Yu, Shyy & Luo 2002): for a stationary
obstacle and half-way bounce-back, every link from a fluid node :math:`\\mathbf x` to a solid node
:math:`\\mathbf x + \\mathbf c_i` hands the body the momentum :math:`2 f_i^*(\\mathbf x)\\,\\mathbf c_i` per step;
:math:`\\mathbf F = \\sum_{\\text{links}} 2 f_i^* \\mathbf c_i`, per batch member, on the obstacle mask only (not
the channel walls).

Units: :class:`LatticeUnits` is the one place where physical length, velocity and viscosity become
lattice ones (:math:`\\Delta x` = length / cells, :math:`\\Delta t = \\Delta x\\, U_{lat}/U`, :math:`\\nu_{lat} =
\\nu\\,\\Delta t/\\Delta x^2`, :math:`\\tau = 3\\nu_{lat} + \\tfrac12`); the Reynolds number is the same in both.
Bad input is refused: :math:`\\tau` below :data:`TAU_MIN` (unstable as :math:`\\tau \\to \\tfrac12`) and a lattice
Mach number :math:`u/c_s` above :data:`MACH_MAX` (compressibility error, instability), each with the bound
and the fix. A run that leaves the finite numbers raises :class:`~dynlearn.errors.DivergenceError`
with the step and the members.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from dynlearn.errors import DivergenceError, ValidationError

#: lattice velocities c_i = (c_x, c_y): rest, E, N, W, S, NE, NW, SW, SE
C = np.array([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1], [1, 1], [-1, 1], [-1, -1], [1, -1]])
W = np.array([4 / 9] + [1 / 9] * 4 + [1 / 36] * 4)
OPP = np.array([0, 3, 4, 1, 2, 7, 8, 5, 6])
CS = 1 / math.sqrt(3)
#: smallest relaxation time accepted (nu_lattice = (tau - 1/2)/3 -> 0 makes BGK/TRT unstable)
TAU_MIN = 0.505
#: largest lattice Mach number u/c_s accepted for the imposed velocities (inflow, body-force estimate)
MACH_MAX = 0.3
#: the TRT "magic" parameter that puts half-way bounce-back walls exactly half-way for every tau
MAGIC = 3 / 16


def _torch():
    import torch

    return torch


@dataclasses.dataclass(frozen=True)
class LatticeUnits:
    """Physical <-> lattice units: ``dx`` (length of one cell) and ``dt`` (time of one step).

    ``from_physical(length, cells, velocity, u_lattice)``: ``length`` is resolved by ``cells`` cells,
    the physical ``velocity`` becomes ``u_lattice`` lattice units per step. Then a physical viscosity
    ``nu`` has lattice value ``nu dt / dx**2`` and relaxation time ``tau = 3 nu_lattice + 1/2``; the
    Reynolds number ``U L / nu`` is unchanged by the conversion.
    """

    dx: float
    dt: float

    @classmethod
    def from_physical(cls, length: float, cells: float, velocity: float, u_lattice: float) -> LatticeUnits:
        if not (length > 0 and cells > 0 and velocity > 0 and u_lattice > 0):
            raise ValidationError(
                f"length, cells, velocity and u_lattice must be positive, got {length}, {cells}, {velocity}, {u_lattice}"
            )
        dx = length / cells
        return cls(dx=dx, dt=dx * u_lattice / velocity)

    def velocity(self, u: Any) -> Any:
        return np.asarray(u, dtype=float) * self.dt / self.dx

    def viscosity(self, nu: Any) -> Any:
        return np.asarray(nu, dtype=float) * self.dt / self.dx**2

    def tau(self, nu: Any) -> Any:
        return 3 * self.viscosity(nu) + 0.5


def check_tau(tau: np.ndarray) -> None:
    low = tau < TAU_MIN
    if np.any(low):
        raise ValidationError(
            f"relaxation time tau = {float(tau[low].min()):.4g} (members {np.flatnonzero(low)[:5].tolist()}) is below "
            f"{TAU_MIN}: too close to 1/2 to be stable; use more cells, a larger lattice velocity or more viscosity"
        )


def check_mach(u_lattice: float, what: str) -> None:
    mach = abs(u_lattice) / CS
    if mach > MACH_MAX:
        raise ValidationError(
            f"{what}: lattice Mach number {mach:.3g} exceeds {MACH_MAX} (|u| <= {MACH_MAX * CS:.3g} lattice units); "
            "use a smaller lattice velocity (more time steps)"
        )


def channel_profile(ny: int, u_max: Any) -> np.ndarray:
    """Plane Poiseuille inflow ``4 u_max y (H - y) / H**2`` at the cell centres ``y = j + 1/2`` of a
    channel of ``ny`` cells with half-way walls; ``u_max`` a scalar or one per member -> ``(B, ny)``."""
    y = np.arange(ny) + 0.5
    shape = 4 * y * (ny - y) / ny**2
    return np.atleast_1d(np.asarray(u_max, dtype=float))[:, None] * shape[None, :]


class D2Q9:
    """A batch of 2-D channels (or periodic boxes) on one ``(ny, nx)`` lattice.

    ``obstacle``: bool ``(B, ny, nx)`` (or ``(ny, nx)``, shared), the solid nodes whose force is
    measured. ``tau``: scalar or one per member. ``inflow``: lattice ``u_x`` at the inlet, ``(B, ny)``
    or ``(ny,)``; required unless ``periodic_x``. ``walls``: no-slip walls below row 0 and above the
    last row (else periodic in y). ``force``: a body force ``(2,)`` or ``(B, 2)`` in lattice units.
    ``u0``: the initial velocity ``(B, 2, ny, nx)`` (default: the inflow profile everywhere, else
    rest), ``rho0`` the initial density (default 1). ``wall_distance``: ``(B, 9, ny, nx)``, for each
    link from a fluid node along ``c_i`` into the obstacle the fraction ``q`` in (0, 1] of the link
    that lies in the fluid (e.g. :func:`cylinder_wall_distance`); with it the obstacle's links use
    Bouzidi's interpolated bounce-back instead of the half-way rule (walls stay half-way).
    ``dtype``: ``"float64"`` (validations) or ``"float32"`` (datasets).
    """

    def __init__(
        self,
        obstacle: Any,
        *,
        tau: Any,
        inflow: Any = None,
        periodic_x: bool = False,
        walls: bool = True,
        force: Any = None,
        collision: str = "trt",
        u0: Any = None,
        rho0: Any = None,
        wall_distance: Any = None,
        dtype: str = "float64",
    ) -> None:
        torch = _torch()
        obstacle = np.asarray(obstacle, dtype=bool)
        if obstacle.ndim == 2:
            obstacle = obstacle[None]
        if obstacle.ndim != 3 or min(obstacle.shape[1:]) < 3:
            raise ValidationError(
                f"obstacle must be a bool mask (B, ny, nx) with ny, nx >= 3, got shape {obstacle.shape}"
            )
        if collision not in ("bgk", "trt"):
            raise ValidationError(f"collision must be 'bgk' or 'trt', got {collision!r}")
        if dtype not in ("float32", "float64"):
            raise ValidationError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        B, ny, nx = obstacle.shape
        self.batch, self.ny, self.nx, self.periodic_x, self.walls = B, ny, nx, bool(periodic_x), bool(walls)
        self.dtype = torch.float64 if dtype == "float64" else torch.float32
        tau = (
            np.broadcast_to(np.asarray(tau, dtype=float), (B,)).copy() if np.ndim(tau) == 0 else np.asarray(tau, float)
        )
        if tau.shape != (B,) or not np.all(np.isfinite(tau)):
            raise ValidationError(f"tau must be a finite scalar or one value per member ({B}), got shape {tau.shape}")
        check_tau(tau)
        self.tau = tau
        if collision == "bgk":
            tau_minus = tau
        else:
            tau_minus = MAGIC / (tau - 0.5) + 0.5
        col = dict(device="cpu", dtype=self.dtype)
        wp, wm = 1 / tau, 1 / tau_minus
        perm = np.eye(9)[OPP]
        K = 0.5 * (wp + wm)[:, None, None] * np.eye(9) + 0.5 * (wp - wm)[:, None, None] * perm
        quad = np.stack([4.5 * C[:, 0] ** 2 - 1.5, 9 * C[:, 0] * C[:, 1], 4.5 * C[:, 1] ** 2 - 1.5], axis=1)
        E = W[:, None] * np.concatenate([np.ones((9, 1)), 3 * C, quad], axis=1)  # f_eq = E m6
        self._A = torch.as_tensor(np.eye(9) - K, **col)
        self._KE = torch.as_tensor(K @ E, **col)
        self._src_even = torch.as_tensor(1 - 0.5 * wp, **col).view(B, 1, 1)
        self._src_odd = torch.as_tensor(1 - 0.5 * wm, **col).view(B, 1, 1)
        if not periodic_x:
            if inflow is None:
                raise ValidationError(
                    "a channel with an inlet needs `inflow` (lattice u_x per row); or set periodic_x=True"
                )
            inflow = np.asarray(inflow, dtype=float)
            inflow = np.broadcast_to(inflow if inflow.ndim == 2 else inflow[None], (B, ny))
            if not np.all(np.isfinite(inflow)):
                raise ValidationError("inflow contains NaN or inf")
            check_mach(float(np.abs(inflow).max()), "inflow")
            self._uin = torch.as_tensor(np.array(inflow), **col)
        self.inflow = inflow
        if force is not None:
            force = np.array(np.broadcast_to(np.asarray(force, dtype=float), (B, 2)))
            if not np.all(np.isfinite(force)):
                raise ValidationError("force contains NaN or inf")
            self._force = torch.as_tensor(np.ascontiguousarray(force), **col).view(B, 2, 1, 1)
        else:
            self._force = None
        self.obstacle = obstacle
        if wall_distance is not None:
            wall_distance = np.asarray(wall_distance, dtype=float)
            if wall_distance.ndim == 3:
                wall_distance = wall_distance[None]
            if wall_distance.shape != (B, 9, ny, nx):
                raise ValidationError(f"wall_distance must have shape {(B, 9, ny, nx)}, got {wall_distance.shape}")
        self._build_index(wall_distance)
        self._c = torch.as_tensor(C, **col)
        self._cx = self._c[:, 0].view(1, 9, 1, 1)
        self._cy = self._c[:, 1].view(1, 9, 1, 1)
        self._w = torch.as_tensor(W, **col).view(1, 9, 1, 1)
        self._fluid = torch.as_tensor(~obstacle).view(B, 1, ny, nx)
        if u0 is None:
            u0 = np.zeros((B, 2, ny, nx))
            if not periodic_x:
                u0[:, 0] = inflow[:, :, None]
        u0 = np.asarray(u0, dtype=float)
        if u0.shape != (B, 2, ny, nx):
            raise ValidationError(f"u0 must have shape {(B, 2, ny, nx)}, got {u0.shape}")
        u0 = torch.as_tensor(u0, **col) * self._fluid
        rho0 = torch.ones((B, ny, nx), **col) if rho0 is None else torch.as_tensor(np.array(rho0, dtype=float), **col)
        if rho0.shape != (B, ny, nx):
            rho0 = rho0.expand(B, ny, nx).clone()
        self.f = self._equilibrium(rho0, u0[:, 0], u0[:, 1])
        self.step_count = 0

    # -- set-up ------------------------------------------------------------------------
    def _build_index(self, wall_distance=None) -> None:
        """Where node ``x`` pulls ``f_i`` from: ``x - c_i``, or its own ``f_opp(i)`` if that is solid or
        a wall, or itself inside an obstacle. Streaming is nine shifted slice copies (the same for
        every member) and then a sparse fix-up of the links that differ from the plain shift (bounce-back,
        periodic seams, obstacle interiors), one flat index pair over the whole batch. Also the
        obstacle links for momentum exchange."""
        torch = _torch()
        B, ny, nx = self.obstacle.shape
        n = ny * nx
        yy, xx = np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij")
        index = np.empty((B, 9, ny, nx), dtype=np.int64)
        links = np.zeros((B, 9, ny, nx), dtype=bool)
        fluid = ~self.obstacle
        for i, (cx, cy) in enumerate(C):
            sy, sx = yy - cy, xx - cx
            wall = (sy < 0) | (sy >= ny) if self.walls else np.zeros_like(sy, dtype=bool)
            sy, sx = sy % ny, sx % nx  # open x: wrapped sources at the inlet/outlet are overwritten by Zou-He
            from_solid = self.obstacle[:, sy, sx] | wall[None]
            pull = (i * n + sy * nx + sx)[None].repeat(B, 0)
            bounce = OPP[i] * n + yy * nx + xx
            index[:, i] = np.where(from_solid, bounce[None], pull)
            index[:, i][self.obstacle] = (i * n + yy * nx + xx)[None].repeat(B, 0)[self.obstacle]
            # obstacle links for the force: fluid x with x + c_i in the obstacle (not across the x seam)
            ty, tx = yy + cy, xx + cx
            inside = (ty >= 0) & (ty < ny) & ((tx >= 0) & (tx < nx) | self.periodic_x)
            links[:, i] = fluid & inside[None] & self.obstacle[:, ty % ny, tx % nx]
        plain = np.empty_like(index)
        valid = np.empty(index.shape, dtype=bool)
        for i, (cx, cy) in enumerate(C):
            sy, sx = yy - cy, xx - cx
            plain[:, i] = i * n + sy * nx + sx
            valid[:, i] = (sy >= 0) & (sy < ny) & (sx >= 0) & (sx < nx)
        special = ~valid | (index != plain)
        offsets = (np.arange(B) * 9 * n)[:, None, None, None]
        self._dst = torch.as_tensor(np.flatnonzero(special))
        self._src = torch.as_tensor((index + offsets)[special])
        self._slices = [
            (
                i,
                slice(max(cy, 0), ny + min(cy, 0)),
                slice(max(cx, 0), nx + min(cx, 0)),
                slice(max(-cy, 0), ny - max(cy, 0)),
                slice(max(-cx, 0), nx - max(cx, 0)),
            )
            for i, (cx, cy) in enumerate(C)
        ]
        self._links = torch.as_tensor(links, dtype=self.dtype)
        self._interp = None
        if wall_distance is not None:
            self._interp = self._bouzidi(links, wall_distance, fluid)

    def _bouzidi(self, links, q, fluid):
        """Interpolated bounce-back (Bouzidi, Firdaouss & Lallemand 2001, linear): for the link from
        fluid node ``x`` along ``c_i`` that meets the wall at fraction ``q``, the population coming
        back, ``f_j(x, t+1)`` with ``j = opp(i)``, is ``2q f*_i(x) + (1 - 2q) f*_i(x - c_i)`` for
        ``q < 1/2`` and ``f*_i(x)/(2q) + (1 - 1/(2q)) f*_j(x)`` for ``q >= 1/2`` (``q = 1/2``: half-way).
        Where ``x - c_i`` is not fluid, the half-way rule is kept. Returns flat destinations, three
        flat sources and their weights."""
        torch = _torch()
        B, ny, nx = self.obstacle.shape
        n = ny * nx
        b, i, y, x = np.nonzero(links)
        qq = q[b, i, y, x]
        if not np.all((qq > 0) & (qq <= 1)):
            raise ValidationError("wall_distance must lie in (0, 1] on every link into the obstacle")
        j = OPP[i]
        ci = C[i]
        y2, x2 = y - ci[:, 1], x - ci[:, 0]
        if self.periodic_x:
            x2 = x2 % nx
        if not self.walls:
            y2 = y2 % ny
        inside = (y2 >= 0) & (y2 < ny) & (x2 >= 0) & (x2 < nx)
        back = np.zeros_like(inside)
        back[inside] = fluid[b[inside], y2[inside], x2[inside]]
        near = (qq < 0.5) & back
        far = qq >= 0.5
        qq = np.where(near | far, qq, 0.5)
        w1 = np.where(near, 2 * qq, 1 / (2 * qq))
        w2 = np.where(near, 1 - 2 * qq, 0.0)
        w3 = np.where(far, 1 - 1 / (2 * qq), 0.0)
        base = b * 9 * n
        dst = base + j * n + y * nx + x
        src1 = base + i * n + y * nx + x
        src2 = np.where(near, base + i * n + np.clip(y2, 0, ny - 1) * nx + np.clip(x2, 0, nx - 1), src1)
        src3 = base + j * n + y * nx + x
        col = dict(dtype=self.dtype)
        return (
            torch.as_tensor(dst),
            torch.as_tensor(src1),
            torch.as_tensor(src2),
            torch.as_tensor(src3),
            torch.as_tensor(w1, **col),
            torch.as_tensor(w2, **col),
            torch.as_tensor(w3, **col),
        )

    def _equilibrium(self, rho, ux, uy):
        cu = self._cx * ux[:, None] + self._cy * uy[:, None]
        usq = (ux * ux + uy * uy)[:, None]
        return self._w * rho[:, None] * (1 + 3 * cu + 4.5 * cu * cu - 1.5 * usq)

    # -- dynamics ------------------------------------------------------------------------
    def macroscopic(self, f=None):
        """``rho, ux, uy`` (each ``(B, ny, nx)``, torch) with the half-force shift of Guo's scheme."""
        f = self.f if f is None else f
        m = self._moments(f.view(self.batch, 9, -1)).view(self.batch, 3, self.ny, self.nx)
        return m[:, 0], m[:, 1] / m[:, 0], m[:, 2] / m[:, 0]

    def _moments(self, f):
        """``(rho, j_x, j_y)`` of ``f (B, 9, N)`` as ``(B, 3, N)``; ``j`` includes half the body force."""
        torch = _torch()
        east, west = f[:, 1] + f[:, 5] + f[:, 8], f[:, 3] + f[:, 6] + f[:, 7]
        north, south = f[:, 2] + f[:, 5] + f[:, 6], f[:, 4] + f[:, 7] + f[:, 8]
        m = torch.stack((f.sum(1), east - west, north - south), dim=1)
        if self._force is not None:
            m[:, 1:] += 0.5 * self._force.view(self.batch, 2, 1)
        return m

    def _collide(self):
        """Post-collision populations. The equilibrium is linear in the six moments
        ``(rho, j_x, j_y, j_x^2/rho, j_x j_y/rho, j_y^2/rho)``, ``f^eq = E m``, and BGK/TRT relax with
        one 9 x 9 matrix per member, ``K = a I + b P`` (``P`` swaps opposite directions,
        ``a, b = (omega+ +- omega-)/2``), so ``f* = (I - K) f + K E m``: two batched matrix products
        and the quadratic moments per step."""
        torch = _torch()
        B = self.batch
        f = self.f.view(B, 9, -1)
        m = self._moments(f)
        inv = 1 / m[:, 0:1]
        jx, jy = m[:, 1:2], m[:, 2:3]
        m6 = torch.cat((m, jx * jx * inv, jx * jy * inv, jy * jy * inv), dim=1)
        post = torch.baddbmm(self._KE @ m6, self._A, f) if B > 1 else self._A[0] @ f + self._KE[0] @ m6
        if self._force is not None:
            F = self._force.view(B, 2, 1)
            ux, uy = jx * inv, jy * inv
            cf = self._c @ F  # (B, 9, 1)
            cu = self._c @ torch.cat((ux, uy), dim=1)
            w = self._w.view(1, 9, 1)
            odd = 3 * w * cf
            even = w * (9 * cu * cf - 3 * (ux * F[:, 0:1] + uy * F[:, 1:2]))
            post = post + self._src_even * even + self._src_odd * odd
        return post.view(B, 9, self.ny, self.nx)

    def _open_boundaries(self, f) -> None:
        """Zou-He velocity inlet (column 0) and pressure outlet rho = 1 (last column), in place."""
        torch = _torch()
        a = f[:, :, :, 0]
        ux = self._uin
        rho = (a[:, 0] + a[:, 2] + a[:, 4] + 2 * (a[:, 3] + a[:, 6] + a[:, 7])) / (1 - ux)
        d = 0.5 * (a[:, 2] - a[:, 4])
        new = torch.stack([a[:, 3] + (2 / 3) * rho * ux, a[:, 7] - d + rho * ux / 6, a[:, 6] + d + rho * ux / 6], dim=1)
        keep = self._fluid[:, :, :, 0]
        a[:, [1, 5, 8]] = torch.where(keep, new, a[:, [1, 5, 8]])
        b = f[:, :, :, -1]
        uo = -1 + (b[:, 0] + b[:, 2] + b[:, 4] + 2 * (b[:, 1] + b[:, 5] + b[:, 8]))
        d = 0.5 * (b[:, 2] - b[:, 4])
        new = torch.stack([b[:, 1] - (2 / 3) * uo, b[:, 8] - d - uo / 6, b[:, 5] + d - uo / 6], dim=1)
        keep = self._fluid[:, :, :, -1]
        b[:, [3, 6, 7]] = torch.where(keep, new, b[:, [3, 6, 7]])

    def step(self, n: int = 1, *, with_force: bool = False):
        """Advance ``n`` steps; with ``with_force`` return the obstacle force ``(B, 2)`` (lattice units,
        numpy) of the last step by momentum exchange."""
        torch = _torch()
        force = None
        for k in range(n):
            post = self._collide()
            f = torch.empty_like(post)
            for i, ys, xs, ys_src, xs_src in self._slices:
                f[:, i, ys, xs] = post[:, i, ys_src, xs_src]
            flat = post.view(-1)
            f.view(-1)[self._dst] = flat[self._src]
            if self._interp is not None:
                dst, s1, s2, s3, w1, w2, w3 = self._interp
                f.view(-1)[dst] = w1 * flat[s1] + w2 * flat[s2] + w3 * flat[s3]
            if with_force and k == n - 1:
                # momentum exchange: each obstacle link gives c_i (f*_i(x) + f_opp(i)(x, t+1))
                force = (((post + f[:, OPP]) * self._links).sum((-2, -1)) @ self._c).numpy()
            if not self.periodic_x:
                self._open_boundaries(f)
            self.f = f
        self.step_count += n
        return force

    def check_finite(self, what: str = "lattice Boltzmann") -> None:
        torch = _torch()
        bad = ~torch.isfinite(self.f.reshape(self.batch, -1)).all(dim=1)
        if bool(bad.any()):
            members = torch.nonzero(bad).flatten().tolist()
            raise DivergenceError(
                f"{what}: batch member(s) {members[:5]} left the finite numbers by step {self.step_count}; "
                "use a larger tau (more viscosity or cells) or a smaller lattice velocity"
            )

    def velocity(self) -> np.ndarray:
        """``(B, 2, ny, nx)`` lattice velocity, zero inside obstacles (numpy)."""
        _, ux, uy = self.macroscopic()
        fluid = self._fluid[:, 0]
        return _torch().stack((ux * fluid, uy * fluid), dim=1).numpy()


def mlups(batch: int, ny: int, nx: int, steps: int, seconds: float) -> float:
    """Million lattice-node updates per second."""
    return batch * ny * nx * steps / seconds / 1e6


def cylinder_wall_distance(ny: int, nx: int, cx: Any, cy: Any, r: Any) -> np.ndarray:
    """For :func:`cylinder_mask`'s discs, the fraction ``q`` of each link from a fluid node along
    ``c_i`` into the disc that lies in the fluid: the smaller root ``t`` of ``|p + t c_i - o| = r``
    (``(B, 9, ny, nx)``, NaN where the link does not enter a disc)."""
    cx, cy, r = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (cx, cy, r))
    cx, cy, r = np.broadcast_arrays(cx, cy, r)
    mask = cylinder_mask(ny, nx, cx, cy, r)
    py = (np.arange(ny) + 0.5)[None, :, None] - cy[:, None, None]
    px = (np.arange(nx) + 0.5)[None, None, :] - cx[:, None, None]
    q = np.full((len(r), 9, ny, nx), np.nan)
    for i, (ex, ey) in enumerate(C[1:], start=1):
        a = ex * ex + ey * ey
        b = 2 * (ex * px + ey * py)
        c = px**2 + py**2 - r[:, None, None] ** 2
        t = (-b - np.sqrt(np.maximum(b * b - 4 * a * c, 0))) / (2 * a)
        ty = np.arange(ny)[:, None] + ey
        tx = np.arange(nx)[None, :] + ex
        ok = (ty >= 0) & (ty < ny) & (tx >= 0) & (tx < nx)
        hit = ~mask & ok[None] & mask[:, np.clip(ty, 0, ny - 1), np.clip(tx, 0, nx - 1)]
        q[:, i][hit] = np.clip(t[hit], 1e-6, 1.0)
    return q


def cylinder_mask(ny: int, nx: int, cx: Any, cy: Any, r: Any) -> np.ndarray:
    """Solid discs (``(B, ny, nx)``) of radius ``r`` centred at ``(cx, cy)``, all in lattice cells
    measured from the channel's lower-left corner; node ``(j, i)`` sits at ``(i + 1/2, j + 1/2)``."""
    cx, cy, r = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (cx, cy, r))
    cx, cy, r = np.broadcast_arrays(cx, cy, r)
    y = np.arange(ny) + 0.5
    x = np.arange(nx) + 0.5
    d2 = (x[None, None, :] - cx[:, None, None]) ** 2 + (y[None, :, None] - cy[:, None, None]) ** 2
    return d2 <= r[:, None, None] ** 2


# -- datasets -----------------------------------------------------------------------------
def cylinder_flow(
    *,
    u_in: Any,
    nu: Any,
    radius: Any,
    cx: Any,
    cy: Any,
    n: int = 64,
    aspect: int = 2,
    refine: int = 1,
    height: float = 1.0,
    u_lattice: float = 0.1,
    steps: int = 1600,
    save_every: int = 40,
    collision: str = "trt",
    interpolated: bool = True,
    dtype: str = "float32",
    progress: Callable | None = None,
) -> dict[str, Any]:
    """Flow past a cylinder in a channel of ``height`` x ``aspect * height``, one geometry and
    parameter set per batch member (all arrays of one length B, or scalars).

    Parabolic inflow with centre-line speed ``u_in`` (so U_mean = 2 u_in / 3 and Re = U_mean 2r / nu),
    kinematic viscosity ``nu``, a disc of ``radius`` at ``(cx, cy)`` (physical units, from the lower-left
    corner); the fluid starts with the inflow profile everywhere and the wake develops. Solved on a
    ``(n refine, n aspect refine)`` lattice whose time step is set by the fastest member
    (``u_lattice`` lattice units for max ``u_in``); saved every ``save_every`` steps as block means
    over ``refine x aspect refine`` cells, i.e. on an ``n x n`` grid (``interpolated``: Bouzidi
    bounce-back on the exact circle, else half-way on the staircase): ``values (B, T, 2, n, n)``, the
    velocity u, v (physical units, block means; zero on the mask) and ``mask (B, n, n)`` (True where
    the block is mostly solid).
    """
    torch = _torch()
    if min(n, aspect, refine, steps, save_every) < 1:
        raise ValidationError(
            f"n, aspect, refine, steps and save_every must be >= 1, got {n}, {aspect}, {refine}, {steps}, {save_every}"
        )
    arrays = [np.atleast_1d(np.asarray(v, dtype=float)) for v in (u_in, nu, radius, cx, cy)]
    try:
        u_in, nu, radius, cx, cy = np.broadcast_arrays(*arrays)
    except ValueError:
        raise ValidationError(
            f"u_in, nu, radius, cx, cy need one value each or one per member, got lengths {[len(a) for a in arrays]}"
        ) from None
    if not all(np.all(np.isfinite(a)) and np.all(a > 0) for a in (u_in, nu, radius, cx, cy)):
        raise ValidationError("u_in, nu, radius, cx and cy must be positive finite numbers")
    ny, nx = n * refine, n * aspect * refine
    length = aspect * height
    units = LatticeUnits.from_physical(height, ny, float(u_in.max()), u_lattice)
    r, x0, y0 = radius / units.dx, cx / units.dx, cy / units.dx
    outside = (x0 - r < 1) | (x0 + r > nx - 2) | (y0 - r < 1) | (y0 + r > ny - 1)
    if np.any(outside):
        raise ValidationError(
            f"cylinder of member(s) {np.flatnonzero(outside)[:5].tolist()} does not fit inside the {length:g} x "
            f"{height:g} channel with a cell to spare: choose radius, cx, cy with r < cx < {length:g} - r, r < cy < "
            f"{height:g} - r"
        )
    mask = cylinder_mask(ny, nx, x0, y0, r)
    tau = units.tau(nu)
    try:
        check_tau(tau)
    except ValidationError as exc:
        raise ValidationError(
            f"cylinder: {exc}; here nu_lattice = nu dt / dx^2 with dx = {units.dx:.4g}, "
            f"dt = {units.dt:.4g}: raise refine, u_lattice or nu"
        ) from None
    sim = D2Q9(
        mask,
        tau=tau,
        inflow=channel_profile(ny, units.velocity(u_in)),
        collision=collision,
        dtype=dtype,
        wall_distance=cylinder_wall_distance(ny, nx, x0, y0, r) if interpolated else None,
    )
    scale = units.dx / units.dt
    kernel = (refine, aspect * refine)
    pooled_mask = torch.nn.functional.avg_pool2d(torch.as_tensor(mask, dtype=sim.dtype)[:, None], kernel) >= 0.5

    def frame():
        sim.check_finite("cylinder")
        _, ux, uy = sim.macroscopic()
        vel = torch.stack((ux, uy), dim=1) * sim._fluid * scale
        return torch.nn.functional.avg_pool2d(vel, kernel) * ~pooled_mask

    frames = [frame()]
    for k in range(steps // save_every):
        sim.step(save_every)
        frames.append(frame())
        if progress is not None:
            progress((k + 1) * save_every, steps)
    values = torch.stack(frames, dim=1).numpy()
    return {
        "times": np.arange(len(frames)) * save_every * units.dt,
        "values": values.astype(dtype, copy=False),
        "mask": pooled_mask[:, 0].numpy(),
        "params": {
            "u_in": u_in,
            "nu": nu,
            "radius": radius,
            "cx": cx,
            "cy": cy,
            "reynolds": (2 / 3) * u_in * 2 * radius / nu,
        },
        "units": units,
        "tau": tau,
        "lattice": (ny, nx),
        "length": length,
    }


# -- validations --------------------------------------------------------------------------
def poiseuille(
    ny: int = 16,
    *,
    tau: float = 0.8,
    force: float = 1e-6,
    collision: str = "trt",
    steps: int | None = None,
    dtype: str = "float64",
) -> dict[str, Any]:
    """Body-force-driven plane Poiseuille flow in a periodic channel of ``ny`` cells (half-way walls);
    returns the simulated and exact profiles ``u(y) = F y (H - y) / (2 nu)`` (``y = j + 1/2``, ``H = ny``)
    and the relative max error."""
    nu = (tau - 0.5) / 3
    exact = force * (np.arange(ny) + 0.5) * (ny - np.arange(ny) - 0.5) / (2 * nu)
    check_mach(float(exact.max()), "poiseuille")
    sim = D2Q9(np.zeros((ny, 4), bool), tau=tau, periodic_x=True, force=(force, 0.0), collision=collision, dtype=dtype)
    steps = steps if steps is not None else int(3 * ny * ny / nu) + 100
    sim.step(steps)
    sim.check_finite("poiseuille")
    u = sim.velocity()[0, 0, :, 0]
    return {"u": u, "exact": exact, "error": float(np.abs(u - exact).max() / exact.max()), "steps": steps}


def schaefer_turek(
    cells_per_diameter: int = 20,
    *,
    u_max_lattice: float = 0.05,
    collision: str = "trt",
    boundary: str = "bouzidi",
    max_steps: int | None = None,
    check_every: int = 250,
    window: int = 8,
    tol: float = 1e-3,
    dtype: str = "float64",
    progress: Callable | None = None,
) -> dict[str, Any]:
    """Schaefer & Turek (1996) 2D-1: a cylinder of D = 0.1 at (0.2, 0.2) in a 2.2 x 0.41 channel,
    parabolic inflow U_max = 0.3, nu = 1e-3, so Re = U_mean D / nu = 20 with U_mean = 2 U_max / 3.
    Reference: drag C_D = 2 F_x / (rho U_mean^2 D) = 5.57-5.59 and lift C_L = 0.0104-0.0110.
    The inflow's lattice speed ``u_max_lattice`` sets the Mach number, whose compressibility error
    raises C_D by about 21 u_max_lattice^2 (measured: docs/fields.md), hence the default 0.05.

    ``boundary``: ``"bouzidi"`` (interpolated bounce-back on the cylinder, the exact circle) or
    ``"halfway"`` (the staircase of nodes whose centres lie in the disc). Runs to steady state (C_D and
    C_L vary by less than ``tol`` C_D over the last ``window`` checks of ``check_every`` steps each, or
    ``max_steps``) and returns their mean over that window, steps, wall seconds and MLUPS."""
    if boundary not in ("bouzidi", "halfway"):
        raise ValidationError(f"boundary must be 'bouzidi' or 'halfway', got {boundary!r}")
    units = LatticeUnits.from_physical(0.1, cells_per_diameter, 0.3, u_max_lattice)
    ny, nx = round(0.41 / units.dx), round(2.2 / units.dx)
    c = 0.2 / units.dx
    mask = cylinder_mask(ny, nx, c, c, 0.05 / units.dx)
    q = cylinder_wall_distance(ny, nx, c, c, 0.05 / units.dx) if boundary == "bouzidi" else None
    tau = float(units.tau(1e-3))
    nu_lat = float(units.viscosity(1e-3))
    # start from the channel's Poiseuille pressure, p = rho / 3 falling by 8 nu u_max / H^2 per cell,
    # so that the long acoustic waves of an impulsive start (slow to die in a closed channel) stay small
    gradient = 3 * 8 * nu_lat * u_max_lattice / ny**2
    rho0 = 1 + gradient * (nx - 1 - np.arange(nx))[None, :].repeat(ny, 0)
    sim = D2Q9(
        mask,
        tau=tau,
        inflow=channel_profile(ny, u_max_lattice),
        collision=collision,
        dtype=dtype,
        rho0=rho0,
        wall_distance=q,
    )
    u_mean, d = 2 * u_max_lattice / 3, cells_per_diameter
    max_steps = max_steps if max_steps is not None else int(10 * d * d / nu_lat)
    start = time.perf_counter()
    history = []
    while sim.step_count < max_steps:
        f = sim.step(check_every, with_force=True)[0]
        sim.check_finite("schaefer_turek")
        coef = 2 * f / (u_mean**2 * d)
        history.append((sim.step_count, *coef))
        if progress is not None:
            progress(sim.step_count, max_steps)
        if len(history) > window:
            recent = np.array(history[-window:])[:, 1:]
            if np.all(np.ptp(recent, axis=0) <= tol * abs(coef[0])):
                break
    coef = np.array(history[-window:])[:, 1:].mean(axis=0)
    seconds = time.perf_counter() - start
    return {
        "cd": float(coef[0]),
        "cl": float(coef[1]),
        "steps": sim.step_count,
        "seconds": seconds,
        "mlups": mlups(1, ny, nx, sim.step_count, seconds),
        "tau": tau,
        "grid": (ny, nx),
        "history": np.array(history),
        "converged": sim.step_count < max_steps,
        "sim": sim,
    }


__all__ = [
    "C",
    "D2Q9",
    "MACH_MAX",
    "MAGIC",
    "OPP",
    "TAU_MIN",
    "W",
    "LatticeUnits",
    "channel_profile",
    "cylinder_flow",
    "cylinder_mask",
    "cylinder_wall_distance",
    "mlups",
    "poiseuille",
    "schaefer_turek",
]
