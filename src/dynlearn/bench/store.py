"""The results store: one SQLite file, one transaction per finished cell.

A cell is one (system, method, seed) of one suite run. Its status row and
all its metric rows are committed together, so after any interruption the
store holds only whole cells, and a resumed run skips exactly those.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from dynlearn.errors import FileFormatError

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run TEXT PRIMARY KEY, suite TEXT NOT NULL, spec TEXT NOT NULL, created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS cells (
    run TEXT NOT NULL, system TEXT NOT NULL, method TEXT NOT NULL, seed INTEGER NOT NULL,
    status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',
    fit_seconds REAL, predict_seconds REAL, finished REAL NOT NULL,
    peak_mem_mb REAL, versions TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL DEFAULT '', tuning TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (run, system, method, seed)
);
CREATE TABLE IF NOT EXISTS results (
    run TEXT NOT NULL, system TEXT NOT NULL, method TEXT NOT NULL, seed INTEGER NOT NULL,
    metric TEXT NOT NULL, value REAL,
    PRIMARY KEY (run, system, method, seed, metric)
);
"""

#: columns added to ``cells`` after the first schema, with their SQL types; a store written
#: before them gets them (NULL / '' in old rows) when opened, and keeps every row
ADDED_CELL_COLUMNS = {
    "peak_mem_mb": "REAL",
    "versions": "TEXT NOT NULL DEFAULT ''",
    "config": "TEXT NOT NULL DEFAULT ''",
    "tuning": "TEXT NOT NULL DEFAULT ''",
}
SCHEMA_VERSION = 3


@dataclass(frozen=True)
class CellResult:
    system: str
    method: str
    seed: int
    status: str  # "ok", "diverged" or "error"
    reason: str
    metrics: dict[str, float]
    fit_seconds: float | None = None
    predict_seconds: float | None = None
    #: peak resident memory the cell added, MiB (dynlearn.bench.records); None if unmeasured
    peak_mem_mb: float | None = None
    #: JSON object of package versions the cell ran with ('' if unrecorded)
    versions: str = ""
    #: JSON object of the config overrides the model ran with (the suite's, the seed and the tuned
    #: candidate), '' if unrecorded
    config: str = ""
    #: JSON of the tuning (dynlearn.bench.tuning.Tuning: candidates, validation scores, chosen,
    #: seconds), '' for a method without tuning
    tuning: str = ""


