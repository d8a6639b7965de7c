"""A differentiable 2-D MLS-MPM in torch (moving least squares material point method, APIC transfers).

The scheme is Hu et al. (2018), "A moving least squares material point method with displacement
discontinuity and two-way rigid body coupling": quadratic B-spline weights over a 3 x 3 stencil,
particle-to-grid (P2G) by a scatter-add of momentum, mass and the stress impulse, a grid update with
gravity and walls, grid-to-particle (G2P) of the velocity and the affine matrix ``C`` (APIC), and the
deformation gradient update ``F <- (I + dt C) F`` followed by the law's return mapping
``law.project(F)``. Every operation is a torch tensor operation, so a rollout is differentiable with
respect to the material parameters (and the initial state) by autograd; nothing loops over particles.

Geometry. The box is ``[0, domain]^2`` with ``grid`` cells per side (``grid + 1`` nodes per side, node
``i`` at ``i * dx``, ``dx = domain / grid``). The outer ``wall`` cells on each side are the walls:
grid nodes with index ``< wall`` or ``> grid - wall`` get the boundary condition (``"slip"``: the
velocity component into the wall is removed, the tangential one kept, or reduced by Coulomb
``friction``, and a particle may leave the wall;
``"sticky"``: the whole velocity is zeroed; ``"sticky_floor"``: the floor is sticky, the other walls
slip). Particles must start in the interior
``[wall * dx, domain - wall * dx]^2`` (:meth:`MPM.init` refuses others with the count and the box).
While stepping, particles may sink up to about a cell into the band (the condition acts on grid
nodes, not on particles); after each step the
positions are also clamped to ``[dx, domain - dx]`` so that a particle's stencil never leaves the grid
(this clamp is a guard that only acts if a particle was fast enough to cross the wall band in one step,
i.e. when the velocity CFL number ``|v| dt / dx`` is far above 1; its gradient there is zero).

Batches. ``B`` scenes with the same particle count step together: the scene index is folded into the
grid index (``B`` grids of ``(grid + 1)^2`` nodes), so one ``index_add`` scatters all scenes. A law's
material constants may be scalars or hold one value per scene (shape ``(B,)``).

Units are SI-like and only need to be consistent: positions in m, density in kg/m^2 (2-D: mass per
area), stresses in Pa (N/m in 2-D), time in s.

Time step. Explicit MPM is stable when an elastic wave crosses less than a fraction of a cell per step:
``dt <= cfl * dx / c`` with ``c = sqrt(M / density)``, ``M`` the largest P-wave (acoustic) modulus of
the law's stress at rest, measured from ``law.stress`` by finite differences (so a neural law gets a
bound too). :meth:`MPM.stable_dt` returns the bound; :meth:`MPM.step` and :meth:`MPM.rollout` refuse a
``dt`` above it with the bound in the message.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import torch

from dynlearn.errors import DivergenceError, ValidationError
from dynlearn.particles.materials import det2, mm2, mv2

#: the Courant number of :meth:`MPM.stable_dt`: ``dt <= CFL * dx / c`` (measured by
#: ``benchmarks/accuracy_mpm.py``: a dropped disk stays finite up to 1.3 x this bound for the fluid,
#: 1.6 x for the elastic laws and von Mises, 2 x for Drucker-Prager)
CFL = 0.5

BOUNDARIES = ("slip", "sticky", "sticky_floor")


@dataclasses.dataclass
class MPMState:
    """The particles' state: everything (B scenes, P particles) as torch tensors.

    ``x (B, P, 2)`` positions, ``v (B, P, 2)`` velocities, ``C (B, P, 2, 2)`` the APIC affine velocity
    matrix (an estimate of the velocity gradient), ``F (B, P, 2, 2)`` the elastic deformation gradient,
    ``mass (B, P)`` and ``volume (B, P)`` the particle masses and initial volumes (areas in 2-D)."""

    x: torch.Tensor
    v: torch.Tensor
    C: torch.Tensor
    F: torch.Tensor
    mass: torch.Tensor
    volume: torch.Tensor

    @property
    def batch(self) -> int:
        return self.x.shape[0]

    @property
    def n_particles(self) -> int:
        return self.x.shape[1]

    def detach(self) -> MPMState:
        """The same state cut from the autograd graph (truncated backpropagation between windows)."""
        return MPMState(*(getattr(self, f.name).detach() for f in dataclasses.fields(self)))

    def momentum(self) -> torch.Tensor:
        """Total linear momentum per scene, ``(B, 2)``."""
        return (self.mass[..., None] * self.v).sum(1)

    def angular_momentum(self) -> torch.Tensor:
        """The particles' angular momentum about the origin per scene, ``sum m (x cross v)``, ``(B,)``
        (APIC's spin part, carried by ``C``, is not included)."""
        x, v = self.x, self.v
        return (self.mass * (x[..., 0] * v[..., 1] - x[..., 1] * v[..., 0])).sum(1)


class MPM:
    """A 2-D MLS-MPM simulator in the box ``[0, domain]^2`` (see the module doc).

    Parameters
    ----------
    grid : cells per side (the grid has ``grid + 1`` nodes per side).
    domain : side length of the square box (m).
    dt : the time step (s); checked against :meth:`stable_dt` for each law.
    gravity : the body acceleration ``(gx, gy)`` (m/s^2).
    boundary : ``"slip"`` (separable walls; free-slip unless ``friction``), ``"sticky"`` (no-slip walls) or
        ``"sticky_floor"`` (a no-slip floor, the limit of a rough bed; slip side walls and ceiling).
    wall : the thickness of the wall band, in cells (>= 1; 3 is the usual choice).
    friction : Coulomb friction coefficient of the slip walls (0: free slip): where a wall node's
        velocity into the wall is removed, its tangential speed drops by ``friction`` times the speed
        removed (to zero at most), as in Stomakhin et al. (2013). Ignored by sticky walls.
    """

    def __init__(
        self,
        grid: int = 64,
        domain: float = 1.0,
        dt: float = 2e-4,
        gravity: tuple[float, float] = (0.0, -9.8),
        boundary: str = "slip",
        wall: int = 3,
        friction: float = 0.0,
    ):
        if int(grid) != grid or grid < 4:
            raise ValidationError(f"grid must be an integer number of cells >= 4, got {grid!r}")
        if not (math.isfinite(domain) and domain > 0):
            raise ValidationError(f"domain must be a positive side length, got {domain!r}")
        if not (math.isfinite(dt) and dt > 0):
            raise ValidationError(f"dt must be a positive time step, got {dt!r}")
        if boundary not in BOUNDARIES:
            raise ValidationError(f"boundary must be one of {BOUNDARIES}, got {boundary!r}")
        if int(wall) != wall or not (1 <= wall < grid // 2 - 1):
            raise ValidationError(f"wall must be a whole number of cells in [1, {grid // 2 - 2}], got {wall!r}")
        g = tuple(float(c) for c in gravity)
        if len(g) != 2 or not all(math.isfinite(c) for c in g):
            raise ValidationError(f"gravity must be two finite numbers (gx, gy), got {gravity!r}")
        self.grid, self.domain, self.dt = int(grid), float(domain), float(dt)
        if not (math.isfinite(friction) and friction >= 0):
            raise ValidationError(f"friction must be a coefficient >= 0, got {friction!r}")
        self.gravity, self.boundary, self.wall, self.friction = g, boundary, int(wall), float(friction)
        self.dx = self.domain / self.grid
        self._checked: dict[int, tuple[Any, float]] = {}

    def config(self) -> dict[str, Any]:
        """The constructor arguments (JSON)."""
        return {
            "grid": self.grid,
            "domain": self.domain,
            "dt": self.dt,
            "gravity": list(self.gravity),
            "boundary": self.boundary,
            "wall": self.wall,
            "friction": self.friction,
        }

    def __repr__(self) -> str:
        return "MPM(" + ", ".join(f"{k}={v!r}" for k, v in self.config().items()) + ")"

    @property
    def interior(self) -> tuple[float, float]:
        """The box particles must start in, per axis: ``(wall * dx, domain - wall * dx)``."""
        return self.wall * self.dx, self.domain - self.wall * self.dx

    # -- the time-step bound ------------------------------------------------------------------
    def stable_dt(self, law, density: float | torch.Tensor = 1e3) -> float:
        """The largest stable step for ``law`` at ``density`` (kg/m^2): ``CFL * dx / c``, with
        ``c = sqrt(M / density)`` and ``M`` the largest acoustic modulus of ``law.stress`` at rest."""
        rho = float(torch.as_tensor(density).detach().min())
        if not rho > 0:
            raise ValidationError(f"density must be positive, got {density!r}")
        modulus = acoustic_modulus(law)
        if modulus <= 0:
            return math.inf
        return CFL * self.dx / math.sqrt(modulus / rho)

    def check_dt(self, law, density: float | torch.Tensor) -> None:
        """Refuse this simulator's ``dt`` for ``law`` at ``density`` if it is above :meth:`stable_dt`."""
        law_dt = getattr(law, "dt", None)
        if law_dt is not None and abs(float(law_dt) - self.dt) > 1e-12 * self.dt:
            raise ValidationError(
                f"the law {getattr(law, 'name', type(law).__name__)!r} was built for dt = {float(law_dt):g} but the "
                f"simulator steps dt = {self.dt:g}; build the law with dt={self.dt:g}"
            )
        bound = self.stable_dt(law, density)
        if self.dt > bound:
            raise ValidationError(
                f"dt = {self.dt:g} s is above the stable bound {bound:.4g} s for the law "
                f"{getattr(law, 'name', type(law).__name__)!r} at density {float(torch.as_tensor(density).min()):g} "
                f"on a grid of dx = {self.dx:.4g} (dt <= {CFL} dx / c, c the elastic wave speed); use dt <= {bound:.3g} "
                "(the bound grows with dx and with a softer or denser material)"
            )

    # -- state ---------------------------------------------------------------------------------
    def init(
        self,
        positions,
        velocities=None,
        density: float | torch.Tensor = 1e3,
        volume: float | torch.Tensor | None = None,
        dtype: torch.dtype | None = None,
    ) -> MPMState:
        """The state at rest-shape (``F = I``, ``C = 0``) of particles at ``positions (B, P, 2)``.

        ``velocities``: ``(B, P, 2)``, ``(B, 2)`` per scene or ``(2,)`` for all (default 0).
        ``density``: kg/m^2, a number, ``(B,)`` or ``(B, P)``. ``volume``: each particle's area (m^2),
        a number, ``(B,)`` or ``(B, P)``; by default ``dx^2 / 4`` (the 2 x 2 particles per cell that
        :mod:`dynlearn.particles.scenes` samples; with one material the motion does not depend on it,
        as mass and force both scale with it). ``dtype`` defaults to the positions' (float32 for numpy
        float32, else torch's default); float64 makes conservation tests exact to ~1e-15."""
        x = torch.as_tensor(positions)
        if dtype is None:
            dtype = x.dtype if x.is_floating_point() else torch.get_default_dtype()
        x = x.to(dtype)
        if x.ndim == 2:
            x = x[None]
        if x.ndim != 3 or x.shape[-1] != 2 or x.shape[1] < 1:
            raise ValidationError(
                f"positions must have shape (B scenes, P particles, 2), got {tuple(torch.as_tensor(positions).shape)}"
            )
        b, p, _ = x.shape
        if not torch.isfinite(x).all():
            n_bad = int((~torch.isfinite(x)).any(-1).sum())
            raise ValidationError(f"{n_bad} particle positions are NaN or inf; give finite positions")
        lo, hi = self.interior
        outside = ((x < lo) | (x > hi)).any(-1)
        if outside.any():
            n_out = int(outside.sum())
            raise ValidationError(
                f"{n_out} of {b * p} particles lie outside the grid's interior [{lo:.4g}, {hi:.4g}]^2 (the box "
                f"[0, {self.domain:g}]^2 minus the wall band of {self.wall} cells of {self.dx:.4g}); move or scale "
                "the shapes inside it"
            )
        if velocities is None:
            v = torch.zeros_like(x)
        else:
            v = torch.as_tensor(velocities).to(dtype)
            if v.shape == (2,):
                v = v.expand(b, p, 2)
            elif v.shape == (b, 2):
                v = v[:, None, :].expand(b, p, 2)
            elif v.shape != (b, p, 2):
                raise ValidationError(
                    f"velocities must have shape (2,), (B, 2) or (B, P, 2) = {(b, p, 2)}, got {tuple(v.shape)}"
                )
            if not torch.isfinite(v).all():
                raise ValidationError("velocities contain NaN or inf")
            v = v.clone() if not v.requires_grad else v + 0
        rho = self._per_particle(density, b, p, dtype, "density")
        vol = self._per_particle(self.dx**2 / 4 if volume is None else volume, b, p, dtype, "volume")
        eye = torch.eye(2, dtype=dtype).expand(b, p, 2, 2).clone()
        return MPMState(x=x.clone(), v=v, C=torch.zeros_like(eye), F=eye, mass=rho * vol, volume=vol)

    @staticmethod
    def _per_particle(value, b: int, p: int, dtype, what: str) -> torch.Tensor:
        t = torch.as_tensor(value).to(dtype)
        if t.ndim == 0:
            t = t.expand(b, p)
        elif t.shape == (b,):
            t = t[:, None].expand(b, p)
        elif t.shape != (b, p):
            raise ValidationError(
                f"{what} must be a number, (B,) = ({b},) or (B, P) = ({b}, {p}), got {tuple(t.shape)}"
            )
        if not (torch.isfinite(t).all() and (t > 0).all()):
            raise ValidationError(f"{what} must be positive and finite")
        return t

    # -- one step ------------------------------------------------------------------------------
    def _stencil(self, x: torch.Tensor):
        """The base node ``(B, P, 2)`` (long), the fractional position ``fx (B, P, 2)`` in cells
        relative to it (in [0.5, 1.5)) and the quadratic B-spline weights ``(B, P, 9)`` of the 3 x 3
        stencil (offset ``k = 3 i + j``)."""
        xs = x * (1.0 / self.dx)
        base = torch.floor(xs - 0.5).detach()
        fx = xs - base
        w = (0.5 * (1.5 - fx) ** 2, 0.75 - (fx - 1.0) ** 2, 0.5 * (fx - 0.5) ** 2)
        wx = torch.stack([c[..., 0] for c in w], -1)
        wy = torch.stack([c[..., 1] for c in w], -1)
        weight = (wx[..., :, None] * wy[..., None, :]).flatten(-2)
        # a NaN position would index outside the grid: keep the index valid, the NaN propagates to the
        # state and rollout() reports it as a DivergenceError
        return base.long().clamp(0, self.grid - 2), fx, weight

    def _node_index(self, base: torch.Tensor) -> torch.Tensor:
        """Flat node indices ``(9, B * P)`` (stencil offset first) into the ``B`` stacked grids."""
        n = self.grid + 1
        b = base.shape[0]
        scene = torch.arange(b, device=base.device)[:, None] * (n * n)
        flat = (scene + base[..., 0] * n + base[..., 1]).reshape(1, -1)
        return flat + self._const("node_offsets", base.device, torch.long)[:, None]

    def _const(self, what: str, device, dtype) -> torch.Tensor:
        """Small constant tensors, made once per device and dtype: the stencil ``offsets (9, 2)``, the
        P2G ``basis (9, 3)`` rows ``[1, i, j]`` and the flat ``node_offsets (9,)``."""
        cache = self.__dict__.setdefault("_const_cache", {})
        key = (what, str(device), dtype)
        if key not in cache:
            offs = _OFFSETS.to(device)
            if what == "offsets":
                value = offs.to(dtype)
            elif what == "basis":
                value = torch.cat([torch.ones(9, 1, dtype=dtype, device=device), offs.to(dtype)], 1)
            else:
                value = offs[:, 0] * (self.grid + 1) + offs[:, 1]
            cache[key] = value
        return cache[key]

    def _masks(self, device) -> dict[str, torch.Tensor]:
        key = str(device)
        cache = getattr(self, "_mask_cache", {})
        if key not in cache:
            n, w = self.grid + 1, self.wall
            i = torch.arange(n, device=device)
            lo, hi = i < w, i > self.grid - w
            cache[key] = {
                "x_lo": lo[:, None].expand(n, n).reshape(-1),
                "x_hi": hi[:, None].expand(n, n).reshape(-1),
                "y_lo": lo[None, :].expand(n, n).reshape(-1),
                "y_hi": hi[None, :].expand(n, n).reshape(-1),
            }
            self._mask_cache = cache
        return cache[key]

    def _grid_update(self, mom: torch.Tensor, mass: torch.Tensor, b: int) -> torch.Tensor:
        """Grid velocities ``(B * nodes, 2)`` from momentum and mass: gravity, then the walls."""
        g = torch.tensor(self.gravity, dtype=mom.dtype, device=mom.device)
        has = mass > 0
        v = torch.where(
            has[:, None], mom / torch.where(has, mass, torch.ones_like(mass))[:, None], torch.zeros_like(mom)
        )
        v = torch.where(has[:, None], v + self.dt * g, v)
        m = self._masks(mom.device)
        if self.boundary == "sticky":
            band = (m["x_lo"] | m["x_hi"] | m["y_lo"] | m["y_hi"]).repeat(b)
            return torch.where(band[:, None], torch.zeros_like(v), v)
        if self.boundary == "sticky_floor":
            v = torch.where(m["y_lo"].repeat(b)[:, None], torch.zeros_like(v), v)
        vx, vy = v[:, 0], v[:, 1]
        mu = self.friction
        for normal, key, sign in ((0, "x_lo", -1), (0, "x_hi", 1), (1, "y_lo", -1), (1, "y_hi", 1)):
            vn, vt = (vx, vy) if normal == 0 else (vy, vx)
            into = m[key].repeat(b) & (vn * sign > 0)  # moving into this wall
            removed = torch.where(into, vn.abs(), torch.zeros_like(vn))
            vn = torch.where(into, torch.zeros_like(vn), vn)
            if mu > 0:  # Coulomb: the tangential speed drops by mu times the normal speed removed
                limit = mu * removed
                vt = vt - torch.maximum(torch.minimum(vt, limit), -limit)
            vx, vy = (vn, vt) if normal == 0 else (vt, vn)
        return torch.stack([vx, vy], dim=-1)

    def step(self, state: MPMState, law, check: bool = True) -> MPMState:
        """One MLS-MPM step of every scene with ``law`` (a :class:`~dynlearn.particles.materials.ConstitutiveLaw`).

        Differentiable with respect to the law's constants and parameters and to the state. With
        ``check`` (default) the step is refused when ``dt`` is above :meth:`stable_dt` for the law at the
        state's smallest density (the result is cached per law object and its constants)."""
        if check:
            self._check_cached(law, state)
        x, v, C, F, mass, vol = state.x, state.v, state.C, state.F, state.mass, state.volume
        b, p, _ = x.shape
        dt, dx = self.dt, self.dx
        base, fx, weight = self._stencil(x)
        index = self._node_index(base)  # (9, N), N = B * P
        n = b * p
        wt = weight.reshape(n, 9).t()  # (9, N)
        offs = self._const("offsets", x.device, x.dtype)  # (9, 2): (i, j)

        # P2G. Node k of particle p receives w_k (m v + A (x_k - x_p)) and w_k m, with the APIC/MLS
        # matrix A = m C - dt vol 4/dx^2 P F^T and x_k - x_p = (offset_k - fx) dx. Written as
        # q + dx (i_k A[:, 0] + j_k A[:, 1]) with q = m v - dx A fx, all nodes are one small GEMM.
        P = law.stress(F)
        kirchhoff = mm2(P, F.transpose(-1, -2))
        A = mass[..., None, None] * C - (dt * 4.0 / dx**2) * vol[..., None, None] * kirchhoff  # (B, P, 2, 2)
        mv = mass[..., None] * v
        q = mv - dx * mv2(A, fx)
        zero = torch.zeros_like(mass)
        rows = torch.stack(
            [
                torch.stack([q[..., 0], q[..., 1], mass], -1),  # the constant row (and the mass channel)
                torch.stack([dx * A[..., 0, 0], dx * A[..., 1, 0], zero], -1),  # times i_k
                torch.stack([dx * A[..., 0, 1], dx * A[..., 1, 1], zero], -1),  # times j_k
            ],
            0,
        ).reshape(3, n * 3)
        basis = self._const("basis", x.device, x.dtype)  # (9, 3): [1, i_k, j_k]
        src = (basis @ rows).reshape(9, n, 3) * wt[..., None]  # (9, N, [mom_x, mom_y, mass])
        nodes = b * (self.grid + 1) ** 2
        grid = torch.zeros(nodes, 3, dtype=x.dtype, device=x.device).index_add(0, index.reshape(-1), src.reshape(-1, 3))
        gv = self._grid_update(grid[:, :2], grid[:, 2], b)

        # G2P: v = sum w v_k; C = 4/dx^2 sum w v_k (x_k - x_p)^T = 4/dx (sum w v_k offset_k^T - v fx^T)
        wgv = gv.index_select(0, index.reshape(-1)).reshape(9, n, 2) * wt[..., None]
        v_new = wgv.sum(0).reshape(b, p, 2)
        M = torch.tensordot(wgv, offs, dims=([0], [0])).reshape(b, p, 2, 2)  # sum_k w v_k offset_k^T
        C_new = (4.0 / dx) * (M - v_new[..., :, None] * fx[..., None, :])
        x_new = (x + dt * v_new).clamp(dx, self.domain - dx)
        eye = torch.eye(2, dtype=x.dtype, device=x.device)
        F_new = F + dt * mm2(C_new, F)
        F_new = law.project(F_new)
        if getattr(law, "fluid", False):  # the base interface's flag: keep only the volume change
            J = det2(F_new).clamp_min(1e-6)
            F_new = torch.sqrt(J)[..., None, None] * eye
        return MPMState(x=x_new, v=v_new, C=C_new, F=F_new, mass=mass, volume=vol)

    def _check_cached(self, law, state: MPMState) -> None:
        key = id(law)
        sig = (_law_signature(law), float(state.mass.detach().div(state.volume.detach()).min()))
        cached = self._checked.get(key)
        if cached is not None and cached[0] is law and cached[1] == sig:
            return
        self.check_dt(law, sig[1])
        if len(self._checked) > 16:  # keeps no more than a few laws alive
            self._checked.clear()
        self._checked[key] = (law, sig)

    def rollout(
        self,
        state: MPMState,
        law,
        steps: int,
        save_every: int = 1,
        return_state: bool = False,
        check: bool = True,
    ) -> torch.Tensor | tuple[torch.Tensor, MPMState]:
        """Step ``steps`` times and return the positions ``(B, T, P, 2)`` every ``save_every`` steps,
        the initial frame included (``T = steps // save_every + 1``). The graph is kept when grad is
        enabled (backpropagation through the whole rollout). With ``return_state`` the final
        :class:`MPMState` is returned too. A state that turns NaN/inf raises
        :class:`~dynlearn.errors.DivergenceError` (checked at every saved frame). ``check`` (default)
        refuses a ``dt`` above :meth:`stable_dt` once, before the first step; ``check=False`` skips it
        (a learned law whose stiffness changes during training, at the caller's risk)."""
        steps, save_every = int(steps), int(save_every)
        if steps < 0 or save_every < 1:
            raise ValidationError(f"steps must be >= 0 and save_every >= 1, got {steps}, {save_every}")
        if check:
            self._check_cached(law, state)
        frames = [state.x]
        for k in range(1, steps + 1):
            state = self.step(state, law, check=False)
            if k % save_every == 0:
                if not torch.isfinite(state.x).all():
                    raise DivergenceError(
                        f"the MPM state left the finite numbers at step {k}; lower dt (now {self.dt:g}) or check the law"
                    )
                frames.append(state.x)
        out = torch.stack(frames, dim=1)
        return (out, state) if return_state else out


_OFFSETS = torch.tensor([[i, j] for i in range(3) for j in range(3)], dtype=torch.long)


def _law_signature(law) -> tuple:
    """The law's constants and parameters, as numbers (to re-check dt only when they change)."""
    sig = []
    for t in list(law.parameters()) + list(law.buffers()):
        d = t.detach()
        sig.append((tuple(d.shape), float(d.abs().max()) if d.numel() else 0.0, float(d.sum()) if d.numel() else 0.0))
    return tuple(sig)


def acoustic_modulus(law, h: float = 1e-4) -> float:
    """The largest acoustic (P-wave) modulus of ``law.stress`` at rest: ``max_n eig(Q(n))`` with the
    acoustic tensor ``Q_ik(n) = A_ijkl n_j n_l`` of the tangent ``A = dP/dF`` at ``F = I`` (central
    differences of step ``h``, 16 directions). For an isotropic elastic law it is ``lambda + 2 mu``;
    a law with per-scene constants gets the largest over scenes."""
    with torch.no_grad():
        dtype = torch.float64
        eye = torch.eye(2, dtype=dtype)
        A = []
        for k in range(4):
            e = torch.zeros(4, dtype=dtype)
            e[k] = h
            e = e.reshape(2, 2)
            Fp, Fm = (eye + e)[None, None], (eye - e)[None, None]
            dP = _to64(law.stress(Fp)) - _to64(law.stress(Fm))
            A.append(dP.reshape(-1, 2, 2) / (2 * h))  # (S, 2, 2): dP_ij / dF_k
        A = torch.stack(A, dim=-1).reshape(-1, 2, 2, 2, 2)  # (S, i, j, k, l)
        theta = torch.arange(16, dtype=dtype) * (math.pi / 16)
        n = torch.stack([torch.cos(theta), torch.sin(theta)], -1)  # (16, 2)
        Q = torch.einsum("sijkl,dj,dl->sdik", A, n, n)
        Q = 0.5 * (Q + Q.transpose(-1, -2))
        eig = torch.linalg.eigvalsh(Q)
        return float(eig.max())


def _to64(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to(torch.float64)


__all__ = ["BOUNDARIES", "CFL", "MPM", "MPMState", "acoustic_modulus"]
