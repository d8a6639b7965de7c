"""The lid-driven cavity's centre lines against Ghia, Ghia & Shin (1982), at several grids and Re.

For each (cells, Re, t_end): the cavity from rest (lid velocity 1, unit box, central advection,
dt = 0.9 x the largest stable step) is run to ``t_end``; u along x = 0.5 and v along y = 0.5 are
interpolated linearly (walls included) onto the 17 published points of Tables I and II, and the
largest absolute error is reported. Writes a JSON of the errors and, with ``--figure``, the profiles
beside the published points. The published values are the ones typed into
``tests/test_fields_projection.py``.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/accuracy_cavity_ghia.py --out runs/cavity_ghia.json \\
        --figure docs/figures/fields-cavity-ghia.png
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from dynlearn.fields import projection
from dynlearn.io_utils import atomic_write_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_fields_projection import GHIA_U, GHIA_V, GHIA_X, GHIA_Y  # noqa: E402

CASES = [(32, 100, 10.0), (64, 100, 15.0), (64, 1000, 60.0), (128, 1000, 60.0)]


def run(n: int, re: int, t_end: float) -> dict:
    s = projection.ProjectionSolver(n, n, nu=1.0 / re, lid_velocity=1.0)
    state = s.initial_state()
    dt = 0.9 * s.max_stable_dt(*state)
    steps = int(np.ceil(t_end / dt))
    t0, c0 = time.perf_counter(), time.process_time()
    _, _, (u, v) = s.run(dt, steps, steps, state=state)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    y = np.concatenate([[0.0], (np.arange(n) + 0.5) / n, [1.0]])
    u_line = np.concatenate([[0.0], u[0, n // 2], [1.0]])
    v_line = np.concatenate([[0.0], v[0, :, n // 2], [0.0]])
    return {
        "cells": n,
        "re": re,
        "t_end": t_end,
        "dt": dt,
        "steps": steps,
        "max_abs_error_u": float(np.abs(np.interp(GHIA_Y, y, u_line) - GHIA_U[re]).max()),
        "max_abs_error_v": float(np.abs(np.interp(GHIA_X, y, v_line) - GHIA_V[re]).max()),
        "max_abs_divergence": float(np.abs(s.divergence(u, v)).max()),
        "wall_s": wall,
        "cpu_s": cpu,
        "y": y.tolist(),
        "u_line": u_line.tolist(),
        "v_line": v_line.tolist(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="JSON of the errors (written after every case)")
    ap.add_argument("--figure", default=None, help="PNG of the profiles against the published points")
    ap.add_argument("--max-cells", type=int, default=128, help="skip the cases on finer grids")
    a = ap.parse_args()
    rows = []
    for n, re, t_end in CASES:
        if n > a.max_cells:
            continue
        row = run(n, re, t_end)
        rows.append(row)
        print(
            f"{n}x{n}, Re {re}, t {t_end:g}: max |error| u {row['max_abs_error_u']:.4f}, v {row['max_abs_error_v']:.4f} "
            f"({row['steps']} steps, {row['cpu_s']:.0f} CPU s, {row['wall_s']:.0f} s wall)",
            flush=True,
        )
        atomic_write_text(a.out, json.dumps({"rows": rows, "load_average": os.getloadavg()}, indent=2))
    if a.figure:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 4, figsize=(13, 3.6))
        for k, re in enumerate((100, 1000)):
            au, av = axes[2 * k], axes[2 * k + 1]
            for row in (r for r in rows if r["re"] == re):
                au.plot(row["u_line"], row["y"], label=f"{row['cells']}²")
                av.plot(row["y"], row["v_line"], label=f"{row['cells']}²")
            au.plot(GHIA_U[re], GHIA_Y, "ko", ms=3.5, label="Ghia et al. 1982")
            av.plot(GHIA_X, GHIA_V[re], "ko", ms=3.5, label="Ghia et al. 1982")
            au.set(xlabel="u(0.5, y)", ylabel="y", title=f"Re = {re}: u on x = 0.5")
            av.set(xlabel="x", ylabel="v(x, 0.5)", title=f"Re = {re}: v on y = 0.5")
            au.legend(fontsize=7)
        fig.tight_layout()
        Path(a.figure).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(a.figure).with_suffix(".tmp.png")
        fig.savefig(tmp, dpi=110)
        os.replace(tmp, a.figure)
        print(f"wrote {a.figure}")


if __name__ == "__main__":
    main()
