"""Benchmarks: suites (catalog systems and data files), the resumable runner, the SQLite store,
leaderboards and reports."""

from dynlearn.bench.leaderboard import Row, leaderboard
from dynlearn.bench.report import write_report
from dynlearn.bench.runner import RunSummary, paths, run_suite
from dynlearn.bench.store import CellResult, ResultStore
from dynlearn.bench.suite import MethodSpec, Protocol, Suite, builtin_suites, load_suite, suite_from_dict
from dynlearn.bench.userdata import DataSpec

__all__ = [
    "CellResult",
    "DataSpec",
    "MethodSpec",
    "Protocol",
    "ResultStore",
    "Row",
    "RunSummary",
    "Suite",
    "builtin_suites",
    "leaderboard",
    "load_suite",
    "paths",
    "run_suite",
    "suite_from_dict",
    "write_report",
]
