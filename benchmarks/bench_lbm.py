"""Throughput of the D2Q9 lattice Boltzmann solver in million lattice-node updates per second (MLUPS).

A batch of ``--batch`` channels of ``--ny x --nx`` nodes (default 64 x 256, batch 8), each with a
different cylinder (radius 6-9 cells), parabolic inflow (Zou-He) and pressure outlet, TRT collision,
is advanced ``--steps`` steps, ``--repeats`` times, for each thread count and precision asked; the median
wall and CPU time give MLUPS = batch x ny x nx x steps / time / 1e6. A 5-step warm-up comes first.

Peer in the same run: a plain numpy D2Q9 (BGK, ``np.roll`` streaming, ``np.where`` bounce-back, the
same boundaries), written here as the textbook vectorised form, so the ratio says what the batched
torch layout buys on the same (shared, loaded) machine.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_lbm.py --out runs/bench_lbm.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
import torch

from dynlearn.fields import lbm
from dynlearn.io_utils import atomic_write_text


class NumpyD2Q9:
    """The textbook numpy form (BGK, roll streaming, where bounce-back, Zou-He in/out), for the ratio."""

    def __init__(self, mask: np.ndarray, tau: float, inflow: np.ndarray) -> None:
        self.mask, self.omega, self.uin = mask, 1 / tau, inflow[:, :, None]
        self.cx = lbm.C[:, 0].reshape(1, 9, 1, 1).astype(float)
        self.cy = lbm.C[:, 1].reshape(1, 9, 1, 1).astype(float)
        self.w = lbm.W.reshape(1, 9, 1, 1)
        ny = mask.shape[1]
        wall = np.zeros((mask.shape[0], ny + 2, mask.shape[2]), bool)
        wall[:, 0], wall[:, -1] = True, True
        wall[:, 1:-1] = mask
        self.solid = wall
        self.from_solid = np.stack([np.roll(wall, (cy, cx), axis=(1, 2)) for cx, cy in lbm.C], axis=1)[:, :, 1:-1]
        self.f = self.feq(np.ones(mask.shape), np.broadcast_to(self.uin, mask.shape), np.zeros(mask.shape))

    def feq(self, rho, ux, uy):
        cu = self.cx * ux[:, None] + self.cy * uy[:, None]
        return self.w * rho[:, None] * (1 + 3 * cu + 4.5 * cu**2 - 1.5 * (ux**2 + uy**2)[:, None])

    def step(self) -> None:
        f = self.f
        rho = f.sum(1)
        ux, uy = (f * self.cx).sum(1) / rho, (f * self.cy).sum(1) / rho
        post = f - self.omega * (f - self.feq(rho, ux, uy))
        padded = np.pad(post, ((0, 0), (0, 0), (1, 1), (0, 0)))
        new = np.stack([np.roll(padded[:, i], (cy, cx), axis=(1, 2)) for i, (cx, cy) in enumerate(lbm.C)], 1)
        new = new[:, :, 1:-1]
        new = np.where(self.from_solid, post[:, lbm.OPP], new)
        a = new[:, :, :, 0]
        u = self.uin[:, :, 0]
        rho_in = (a[:, 0] + a[:, 2] + a[:, 4] + 2 * (a[:, 3] + a[:, 6] + a[:, 7])) / (1 - u)
        d = 0.5 * (a[:, 2] - a[:, 4])
        a[:, 1], a[:, 5], a[:, 8] = (
            a[:, 3] + 2 / 3 * rho_in * u,
            a[:, 7] - d + rho_in * u / 6,
            a[:, 6] + d + rho_in * u / 6,
        )
        b = new[:, :, :, -1]
        uo = -1 + b[:, 0] + b[:, 2] + b[:, 4] + 2 * (b[:, 1] + b[:, 5] + b[:, 8])
        d = 0.5 * (b[:, 2] - b[:, 4])
        b[:, 3], b[:, 6], b[:, 7] = b[:, 1] - 2 / 3 * uo, b[:, 8] - d - uo / 6, b[:, 5] + d - uo / 6
        self.f = new


def _time(fn, steps: int, repeats: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn(steps)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ny", type=int, default=64)
    ap.add_argument("--nx", type=int, default=256)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    ap.add_argument("--no-peer", action="store_true", help="skip the numpy peer")
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    r = rng.uniform(6, 9, a.batch)
    mask = lbm.cylinder_mask(
        a.ny, a.nx, rng.uniform(40, 60, a.batch), rng.uniform(a.ny / 2 - 4, a.ny / 2 + 4, a.batch), r
    )
    inflow = lbm.channel_profile(a.ny, np.full(a.batch, 0.08))
    updates = a.batch * a.ny * a.nx * a.steps
    rows = []
    for threads, dtype in [(t, d) for t in a.threads for d in a.dtypes]:
        torch.set_num_threads(threads)
        sim = lbm.D2Q9(mask, tau=0.56, inflow=inflow, dtype=dtype)
        sim.step(5)
        wall, cpu = _time(sim.step, a.steps, a.repeats)
        sim.check_finite("bench")
        rows.append(
            {
                "solver": "dynlearn D2Q9 (torch, TRT)",
                "threads": threads,
                "dtype": dtype,
                "mlups_wall": updates / wall / 1e6,
                "mlups_cpu": updates / cpu / 1e6,
                "ms_per_step": 1e3 * wall / a.steps,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    if not a.no_peer:
        peer = NumpyD2Q9(mask, 0.56, inflow)
        peer.step()

        def run(n: int) -> None:
            for _ in range(n):
                peer.step()

        wall, cpu = _time(run, a.steps, a.repeats)
        assert np.all(np.isfinite(peer.f))
        rows.append(
            {
                "solver": "numpy textbook D2Q9 (BGK)",
                "threads": 1,
                "dtype": "float64",
                "mlups_wall": updates / wall / 1e6,
                "mlups_cpu": updates / cpu / 1e6,
                "ms_per_step": 1e3 * wall / a.steps,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    meta = {
        "ny": a.ny,
        "nx": a.nx,
        "batch": a.batch,
        "steps": a.steps,
        "repeats": a.repeats,
        "load_average": os.getloadavg(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    if a.out:
        atomic_write_text(a.out, json.dumps({"meta": meta, "rows": rows}, indent=1))
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
