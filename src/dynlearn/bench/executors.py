"""Executors: where benchmark cells run. Local processes by default, Ray to scale out.

An executor takes the runner's list of cell arguments and yields one
:class:`~dynlearn.bench.store.CellResult` per cell, in any order, as cells
finish. It never writes the store: the runner, in the parent process, commits
each result in its own transaction. That split is what makes every executor
safe to interrupt: a cell whose worker dies is retried (up to ``max_retries``
times, then recorded as an error) or, if the whole run is killed, left
uncommitted and recomputed by the next run; it is never stored twice (the
``cells`` primary key would refuse a duplicate anyway).

:class:`LocalExecutor` (the default) runs cells in the calling process or in
``jobs`` spawned worker processes; :class:`RayExecutor` runs them as Ray tasks.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import ALL_COMPLETED, FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Protocol, runtime_checkable

from dynlearn.bench.records import run_cell_recorded
from dynlearn.bench.store import CellResult
from dynlearn.errors import DynlearnError, ValidationError
from dynlearn.progress import quiet, set_progress

EXECUTORS = ("local", "ray")


@runtime_checkable
class Executor(Protocol):
    """Runs cells somewhere and yields their results as they finish."""

    name: str

    def map_cells(self, args: list[tuple]) -> Iterator[CellResult]:
        """Yield ``run_cell_recorded(*a)`` for every ``a`` in ``args``, in completion order."""
        ...

    def close(self) -> None:
        """Release what the executor started (a local Ray instance, say)."""
        ...


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group: only the parent handles it (by terminating
    # the workers), so a worker never turns it into a failed cell and takes the next one.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    set_progress(False)  # training bars of workers would tear the runner's own


def _run_cell_args(args: tuple) -> CellResult:
    return run_cell_recorded(*args)


def _remove_torn_files(folder: Path) -> None:
    """Temp files of atomic writes a terminated worker left behind (the caller holds the run lock)."""
    if folder.is_dir():
        for tmp in folder.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


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


class LocalExecutor:
    """Cells in this process (``jobs <= 1``) or in ``jobs`` spawned worker processes.

    Workers get one BLAS/OpenMP thread each and ignore SIGINT; each takes one
    cell at a time, in suite order. On Ctrl-C (or any exception while the
    runner consumes the results, or ``close()`` of the iterator) the workers
    are terminated at once, cells in flight are dropped, and temp files of
    their atomic writes in ``scratch`` are removed.

    A worker that dies (SIGKILL, the out-of-memory killer, a segfault in
    native code) takes the pool down with the cells in flight on it. Those
    cells are run again, each alone in a fresh one-worker pool, so that a
    death is charged to the cell that caused it; a cell whose worker dies
    ``max_retries + 1`` times when alone is recorded as an error and the run
    goes on (as with Ray). Nothing a dead worker was doing reaches the store.
    If the workers die before any of them has finished a cell, the run stops
    with an error instead (a script without a ``__main__`` guard, say).
    """

    name = "local"

    def __init__(self, jobs: int = 1, *, scratch: str | Path | None = None, max_retries: int = 3):
        self.jobs = jobs
        self.scratch = Path(scratch) if scratch is not None else None
        self.max_retries = max_retries
        self._finished = 0  # cells a worker process finished in this map_cells

    def _clean(self) -> None:
        if self.scratch is not None:
            _remove_torn_files(self.scratch)

    def map_cells(self, args: list[tuple]) -> Iterator[CellResult]:
        if self.jobs <= 1 or len(args) <= 1:
            for a in args:
                with quiet():
                    result = run_cell_recorded(*a)
                yield result
            return
        self._clean()
        self._finished = 0
        queue = deque(range(len(args)))
        suspects: deque[int] = deque()  # cells in flight when a worker died
        deaths: Counter[int] = Counter()
        doomed: list[int] = []  # out of retries before any cell finished: a start-up failure?
        while queue or suspects:
            alone = bool(suspects)
            todo = deque([suspects.popleft()]) if alone else queue
            lost = yield from self._run_pool(args, todo, 1 if alone else min(self.jobs, len(todo)))
            self._clean()  # a dead worker may have left a torn temp file
            for i in lost:
                if not alone:  # several cells were on the dead pool: which one killed it is not known yet
                    suspects.append(i)
                    continue
                deaths[i] += 1
                if deaths[i] <= self.max_retries:
                    suspects.appendleft(i)
                else:
                    doomed.append(i)
            if doomed and not self._finished and not suspects:
                raise DynlearnError(
                    f"every local worker process died before finishing a cell ({self.max_retries + 1} times alone "
                    "on each); in a script, start the run under `if __name__ == '__main__':` (spawned workers "
                    "import the script again), else see the workers' errors above"
                )
            if doomed and self._finished:
                for i in doomed:
                    yield _died_result(args[i], deaths[i])
                doomed.clear()

    def _run_pool(self, args: list[tuple], todo: deque[int], workers: int):
        """Yield the results of the cells ``todo`` (popped as submitted) on ``workers`` processes;
        return the indices of the cells lost with a dead worker (empty if none died)."""
        before = {p.pid for p in mp.active_children()}
        with _single_threaded_children():
            pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_worker_init)
        running: dict[Future, int] = {}
        lost: list[int] = []
        broken = False
        try:
            while (todo or running) and not broken:
                while todo and len(running) < workers:
                    i = todo.popleft()
                    try:
                        running[pool.submit(_run_cell_args, args[i])] = i
                    except BrokenProcessPool:  # a worker died since the last result came in
                        todo.appendleft(i)
                        broken = True
                        break
                finished, _ = wait(running, return_when=ALL_COMPLETED if broken else FIRST_COMPLETED)
                for fut in finished:
                    i = running.pop(fut)
                    if isinstance(fut.exception(), BrokenProcessPool):
                        lost.append(i)
                        broken = True
                    else:
                        self._finished += 1
                        yield fut.result()
                if broken:  # every cell still on the broken pool is lost too
                    for fut in wait(running).done:
                        i = running.pop(fut)
                        if isinstance(fut.exception(), BrokenProcessPool):
                            lost.append(i)
                        else:
                            self._finished += 1
                            yield fut.result()
            pool.shutdown(wait=True)
        except BaseException:  # GeneratorExit (the runner closed us) and Ctrl-C included
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in mp.active_children():  # SIGTERM: cells in flight are dropped, never half-stored
                if proc.pid not in before:
                    proc.terminate()
            for proc in mp.active_children():
                if proc.pid not in before:
                    proc.join(5)
            self._clean()
            raise
        return sorted(lost)

    def close(self) -> None:
        pass


def _died_result(a: tuple, times: int) -> CellResult:
    method = a[1]
    reason = (
        f"the worker process died {times} time{'s' if times != 1 else ''} running this cell alone (killed by a "
        "signal: out of memory? a crash in native code?); run again with --retry-failed to try once more"
    )
    return CellResult(str(getattr(a[0], "name", a[0])), method.name, a[2], "error", reason, {})


def _import_ray():
    try:
        import ray
    except ImportError:
        raise DynlearnError("the Ray executor needs ray, which is not installed; pip install 'dynlearn[ray]'") from None
    return ray


def _single_thread_env() -> dict[str, str]:
    return {k: "1" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")}


class RayExecutor:
    """Cells as Ray tasks, one CPU each.

    ``address=None`` starts a private local Ray instance with ``num_cpus`` CPUs
    (default: all) and stops it on :meth:`close`; an address (``"auto"``,
    ``"ray://head:10001"``, ``"10.0.0.5:6379"``) joins an existing cluster and
    leaves it running. Tasks whose worker process dies are retried up to
    ``max_retries`` times by Ray; a cell that still fails is recorded as an
    error, and the run goes on. Every node needs dynlearn installed; a node
    without the runner's data cache simulates the data itself (same seed, same
    numbers), and forecast files for the report are written on the node that
    ran the cell.
    """

    name = "ray"

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None, max_retries: int = 3):
        self.address = address
        self.num_cpus = num_cpus
        self.max_retries = max_retries
        self._ray = None
        self._started = False

    def _start(self):
        ray = _import_ray()
        if not ray.is_initialized():
            runtime_env = {"env_vars": _single_thread_env()}
            if self.address is None:
                ray.init(
                    num_cpus=self.num_cpus or os.cpu_count() or 1,
                    include_dashboard=False,
                    log_to_driver=False,
                    runtime_env=runtime_env,
                )
                self._started = True
            else:
                ray.init(address=self.address, log_to_driver=False, runtime_env=runtime_env)
        self._ray = ray
        return ray

    def map_cells(self, args: list[tuple]) -> Iterator[CellResult]:
        ray = self._ray or self._start()
        task = ray.remote(num_cpus=1, max_retries=self.max_retries, retry_exceptions=False)(run_cell_recorded)
        pending = {task.remote(*a): a for a in args}
        try:
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                for ref in ready:
                    a = pending.pop(ref)
                    try:
                        yield ray.get(ref)
                    except ray.exceptions.RayError as exc:  # worker died max_retries + 1 times, say
                        method = a[1]
                        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''} (ray)"
                        yield CellResult(str(getattr(a[0], "name", a[0])), method.name, a[2], "error", reason, {})
        finally:
            for ref in pending:  # interrupted: drop what has not finished; nothing of it is stored
                ray.cancel(ref, force=True)

    def close(self) -> None:
        if self._ray is not None and self._started:
            self._ray.shutdown()
        self._ray = None
        self._started = False


def make_executor(name: str, *, address: str | None = None, num_cpus: int | None = None) -> Executor | None:
    """The executor called ``name``; ``None`` for ``"local"`` (the runner then makes a
    :class:`LocalExecutor` with its ``jobs``)."""
    if name == "local":
        if address is not None:
            raise ValidationError("--address is for the Ray executor; add --executor ray or drop --address")
        return None
    if name == "ray":
        _import_ray()  # refuse before any work starts
        return RayExecutor(address, num_cpus=num_cpus)
    raise ValidationError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
