"""Throughput of the spectral Navier-Stokes solver (issue 19 target: >= 10^4 field-steps/s at 64^2,
batch 32, on 2 cores).

A batch of 32 random vorticity fields at 64^2 (Kolmogorov forcing, nu = 1e-2, the same for every
member) is advanced by ``--steps`` ETDRK4 steps of dt = 0.01, ``--repeats`` times, for each thread
count and precision asked; the median wall and CPU time of a whole call (the ETDRK4 coefficients
included: built once for the batch's one parameter set) are reported as field-steps per second
(batch x steps / time). A one-step warm-up call comes first.

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/bench_fields.py --out runs/bench_fields.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import torch

from dynlearn.fields import spectral
from dynlearn.io_utils import atomic_write_text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    a = ap.parse_args()
    w0 = spectral.random_vorticity(a.batch, a.n, seed=0)
    forcing = spectral.kolmogorov_forcing(a.n)
    rows = []
    for threads, dtype in [(t, d) for t in a.threads for d in a.dtypes]:
        torch.set_num_threads(threads)
        spectral.navier_stokes_2d(w0, nu=1e-2, dt=0.01, n_steps=1, forcing=forcing, dtype=dtype)  # warm-up
        walls, cpus = [], []
        for _ in range(a.repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            spectral.navier_stokes_2d(
                w0, nu=1e-2, dt=0.01, n_steps=a.steps, save_every=a.steps, forcing=forcing, dtype=dtype
            )
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        row = {
            "threads": threads,
            "dtype": dtype,
            "n": a.n,
            "batch": a.batch,
            "steps": a.steps,
            "wall_s": wall,
            "cpu_s": cpu,
            "field_steps_per_s_wall": a.batch * a.steps / wall,
            "field_steps_per_s_cpu": a.batch * a.steps / cpu,
            "ms_per_batched_step_wall": 1e3 * wall / a.steps,
        }
        rows.append(row)
        print(
            f"threads {threads}, {dtype}: {row['field_steps_per_s_wall']:.0f} field-steps/s wall "
            f"({row['ms_per_batched_step_wall']:.1f} ms per batched step), {row['field_steps_per_s_cpu']:.0f} per CPU s"
        )
    result = {"rows": rows, "load_average": os.getloadavg(), "torch": torch.__version__}
    if a.out:
        atomic_write_text(a.out, json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
