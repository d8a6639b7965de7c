"""Throughput of the projection-method Navier-Stokes solver (dynlearn.fields.projection).

Cases, each advanced by ``--steps`` SSP-RK3 steps (three momentum evaluations and three pressure
solves per step) after a 5-step warm-up, ``--repeats`` times, the median reported:
- ``cavity``: the lid-driven cavity at 64 x 64 cells, Re = 100 (pressure by the cosine transform);
- ``obstacle``: a 128 x 32 channel past a circle (pressure by the sparse LU factorisation, built
  once before the timing);
for each batch size asked. Steps per second are whole-batch steps (``field-steps`` = batch x steps).
As a peer measured in the same run, the spectral ETDRK4 solver (``fields.spectral``) at 64^2 with
the same batch and precision (``--dtype``), one torch thread, gives the ratio of the two solvers' costs on this machine.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_fields_projection.py --out runs/bench_projection.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from dynlearn.fields import projection
from dynlearn.io_utils import atomic_write_text


def _time(fn, repeats: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 8, 32])
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"], help="both solvers' precision")
    ap.add_argument("--no-peer", action="store_true", help="skip the spectral solver's timing")
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    a = ap.parse_args()
    rows = []
    for batch in a.batch:
        cases = {
            "cavity 64x64": projection.ProjectionSolver(64, 64, nu=0.01, batch=batch, lid_velocity=1.0, dtype=a.dtype),
            "obstacle 128x32": projection.ProjectionSolver(
                128, 32, 4.0, 1.0, nu=0.0025, batch=batch, inflow_velocity=1.0,
                solid=projection.obstacle_mask(128, 32, 4.0, 1.0, centre=(1.0, 0.52), size=0.25), dtype=a.dtype,
            ),
        }  # fmt: skip
        for name, s in cases.items():
            state = s.initial_state()
            dt = 0.5 * s.max_stable_dt(*state)
            for _ in range(5):
                state = s.step(*state, dt)

            def go(s=s, state=state, dt=dt):
                u, v = state
                for _ in range(a.steps):
                    u, v = s.step(u, v, dt)

            wall, cpu = _time(go, a.repeats)
            row = {"case": name, "dtype": a.dtype, "batch": batch, "steps": a.steps, "wall_s": wall, "cpu_s": cpu,
                   "steps_per_s": a.steps / wall, "field_steps_per_s": batch * a.steps / wall}  # fmt: skip
            rows.append(row)
            print(
                f"{name}, batch {batch}: {row['steps_per_s']:.0f} steps/s, {row['field_steps_per_s']:.0f} field-steps/s"
            )
        if not a.no_peer:
            import torch

            from dynlearn.fields import spectral

            torch.set_num_threads(1)
            w0 = spectral.random_vorticity(batch, 64, seed=0)
            spectral.navier_stokes_2d(w0, nu=1e-2, dt=0.01, n_steps=1)
            wall, cpu = _time(
                lambda w0=w0: spectral.navier_stokes_2d(
                    w0, nu=1e-2, dt=0.01, n_steps=a.steps, save_every=a.steps, dtype=a.dtype
                ),
                a.repeats,
            )
            row = {"case": f"peer: spectral ETDRK4 64x64 {a.dtype}", "batch": batch, "steps": a.steps, "wall_s": wall,
                   "cpu_s": cpu, "steps_per_s": a.steps / wall, "field_steps_per_s": batch * a.steps / wall}  # fmt: skip
            rows.append(row)
            print(f"{row['case']}, batch {batch}: {row['steps_per_s']:.0f} steps/s")
    result = {"rows": rows, "load_average": os.getloadavg()}
    if a.out:
        atomic_write_text(a.out, json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
