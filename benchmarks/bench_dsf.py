"""DSF layers at inference: where the recurrent form beats the parallel one (issue 15, speed).

Each layer of ``dynlearn.models._dsf_layers`` (width d = 32, float32, batch 1, one torch thread,
no autograd) is timed in its two forms at sequence lengths T = 1, 2, 4, …:

1. **next output** (autoregressive inference, as in a closed-loop forecast): the output at
   position T given the T − 1 inputs before it. The parallel form recomputes the whole prefix
   (``layer(u[:, :T])``); the recurrent form makes one ``step`` from the state it carried.
2. **whole sequence** (prefill): all T outputs at once, ``layer(u)`` against ``layer.recurrent(u)``
   (T Python-level steps).

For each, the crossover is the smallest T from which on the recurrent form is faster at every
measured length (``none`` if it never is). Median of ``--repeats`` timings, the two forms
alternated so they see the same machine load.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_dsf.py --out runs/bench_dsf.json
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_dsf.py --quick
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from dynlearn.io_utils import atomic_write_text
from dynlearn.models import _dsf_layers as L

LAYERS = {
    "softmax": lambda d: L.SoftmaxAttention(d),
    "linear": lambda d: L.LinearAttention(d),
    "s6": lambda d: L.SelectiveSSM(d, state=16),
    "qlstm": lambda d: L.QLSTM(d),
}


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def crossover(rows: list[dict]) -> int | None:
    """Smallest T from which on the recurrent form is faster at every measured length."""
    best = None
    for r in reversed(rows):
        if r["recurrent_s"] < r["parallel_s"]:
            best = r["T"]
        else:
            break
    return best


def bench_layer(name: str, d: int, lengths: list[int], repeats: int, seed: int) -> dict:
    torch.manual_seed(seed)
    layer = LAYERS[name](d).eval()
    u = torch.randn(1, max(lengths), d)
    nxt, whole = [], []
    with torch.no_grad():
        for T in lengths:
            prefix = u[:, :T]
            state = layer.init_state(1, u)
            for t in range(T - 1):  # the state the recurrent form carries into step T
                state, _ = layer.step(state, u[:, t])
            par_list, rec_list = [], []
            for _ in range(repeats):  # alternate the forms so both see the same load
                par_list.append(median_time(lambda p=prefix: layer(p), 1))
                rec_list.append(median_time(lambda s=state, x=u[:, T - 1]: layer.step(s, x), 1))
            par, rec = statistics.median(par_list), statistics.median(rec_list)
            nxt.append({"T": T, "parallel_s": par, "recurrent_s": rec, "state_numel": layer.state_numel(state)})
            reps = max(1, repeats // 4) if T >= 1024 else repeats
            par_list, rec_list = [], []
            for _ in range(reps):
                par_list.append(median_time(lambda p=prefix: layer(p), 1))
                rec_list.append(median_time(lambda p=prefix: layer.recurrent(p), 1))
            whole.append(
                {"T": T, "parallel_s": statistics.median(par_list), "recurrent_s": statistics.median(rec_list)}
            )
            print(
                f"{name:8s} T={T:5d}  next: parallel {par * 1e3:8.3f} ms  recurrent {rec * 1e3:7.3f} ms  | "
                f"whole: parallel {whole[-1]['parallel_s'] * 1e3:8.2f} ms  recurrent "
                f"{whole[-1]['recurrent_s'] * 1e3:8.2f} ms",
                flush=True,
            )
    return {"next": nxt, "whole": whole, "crossover_next": crossover(nxt), "crossover_whole": crossover(whole)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=4096)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="lengths up to 64, 3 repeats")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    top = 64 if args.quick else args.max_length
    lengths = [2**k for k in range(top.bit_length()) if 2**k <= top]
    repeats = 3 if args.quick else args.repeats
    result = {
        "width": args.width,
        "threads": 1,
        "dtype": "float32",
        "batch": 1,
        "layers": {name: bench_layer(name, args.width, lengths, repeats, args.seed) for name in LAYERS},
    }
    for name, r in result["layers"].items():
        print(
            f"{name}: recurrent faster for the next output from T = {r['crossover_next']}, "
            f"for the whole sequence from T = {r['crossover_whole']}"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out, json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
