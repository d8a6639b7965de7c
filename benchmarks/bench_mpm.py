"""Throughput of the torch MLS-MPM (dynlearn.particles.mpm) in steps per second, with a warp peer.

Scene: ``--particles`` particles (default 10,000) on a jittered lattice of spacing dx/2 filling a square
block released above the floor (it falls, lands and spreads, so the walls and the plastic branch are
exercised), a ``--grid``² grid (default 128), dt = 1e-4 s, gravity, slip walls. For each law in
``--laws`` (default fixed_corotated, drucker_prager) the simulator takes 5 warm-up steps, then
``--steps`` steps are timed ``--repeats`` times under ``torch.no_grad()``; the median gives steps/s
and the time per particle-step. ``grad`` rows time a 10-step rollout with autograd on (forward plus
backward of a loss on the final positions with respect to E), the cost of learning through the
simulator.

Peer: warp-lang (if it imports). Warp 1.19 ships no MPM: ``warp.sim`` was removed (moved to Newton) and
its only particle-in-cell example, ``warp/examples/fem/example_apic_fluid.py``, is an implicit
pressure-projection FEM fluid, not MLS-MPM. So the peer is the same MLS-MPM step (quadratic B-splines,
APIC, fixed-corotated stress, the same walls and clamp) written here as three warp kernels (P2G with
atomic adds, grid update, G2P) and run on warp's CPU backend; its steps are compared with the
torch simulator's from the same state over 300 steps (the largest position difference is printed), and its kernel
compile time is reported separately from the timed steps.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_mpm.py --out runs/bench_mpm.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time

import numpy as np
import torch

from dynlearn.io_utils import atomic_write_text
from dynlearn.particles.materials import LAWS, lame
from dynlearn.particles.mpm import MPM

DT = 1e-4
DENSITY = 1e3
AGREEMENT_STEPS = 300  # the block has fallen onto the floor by then (0.03 s)


def block(n_particles: int, grid: int, seed: int = 0) -> np.ndarray:
    """A square block of about ``n_particles`` on a jittered lattice of spacing dx/2, above the floor."""
    dx = 1.0 / grid
    s = dx / 2
    side = int(math.ceil(math.sqrt(n_particles)))
    if side * s > 1 - 8 * dx:
        raise SystemExit(f"{n_particles} particles at spacing dx/2 do not fit a {grid}^2 grid; raise --grid")
    lo = np.array([0.5 - side * s / 2, 4 * dx + 0.05])
    i, j = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    pts = lo + (np.stack([i.ravel(), j.ravel()], -1) + 0.5) * s
    pts = pts + np.random.default_rng(seed).uniform(-0.25, 0.25, pts.shape) * s
    return pts[:n_particles]


def time_torch(x0: np.ndarray, grid: int, law_name: str, steps: int, repeats: int) -> dict:
    sim = MPM(grid=grid, dt=DT, boundary="slip")
    law = LAWS.get(law_name)()
    vol = (0.5 / grid) ** 2
    state = sim.init(torch.tensor(x0, dtype=torch.float32)[None], density=DENSITY, volume=vol)
    times = []
    with torch.no_grad():
        for _ in range(5):
            state = sim.step(state, law)
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(steps):
                state = sim.step(state, law, check=False)
            times.append(time.perf_counter() - t0)
    assert torch.isfinite(state.x).all()
    med = statistics.median(times)
    return {"steps_per_s": steps / med, "us_per_particle_step": med / steps / len(x0) * 1e6, "times": times}


def time_torch_grad(x0: np.ndarray, grid: int, law_name: str, repeats: int, steps: int = 10) -> dict:
    sim = MPM(grid=grid, dt=DT, boundary="slip")
    vol = (0.5 / grid) ** 2
    times = []
    for _ in range(repeats + 1):
        E = torch.tensor(LAWS.get(law_name)().config()["E"], requires_grad=True)
        law = LAWS.get(law_name)(E=E)
        state = sim.init(
            torch.tensor(x0, dtype=torch.float32)[None], velocities=(0.0, -1.0), density=DENSITY, volume=vol
        )
        t0 = time.perf_counter()
        out = sim.rollout(state, law, steps=steps, save_every=steps)
        out[:, -1].square().sum().backward()
        times.append(time.perf_counter() - t0)
        assert E.grad is not None and torch.isfinite(E.grad)
    med = statistics.median(times[1:])
    return {"steps_per_s": steps / med, "us_per_particle_step": med / steps / len(x0) * 1e6, "times": times[1:]}


# -- the warp peer ------------------------------------------------------------------------------------


def build_warp():
    import warp as wp

    wp.config.quiet = True
    wp.init()

    @wp.func
    def bspline(f: float, k: int) -> float:
        if k == 0:
            return 0.5 * (1.5 - f) * (1.5 - f)
        if k == 1:
            return 0.75 - (f - 1.0) * (f - 1.0)
        return 0.5 * (f - 0.5) * (f - 0.5)

    @wp.kernel
    def p2g(
        x: wp.array(dtype=wp.vec2),
        v: wp.array(dtype=wp.vec2),
        C: wp.array(dtype=wp.mat22),
        F: wp.array(dtype=wp.mat22),
        grid_mv: wp.array2d(dtype=wp.vec3),
        mu: float,
        lam: float,
        dt: float,
        dx: float,
        p_vol: float,
        p_mass: float,
        n_grid: int,
    ):
        p = wp.tid()
        inv_dx = 1.0 / dx
        xp = x[p] * inv_dx
        bx = wp.clamp(int(wp.floor(xp[0] - 0.5)), 0, n_grid - 2)
        by = wp.clamp(int(wp.floor(xp[1] - 0.5)), 0, n_grid - 2)
        fx = xp - wp.vec2(float(bx), float(by))
        Fp = F[p]
        c = Fp[0, 0] + Fp[1, 1]
        s = Fp[1, 0] - Fp[0, 1]
        r = wp.sqrt(c * c + s * s + 1.0e-30)
        R = wp.mat22(c / r, -s / r, s / r, c / r)
        J = wp.determinant(Fp)
        cof = wp.mat22(Fp[1, 1], -Fp[1, 0], -Fp[0, 1], Fp[0, 0])
        P = 2.0 * mu * (Fp - R) + lam * (J - 1.0) * cof
        affine = p_mass * C[p] - (dt * p_vol * 4.0 * inv_dx * inv_dx) * (P * wp.transpose(Fp))
        mv = p_mass * v[p]
        for i in range(3):
            for j in range(3):
                w = bspline(fx[0], i) * bspline(fx[1], j)
                dpos = (wp.vec2(float(i), float(j)) - fx) * dx
                m = w * (mv + affine * dpos)
                wp.atomic_add(grid_mv, bx + i, by + j, wp.vec3(m[0], m[1], w * p_mass))

    @wp.kernel
    def grid_update(
        grid_mv: wp.array2d(dtype=wp.vec3), grid_v: wp.array2d(dtype=wp.vec2), dt: float, gy: float, wall: int, n: int
    ):
        i, j = wp.tid()
        g = grid_mv[i, j]
        vel = wp.vec2(0.0, 0.0)
        if g[2] > 0.0:
            vel = wp.vec2(g[0] / g[2], g[1] / g[2] + dt * gy)
        if i < wall and vel[0] < 0.0:
            vel = wp.vec2(0.0, vel[1])
        if i > n - 1 - wall and vel[0] > 0.0:
            vel = wp.vec2(0.0, vel[1])
        if j < wall and vel[1] < 0.0:
            vel = wp.vec2(vel[0], 0.0)
        if j > n - 1 - wall and vel[1] > 0.0:
            vel = wp.vec2(vel[0], 0.0)
        grid_v[i, j] = vel

    @wp.kernel
    def g2p(
        x: wp.array(dtype=wp.vec2),
        v: wp.array(dtype=wp.vec2),
        C: wp.array(dtype=wp.mat22),
        F: wp.array(dtype=wp.mat22),
        grid_v: wp.array2d(dtype=wp.vec2),
        dt: float,
        dx: float,
        n_grid: int,
    ):
        p = wp.tid()
        inv_dx = 1.0 / dx
        xp = x[p] * inv_dx
        bx = wp.clamp(int(wp.floor(xp[0] - 0.5)), 0, n_grid - 2)
        by = wp.clamp(int(wp.floor(xp[1] - 0.5)), 0, n_grid - 2)
        fx = xp - wp.vec2(float(bx), float(by))
        nv = wp.vec2(0.0, 0.0)
        nC = wp.mat22(0.0, 0.0, 0.0, 0.0)
        for i in range(3):
            for j in range(3):
                w = bspline(fx[0], i) * bspline(fx[1], j)
                dpos = wp.vec2(float(i), float(j)) - fx
                gv = grid_v[bx + i, by + j]
                nv = nv + w * gv
                nC = nC + (4.0 * inv_dx * w) * wp.outer(gv, dpos)
        v[p] = nv
        C[p] = nC
        lo = dx
        hi = float(n_grid) * dx - dx
        nx = x[p] + dt * nv
        x[p] = wp.vec2(wp.clamp(nx[0], lo, hi), wp.clamp(nx[1], lo, hi))
        F[p] = (wp.identity(n=2, dtype=float) + dt * nC) * F[p]

    return wp, p2g, grid_update, g2p


class WarpMPM:
    """The fixed-corotated MLS-MPM step of :class:`dynlearn.particles.mpm.MPM` (slip walls, no friction)
    as warp kernels on the CPU."""

    def __init__(self, x0: np.ndarray, grid: int, E: float, nu: float, wall: int = 3):
        self.wp, self.k_p2g, self.k_grid, self.k_g2p = build_warp()
        wp = self.wp
        n = len(x0)
        self.grid, self.dx, self.wall = grid, 1.0 / grid, wall
        self.mu, self.lam = lame(E, nu)
        self.vol = (0.5 / grid) ** 2
        self.mass = DENSITY * self.vol
        dev = "cpu"
        self.x = wp.array(x0.astype(np.float32), dtype=wp.vec2, device=dev)
        self.v = wp.zeros(n, dtype=wp.vec2, device=dev)
        self.C = wp.zeros(n, dtype=wp.mat22, device=dev)
        self.F = wp.array(np.tile(np.eye(2, dtype=np.float32), (n, 1, 1)), dtype=wp.mat22, device=dev)
        self.grid_mv = wp.zeros((grid + 1, grid + 1), dtype=wp.vec3, device=dev)
        self.grid_v = wp.zeros((grid + 1, grid + 1), dtype=wp.vec2, device=dev)
        self.n = n

    def step(self) -> None:
        wp, g1 = self.wp, self.grid + 1
        self.grid_mv.zero_()
        wp.launch(
            self.k_p2g,
            dim=self.n,
            inputs=[
                self.x,
                self.v,
                self.C,
                self.F,
                self.grid_mv,
                self.mu,
                self.lam,
                DT,
                self.dx,
                self.vol,
                self.mass,
                g1,
            ],
            device="cpu",
        )
        wp.launch(self.k_grid, dim=(g1, g1), inputs=[self.grid_mv, self.grid_v, DT, -9.8, self.wall, g1], device="cpu")
        wp.launch(
            self.k_g2p, dim=self.n, inputs=[self.x, self.v, self.C, self.F, self.grid_v, DT, self.dx, g1], device="cpu"
        )

    def positions(self) -> np.ndarray:
        self.wp.synchronize()
        return self.x.numpy()


def time_warp(x0: np.ndarray, grid: int, steps: int, repeats: int) -> dict:
    t0 = time.perf_counter()
    law = LAWS.get("fixed_corotated")()
    cfg = law.config()
    peer = WarpMPM(x0, grid, cfg["E"], cfg["nu"])
    peer.step()
    peer.positions()
    compile_s = time.perf_counter() - t0
    # agreement with the torch simulator over 20 steps from the same state
    sim = MPM(grid=grid, dt=DT, boundary="slip")
    state = sim.init(torch.tensor(x0, dtype=torch.float32)[None], density=DENSITY, volume=(0.5 / grid) ** 2)
    fresh = WarpMPM(x0, grid, cfg["E"], cfg["nu"])
    with torch.no_grad():
        for _ in range(AGREEMENT_STEPS):
            state = sim.step(state, law)
            fresh.step()
    diff = float(np.abs(fresh.positions() - state.x[0].numpy()).max())
    for _ in range(4):
        peer.step()
    times = []
    for _ in range(repeats):
        peer.positions()
        t1 = time.perf_counter()
        for _ in range(steps):
            peer.step()
        peer.positions()
        times.append(time.perf_counter() - t1)
    med = statistics.median(times)
    return {
        "steps_per_s": steps / med,
        "us_per_particle_step": med / steps / len(x0) * 1e6,
        "times": times,
        "compile_s": compile_s,
        "max_position_difference": diff,
        "version": peer.wp.__version__,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--particles", type=int, default=10_000)
    ap.add_argument("--grid", type=int, default=128)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--laws", default="fixed_corotated,drucker_prager")
    ap.add_argument("--no-warp", action="store_true")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    x0 = block(args.particles, args.grid)
    rows = []
    for name in args.laws.split(","):
        r = time_torch(x0, args.grid, name, args.steps, args.repeats)
        rows.append({"impl": "dynlearn torch", "law": name, "mode": "no_grad", **r})
        print(
            f"torch {name:16s} no_grad  {r['steps_per_s']:8.1f} steps/s  {r['us_per_particle_step']:.3f} us/particle-step"
        )
        r = time_torch_grad(x0, args.grid, name, args.repeats)
        rows.append({"impl": "dynlearn torch", "law": name, "mode": "grad (10-step rollout, forward + backward)", **r})
        print(
            f"torch {name:16s} grad     {r['steps_per_s']:8.1f} steps/s  {r['us_per_particle_step']:.3f} us/particle-step"
        )
    warp_note = None
    if not args.no_warp:
        try:
            r = time_warp(x0, args.grid, args.steps, args.repeats)
        except ImportError as exc:
            warp_note = f"warp not importable: {exc}"
        else:
            rows.append({"impl": f"warp {r['version']} cpu kernels", "law": "fixed_corotated", "mode": "no_grad", **r})
            print(
                f"warp  fixed_corotated  kernels  {r['steps_per_s']:8.1f} steps/s  {r['us_per_particle_step']:.3f} us/particle-step"
                f"  (compile {r['compile_s']:.1f} s; max |x_warp - x_torch| after {AGREEMENT_STEPS} steps "
                f"{r['max_position_difference']:.2e} m)"
            )
            torch_fc = next(x for x in rows if x["law"] == "fixed_corotated" and x["mode"] == "no_grad")
            print(f"torch / warp steps/s (fixed_corotated): {torch_fc['steps_per_s'] / r['steps_per_s']:.2f}")
    if warp_note:
        print(warp_note)
    result = {
        "particles": len(x0),
        "grid": args.grid,
        "dt": DT,
        "threads": args.threads,
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
        "load_average": os.getloadavg(),
        "rows": rows,
        "warp_note": warp_note,
    }
    if args.out:
        atomic_write_text(args.out, json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
