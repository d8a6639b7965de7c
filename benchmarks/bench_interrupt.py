"""How fast Ctrl-C stops `dynlearn bench run`, and what it leaves in the store.

    .venv/bin/python benchmarks/bench_interrupt.py [--src OTHER/src] [--repeats 3] [--json out.json]

A suite of neural cells (``gru`` with ``--epochs`` epochs on Lorenz-63, 4 seeds x
2 configurations = 8 cells of several seconds each) runs with ``--jobs 2`` in its own
process group. As soon as the first cell is committed, SIGINT goes to the whole group
(what a terminal does on Ctrl-C) and the script measures:

- ``stop_s``: seconds from SIGINT until the runner has exited;
- ``workers_gone_s``: seconds until no worker process of the run is alive;
- ``saved``: cells in the store when the runner exited (``saved_at_signal`` were there
  when the signal was sent), and ``resumed_computed``: what a second run of the same
  command computed (it must be 8 - saved: nothing lost, nothing done twice).

``--src`` runs the same measurement on another source tree (e.g. an export of an
older commit: ``git archive COMMIT src | tar -x -C /tmp/old``), with the same
interpreter, so before and after are measured in one run on the same loaded machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _count(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute("SELECT COUNT(*) FROM cells").fetchone()[0]
    except sqlite3.Error:
        return 0


def _workers(pgid: int) -> list[int]:
    """Live processes of the run's process group, other than its leader."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z" and int(stat.parent.name) != pgid:
            found.append(int(stat.parent.name))
    return found


def measure(src: str | None, epochs: int, workdir: Path) -> dict:
    suite = {
        "name": "interrupt",
        "systems": ["Lorenz"],
        "seeds": [0, 1, 2, 3],
        "metrics": ["nrmse"],
        "protocol": {"train_points": 2000, "test_points": 400, "n_windows": 4, "long_horizon": 0},
        "methods": [
            {"name": "gru_a", "model": "gru", "config": {"epochs": epochs}},
            {"name": "gru_b", "model": "gru", "config": {"epochs": epochs, "hidden": 24}},
        ],
    }
    suite_file = workdir / "suite.json"
    suite_file.write_text(json.dumps(suite))
    out = workdir / "runs"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    if src:
        env["PYTHONPATH"] = src
    cmd = [sys.executable, "-m", "dynlearn", "bench", "run", "--suite", str(suite_file), "--out", str(out)]
    cmd += ["--jobs", "2", "--no-report"]
    proc = subprocess.Popen(
        cmd,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        # as a terminal-started process: a benchmark launched in the background inherits SIGINT ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 600
    while _count(out / "results.sqlite") < 1 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    saved_at_signal = _count(out / "results.sqlite")
    t0 = time.perf_counter()
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait()
    stop_s = time.perf_counter() - t0
    while _workers(proc.pid) and time.perf_counter() - t0 < 120:
        time.sleep(0.02)
    workers_gone_s = time.perf_counter() - t0
    proc.stderr.close()
    saved = _count(out / "results.sqlite")
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
    found = re.search(r"(\d+) cells computed, (\d+) reused", " ".join(again.stderr.split()))
    return {
        "stop_s": round(stop_s, 2),
        "workers_gone_s": round(workers_gone_s, 2),
        "exit_code": proc.returncode,
        "saved_at_signal": saved_at_signal,
        "saved": saved,
        "resumed_computed": int(found.group(1)) if found else None,
        "final_cells": _count(out / "results.sqlite"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", action="append", default=[], help="Another source tree to measure as well.")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=60, help="GRU epochs per cell (sets how long a cell takes).")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    results = {}
    for label, src in [("this tree", None)] + [(s, s) for s in args.src]:
        runs = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as tmp:
                runs.append(measure(src, args.epochs, Path(tmp)))
            print(label, runs[-1], flush=True)
        results[label] = {
            "runs": runs,
            "median_stop_s": statistics.median(r["stop_s"] for r in runs),
            "median_workers_gone_s": statistics.median(r["workers_gone_s"] for r in runs),
        }
    print(json.dumps({k: {kk: v for kk, v in r.items() if kk != "runs"} for k, r in results.items()}, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
