"""Incompressible 2-D Navier-Stokes in a box by a projection method, with solid masks.

The equations, for the velocity :math:`\\mathbf u = (u, v)` and the kinematic pressure :math:`p`:

.. math::
    \\partial_t \\mathbf u + \\nabla\\cdot(\\mathbf u \\otimes \\mathbf u) = -\\nabla p + \\nu \\nabla^2 \\mathbf u,
    \\qquad \\nabla\\cdot\\mathbf u = 0,

on the rectangle :math:`[0, L_x] \\times [0, L_y]`, optionally with solid cells (an obstacle) removed.

**Grid.** A staggered MAC grid (Harlow & Welch 1965) of ``nx x ny`` cells: ``u`` on the vertical
faces ``(nx + 1, ny)``, ``v`` on the horizontal faces ``(nx, ny + 1)``, the pressure in the cells.
Advection in conservative form with second-order central differences (or, with
``advection="quick"``, QUICK's upwind-biased face values, Leonard 1979, which keep odd-even wiggles
away where the cell Reynolds number exceeds 2), diffusion by the five-point Laplacian; wall
values enter through ghost values (``u_ghost = 2 u_wall - u``), so a wall sits exactly on the faces
of the boundary cells.

**Time stepping.** Chorin's projection (Chorin 1968) inside each stage of the three-stage strong
stability preserving Runge-Kutta scheme (Shu & Osher 1988): a stage advances the momentum
explicitly to :math:`\\mathbf u^*`, then removes its divergent part, :math:`\\mathbf u = \\mathbf u^* - G\\phi`
with :math:`D G \\phi = D \\mathbf u^*` (``D`` the cell divergence, ``G`` the face gradient). The
discrete operators are exactly adjoint, so the projected field's divergence is zero to the
Poisson solver's round-off (about 1e-12), not to truncation error. The normal velocity on the
box's boundary is prescribed (walls, inflow, outflow), so the pressure problem is the Neumann
Laplacian everywhere; its compatibility (zero net flux) holds by construction, and the outflow is
corrected by a uniform shift to carry exactly the inflow's flux.

**Pressure Poisson solve (direct).** Without obstacle, the Neumann Laplacian on cell centres is
diagonalised by the type-II discrete cosine transform in each direction, with eigenvalues
:math:`-4\\sin^2(\\pi k/2n_x)/h_x^2 - 4\\sin^2(\\pi l/2n_y)/h_y^2`: an exact O(N log N) solve that
also batches over members whose box sizes differ (the cavity's geometry axis). With an obstacle
the operator is no longer separable; it is assembled as a sparse matrix over the fluid cells,
factorised once (SuperLU) and reused for every stage and every batch member (one
right-hand side per member).

**Solids (obstacles) by masking.** A cell is solid when its centre lies inside the obstacle
(a staircase boundary). Every face touching a solid cell is closed: its velocity is zero and it
takes no pressure correction, so the walls of the solid are no-penetration and the projection
sees Neumann walls there. No-slip for the tangential velocity is imposed by mirroring: a
closed neighbour in the tangential direction enters the stencils as ``-u`` (the wall half-way),
the same ghost rule as the box's walls. The wall is thus resolved to the staircase of cells,
first order in the curved geometry; an immersed-boundary forcing would be the next step.

**Boundary conditions.** No-slip walls, optionally moving tangentially (the cavity's lid on
top); an inflow on the left (``uniform`` or ``parabolic`` profile of mean velocity ``U``:
peak ``1.5 U``); on the right an outflow, ``zero_gradient`` (:math:`\\partial_x \\mathbf u = 0`) or
``convective`` (:math:`\\partial_t u + U \\partial_x u = 0`), each corrected to the inflow's flux.

**Stability.** The scheme is stable for
:math:`\\Delta t\\,(\\max|u|/h_x + \\max|v|/h_y + 2\\nu(h_x^{-2} + h_y^{-2})) \\le 1`: a triangle inside
SSP-RK3's stability region (which reaches :math:`\\pm i\\sqrt3` and :math:`-2.51`) holding every
eigenvalue of the central advection and the five-point diffusion. A larger step is refused
before any work with the largest stable one in the message; a flow that accelerates beyond it
while running is stopped with the step named, and a field that leaves the finite numbers raises
:class:`~dynlearn.errors.DivergenceError`.

Validation (``tests/test_fields_projection.py``): the cavity's centre-line velocities against
Ghia, Ghia & Shin (1982, *J. Comput. Phys.* 48, 387) Tables I and II at Re = 100 and 1000; the
plane Poiseuille profile in the channel; divergence of the projected field at round-off.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dynlearn.errors import DivergenceError, ValidationError

#: the stability bound: dt * (|u|/hx + |v|/hy + 2 nu (1/hx^2 + 1/hy^2)) <= STABILITY
STABILITY = 1.0
#: a running flow whose stability number exceeds this is stopped (SSP-RK3 loses stability near 1.7)
_RUNAWAY = 1.6
MIN_CELLS = 8


def _per_member(name: str, value, batch: int) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        arr = np.full(batch, float(arr))
    if arr.shape != (batch,):
        raise ValidationError(f"{name} must be a scalar or one value per batch member ({batch}), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValidationError(f"{name} contains NaN or inf")
    return arr


def obstacle_mask(
    nx: int, ny: int, lx: float, ly: float, *, shape: str = "circle", centre=(1.0, 0.5), size: float = 0.25
) -> np.ndarray:
    """Solid cells ``(nx, ny)`` of an obstacle: a ``circle`` of diameter ``size`` or a ``square`` of
    side ``size`` centred at ``centre``; a cell is solid when its centre lies inside. The obstacle must
    keep two cells of fluid to every side of the box."""
    hx, hy = lx / nx, ly / ny
    xc, yc = (np.arange(nx) + 0.5) * hx, (np.arange(ny) + 0.5) * hy
    X, Y = np.meshgrid(xc, yc, indexing="ij")
    cx, cy = (float(c) for c in centre)
    if not size > 0:
        raise ValidationError(f"obstacle size must be > 0, got {size}")
    if shape == "circle":
        solid = (X - cx) ** 2 + (Y - cy) ** 2 < (size / 2) ** 2
    elif shape == "square":
        solid = (np.abs(X - cx) < size / 2) & (np.abs(Y - cy) < size / 2)
    else:
        raise ValidationError(f"obstacle shape must be 'circle' or 'square', got {shape!r}")
    margin = (cx - size / 2, lx - cx - size / 2, cy - size / 2, ly - cy - size / 2)
    if min(margin) < 2 * max(hx, hy):
        raise ValidationError(
            f"the obstacle ({shape} of size {size} at ({cx}, {cy})) must stay two cells inside the "
            f"{lx} x {ly} box; move it or make it smaller"
        )
    if not solid.any():
        raise ValidationError(f"the obstacle ({shape} of size {size}) covers no cell centre at this grid; enlarge it")
    return solid


def _upwind_curvature(q: np.ndarray, a: np.ndarray, axis: int) -> np.ndarray:
    """QUICK's correction (Leonard 1979) for the faces between consecutive entries of ``q`` along
    ``axis``: the face value is ``(q_L + q_R) / 2`` minus this, an eighth of the second difference
    taken on the side the advecting velocity ``a`` (one per face) comes from. The first and last
    faces, whose upwind stencil would leave the array, stay central."""
    q, a = np.moveaxis(q, axis, -1), np.moveaxis(a, axis, -1)
    m = q.shape[-1] - 1
    out = np.zeros(np.broadcast_shapes(a.shape, q.shape[:-1] + (m,)), dtype=q.dtype)
    left, right = q[..., 1 : m - 1], q[..., 2:m]
    from_left = q[..., 0 : m - 2] - 2 * left + right
    from_right = left - 2 * right + q[..., 3 : m + 1]
    out[..., 1:-1] = np.where(a[..., 1:-1] > 0, from_left, from_right) / 8
    return np.moveaxis(out, -1, axis)


class _DCTPoisson:
    """Neumann Laplacian on cell centres, diagonalised by DCT-II; ``hx``, ``hy`` may differ per member."""

    def __init__(self, nx: int, ny: int, hx: np.ndarray, hy: np.ndarray):
        kx = np.arange(nx)[None, :, None]
        ky = np.arange(ny)[None, None, :]
        lam = -4 * np.sin(np.pi * kx / (2 * nx)) ** 2 / hx**2 - 4 * np.sin(np.pi * ky / (2 * ny)) ** 2 / hy**2
        lam[:, 0, 0] = 1.0  # the constant mode: the pressure's free constant is set to zero
        self.inv = 1.0 / lam
        self.inv[:, 0, 0] = 0.0

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        from scipy import fft

        return fft.idctn(fft.dctn(rhs, type=2, axes=(1, 2), norm="ortho") * self.inv, type=2, axes=(1, 2), norm="ortho")


class _SparsePoisson:
    """Neumann Laplacian over the fluid cells (solid cells decoupled), one SuperLU factorisation."""

    def __init__(self, nx: int, ny: int, hx: float, hy: float, solid: np.ndarray):
        from scipy import sparse
        from scipy.sparse.linalg import splu

        idx = np.arange(nx * ny).reshape(nx, ny)
        fluid = ~solid
        rows, cols, vals = [], [], []
        # one entry pair per open interior face: (DG phi)_a += (phi_b - phi_a) / h^2, and the mirror for b
        for a, b, h2 in (
            (idx[:-1, :], idx[1:, :], hx * hx),
            (idx[:, :-1], idx[:, 1:], hy * hy),
        ):
            open_ = fluid.ravel()[a] & fluid.ravel()[b]
            a, b = a[open_], b[open_]
            w = np.full(a.shape, 1.0 / h2)
            rows += [a, a, b, b]
            cols += [b, a, a, b]
            vals += [w, -w, w, -w]
        rows, cols, vals = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        # the pinned cell (first fluid cell) and the solid cells get identity rows
        self.pin = int(np.flatnonzero(fluid.ravel())[0])
        fixed = np.zeros(nx * ny, dtype=bool)
        fixed[solid.ravel()] = True
        fixed[self.pin] = True
        keep = ~fixed[rows]
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
        diag = np.flatnonzero(fixed)
        rows, cols = np.concatenate([rows, diag]), np.concatenate([cols, diag])
        vals = np.concatenate([vals, np.ones(len(diag))])
        A = sparse.csc_matrix((vals, (rows, cols)), shape=(nx * ny, nx * ny))
        self.lu = splu(A)
        self.fixed = fixed
        self.shape = (nx, ny)

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        B = rhs.shape[0]
        b = rhs.reshape(B, -1).T.astype(np.float64)  # SuperLU's factors are double
        b[self.fixed] = 0.0  # the compatible right-hand side makes the pinned equation hold as well
        return self.lu.solve(b).T.reshape(B, *self.shape).astype(rhs.dtype, copy=False)


class ProjectionSolver:
    """The MAC-grid projection solver for one box shared by a batch (see the module docstring).

    ``nx``, ``ny``: cells; ``lx``, ``ly``: the box's size, a scalar or one per member when there is
    no ``solid`` mask; ``nu``: viscosity, scalar or one per member; ``lid_velocity``: tangential
    velocity of the top wall (the cavity's lid), one per member; ``inflow_velocity``: ``None`` for
    a closed box, else the mean velocity entering on the left (one per member), leaving on the right
    through an ``outflow`` of kind ``"zero_gradient"`` or ``"convective"``; ``profile``:
    ``"parabolic"`` or ``"uniform"``; ``solid``: ``(nx, ny)`` boolean cells (see
    :func:`obstacle_mask`); ``advection``: ``"central"`` (second order, the validated default) or
    ``"quick"`` (third-order upwind-biased face values: no odd-even wiggles where the cell Reynolds
    number ``|u| h / nu`` exceeds 2, as ahead of an obstacle); ``dtype``: ``"float64"`` (the
    validations') or ``"float32"`` (about 3x cheaper; the divergence is then zero to about 1e-5). The
    state is ``(u, v)`` with
    ``u (batch, nx + 1, ny)`` and ``v (batch, nx, ny + 1)``.
    """

    def __init__(
        self,
        nx: int,
        ny: int,
        lx=1.0,
        ly=1.0,
        *,
        nu,
        batch: int = 1,
        lid_velocity=0.0,
        inflow_velocity=None,
        profile: str = "parabolic",
        outflow: str = "zero_gradient",
        solid: np.ndarray | None = None,
        advection: str = "central",
        dtype: str = "float64",
    ):
        if int(nx) != nx or int(ny) != ny or min(nx, ny) < MIN_CELLS:
            raise ValidationError(f"the grid {nx} x {ny} cells is too small; use at least {MIN_CELLS} cells per side")
        self.nx, self.ny, self.B = int(nx), int(ny), int(batch)
        if self.B < 1:
            raise ValidationError(f"batch must be >= 1, got {batch}")
        if advection not in ("central", "quick"):
            raise ValidationError(f"advection must be 'central' or 'quick', got {advection!r}")
        self.advection = advection
        if dtype not in ("float32", "float64"):
            raise ValidationError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        self.dtype = np.dtype(dtype)
        B = self.B
        lx, ly = _per_member("lx", lx, B), _per_member("ly", ly, B)
        if np.any(lx <= 0) or np.any(ly <= 0):
            raise ValidationError(f"the box's sides must be > 0, got lx = {lx}, ly = {ly}")
        self.lx, self.ly = lx, ly
        self.hx, self.hy = (lx / nx)[:, None, None], (ly / ny)[:, None, None]
        self._ihx, self._ihy = (1.0 / self.hx).astype(self.dtype), (1.0 / self.hy).astype(self.dtype)
        self.nu = _per_member("nu", nu, B)
        if np.any(self.nu <= 0):
            raise ValidationError(f"nu must be > 0 (viscous flow), got {self.nu}")
        self.lid = _per_member("lid_velocity", lid_velocity, B)
        self._lid3 = self.lid[:, None, None].astype(self.dtype)
        self.open_flow = inflow_velocity is not None
        if self.open_flow:
            if profile not in ("parabolic", "uniform"):
                raise ValidationError(f"profile must be 'parabolic' or 'uniform', got {profile!r}")
            if outflow not in ("zero_gradient", "convective"):
                raise ValidationError(f"outflow must be 'zero_gradient' or 'convective', got {outflow!r}")
            self.inflow = _per_member("inflow_velocity", inflow_velocity, B)
            # cell averages of the profile, so that the inflow's flux is exactly U * ly
            yf = np.arange(ny + 1)[None, :] * self.hy[:, 0, :]
            H = ly[:, None]
            if profile == "parabolic":
                F = 6 * (yf**2 * H / 2 - yf**3 / 3) / H**2
                shape = np.diff(F, axis=1) / self.hy[:, 0, :]
            else:
                shape = np.ones((B, ny))
            self.u_in = self.inflow[:, None] * shape  # (B, ny)
        self.profile, self.outflow = profile, outflow
        self.nu3 = self.nu[:, None, None].astype(self.dtype)
        # masks: solid cells -> closed faces
        if solid is not None:
            solid = np.asarray(solid, dtype=bool)
            if solid.shape != (nx, ny):
                raise ValidationError(f"solid must have the grid's shape ({nx}, {ny}), got {solid.shape}")
            if len(np.unique(lx)) > 1 or len(np.unique(ly)) > 1:
                raise ValidationError("with a solid mask every batch member must share one box (scalar lx, ly)")
            if solid[[0, -1], :].any() or solid[:, [0, -1]].any():
                raise ValidationError("solid cells may not touch the box's boundary; keep the obstacle inside")
            if solid.all():
                raise ValidationError("the solid mask covers every cell")
            from scipy import ndimage

            parts = ndimage.label(~solid)[1]
            if parts > 1:
                raise ValidationError(
                    f"the solid mask cuts the fluid into {parts} separate regions; a pressure solve needs one "
                    "connected fluid region (fill the enclosed pockets)"
                )
            self.solid = solid
        else:
            self.solid = np.zeros((nx, ny), dtype=bool)
        s = self.solid
        su = np.zeros((nx + 1, ny), dtype=bool)
        su[1:-1] = s[:-1] | s[1:]
        sv = np.zeros((nx, ny + 1), dtype=bool)
        sv[:, 1:-1] = s[:, :-1] | s[:, 1:]
        self._su, self._sv = su, sv  # interior faces touching a solid: closed
        self._ou = ~su[1:-1]  # open interior u faces (nx - 1, ny)
        self._ov = ~sv[:, 1:-1]  # open interior v faces (nx, ny - 1)
        su_p = np.pad(su, ((0, 0), (1, 1)))
        sv_p = np.pad(sv, ((1, 1), (0, 0)))
        self._cu_zero = su_p[:, :-1] | su_p[:, 1:]  # corners (nx + 1, ny + 1) where the u average is the wall's 0
        self._cv_zero = sv_p[:-1] | sv_p[1:]
        self._su_up, self._su_dn = su_p[1:-1, 2:], su_p[1:-1, :-2]
        self._sv_rt, self._sv_lt = sv_p[2:, 1:-1], sv_p[:-2, 1:-1]
        self.masked = bool(s.any())
        if self.masked:
            self.poisson = _SparsePoisson(nx, ny, float(lx[0]) / nx, float(ly[0]) / ny, s)
        else:
            self.poisson = _DCTPoisson(nx, ny, self.hx, self.hy)
            self.poisson.inv = self.poisson.inv.astype(self.dtype)
        self._u_out = None

    # -- boundary values ------------------------------------------------------------------
    def _ghost_u(self, u):
        """``u`` padded in y with the walls' ghost values: ``(B, nx + 1, ny + 2)``."""
        top = 2 * self._lid3 - u[:, :, -1:]
        return np.concatenate([-u[:, :, :1], u, top], axis=2)

    def _ghost_v(self, v):
        """``v`` padded in x: walls and inflow mirror (v = 0 there), the outflow copies."""
        right = v[:, -1:, :] if self.open_flow else -v[:, -1:, :]
        return np.concatenate([-v[:, :1, :], v, right], axis=1)

    def _set_boundary(self, u, v):
        u[:, 0, :] = self.u_in if self.open_flow else 0.0
        if self.open_flow:
            if self.outflow == "convective" and self._u_out is not None:
                u[:, -1, :] = self._u_out
            else:
                u[:, -1, :] = u[:, -2, :]
            # carry exactly the inflow's flux: the pressure problem's compatibility condition
            q = (u[:, 0, :] - u[:, -1, :]).mean(axis=1)
            u[:, -1, :] += q[:, None]
        else:
            u[:, -1, :] = 0.0
        v[:, :, 0] = 0.0
        v[:, :, -1] = 0.0
        if self.masked:
            u[:, 1:-1][:, ~self._ou] = 0.0
            v[:, :, 1:-1][:, ~self._ov] = 0.0

    # -- operators ----------------------------------------------------------------------
    def _corners(self, U, V):
        """``u`` and ``v`` averaged onto the cell corners ``(B, nx + 1, ny + 1)``; zero on solid walls."""
        uc = 0.5 * (U[:, :, :-1] + U[:, :, 1:])
        vc = 0.5 * (V[:, :-1] + V[:, 1:])
        if self.masked:
            uc[:, self._cu_zero] = 0.0
            vc[:, self._cv_zero] = 0.0
        return uc, vc

    def rhs(self, u, v):
        """The momentum right-hand side ``-div(u u) + nu lap u`` on the interior faces:
        ``(B, nx - 1, ny)`` and ``(B, nx, ny - 1)``."""
        ihx, ihy, nu = self._ihx, self._ihy, self.nu3
        U, V = self._ghost_u(u), self._ghost_v(v)
        uc, vc = self._corners(U, V)
        ucc = 0.5 * (u[:, :-1] + u[:, 1:])  # u and v averaged onto the cell centres
        vcc = 0.5 * (v[:, :, :-1] + v[:, :, 1:])
        if self.advection == "quick":  # the advected value upwind-biased, the advecting one central
            cu, cv = _upwind_curvature(U, vc, 2), _upwind_curvature(V, uc, 1)
            if self.masked:
                cu[:, self._cu_zero] = 0.0
                cv[:, self._cv_zero] = 0.0
            fxy_u, fxy_v = vc * (uc - cu), uc * (vc - cv)
            fxx = ucc * (ucc - _upwind_curvature(u, ucc, 1))
            fyy = vcc * (vcc - _upwind_curvature(v, vcc, 2))
        else:
            fxy_u = fxy_v = uc * vc
            fxx, fyy = ucc * ucc, vcc * vcc
        # u momentum
        mid = u[:, 1:-1]
        up, dn = U[:, 1:-1, 2:], U[:, 1:-1, :-2]
        if self.masked:  # tangential no-slip on solid walls: the closed neighbour mirrors
            up = np.where(self._su_up, -mid, up)
            dn = np.where(self._su_dn, -mid, dn)
        fu = (fxx[:, :-1] - fxx[:, 1:]) * ihx
        fu += (fxy_u[:, 1:-1, :-1] - fxy_u[:, 1:-1, 1:]) * ihy
        fu += nu * ((u[:, 2:] - 2 * mid + u[:, :-2]) * ihx**2 + (up - 2 * mid + dn) * ihy**2)
        # v momentum
        mid = v[:, :, 1:-1]
        rt, lt = V[:, 2:, 1:-1], V[:, :-2, 1:-1]
        if self.masked:
            rt = np.where(self._sv_rt, -mid, rt)
            lt = np.where(self._sv_lt, -mid, lt)
        fv = (fyy[:, :, :-1] - fyy[:, :, 1:]) * ihy
        fv += (fxy_v[:, :-1, 1:-1] - fxy_v[:, 1:, 1:-1]) * ihx
        fv += nu * ((v[:, :, 2:] - 2 * mid + v[:, :, :-2]) * ihy**2 + (rt - 2 * mid + lt) * ihx**2)
        return fu, fv

    def divergence(self, u, v) -> np.ndarray:
        """The discrete divergence in every cell, ``(B, nx, ny)``."""
        return (u[:, 1:] - u[:, :-1]) * self._ihx + (v[:, :, 1:] - v[:, :, :-1]) * self._ihy

    def project(self, u, v):
        """Set the boundary values and remove the divergent part (in place); returns ``phi``."""
        self._set_boundary(u, v)
        phi = self.poisson.solve(self.divergence(u, v))
        gx = (phi[:, 1:] - phi[:, :-1]) * self._ihx
        gy = (phi[:, :, 1:] - phi[:, :, :-1]) * self._ihy
        if self.masked:
            gx *= self._ou
            gy *= self._ov
        u[:, 1:-1] -= gx
        v[:, :, 1:-1] -= gy
        return phi

    def step(self, u, v, dt: float):
        """One SSP-RK3 step with a projection after each stage; returns the new ``(u, v)``."""
        if self.open_flow and self.outflow == "convective":
            # dt-explicit convective outflow, held fixed over the stages
            c = (self.inflow[:, None] * dt / self.hx[:, 0]).astype(self.dtype)
            self._u_out = u[:, -1, :] - c * (u[:, -1, :] - u[:, -2, :])
        stages = ((0.0, 1.0), (0.75, 0.25), (1.0 / 3.0, 2.0 / 3.0))
        us, vs = u, v
        for a, b in stages:
            fu, fv = self.rhs(us, vs)
            nu_, nv_ = np.zeros_like(u), np.zeros_like(v)  # boundary faces are set in project
            nu_[:, 1:-1] = a * u[:, 1:-1] + b * (us[:, 1:-1] + dt * fu)
            nv_[:, :, 1:-1] = a * v[:, :, 1:-1] + b * (vs[:, :, 1:-1] + dt * fv)
            self.project(nu_, nv_)
            us, vs = nu_, nv_
        self._u_out = None
        return us, vs

    # -- state and output -------------------------------------------------------------------
    def initial_state(self, u0=None, v0=None):
        """A projected initial state: rest (closed box), the inflow profile everywhere (open flow),
        or ``u0``, ``v0`` given on the faces."""
        B, nx, ny = self.B, self.nx, self.ny
        u = np.zeros((B, nx + 1, ny)) if u0 is None else np.array(u0, dtype=float).reshape(B, nx + 1, ny)
        v = np.zeros((B, nx, ny + 1)) if v0 is None else np.array(v0, dtype=float).reshape(B, nx, ny + 1)
        u, v = u.astype(self.dtype), v.astype(self.dtype)
        if u0 is None and self.open_flow:
            u[:] = self.u_in[:, None, :]
        if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
            raise ValidationError("the initial velocity contains NaN or inf")
        self.project(u, v)
        return u, v

    def stability_number(self, u, v, dt: float) -> np.ndarray:
        """``dt (max|u|/hx + max|v|/hy + 2 nu (1/hx^2 + 1/hy^2))`` per member: stable when <= 1."""
        um = np.abs(u).reshape(self.B, -1).max(axis=1)
        vm = np.abs(v).reshape(self.B, -1).max(axis=1)
        if self.open_flow:
            um = np.maximum(um, np.abs(self.u_in).max(axis=1))
        um = np.maximum(um, np.abs(self.lid))
        hx, hy = self.hx[:, 0, 0], self.hy[:, 0, 0]
        return dt * (um / hx + vm / hy + 2 * self.nu * (1 / hx**2 + 1 / hy**2))

    def max_stable_dt(self, u, v) -> float:
        return float(STABILITY / np.max(self.stability_number(u, v, 1.0)))

    def nodes(self, u, v) -> np.ndarray:
        """``(u, v, vorticity)`` at the cell corners, walls included: ``(B, 3, nx + 1, ny + 1)``."""
        U, V = self._ghost_u(u), self._ghost_v(v)
        uc, vc = self._corners(U, V)
        w = (V[:, 1:] - V[:, :-1]) * self._ihx - (U[:, :, 1:] - U[:, :, :-1]) * self._ihy
        out = np.stack([uc, vc, w], axis=1)
        if self.masked:
            out[:, :, self.node_mask()] = 0.0
        return out

    def node_mask(self) -> np.ndarray:
        """Nodes ``(nx + 1, ny + 1)`` inside the solid (all four cells around them solid)."""
        s = np.pad(self.solid, 1)
        return s[:-1, :-1] & s[1:, :-1] & s[:-1, 1:] & s[1:, 1:]

    def run(
        self,
        dt: float,
        n_steps: int,
        save_every: int = 1,
        *,
        state=None,
        progress: Callable | None = None,
        what: str = "projection",
        frame: Callable | None = None,
    ):
        """March ``n_steps`` of ``dt`` from ``state`` (default :meth:`initial_state`); returns
        ``(times, frames, (u, v))`` with ``frames (B, T, 3, nx + 1, ny + 1)`` (u, v, vorticity at the
        nodes, or ``frame(nodes)`` of them) every ``save_every`` steps and the final state."""
        if not (dt > 0 and np.isfinite(dt)):
            raise ValidationError(f"dt must be a positive number, got {dt}")
        if int(n_steps) < 1 or int(save_every) < 1:
            raise ValidationError(f"n_steps and save_every must be >= 1, got {n_steps} and {save_every}")
        u, v = self.initial_state() if state is None else state
        number = float(np.max(self.stability_number(u, v, dt)))
        if number > STABILITY:
            raise ValidationError(
                f"{what}: dt = {dt:g} is unstable (stability number dt (|u|/hx + |v|/hy + 2 nu (1/hx^2 + 1/hy^2)) = "
                f"{number:.3g} > {STABILITY}); the largest stable step is {self.max_stable_dt(u, v):.4g}"
            )
        to_frame = (lambda x: x) if frame is None else frame
        frames = [to_frame(self.nodes(u, v))]
        for step in range(1, int(n_steps) + 1):
            u, v = self.step(u, v, dt)
            if step % save_every == 0 or step == n_steps:
                bad = ~(np.isfinite(u).reshape(self.B, -1).all(axis=1) & np.isfinite(v).reshape(self.B, -1).all(axis=1))
                if bad.any():
                    raise DivergenceError(
                        f"{what}: the velocity of batch member(s) {np.flatnonzero(bad)[:5].tolist()} left the finite "
                        f"numbers by step {step} (t = {step * dt:.6g}); use a smaller dt or more viscosity"
                    )
                number = self.stability_number(u, v, dt)
                if np.max(number) > _RUNAWAY:
                    raise DivergenceError(
                        f"{what}: the flow of batch member(s) {np.flatnonzero(number > _RUNAWAY)[:5].tolist()} "
                        f"accelerated beyond the stable step by step {step} (t = {step * dt:.6g}, stability number "
                        f"{np.max(number):.3g}); rerun with dt <= {self.max_stable_dt(u, v):.4g}"
                    )
                if step % save_every == 0:
                    frames.append(to_frame(self.nodes(u, v)))
                if progress is not None:
                    progress(step, n_steps)
        times = np.arange(len(frames)) * save_every * dt
        return times, np.stack(frames, axis=1), (u, v)


def resample_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Linear interpolation ``(n_out, n_in)`` between two sets of uniform nodes spanning one interval."""
    if n_in == n_out:
        return np.eye(n_in)
    x = np.linspace(0.0, n_in - 1.0, n_out)
    i = np.minimum(np.floor(x).astype(int), n_in - 2)
    w = x - i
    M = np.zeros((n_out, n_in))
    M[np.arange(n_out), i] = 1 - w
    M[np.arange(n_out), i + 1] += w
    return M


def resample(nodes: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Node fields ``(..., X, Y)`` linearly resampled onto ``shape`` nodes over the same box."""
    mx = resample_matrix(nodes.shape[-2], shape[0])
    my = resample_matrix(nodes.shape[-1], shape[1])
    return np.einsum("xi,...ij,yj->...xy", mx, nodes, my)


__all__ = ["MIN_CELLS", "STABILITY", "ProjectionSolver", "obstacle_mask", "resample"]
