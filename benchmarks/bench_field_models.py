"""Size and per-step cost of every registered field model at its default configuration.

    .venv/bin/python benchmarks/bench_field_models.py [--n 64] [--batch 8] [--repeats 5]

For the "Models" table of docs/fields.md: a 2-D field of one channel on an ``n x n`` periodic grid,
history 1, one physical parameter. Trainable parameters; milliseconds per sample of one forward
step (batch ``--batch``, no gradient) and of one forward + backward (training) step; one torch
thread; median over ``--repeats`` after one warm-up. The machine may be shared: compare models
within one run, not across runs.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402

from dynlearn.fields.models import FIELD_MODELS, FieldSpec, build_field_model  # noqa: E402

torch.set_num_threads(1)


def _median_ms(fn, repeats: int, batch: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times) / batch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    spec = FieldSpec(channels=1, space=(args.n, args.n), history=1, n_params=1)
    h = torch.randn(args.batch, 1, 1, args.n, args.n)
    p = torch.rand(args.batch, 1)
    print(
        f"| model | trainable parameters | forward ms/sample | train step ms/sample |  ({args.n}², batch {args.batch})"
    )
    for name in FIELD_MODELS.names():
        model = build_field_model(name, spec)

        def fwd(model=model):
            with torch.no_grad():
                model(h, p)

        def train(model=model):
            model.zero_grad()
            out = model(h, p)
            if out.requires_grad:
                out.square().mean().backward()

        f, t = _median_ms(fwd, args.repeats, args.batch), _median_ms(train, args.repeats, args.batch)
        print(f"| {name} | {model.n_parameters():,} | {f:.2f} | {t:.2f} |", flush=True)


if __name__ == "__main__":
    main()
