"""Neural forecasters against reservoir models on the same data: train time and forecast quality.

For each system and seed, simulates ``--train-points + --test-points`` states at
``--points-per-period`` samples per dominant period, standardises them with
the training statistics, fits every model in ``--models`` with its default
config on the training part (wall-clock fit time, one torch thread), and
forecasts ``--n-windows`` test windows of ``--horizon`` steps in closed loop,
each from ``--context`` true states (batched in one ``predict`` call).
Reported per (system, model), averaged over seeds: fit seconds, valid
prediction time in Lyapunov times (NRMSE criterion, ``dynlearn.metrics``) and
the median NRMSE over the first 20 forecast steps. Reservoir models (``esn``,
``ngrc``) and ``linear_ar`` are the reference; a model that is not registered
is skipped with a note.

    .venv/bin/python benchmarks/bench_neural.py --out runs/bench_neural.json
    .venv/bin/python benchmarks/bench_neural.py --quick        # seconds: tiny data, one seed

``--plrnn-steps N`` instead measures shPLRNN training speed (Hess et al. 2023
sizes: M = 3, L = 100, batch 16, sequence length 200, adaptive GTF, one torch
thread): optimiser steps per second of ``dynlearn.training.train`` with the
fused numba window kernel and with the step-by-step autograd path (the
implementation before the kernel, ``module.fused = False``), alternated
``--repeats`` times in the same process so that both see the same machine
load; the ratio is the speed-up. Also for BPTT and TF.

    .venv/bin/python benchmarks/bench_neural.py --plrnn-steps 300 --out runs/bench_plrnn.json

``--neural-de-profile`` instead times one training epoch of the ``neural-de`` recipe's neural ODE and
neural CDE on its irregular Lorenz-63 samples (1,200 observations, both regimes), under the variants
that decide the cost: torchdiffeq's ``odeint`` per gap against the written-out RK4, batch 64 against
256, mini-batches grouped by solver cost or not, one torch thread against two. Each variant runs
``--repeats`` times, alternating, and the median seconds per epoch are reported.

    .venv/bin/python benchmarks/bench_neural.py --neural-de-profile --out runs/bench_neural_de.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from dynlearn import metrics, models, systems
from dynlearn.data import Standardizer

NEURAL = ["neural_ode", "mlp", "gru", "transformer", "nbeats"]
REFERENCE = ["esn", "ngrc", "linear_ar"]


def evaluate(system: str, seed: int, names: list[str], args) -> list[dict]:
    (traj,) = systems.simulate(
        system, n_points=args.train_points + args.test_points, points_per_period=args.points_per_period, seed=seed
    )
    train, test = traj[: args.train_points], traj[args.train_points :]
    sc = Standardizer().fit(train)
    train, test = sc.transform(train), sc.transform(test)
    h, c = args.horizon, args.context
    starts = np.linspace(c, len(test) - h, args.n_windows).astype(int)
    contexts = np.stack([test.states[s - c : s] for s in starts])
    truth = np.stack([test.states[s : s + h] for s in starts])
    rows = []
    for name in names:
        overrides = {"seed": seed}
        if args.quick and name in NEURAL:
            overrides["epochs"] = 2
        start = time.perf_counter()
        model = models.create(name, **overrides).fit(train)
        fit_s = time.perf_counter() - start
        forecast = model.predict(contexts, h)
        vpt = [
            metrics.valid_prediction_time(t, f, dt=traj.dt, lyapunov_time=traj.lyapunov_time)
            for t, f in zip(truth, forecast)
        ]
        early = [
            metrics.nrmse(t[:20], f[:20]) if np.all(np.isfinite(f[:20])) else float("inf")
            for t, f in zip(truth, forecast)
        ]
        rows.append(
            {
                "system": system,
                "seed": seed,
                "model": name,
                "fit_seconds": fit_s,
                "vpt_lyap": float(np.mean(vpt)),
                "nrmse20": float(np.median(early)),
            }
        )
        print(f"{system:10s} seed {seed} {name:12s} fit {fit_s:6.1f} s  VPT {np.mean(vpt):5.2f}", flush=True)
    return rows


def plrnn_speed(steps: int, repeats: int, regimes=("gtf", "bptt", "tf")) -> list[dict]:
    """Steps/s of shPLRNN training, fused kernel against autograd, alternating in one process."""
    from dynlearn.models.plrnn import ShallowPLRNNModule
    from dynlearn.training import make_regime, train

    (traj,) = systems.simulate("Lorenz", n_points=10_000, points_per_period=30.0, seed=0)
    x = Standardizer().fit_transform(traj).states
    slow_steps = max(steps // 10, 10)  # the autograd path is far slower: fewer steps, same per-step rate
    rows = []
    for regime in regimes:
        rates: dict[str, list[float]] = {"fused": [], "autograd": []}
        for rep in range(repeats + 1):  # repeat 0 warms up (numba compile / cache load, allocator)
            for path in ("fused", "autograd"):
                torch.manual_seed(0)
                net = ShallowPLRNNModule(3, 3, 100, True, "identity")
                net.fused = path == "fused"
                n = (steps if path == "fused" else slow_steps) if rep else 3
                h = train(net, x, make_regime(regime), epochs=1, batches_per_epoch=n, batch_size=16, seq_len=200)
                if rep:
                    rates[path].append(n / h.seconds)
        row = {
            "regime": regime,
            "fused_steps_per_s": float(np.median(rates["fused"])),
            "autograd_steps_per_s": float(np.median(rates["autograd"])),
            "fused_all": rates["fused"],
            "autograd_all": rates["autograd"],
        }
        row["speedup"] = row["fused_steps_per_s"] / row["autograd_steps_per_s"]
        rows.append(row)
        print(
            f"shPLRNN {regime:5s}: fused {row['fused_steps_per_s']:7.1f} steps/s, autograd "
            f"{row['autograd_steps_per_s']:6.1f} steps/s, speed-up x{row['speedup']:.1f}",
            flush=True,
        )
    return rows


def neural_de_profile(repeats: int, regimes=("moderate", "sparse"), threads=(1, 2)) -> list[dict]:
    """Seconds per training epoch of the neural-de recipe's continuous-time models, per variant."""
    import math

    from dynlearn.models import neural_ode
    from dynlearn.repro.neural_de import _irregular_data

    ode = dict(hidden=64, layers=2, window=8, stride=2, epochs=1)
    cde = dict(hidden_state=32, hidden=64, layers=2, window=16, rollout=8, stride=2, epochs=1)
    variants = [  # (label, model, config, own RK4, buckets, threads)
        ("ode: odeint per gap, batch 64 (before)", "neural_ode", {**ode, "batch_size": 64}, False, False, 1),
        ("ode: RK4 written out, batch 64", "neural_ode", {**ode, "batch_size": 64}, True, False, 1),
        ("ode: RK4, batch 64, cost buckets", "neural_ode", {**ode, "batch_size": 64}, True, True, 1),
        ("ode: RK4, batch 256, cost buckets", "neural_ode", {**ode, "batch_size": 256}, True, True, 1),
        ("ode: RK4, batch 256, cost buckets, 2 threads", "neural_ode", {**ode, "batch_size": 256}, True, True, 2),
        ("cde: torchcde, batch 64 (before)", "neural_cde", {**cde, "batch_size": 64}, True, True, 1),
        ("cde: torchcde, batch 256", "neural_cde", {**cde, "batch_size": 256}, True, True, 1),
        ("cde: torchcde, batch 256, 2 threads", "neural_cde", {**cde, "batch_size": 256}, True, True, 2),
    ]
    variants = [v for v in variants if v[5] in threads]
    rows = []
    for regime in regimes:
        train, _, dt, _ = _irregular_data(0, 1200, 300, regime)
        gap = float(np.diff(train.times).mean())
        recipe = {**ode, "batch_size": 64, "stride": 2, "max_span": 8 * dt, "substeps": max(1, round(gap / dt)),
                  "window": min(8, max(2, math.ceil(8 * dt / gap) + 1))}  # fmt: skip
        variants = [v for v in variants if not v[0].startswith("ode: recipe")]
        variants.insert(
            3, ("ode: recipe config (RK4 at the test step, 8-step span)", "neural_ode", recipe, True, True, 1)
        )
        times: dict[str, list[float]] = {v[0]: [] for v in variants}
        for rep in range(repeats + 1):  # repeat 0 warms up
            for label, name, cfg, own, buckets, threads in variants:
                neural_ode._OWN_RK4, neural_ode._BUCKETS = own, buckets
                torch.set_num_threads(threads)
                start = time.perf_counter()
                models.create(name, seed=0, **cfg).fit(train)
                if rep:
                    times[label].append(time.perf_counter() - start)
        neural_ode._OWN_RK4, neural_ode._BUCKETS = True, True
        torch.set_num_threads(1)
        base = {"neural_ode": None, "neural_cde": None}
        for label, name, *_ in variants:
            sec = float(np.median(times[label]))
            base[name] = base[name] or sec
            rows.append({"regime": regime, "variant": label, "seconds_per_epoch": sec, "all": times[label],
                         "speedup_vs_before": base[name] / sec})  # fmt: skip
            print(f"{regime:8s} {label:48s} {sec:7.2f} s/epoch  x{base[name] / sec:.1f}", flush=True)
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--systems", nargs="+", default=["Lorenz", "Rossler", "Chen"])
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--models", nargs="+", default=NEURAL + REFERENCE)
    p.add_argument("--train-points", type=int, default=3000)
    p.add_argument("--test-points", type=int, default=2000)
    p.add_argument("--points-per-period", type=float, default=30.0)
    p.add_argument("--context", type=int, default=32)
    p.add_argument("--horizon", type=int, default=200)
    p.add_argument("--n-windows", type=int, default=20)
    p.add_argument("--quick", action="store_true", help="tiny data, 2 epochs, one system: checks the plumbing")
    p.add_argument("--out", type=Path, default=None, help="write the rows as JSON here")
    p.add_argument("--plrnn-steps", type=int, default=0, help="measure shPLRNN optimiser steps/s instead")
    p.add_argument("--repeats", type=int, default=3, help="alternations of the --plrnn-steps measurement")
    p.add_argument("--neural-de-profile", action="store_true", help="time a neural ODE / CDE epoch per variant")
    p.add_argument("--regimes", nargs="+", default=["moderate", "sparse"], help="with --neural-de-profile")
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2], help="with --neural-de-profile")
    args = p.parse_args(argv)
    if args.neural_de_profile:
        rows = neural_de_profile(args.repeats, args.regimes, args.threads)
        if args.out is not None:
            _write_json(args.out, {"args": {k: str(v) for k, v in vars(args).items()}, "neural_de": rows})
        return
    if args.plrnn_steps:
        torch.set_num_threads(1)
        rows = plrnn_speed(args.plrnn_steps, args.repeats)
        if args.out is not None:
            _write_json(args.out, {"args": {k: str(v) for k, v in vars(args).items()}, "plrnn": rows})
        return
    if args.quick:
        args.systems, args.train_points, args.test_points, args.horizon, args.n_windows = ["Lorenz"], 400, 300, 50, 3
    torch.set_num_threads(1)
    names = [n for n in args.models if n in models.MODELS]
    for n in sorted(set(args.models) - set(names)):
        print(f"note: model {n!r} is not registered; skipped")
    rows = [r for s in args.systems for seed in args.seeds for r in evaluate(s, seed, names, args)]

    print(f"\n{'system':10s} {'model':12s} {'fit (s)':>8s} {'VPT (Lyap.)':>12s} {'NRMSE@20':>9s}")
    for system in args.systems:
        for name in names:
            sel = [r for r in rows if r["system"] == system and r["model"] == name]
            print(
                f"{system:10s} {name:12s} {np.mean([r['fit_seconds'] for r in sel]):8.1f} "
                f"{np.mean([r['vpt_lyap'] for r in sel]):12.2f} {np.median([r['nrmse20'] for r in sel]):9.3f}"
            )
    if args.out is not None:
        _write_json(args.out, {"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows})


def _write_json(path: Path, obj) -> None:
    """Atomically: a temporary file beside ``path``, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1))
    tmp.replace(path)


if __name__ == "__main__":
    main()
