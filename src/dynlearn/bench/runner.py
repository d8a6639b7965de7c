"""The benchmark runner: every missing cell of a suite, committed as it finishes.

Data for each (system, seed) is simulated once (all seeds of a system in one
batched integration) and cached; cells run on an executor
(:mod:`dynlearn.bench.executors`: ``jobs`` local worker processes by default,
or Ray) and the parent alone writes the store, one transaction per cell.
Interrupt it any way you like (Ctrl-C, SIGKILL): the next run skips the
committed cells and computes the rest, so the final table is the one an
uninterrupted run gives. On Ctrl-C the workers are terminated at once (they
ignore SIGINT themselves), so no queued cell is computed and thrown away.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dynlearn.bench.datasets import prepare
from dynlearn.bench.executors import (
    Executor,
    LocalExecutor,
    _remove_torn_files,
    _single_threaded_children,
    _worker_init,
)
from dynlearn.bench.store import CellResult, ResultStore
from dynlearn.bench.suite import Suite
from dynlearn.errors import OutputExistsError
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


#: what a benchmark output folder holds; anything else there is the user's
BENCH_ENTRIES = frozenset(
    {"results.sqlite", "results.sqlite-wal", "results.sqlite-shm", "cache", "forecasts", "report", ".lock"}
)


def check_out_dir(out_dir: str | Path, *, force: bool = False, flag: str = "force=True") -> Path:
    """Refuse an ``out_dir`` that is a file, or a folder of other things without a results store.

    A benchmark never deletes anything, but writing ``results.sqlite``,
    ``cache/`` and ``report/`` into a folder of someone's files mixes them up;
    that takes ``force``. A new or empty folder, one holding a store, or one holding only what a
    benchmark writes (e.g. the data cache of a run whose store was deleted) is fine."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(
            f"{out} is a file; the output must be a folder (for results.sqlite, the data cache and reports)"
        )
    if not out.is_dir() or force:
        return out
    names = {p.name for p in out.iterdir()}
    other = sorted(names - BENCH_ENTRIES)
    if other and "results.sqlite" not in names:
        raise OutputExistsError(
            f"{out} holds {len(other)} other entr{'y' if len(other) == 1 else 'ies'} (e.g. {other[0]!r}) and no "
            f"results.sqlite; pass {flag} to write the benchmark beside them, or choose a new folder"
        )
    return out


def run_suite(
    suite: Suite,
    out_dir: str | Path,
    *,
    jobs: int = 1,
    on_event: Callback | None = None,
    retry_failed: bool = False,
    force: bool = False,
    executor: Executor | None = None,
) -> RunSummary:
    """Run (or resume) ``suite`` into ``out_dir``; returns what was done.

    ``on_event(phase, done, total, cell)`` reports progress: phase ``"data"``
    while simulating, ``"cell"`` after each committed cell. Failed cells count
    as done unless ``retry_failed`` (then they are deleted and computed again).
    ``out_dir`` must be new, empty or a benchmark folder unless ``force``
    (:func:`check_out_dir`).
    ``executor`` (:mod:`dynlearn.bench.executors`, e.g. Ray) runs the cells
    instead of ``jobs`` local processes; the store is written here either way.
    A sweep (a suite with ``vary``) runs each of its :meth:`~Suite.members` in turn, each
    its own run; the summary then sums their counts and names the last run.
    """
    start = time.perf_counter()
    check_out_dir(out_dir, force=force)
    notify = on_event or (lambda *a: None)
    totals = [0, 0, 0, 0]  # total, skipped, computed, failed
    run_key, store_path = suite.key, paths(out_dir, suite)["store"]
    with (
        exclusive_lock(Path(out_dir) / ".lock", what="a running benchmark", hint="pass another --out"),
        ResultStore(store_path) as store,
    ):
        runner = executor if executor is not None else LocalExecutor(jobs)
        for member in suite.members():  # one run, or one per value of a sweep
            counts = _run_one(member, out_dir, store, runner, notify, retry_failed)
            totals = [a + b for a, b in zip(totals, counts)]
            run_key = member.key
    return RunSummary(run_key, store_path, *totals, time.perf_counter() - start)


#: simulate in worker processes from this many systems on (below it, spawning them costs more)
PARALLEL_DATA_FROM = 8


def _prepare_one(args: tuple) -> None:
    prepare(*args)


def prepare_all(cache: Path, by_system: dict[str, list[int]], protocol, jobs: int, notify: Callback) -> None:
    """The data of every (system, seeds) item, in ``jobs`` spawned processes for large suites
    (each system is one batched simulation, so systems are independent), else here."""
    items = [(cache, system, seeds, protocol) for system, seeds in by_system.items()]
    total = len(items)
    if jobs <= 1 or total < PARALLEL_DATA_FROM:
        for i, item in enumerate(items):
            notify("data", i, total, None)
            prepare(*item)
    else:
        with _single_threaded_children():
            pool = mp.get_context("spawn").Pool(min(jobs, total), initializer=_worker_init)
        try:
            for i, _ in enumerate(pool.imap_unordered(_prepare_one, items, chunksize=1)):
                notify("data", i, total, None)
            pool.close()
        except BaseException:  # Ctrl-C: stop the simulations; cache files are written atomically
            pool.terminate()
            _remove_torn_files(cache)
            _remove_torn_files(cache / "raw")
            raise
        finally:
            pool.join()
    if total:  # a suite of data files only has nothing to simulate
        notify("data", total, total, None)


def _run_one(suite: Suite, out_dir, store: ResultStore, runner: Executor, notify: Callback, retry_failed: bool):
    """Every missing cell of one run; returns (total, skipped, computed, failed)."""
    p = paths(out_dir, suite)
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
    jobs = runner.jobs if isinstance(runner, LocalExecutor) else 1
    prepare_all(p["cache"], by_system, suite.protocol, jobs, notify)

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
    if isinstance(runner, LocalExecutor):
        runner.scratch = p["forecasts"]  # temp files a terminated worker leaves are removed from here
    # closing: if committing or the caller's callback raises (Ctrl-C), the executor stops its workers
    with contextlib.closing(runner.map_cells(args)) as results:
        for n, result in enumerate(results, 1):
            store.add_cell(suite.key, result)
            failed += result.status != "ok"
            notify("cell", n, len(todo), result)
    return len(suite.cells()), len(done), len(todo), failed