class ResultStore:
    """Append-only store of benchmark cells; safe to reopen after a crash."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise FileFormatError(f"{self.path} is not a usable results database ({exc}); move it away") from None

    def _migrate(self) -> None:
        """Add the columns a store of an older schema lacks (ALTER TABLE keeps every row)."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(cells)")}
        with self._db:
            for name, sql_type in ADDED_CELL_COLUMNS.items():
                if name not in have:
                    self._db.execute(f"ALTER TABLE cells ADD COLUMN {name} {sql_type}")
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def ensure_run(self, run: str, suite: str, spec: dict) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO runs(run, suite, spec, created) VALUES (?, ?, ?, ?)",
                (run, suite, json.dumps(spec, sort_keys=True), time.time()),
            )
            # `created` orders runs for "the latest run of a suite": touching it makes a re-run current again
            self._db.execute("UPDATE runs SET created = ? WHERE run = ?", (time.time(), run))

    def forget_failed(self, run: str) -> int:
        """Delete failed cells (and any of their metric rows) so the next run computes them again."""
        with self._db:
            failed = self._db.execute(
                "SELECT system, method, seed FROM cells WHERE run = ? AND status != 'ok'", (run,)
            ).fetchall()
            for s, m, k in failed:
                self._db.execute(
                    "DELETE FROM results WHERE run = ? AND system = ? AND method = ? AND seed = ?", (run, s, m, k)
                )
                self._db.execute(
                    "DELETE FROM cells WHERE run = ? AND system = ? AND method = ? AND seed = ?", (run, s, m, k)
                )
        return len(failed)

    def done_cells(self, run: str) -> set[tuple[str, str, int]]:
        rows = self._db.execute("SELECT system, method, seed FROM cells WHERE run = ?", (run,))
        return {(s, m, int(k)) for s, m, k in rows}

    def add_cell(self, run: str, cell: CellResult) -> None:
        """Commit one cell and its metrics atomically."""
        with self._db:
            self._db.execute(
                "INSERT INTO cells(run, system, method, seed, status, reason, fit_seconds, predict_seconds, finished,"
                " peak_mem_mb, versions, config, tuning) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run,
                    cell.system,
                    cell.method,
                    cell.seed,
                    cell.status,
                    cell.reason,
                    cell.fit_seconds,
                    cell.predict_seconds,
                    time.time(),
                    cell.peak_mem_mb,
                    cell.versions,
                    cell.config,
                    cell.tuning,
                ),
            )
            self._db.executemany(
                "INSERT INTO results(run, system, method, seed, metric, value) VALUES (?, ?, ?, ?, ?, ?)",
                [(run, cell.system, cell.method, cell.seed, k, _encode(v)) for k, v in sorted(cell.metrics.items())],
            )

    def latest_run(self, suite: str | None = None) -> str | None:
        q = "SELECT run FROM runs" + (" WHERE suite = ?" if suite else "") + " ORDER BY created DESC LIMIT 1"
        row = self._db.execute(q, (suite,) if suite else ()).fetchone()
        return row[0] if row else None

    def run_spec(self, run: str) -> dict:
        row = self._db.execute("SELECT spec FROM runs WHERE run = ?", (run,)).fetchone()
        if row is None:
            raise FileFormatError(f"{self.path} has no run {run!r}")
        return json.loads(row[0])

    def cells(self, run: str) -> list[CellResult]:
        metrics: dict[tuple, dict[str, float]] = {}
        for s, m, k, metric, v in self._db.execute(
            "SELECT system, method, seed, metric, value FROM results WHERE run = ?", (run,)
        ):
            metrics.setdefault((s, m, int(k)), {})[metric] = _decode(v)
        out = []
        for s, m, k, status, reason, fs, ps, mem, ver, cfg, tun in self._db.execute(
            "SELECT system, method, seed, status, reason, fit_seconds, predict_seconds, peak_mem_mb, versions,"
            " config, tuning FROM cells"
            " WHERE run = ? ORDER BY system, method, seed",
            (run,),
        ):
            vals = metrics.get((s, m, int(k)), {})
            out.append(CellResult(s, m, int(k), status, reason, vals, fs, ps, mem, ver, cfg, tun))
        return out

    def runs(self) -> list[tuple[str, str]]:
        """``(run, suite)`` of every run in the store, most recent first."""
        return self._db.execute("SELECT run, suite FROM runs ORDER BY created DESC").fetchall()

    def sweep_runs(self, sweep: str) -> list[tuple[str, dict]]:
        """``(run, spec)`` of every run whose spec says it belongs to ``sweep`` (``spec["sweep"]``,
        set by a suite with ``vary``), oldest first. Each spec's ``protocol`` holds the value the
        run was made with (``spec["protocol"]["train_points"]`` for the data-limited sweep)."""
        rows = self._db.execute("SELECT run, spec FROM runs ORDER BY created").fetchall()
        out = []
        for run, text in rows:
            spec = json.loads(text)
            if spec.get("sweep") == sweep:
                out.append((run, spec))
        return out

    def result_rows(self, run: str) -> list[tuple]:
        """All metric rows, sorted: the table a resumed run must reproduce exactly."""
        return self._db.execute(
            "SELECT system, method, seed, metric, value FROM results WHERE run = ?"
            " ORDER BY system, method, seed, metric",
            (run,),
        ).fetchall()


# SQLite stores inf but not NaN (NaN becomes NULL); keep both distinguishable.
def _encode(v: float) -> float | None:
    return None if v is None or math.isnan(v) else float(v)


def _decode(v) -> float:
    return float("nan") if v is None else float(v)
