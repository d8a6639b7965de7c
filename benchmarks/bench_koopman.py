"""Koopman spectra: dynlearn.koopman against PyDMD, measured in the same run.

Three measurements (issue 13, §5), single-threaded BLAS:

1. **DMD** of a 200 × 50,000 snapshot matrix (a noisy stable linear system in 200
   dimensions, full rank): ``dynlearn.koopman.dmd`` (default ``method="auto"``, the Gram
   route, and ``method="svd"``) against ``pydmd.DMD(svd_rank=-1)`` (no truncation), the
   three alternated ``--repeats`` times so they see the same machine load; median
   seconds, and the largest distance between the matched eigenvalue sets.
2. **EDMD + ResDMD**: 50,000 Duffing snapshot pairs, a 200-function RBF dictionary
   (197 k-means centres, the constant, the 2 coordinates): seconds for the dictionary's
   k-means fit, for evaluating it and solving EDMD with a residual for every eigenpair
   (``method="gram"``), and the same with ``method="qr"``. PyDMD has no ResDMD.
3. **Kernel EDMD**, Gaussian kernel, rank 20, on a standardised Lorenz-63 trajectory:
   the exact method (two M × M kernel matrices: ``dynlearn.koopman.kernel_edmd`` and
   ``pydmd.EDMD(kernel_metric="rbf")``) at M where it runs, against the low-rank Nyström
   form (EDMD on ``koopman.Nystrom`` features, rank-20 truncation) with 200/500/1,000
   landmarks: seconds, and the eigenvalue error of the low-rank form against the exact one
   (largest distance between matched sets of the 20 eigenvalues); then the Nyström form
   alone on 50,000 snapshots.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_koopman.py --out runs/bench_koopman.json
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_koopman.py --quick
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from dynlearn import koopman
from dynlearn.io_utils import atomic_write_text


def matched(a, b) -> float:
    cost = np.abs(np.asarray(a)[:, None] - np.asarray(b)[None, :])
    i, j = linear_sum_assignment(cost)
    return float(cost[i, j].max())


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def bench_dmd(dim: int, n: int, repeats: int, seed: int) -> dict:
    import pydmd

    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((dim, dim)))
    A = 0.98 * Q  # a stable rotation-like map
    snaps = np.empty((dim, n + 1))
    snaps[:, 0] = rng.standard_normal(dim)
    noise = 0.1 * rng.standard_normal((dim, n))
    for k in range(n):
        snaps[:, k + 1] = A @ snaps[:, k] + noise[:, k]
    times = {"dynlearn_auto": [], "dynlearn_svd": [], "pydmd": []}
    eigs = {}
    for _ in range(repeats):
        t, r = timed(lambda: koopman.dmd(snaps.T))
        times["dynlearn_auto"].append(t)
        eigs["dynlearn_auto"] = r.eigenvalues
        t, r = timed(lambda: koopman.dmd(snaps.T, method="svd"))
        times["dynlearn_svd"].append(t)
        eigs["dynlearn_svd"] = r.eigenvalues
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t, r = timed(lambda: pydmd.DMD(svd_rank=-1).fit(snaps))
        times["pydmd"].append(t)
        eigs["pydmd"] = np.asarray(r.eigs)
    med = {k: float(np.median(v)) for k, v in times.items()}
    return {
        "shape": [dim, n],
        "repeats": repeats,
        "seconds": med,
        "all_seconds": times,
        "pydmd_over_dynlearn_auto": med["pydmd"] / med["dynlearn_auto"],
        "pydmd_over_dynlearn_svd": med["pydmd"] / med["dynlearn_svd"],
        "eig_diff_auto_vs_pydmd": matched(eigs["dynlearn_auto"], eigs["pydmd"]),
        "eig_diff_svd_vs_pydmd": matched(eigs["dynlearn_svd"], eigs["pydmd"]),
    }


def bench_edmd(n: int, n_centres: int, repeats: int, seed: int) -> dict:
    from dynlearn.repro.koopman_limits import duffing_snapshots

    X, Y = duffing_snapshots(n // 5, seed)
    out = {"snapshots": len(X), "functions": n_centres + 3, "kmeans": [], "gram": [], "qr": []}
    for _ in range(repeats):
        t, dic = timed(lambda: koopman.RBF(n_centres, seed=seed).fit(X))
        out["kmeans"].append(t)
        t, est = timed(lambda dic=dic: koopman.edmd(dic(X), dic(Y)))
        out["gram"].append(t)
        t, est_qr = timed(lambda dic=dic: koopman.edmd(dic(X), dic(Y), method="qr"))
        out["qr"].append(t)
    out["seconds"] = {k: float(np.median(out[k])) for k in ("kmeans", "gram", "qr")}
    out["residual_diff_gram_vs_qr"] = float(np.abs(np.sort(est.residuals) - np.sort(est_qr.residuals)).max())
    out["eigenpairs"] = len(est.eigenvalues)
    return out


def _lorenz(n: int, seed: int) -> np.ndarray:
    from dynlearn import systems

    (traj,) = systems.simulate("Lorenz", n_points=n + 1, points_per_period=30, seed=seed)
    z = traj.states
    return (z - z.mean(0)) / z.std(0)


def _nystrom(X, Y, m: int, rank: int, sigma: float, seed: int):
    dic = koopman.Nystrom(m, bandwidth=sigma, seed=seed).fit(X)
    dic._mean[:] = 0.0  # the data are standardised already; the exact methods use raw coordinates
    dic._scale[:] = 1.0
    dic._fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", koopman.IllConditionedWarning)
        return koopman.edmd(dic.features(X), dic.features(Y), rank=rank, rcond=1e-13).eigenvalues


def bench_kernel(sizes: list[int], landmarks: list[int], big: int, rank: int, seed: int) -> dict:
    import pydmd

    sigma = 1.0
    rows = []
    for M in sizes:
        z = _lorenz(M, seed)
        X, Y = z[:-1], z[1:]
        t_exact, exact = timed(lambda X=X, Y=Y: koopman.kernel_edmd(X, Y, bandwidth=sigma, rank=rank))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_py, ref = timed(
                lambda z=z: pydmd.EDMD(svd_rank=rank, kernel_metric="rbf", kernel_params={"gamma": 0.5 / sigma**2}).fit(
                    z.T
                )
            )
        row = {
            "M": len(X),
            "exact_dynlearn_s": t_exact,
            "exact_pydmd_s": t_py,
            "exact_dynlearn_vs_pydmd_eig_diff": matched(exact, np.asarray(ref.eigs)),
            "nystrom": [],
        }
        for m in landmarks:
            if m > len(X):
                continue
            t, low = timed(lambda m=m, X=X, Y=Y: _nystrom(X, Y, m, rank, sigma, seed))
            row["nystrom"].append({"landmarks": m, "seconds": t, "eig_error": matched(low, exact)})
        rows.append(row)
        print(json.dumps(row))
    z = _lorenz(big, seed)
    t_big, _ = timed(lambda: _nystrom(z[:-1], z[1:], max(landmarks), rank, sigma, seed))
    return {
        "rank": rank,
        "bandwidth": sigma,
        "by_size": rows,
        "large": {"M": big, "landmarks": max(landmarks), "seconds": t_big},
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, one repeat: checks the script runs")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--parts", default="dmd,edmd,kernel", help="comma-separated subset of dmd, edmd, kernel")
    args = p.parse_args(argv)
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    unknown = parts - {"dmd", "edmd", "kernel"}
    if unknown:
        p.error(f"--parts takes dmd, edmd, kernel; got {', '.join(sorted(unknown))}")
    res = {}
    if "dmd" in parts:
        res["dmd"] = (
            bench_dmd(20, 2_000, 1, args.seed) if args.quick else bench_dmd(200, 50_000, args.repeats, args.seed)
        )
    if "edmd" in parts:
        res["edmd"] = (
            bench_edmd(5_000, 47, 1, args.seed) if args.quick else bench_edmd(50_000, 197, args.repeats, args.seed)
        )
    if "kernel" in parts:
        res["kernel"] = (
            bench_kernel([300], [50, 100], 2_000, 10, args.seed)
            if args.quick
            else bench_kernel([1_000, 2_000, 4_000], [200, 500, 1_000], 50_000, 20, args.seed)
        )
    text = json.dumps(res, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out, text)


if __name__ == "__main__":
    main()
