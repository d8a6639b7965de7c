"""Generation time of the ``cylinder`` field dataset (D2Q9 lattice Boltzmann) and a picture of the
vorticity behind the cylinders.

Runs ``dynlearn.fields.simulate("cylinder", batch=64)`` with its defaults (a 64 x 128 lattice per
member, saved as 64 x 64; 1,600 steps), without the cache, timing it (wall and CPU); then draws
the vorticity dv/dx - du/dy (centred differences on the saved grid) of a few members at the last frame
and of one member over time.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/cylinder_lbm.py --png docs/figures/lbm-cylinder-vorticity.png
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np

from dynlearn.fields import simulate


def vorticity(fields, member: int, frame: int) -> np.ndarray:
    """dv/dx - du/dy, as an image (rows y, columns x); the fields are stored (x, y)."""
    hx, hy = fields.grid.spacing
    u, v = fields.values[member, frame]
    w = np.gradient(v, hx, axis=0) - np.gradient(u, hy, axis=1)
    return np.where(fields.mask[member], np.nan, w).T


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--png", default=None)
    ap.add_argument("--out", default=None, help="write the timing as JSON here")
    a = ap.parse_args()
    import torch

    torch.set_num_threads(a.threads)
    t0, c0 = time.perf_counter(), time.process_time()
    f = simulate("cylinder", batch=a.batch, cache=False)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    c = f.meta["config"]
    ny, nx = f.meta["lattice"]
    row = {
        "batch": a.batch,
        "lattice": [ny, nx],
        "steps": c["steps"],
        "wall_s": wall,
        "cpu_s": cpu,
        "mlups_wall": a.batch * ny * nx * c["steps"] / wall / 1e6,
        "reynolds": [float(f.params["reynolds"].min()), float(f.params["reynolds"].max())],
        "tau": [min(f.meta["tau"]), max(f.meta["tau"])],
        "load_average": os.getloadavg(),
        "threads": a.threads,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    print(json.dumps(row), flush=True)
    if a.out:
        from dynlearn.io_utils import atomic_write_text

        atomic_write_text(a.out, json.dumps(row, indent=1))
    if a.png:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        length, height = f.grid.lengths
        extent = (0, length, 0, height)
        members = np.argsort(f.params["reynolds"])[:: max(1, len(f) // 4)][:4]
        frames = np.linspace(len(f.times) // 4, len(f.times) - 1, 4).astype(int)
        fig, axes = plt.subplots(2, 4, figsize=(14, 4.6))
        for ax, m in zip(axes[0], members):
            w = vorticity(f, m, -1)
            ax.imshow(w, origin="lower", extent=extent, cmap="RdBu_r", vmin=-12, vmax=12)
            ax.set_title(f"member {m}: Re = {f.params['reynolds'][m]:.0f}, t = {f.times[-1]:.2f}", fontsize=9)
        m = members[-1]
        for ax, k in zip(axes[1], frames):
            ax.imshow(vorticity(f, m, k), origin="lower", extent=extent, cmap="RdBu_r", vmin=-12, vmax=12)
            ax.set_title(f"member {m}, t = {f.times[k]:.2f}", fontsize=9)
        for ax in axes.flat:
            ax.set_xticks([])
            ax.set_yticks([])
        fig.suptitle("cylinder (D2Q9 LBM, 64 x 128 lattice saved at 64 x 64): vorticity dv/dx - du/dy", fontsize=10)
        fig.tight_layout()
        fig.savefig(a.png, dpi=100)
        print("wrote", a.png)


if __name__ == "__main__":
    main()
