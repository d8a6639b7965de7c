"""Profile of the chaos135 suite: CPU and wall time per method per system, extrapolated to the whole suite.

    .venv/bin/python benchmarks/bench_chaos135.py [--suite chaos135] [--systems 8] [--methods a,b]
        [--only Lorenz,Rossler] [--json out.json]

Result on 2026-12-01 (shared 2-core machine): docs/performance.md, "chaos135".

A seeded random subset of the suite's systems (``--systems``, or ``--only``)
is simulated (timed per system), then every cell (system x method, the
suite's first seed) runs in this process exactly as a worker runs it
(:func:`dynlearn.bench.records.run_cell_recorded`: tuning, fit, forecast,
all metrics), one BLAS/torch thread, timed by wall clock and by process CPU
time. The full suite's cost is extrapolated per method as (mean CPU seconds
per cell) x (number of systems in the suite), summed over methods plus the
data simulation. On a dedicated 2-core machine the runner's two single-threaded
workers turn that CPU total into about half as many wall seconds; the machine
these numbers come from was shared by about eight sessions, so the measured wall
clock (also printed, with its ratio to CPU time) overstates a dedicated run
several-fold, and the CPU total is the figure to compare with the 1-hour target.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from dynlearn import bench  # noqa: E402
from dynlearn.bench.datasets import prepare  # noqa: E402
from dynlearn.bench.records import run_cell_recorded  # noqa: E402
from dynlearn.io_utils import atomic_write_text  # noqa: E402
from dynlearn.progress import quiet  # noqa: E402

TARGET_SECONDS = 3600.0
CORES = 2


def _subset(suite, k: int, only: str | None) -> list[str]:
    if only:
        return [s.strip() for s in only.split(",") if s.strip()]
    rng = np.random.default_rng(0)
    pick = rng.choice(len(suite.systems), size=min(k, len(suite.systems)), replace=False)
    return [suite.systems[i] for i in sorted(pick)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default="chaos135")
    ap.add_argument("--systems", type=int, default=8, help="size of the seeded random subset of systems")
    ap.add_argument("--only", default=None, help="comma-separated systems instead of a random subset")
    ap.add_argument("--methods", default=None, help="comma-separated method names (default: all)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--summarise", type=Path, default=None, help="only summarise the cells of a (partial) --json")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    if a.summarise is not None:
        doc = json.loads(a.summarise.read_text())
        suite = bench.load_suite(a.suite)
        names = list(dict.fromkeys(r["method"] for r in doc["cells"]))
        methods = [m for m in suite.methods if m.name in names]
        systems = list(dict.fromkeys(r["system"] for r in doc["cells"]))
        _print(_summarise(suite, systems, methods, doc["cells"], doc["data"], len(suite.members())))
        return
    import torch

    torch.set_num_threads(1)
    suite = bench.load_suite(a.suite)
    members = suite.members()
    systems = _subset(suite, a.systems, a.only)
    methods = [m for m in suite.methods if a.methods is None or m.name in a.methods.split(",")]
    seed = suite.seeds[0]
    rows, data_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        for system in systems:
            c0, w0 = time.process_time(), time.perf_counter()
            for member in members:
                prepare(cache, system, [seed], member.protocol)
            data_rows.append({"system": system, "cpu": time.process_time() - c0, "wall": time.perf_counter() - w0})
        for member in members:
            for system in systems:
                for m in methods:
                    c0, w0 = time.process_time(), time.perf_counter()
                    with quiet():
                        r = run_cell_recorded(system, m, seed, member.protocol, member.metrics, str(cache), None, None)
                    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
                    tune_s = json.loads(r.tuning)["seconds"] if r.tuning else 0.0
                    rows.append(
                        {
                            "run": member.protocol.train_points if member.sweep else None,
                            "system": system,
                            "method": m.name,
                            "status": r.status,
                            "cpu": cpu,
                            "wall": wall,
                            "fit": r.fit_seconds,
                            "tune": tune_s,
                            "first_metric": r.metrics.get(suite.metrics[0]),
                            "reason": r.reason[:120],
                        }
                    )
                    v = r.metrics.get(suite.metrics[0], float("nan"))
                    print(
                        f"{system:24s} {m.name:14s} {r.status:8s} cpu {cpu:7.2f} s  wall {wall:7.2f} s  "
                        f"tune {tune_s:6.2f} s  {suite.metrics[0]} {v:8.2f}",
                        flush=True,
                    )
                if a.json is not None:  # partial results survive an interrupted profile
                    atomic_write_text(a.json, json.dumps({"cells": rows, "data": data_rows}, indent=1))
    summary = _summarise(suite, systems, methods, rows, data_rows, len(members))
    _print(summary)
    if a.json is not None:
        atomic_write_text(a.json, json.dumps({"summary": summary, "cells": rows, "data": data_rows}, indent=1))


def _summarise(suite, systems, methods, rows, data_rows, n_members) -> dict:
    n_total = len(suite.systems)
    per_method = {}
    for m in methods:
        mine = [r for r in rows if r["method"] == m.name]
        cpu = [r["cpu"] for r in mine]
        per_method[m.name] = {
            "cells": len(mine),
            "failed": sum(r["status"] != "ok" for r in mine),
            "cpu_mean": statistics.fmean(cpu),
            "cpu_median": statistics.median(cpu),
            "cpu_max": max(cpu),
            "wall_mean": statistics.fmean(r["wall"] for r in mine),
            "tune_mean": statistics.fmean(r["tune"] for r in mine),
            "median_first_metric": float(np.nanmedian([np.nan if r["first_metric"] is None else r["first_metric"]
                                                       for r in mine])),
            # mean over the measured runs of a sweep, times the number of runs
            "extrapolated_cpu": statistics.fmean(cpu) * n_total * n_members,
        }  # fmt: skip
    data_cpu = statistics.fmean(r["cpu"] for r in data_rows) * n_total
    total_cpu = sum(v["extrapolated_cpu"] for v in per_method.values()) + data_cpu
    cpu_all = sum(r["cpu"] for r in rows)
    wall_all = sum(r["wall"] for r in rows)
    return {
        "suite": suite.name,
        "systems_measured": systems,
        "systems_in_suite": n_total,
        "runs": n_members,
        "methods": per_method,
        "data_cpu_extrapolated": data_cpu,
        "total_cpu_extrapolated": total_cpu,
        "projected_wall_2_cores": total_cpu / CORES,
        "target_wall": TARGET_SECONDS,
        "measured_wall_over_cpu": wall_all / cpu_all if cpu_all else float("nan"),
        "load_average": os.getloadavg()[0],
    }


def _print(s: dict) -> None:
    print(
        f"\n{s['suite']}: {len(s['systems_measured'])} of {s['systems_in_suite']} systems measured x {s['runs']} run(s)"
    )
    print("| method | cells | failed | CPU s/cell (mean) | median | max | tuning s/cell | wall s/cell | "
          "extrapolated CPU s | median first metric |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, v in sorted(s["methods"].items(), key=lambda kv: -kv[1]["extrapolated_cpu"]):
        print(
            f"| {name} | {v['cells']} | {v['failed']} | {v['cpu_mean']:.2f} | {v['cpu_median']:.2f} | "
            f"{v['cpu_max']:.2f} | {v['tune_mean']:.2f} | {v['wall_mean']:.2f} | {v['extrapolated_cpu']:.0f} | "
            f"{v['median_first_metric']:.1f} |"
        )
    print(
        f"data simulation (extrapolated CPU): {s['data_cpu_extrapolated']:.0f} s\n"
        f"total extrapolated CPU: {s['total_cpu_extrapolated']:.0f} s -> about "
        f"{s['projected_wall_2_cores'] / 60:.1f} min on {CORES} dedicated cores (target "
        f"{s['target_wall'] / 60:.0f} min)\n"
        f"measured wall / CPU on this machine: {s['measured_wall_over_cpu']:.2f} (load average "
        f"{s['load_average']:.1f})"
    )


if __name__ == "__main__":
    main()
