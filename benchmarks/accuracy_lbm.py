"""Schaefer-Turek 2D-1 (Re = 20) with the D2Q9 solver: drag and lift coefficients against the
benchmark (C_D 5.57-5.59, C_L 0.0104-0.0110), the steps to steady state and the wall time.

Each run starts from the channel's Poiseuille flow and pressure, advances until C_D and C_L vary by
less than 0.1 % of C_D over 8 checks of 250 steps, and reports their mean over that window
(``dynlearn.fields.lbm.schaefer_turek``). Cells per diameter, boundary rule (``bouzidi``: interpolated
bounce-back on the circle; ``halfway``: the staircase) and precision are arguments.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/accuracy_lbm.py --cells 10 20 --out runs/st.json
"""

from __future__ import annotations

import argparse
import json
import os
import time

from dynlearn.fields import lbm
from dynlearn.io_utils import atomic_write_text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, nargs="+", default=[10, 20], help="cells per cylinder diameter")
    ap.add_argument("--boundary", nargs="+", default=["bouzidi"], choices=["bouzidi", "halfway"])
    ap.add_argument("--collision", default="trt", choices=["trt", "bgk"])
    ap.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    ap.add_argument("--u-lattice", type=float, default=0.1, help="inflow centre-line speed in lattice units")
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    a = ap.parse_args()
    rows = []
    for d in a.cells:
        for boundary in a.boundary:
            cpu0 = time.process_time()
            r = lbm.schaefer_turek(
                d, u_max_lattice=a.u_lattice, collision=a.collision, boundary=boundary, dtype=a.dtype
            )
            r.pop("sim")
            history = r.pop("history")
            row = {
                **r,
                "cells_per_diameter": d,
                "boundary": boundary,
                "collision": a.collision,
                "dtype": a.dtype,
                "u_lattice": a.u_lattice,
                "cpu_s": time.process_time() - cpu0,
                "cd_error": r["cd"] / 5.58 - 1,
                "cl_error": r["cl"] / 0.0107 - 1,
                "history": history[::4].tolist(),
                "load_average": os.getloadavg(),
            }
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "history"}), flush=True)
    if a.out:
        atomic_write_text(a.out, json.dumps({"rows": rows}, indent=1))


if __name__ == "__main__":
    main()
