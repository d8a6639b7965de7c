"""dynlearn's FNO against the ``neuraloperator`` package's FNO (issue 19 target): same width, modes,
data, optimiser and epochs; test error and training time per epoch, ratio measured in one run.

    .venv/bin/pip install -e .[fno-oracle]
    .venv/bin/python benchmarks/bench_fno.py [--epochs 15] [--seeds 0,1] [--width 32] [--modes 12]
        [--json out.json]

Result on 2026-12-02 (shared 2-core machine): docs/performance.md, "fields: FNO vs neuraloperator".

Data: ``fields.simulate("navier_stokes_2d", batch=16, n=64)`` (Kolmogorov flow, nu = 0.01,
frames 0.5 time units apart), the first 12 trajectories for training and the last 4 for testing,
frame pairs ``(u_t, u_{t+1})`` after a burn-in of 4 frames, standardised by the training mean and
standard deviation. Both models learn the increment ``u_{t+1} - u_t`` (dynlearn's ``residual``
default; the oracle gets the same residual wrapper), by Adam (lr 1e-3, cosine decay to zero),
batch 16, MSE on the standardised fields; the test error is the mean relative L2 of one step.

Matching: dynlearn's ``modes=m`` keeps wavenumbers ``-m..m-1`` on the first axis and ``0..m-1`` on
the last (real-FFT) axis; neuraloperator's ``n_modes=(2m, 2m - 2)`` keeps the same set. Lifting
and projection are two-layer pointwise MLPs of hidden width ``2 * width`` in both, grid
coordinates are appended in both. neuraloperator's default FNO block also has a channel MLP
(expansion 0.5, soft-gating skip) that dynlearn's FNO block does not; it is reported both ways
(``neuralop`` = package defaults, ``neuralop-nomlp`` = ``use_channel_mlp=False``, the block of
Li et al. 2021). One torch thread; the models alternate epoch by epoch so that both see the
same machine load; time per epoch is the median over epochs.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from dynlearn import fields  # noqa: E402
from dynlearn.fields.models import FieldSpec, build_field_model  # noqa: E402
from dynlearn.io_utils import atomic_write_text  # noqa: E402

torch.set_num_threads(1)


def ns_pairs(n: int = 64, batch: int = 16, n_test: int = 4, burn: int = 4):
    """Standardised one-step pairs ``(x, y)`` of NS vorticity: train and test tensors (B, 1, n, n)."""
    data = fields.simulate("navier_stokes_2d", batch=batch, n=n, steps=2000, save_every=50, seed=0)
    v = data.values[:, burn:].astype(np.float32)  # (N, T, 1, n, n)
    train, test = v[:-n_test], v[-n_test:]
    mean, std = float(train.mean()), float(train.std())

    def pairs(a):
        a = (a - mean) / std
        return torch.from_numpy(a[:, :-1].reshape(-1, *a.shape[2:]).copy()), torch.from_numpy(
            a[:, 1:].reshape(-1, *a.shape[2:]).copy()
        )

    return pairs(train), pairs(test)


class _Residual(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return x + self.net(x)


def build(kind: str, width: int, modes: int, layers: int, seed: int, n: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    if kind == "dynlearn":
        spec = FieldSpec(channels=1, space=(n, n))
        model = build_field_model("fno", spec, seed=seed, width=width, modes=modes, layers=layers, grid=True)
        return model  # forward: physical units with identity normalisation, residual=True
    from neuralop.models import FNO

    net = FNO(
        n_modes=(2 * modes, 2 * modes - 2),
        in_channels=1,
        out_channels=1,
        hidden_channels=width,
        n_layers=layers,
        use_channel_mlp=(kind == "neuralop"),
    )
    return _Residual(net)


def _is_ours(model) -> bool:
    return not isinstance(model, _Residual)


def predict(model, x):
    return model(x[:, None]) if _is_ours(model) else model(x)  # ours takes (B, history, C, ...)


def rel_l2(model, x, y, chunk: int = 64) -> float:
    model.eval()
    errs = []
    with torch.no_grad():
        for i in range(0, len(x), chunk):
            p, t = predict(model, x[i : i + chunk]), y[i : i + chunk]
            errs.append(((p - t).flatten(1).norm(dim=1) / t.flatten(1).norm(dim=1)).numpy())
    model.train()
    return float(np.concatenate(errs).mean())


class Trainer:
    def __init__(self, model, epochs: int, steps_per_epoch: int, lr: float = 1e-3):
        self.model = model
        self.opt = torch.optim.Adam(model.parameters(), lr=lr)
        self.sched = torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=epochs * steps_per_epoch)
        self.times: list[float] = []

    def epoch(self, x, y, order, batch: int) -> None:
        t0 = time.perf_counter()
        for i in range(0, len(order), batch):
            idx = order[i : i + batch]
            self.opt.zero_grad()
            loss = torch.mean((predict(self.model, x[idx]) - y[idx]) ** 2)
            loss.backward()
            self.opt.step()
            self.sched.step()
        self.times.append(time.perf_counter() - t0)


def compare(kinds, *, epochs: int, seed: int, width: int, modes: int, layers: int, data, batch: int = 16):
    (xtr, ytr), (xte, yte) = data
    n = xtr.shape[-1]
    steps = math.ceil(len(xtr) / batch)
    trainers = {k: Trainer(build(k, width, modes, layers, seed, n), epochs, steps) for k in kinds}
    g = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(xtr), generator=g)  # the same batches for every model
        for tr in trainers.values():
            tr.epoch(xtr, ytr, order, batch)
    out = {}
    for k, tr in trainers.items():
        out[k] = {
            "test_rel_l2": rel_l2(tr.model, xte, yte),
            "train_rel_l2": rel_l2(tr.model, xtr, ytr),
            "epoch_seconds": statistics.median(tr.times),
            "params": sum(p.numel() for p in tr.model.parameters() if p.requires_grad),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--modes", type=int, default=12)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--kinds", default="dynlearn,neuralop,neuralop-nomlp")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    kinds = [k.strip() for k in args.kinds.split(",")]
    t0 = time.perf_counter()
    data = ns_pairs()
    print(f"data: train {tuple(data[0][0].shape)}, test {tuple(data[1][0].shape)} ({time.perf_counter() - t0:.0f} s)")
    runs = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        res = compare(
            kinds, epochs=args.epochs, seed=seed, width=args.width, modes=args.modes, layers=args.layers, data=data
        )
        runs.append({"seed": seed, **res})
        for k, r in res.items():
            print(
                f"seed {seed} {k:15s} test relL2 {r['test_rel_l2']:.4f}  train {r['train_rel_l2']:.4f}  "
                f"epoch {r['epoch_seconds']:.2f} s  params {r['params']}",
                flush=True,
            )
    summary = {}
    for k in kinds:
        summary[k] = {
            "test_rel_l2": float(np.mean([r[k]["test_rel_l2"] for r in runs])),
            "epoch_seconds": float(np.mean([r[k]["epoch_seconds"] for r in runs])),
            "params": runs[0][k]["params"],
        }
    print("\nmean over seeds:")
    for k in kinds:
        s = summary[k]
        line = f"{k:15s} test relL2 {s['test_rel_l2']:.4f}  epoch {s['epoch_seconds']:.2f} s  params {s['params']}"
        if k != "dynlearn" and "dynlearn" in summary:
            d = summary["dynlearn"]
            line += (
                f"   dynlearn/{k}: error x{d['test_rel_l2'] / s['test_rel_l2']:.3f}, "
                f"time x{d['epoch_seconds'] / s['epoch_seconds']:.3f}"
            )
        print(line)
    if args.json:
        payload = {"args": vars(args), "runs": runs, "summary": summary, "wall_seconds": time.perf_counter() - t0}
        atomic_write_text(Path(args.json), json.dumps(payload, indent=1))


if __name__ == "__main__":
    main()
