"""Speed of dynlearn.probes' geometry metrics on 10,000 x 512 activations (issue 21 target: <= 1 s each).

Activations: ``--n`` samples (default 10,000) of ``--d`` units (512), float64, drawn as 8 (or, for the
RDM, 64) conditions of a hypercube-like task: a condition mean plus unit-variance noise. A second
representation Y (a random linear map of X through tanh, plus noise) is the partner of the two-input
metrics. Each metric is called once as warm-up and then ``--repeats`` times; the median wall and CPU times
are reported. Kernel methods that need n x n Gram matrices (exact RBF CKA, kernel alignment) are timed at
``--n-gram`` samples (default 2,000) and their O(n^2) cost is stated, since two 10,000^2 float64 Grams
alone take 1.6 GB. Peer, same run: the textbook CKA through centred n x n Gram matrices (HKH),
at ``--n-gram`` samples, against dynlearn's feature-space formula at the same n.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_probes.py --out runs/bench_probes.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np

from dynlearn.io_utils import atomic_write_text
from dynlearn.probes import geometry as g


def _time(fn, repeats: int) -> tuple[float, float]:
    """Median wall and CPU (process) seconds of ``repeats`` calls after one warm-up call."""
    fn()
    walls, cpus = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus)


def _gram_cka(X: np.ndarray, Y: np.ndarray) -> float:
    n = X.shape[0]
    H = np.eye(n) - 1.0 / n
    K, L = H @ (X @ X.T) @ H, H @ (Y @ Y.T) @ H
    return float(np.sum(K * L) / (np.linalg.norm(K) * np.linalg.norm(L)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--d", type=int, default=512)
    ap.add_argument("--n-gram", type=int, default=2_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    cond8 = rng.integers(0, 8, a.n)
    cond64 = rng.integers(0, 64, a.n)
    X = rng.normal(size=(8, a.d))[cond8] + rng.normal(size=(a.n, a.d))
    Y = np.tanh(X @ rng.normal(size=(a.d, a.d)) / np.sqrt(a.d)) + 0.1 * rng.normal(size=(a.n, a.d))
    X64 = rng.normal(size=(64, a.d))[cond64] + rng.normal(size=(a.n, a.d))
    side = [0, 1, 2, 3]
    W = rng.normal(size=(50, 64, a.d))  # 50 checkpoints of 64 units' input weights
    axes = rng.normal(size=(2, a.d))
    m = a.n_gram
    Kg, Lg = X[:m] @ X[:m].T, Y[:m] @ Y[:m].T
    cases = {
        "linear_cka": lambda: g.linear_cka(X, Y),
        "linear_cka (debiased)": lambda: g.linear_cka(X, Y, debiased=True),
        "rbf_cka (Nystrom, 256 landmarks)": lambda: g.rbf_cka(X, Y, n_landmarks=256),
        "rdm (64 conditions) + rsa": lambda: g.rsa(g.rdm(X64, cond64), g.rdm(Y, cond64)),
        "parallelism_score (8 conditions)": lambda: g.parallelism_score(X, cond8, side),
        "ccgp (8 conditions, 16 splits)": lambda: g.ccgp(X, cond8, side),
        "shattering_dimensionality (35 dichotomies)": lambda: g.shattering_dimensionality(X, cond8),
        "participation_ratio": lambda: g.participation_ratio(X),
        "effective_rank (RankMe)": lambda: g.effective_rank(X),
        f"project_on_axes (50 x 64 x {a.d} weights)": lambda: g.project_on_axes(W, axes),
        f"rbf_cka exact (n = {m})": lambda: g.rbf_cka(X[:m], Y[:m]),
        f"rbf_cka Nystrom 256 (n = {m})": lambda: g.rbf_cka(X[:m], Y[:m], n_landmarks=256),
        f"kernel_alignment ({m} x {m} Grams)": lambda: g.kernel_alignment(Kg, Lg),
        f"linear_cka (n = {m}, feature space)": lambda: g.linear_cka(X[:m], Y[:m]),
        f"peer: textbook Gram CKA HKH (n = {m})": lambda: _gram_cka(X[:m], Y[:m]),
    }
    rows = []
    for name, fn in cases.items():
        wall, cpu = _time(fn, a.repeats)
        value = fn() if "rbf_cka" in name else None
        rows.append({"metric": name, "wall_s": wall, "cpu_s": cpu, "value": value})
        print(f"{name:48s} wall {wall:8.3f} s   cpu {cpu:8.3f} s" + (f"   value {value:.4f}" if value is not None else ""),
              flush=True)
    peer = rows[-1]["cpu_s"] / rows[-2]["cpu_s"]
    print(f"Gram-CKA peer / dynlearn linear_cka at n = {m} (CPU): {peer:.1f}x")
    if a.out:
        meta = {"n": a.n, "d": a.d, "n_gram": m, "repeats": a.repeats, "machine": platform.machine(),
                "omp_threads": os.environ.get("OMP_NUM_THREADS"), "peer_ratio": peer}
        atomic_write_text(a.out, json.dumps({"meta": meta, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
