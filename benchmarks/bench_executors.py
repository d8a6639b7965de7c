"""Wall time of a suite run on local processes against a local Ray instance, in one run.

    .venv/bin/python benchmarks/bench_executors.py [--suite quick] [--jobs 2] [--json out.json]

Result on 2026-12-01 (shared 2-core machine): docs/performance.md, "Executors".

Both executors run the same suite into fresh folders with ``--jobs`` CPUs
(local: ``jobs`` spawned worker processes; Ray: a private instance with
``jobs`` CPUs, started inside the timed region, one task per cell). The data
cache is warmed first and copied into both folders, so both time the cells
only (plus Ray's start-up). The store tables are compared afterwards: they
must be identical. On a shared machine the absolute times are noisy; the
ratio measured in the same run is the number to read.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from dynlearn import bench  # noqa: E402
from dynlearn.bench.datasets import prepare  # noqa: E402
from dynlearn.bench.executors import RayExecutor  # noqa: E402
from dynlearn.bench.store import ResultStore  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", default="quick")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    suite = bench.load_suite(a.suite)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for system in suite.systems:
            prepare(tmp / "cache", system, list(suite.seeds), suite.protocol)
        out = {}
        for name in ("local", "ray"):
            shutil.copytree(tmp / "cache", tmp / name / "cache")
            executor = RayExecutor(num_cpus=a.jobs) if name == "ray" else None
            t0 = time.perf_counter()
            try:
                summary = bench.run_suite(suite, tmp / name, jobs=a.jobs, executor=executor)
            finally:
                if executor is not None:
                    executor.close()
            out[name] = {"seconds": time.perf_counter() - t0, "cells": summary.computed}
            with ResultStore(summary.store) as store:
                out[name]["rows"] = store.result_rows(suite.key)
    same = out["local"].pop("rows") == out["ray"].pop("rows")
    result = {
        "suite": suite.name,
        "jobs": a.jobs,
        "local_s": round(out["local"]["seconds"], 1),
        "ray_s": round(out["ray"]["seconds"], 1),
        "ray_over_local": round(out["ray"]["seconds"] / out["local"]["seconds"], 2),
        "cells": out["local"]["cells"],
        "identical_rows": same,
    }
    print(json.dumps(result, indent=2))
    if a.json:
        a.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
