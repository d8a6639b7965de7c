"""Empirical NTK speed: a width-4096 two-layer network on 1,000 inputs (issue 21: "in seconds, not minutes").

    .venv/bin/python benchmarks/bench_ntk.py [--width 4096] [--n 1000] [--dim 10] [--repeats 3] [--json out.json]

Result on 2026-12-02 (shared 2-core machine): docs/performance.md, "NTK".

Times :func:`dynlearn.probes.ntk.empirical_ntk` (per-sample Jacobians by ``torch.func.jacrev`` under
``torch.func.vmap``, then one contraction per parameter tensor) on the (n, n) kernel of an NTK-parameterised
ReLU network ``dim -> width -> 1`` in float32, one thread, best and median of ``--repeats`` after one
warm-up call. The peer, measured in the same run on the same network and inputs, is the textbook loop: one
``torch.autograd.grad`` per input to fill the Jacobian row by row, then ``J J^T``. The two kernels are
compared entry by entry, and the width-4096 kernel against the analytic NTK (relative Frobenius error).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from dynlearn.io_utils import atomic_write_text  # noqa: E402
from dynlearn.probes.ntk import FCKernel, empirical_ntk, fc_network  # noqa: E402


def _loop_ntk(net: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    params = [p for p in net.parameters() if p.requires_grad]
    rows = []
    for i in range(x.shape[0]):
        g = torch.autograd.grad(net(x[i : i + 1]).sum(), params)
        rows.append(torch.cat([t.reshape(-1) for t in g]))
    j = torch.stack(rows)
    return j @ j.T


def _time(fn, repeats: int) -> tuple[list[float], torch.Tensor]:
    out = fn()  # warm-up (torch.func traces its transforms on the first call)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=4096)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--dim", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    kern = FCKernel("relu", 1, 2.0, 0.1)
    net = fc_network(kern, args.dim, args.width, 1, seed=0)
    x = torch.randn(args.n, args.dim, generator=torch.Generator().manual_seed(0))
    n_params = sum(p.numel() for p in net.parameters())
    t_vec, k_vec = _time(lambda: empirical_ntk(net, x), args.repeats)
    t_loop, k_loop = _time(lambda: _loop_ntk(net, x), max(1, args.repeats - 2))
    theta = kern.ntk(x.double().numpy())
    row = {
        "width": args.width,
        "n_inputs": args.n,
        "input_dim": args.dim,
        "n_params": n_params,
        "vmap_best_s": min(t_vec),
        "vmap_median_s": statistics.median(t_vec),
        "loop_best_s": min(t_loop),
        "loop_over_vmap": min(t_loop) / min(t_vec),
        "max_rel_diff_vs_loop": float((k_vec - k_loop).abs().max() / k_loop.abs().max()),
        "rel_frobenius_error_vs_analytic": float(np.linalg.norm(k_vec.double().numpy() - theta) / np.linalg.norm(theta)),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    for k, v in row.items():
        print(f"{k:34s} {v:.4g}" if isinstance(v, float) else f"{k:34s} {v}")
    if args.json:
        atomic_write_text(args.json, json.dumps(row, indent=2) + "\n")


if __name__ == "__main__":
    main()
