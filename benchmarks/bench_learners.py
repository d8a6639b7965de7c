"""PSI-KT's filter cost: the graph exponential on a grid (``_GraphExp``) against one ``matrix_exp`` per
learner and step, in the same run.

    OMP_NUM_THREADS=1 python benchmarks/bench_learners.py [--learners 150] [--interactions 100] [--reps 3]

Measures the CPU seconds (``time.process_time``, one thread) of one forward + backward pass of the PSI-KT
filter over the history of a simulated population, both ways, and the largest difference between the
two ways' predictive probabilities. Prints a JSON line.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from dynlearn.graphs.learners import create, simulate_students
from dynlearn.graphs.learners import psikt as psikt_mod


class _MatrixExp:
    """Drop-in for _GraphExp: exp(x G) by one batched matrix_exp per call."""

    def __init__(self, G, x_max):
        self.G = G

    def __call__(self, x):
        return torch.linalg.matrix_exp(x[:, None, None] * self.G)


def _pass(model, pad, traits) -> tuple[float, np.ndarray]:
    t0 = time.process_time()
    logp, p = model._filter(pad, pad["mask"], traits)
    (-(logp * torch.as_tensor(pad["mask"], dtype=torch.float64)).sum()).backward()
    return time.process_time() - t0, p.detach().numpy()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--learners", type=int, default=150)
    ap.add_argument("--interactions", type=int, default=100)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    hist, _ = simulate_students(seed=0, n_learners=args.learners, interactions=args.interactions).log.split(0.8)
    model = create("psikt", epochs=3).fit(hist)
    pad = hist.padded()
    with torch.no_grad():
        traits, _ = model._encode(pad, pad["mask"])
    grid, dense = [], []
    original = psikt_mod._GraphExp
    for _ in range(args.reps):  # interleaved, so both ways see the same load
        psikt_mod._GraphExp = original
        s, p_grid = _pass(model, pad, traits)
        grid.append(s)
        psikt_mod._GraphExp = _MatrixExp
        try:
            s, p_dense = _pass(model, pad, traits)
        finally:
            psikt_mod._GraphExp = original
        dense.append(s)
    print(json.dumps({"learners": args.learners, "steps": int(pad["mask"].shape[1]),
                      "grid_cpu_s": round(float(np.median(grid)), 3), "matrix_exp_cpu_s": round(float(np.median(dense)), 3),
                      "speedup": round(float(np.median(dense) / np.median(grid)), 2),
                      "max_abs_diff_p": float(np.max(np.abs(p_grid - p_dense)))}))


if __name__ == "__main__":
    main()
