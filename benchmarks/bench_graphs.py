"""Speed of dynlearn.graphs' evaluator and neighbour sampler (issue 22 targets).

Times are CPU seconds (user + system) of one thread, the median of ``--repeats`` calls.

1. Evaluator: ``ranks`` of 10^6 queries x 100 negatives (random scores with ties, float64), median
   of ``--repeats`` calls, against a peer measured in the same run: the sort-based rank many
   evaluators use (``argsort`` of each row of the ``(Q, 1 + n)`` score matrix, optimistic ties),
   timed on the same matrix.
2. Sampler: ``RecentNeighborSampler`` built on a random stream of 10^5 and 10^6 events over 10^4
   nodes, then queried for the k = 10 most recent neighbours of every event's source at its time;
   build and query times and their ratio between the two sizes (linear scaling -> about 10).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_graphs.py --out runs/bench_graphs.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np

from dynlearn.graphs import RecentNeighborSampler, TemporalEventStream, ranks
from dynlearn.io_utils import atomic_write_text


def _time(fn, repeats: int) -> float:
    """Median CPU time (process_time: user + system) of ``repeats`` calls; on a shared, loaded machine
    the wall time mostly measures the other jobs."""
    cpus = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        cpus.append(time.process_time() - t0)
    return statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=int, default=1_000_000)
    ap.add_argument("--negatives", type=int, default=100)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None, help="write the results as JSON here")
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    scores = np.round(rng.standard_normal((a.queries, 1 + a.negatives)), 2)  # rounding makes ties
    pos, neg = scores[:, 0].copy(), scores[:, 1:].copy()
    ours = _time(lambda: ranks(pos, neg), a.repeats)

    def sort_based():
        order = np.argsort(-scores, axis=1, kind="stable")
        return np.argmax(order == 0, axis=1) + 1

    peer = _time(sort_based, a.repeats)
    out = {"evaluator": {"queries": a.queries, "negatives": a.negatives, "ranks_s": ours, "argsort_peer_s": peer,
                         "peer_over_ours": peer / ours}}
    print(f"evaluator: {a.queries} x {a.negatives}: ranks {ours:.2f} s, argsort peer {peer:.2f} s "
          f"({peer / ours:.1f}x slower)")
    samp = []
    for e in a.sizes:
        src, dst = rng.integers(10_000, size=e), rng.integers(10_000, size=e)
        s = TemporalEventStream(src, dst, np.sort(rng.uniform(0, 1e6, e)), num_nodes=10_000)
        build = _time(lambda s=s: RecentNeighborSampler(s, 10), a.repeats)
        sampler = RecentNeighborSampler(s, 10)
        query = _time(lambda s=s, sampler=sampler: sampler.sample(s.src, s.t), a.repeats)
        samp.append({"events": e, "build_s": build, "query_all_s": query})
        print(f"sampler: {e} events: build {build:.3f} s, query all {e} events (k=10) {query:.3f} s")
    if len(samp) >= 2:
        f = samp[-1]["events"] / samp[0]["events"]
        print(f"scaling x{f:.0f} events: build x{samp[-1]['build_s'] / samp[0]['build_s']:.1f}, "
              f"query x{samp[-1]['query_all_s'] / samp[0]['query_all_s']:.1f}")
    out["sampler"] = samp
    if a.out:
        atomic_write_text(a.out, json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
