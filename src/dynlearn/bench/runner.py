"""The benchmark runner: every missing cell of a suite, committed as it finishes.

Data for each (system, seed) is simulated once (all seeds of a system in one
batched integration) and cached; cells run in local worker processes
(``jobs``) and the parent alone writes the store, one transaction per cell.
Interrupt it any way you like (Ctrl-C, SIGKILL): the next run skips the
committed cells and computes the rest, so the final table is the one an
uninterrupted run gives.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dynlearn.bench.cell import run_cell
from dynlearn.bench.datasets import prepare
from dynlearn.bench.store import CellResult, ResultStore
from dynlearn.bench.suite import Suite
from dynlearn.io_utils import exclusive_lock
from dynlearn.models import MODELS

Callback = Callable[[str, int, int, CellResult | None], None]


@dataclass(frozen=True)
class RunSummary:
    run: str
    store: Path
    total: int
    skipped: int
    computed: int
    failed: int
    seconds: float


def paths(out_dir: str | Path, suite: Suite) -> dict[str, Path]:
    out = Path(out_dir)
    return {
        "store": out / "results.sqlite",
        "cache": out / "cache",
        "forecasts": out / "forecasts" / suite.key,
        "report": out / "report" / suite.name,
    }


@contextlib.contextmanager
def _single_threaded_children():
    """Workers inherit the environment at spawn: one BLAS/OpenMP thread each, so
    ``jobs`` workers use ``jobs`` cores instead of oversubscribing them."""
    keys = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update({k: "1" for k in keys})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_suite(
    suite: Suite, out_dir: str | Path, *, jobs: int = 1, on_event: Callback | None = None, retry_failed: bool = False
) -> RunSummary:
    """Run (or resume) ``suite`` into ``out_dir``; returns what was done.

    ``on_event(phase, done, total, cell)`` reports progress: phase ``"data"``
    while simulating, ``"cell"`` after each committed cell. Failed cells count
    as done unless ``retry_failed`` (then they are deleted and computed again).
    """
    start = time.perf_counter()
    p = paths(out_dir, suite)
    notify = on_event or (lambda *a: None)
    with (
        exclusive_lock(Path(out_dir) / ".lock", what="a running benchmark", hint="pass another --out"),
        ResultStore(p["store"]) as store,
    ):
        store.ensure_run(suite.key, suite.name, suite.to_dict())
        if retry_failed:
            store.forget_failed(suite.key)
        done = store.done_cells(suite.key)
        todo = [c for c in suite.cells() if c not in done]
        pending_data = sorted({(s, seed) for s, _, seed in todo})
        by_system: dict[str, list[int]] = {}
        datasets = {d.name: d for d in suite.data}  # user data files are read by the cells themselves
        for s, seed in pending_data:
            if s in datasets:
                continue
            by_system.setdefault(s, []).append(seed)
        for i, (system, seeds) in enumerate(by_system.items()):
            notify("data", i, len(by_system), None)
            prepare(p["cache"], system, seeds, suite.protocol)
        if by_system:  # a suite of data files only has nothing to simulate
            notify("data", len(by_system), len(by_system), None)

        methods = {m.name: m for m in suite.methods}
        modules = {m.name: MODELS.get(m.model).__module__ for m in suite.methods}
        args = [
            (
                datasets.get(s, s),
                methods[m],
                seed,
                suite.protocol,
                suite.metrics,
                str(p["cache"]),
                str(p["forecasts"]),
                modules[m],
            )
            for s, m, seed in todo
        ]
        failed = 0
        notify("cell", 0, len(todo), None)
        if jobs <= 1 or len(args) <= 1:
            for n, a in enumerate(args, 1):
                result = run_cell(*a)
                store.add_cell(suite.key, result)
                failed += result.status != "ok"
                notify("cell", n, len(todo), result)
        else:
            ctx = mp.get_context("spawn")
            with cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
                with _single_threaded_children():
                    futures = [pool.submit(run_cell, *a) for a in args]
                try:
                    for n, fut in enumerate(cf.as_completed(futures), 1):
                        result = fut.result()
                        store.add_cell(suite.key, result)
                        failed += result.status != "ok"
                        notify("cell", n, len(todo), result)
                except BaseException:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
    return RunSummary(
        suite.key, p["store"], len(suite.cells()), len(done), len(todo), failed, time.perf_counter() - start
    )
