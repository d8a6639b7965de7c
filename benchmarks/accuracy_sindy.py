"""Accuracy of SINDy's regression rows (derivative methods and the weak form) on clean catalog data.

    .venv/bin/python benchmarks/accuracy_sindy.py catalog [--json out.json]
    .venv/bin/python benchmarks/accuracy_sindy.py lorenz

``catalog``: 10 flows with degree-2 polynomial fields, 2 trajectories each at 30 points
per period (the quick suite's sampling), standardised with the first 3,000 points, which
are the training data; the field error ``||f_learned - f_true|| / ||f_true||`` on the
other 3,000 states and the median VPT over 20 windows of 200 steps, per method.
``lorenz``: issue 9 §5's target on unstandardised Lorenz-63 (σ, ρ, β and the VPT over
20 windows of 1,000 steps). Accuracy, not speed: the numbers do not depend on the load.
Results are written into docs/models-classical.md by hand.
"""

from __future__ import annotations

import argparse
import functools
import json
import warnings

import numpy as np

import dynlearn.systems as _systems
from dynlearn import metrics, models, systems
from dynlearn.data import Standardizer
from dynlearn.systems.base import Params

# the numpy integrator: no compile per system (accuracy does not depend on the backend)
_systems.integrate = functools.partial(_systems.integrate, backend="numpy")

CATALOG = "Lorenz,Chen,Rossler,LuChen,Rucklidge,ShimizuMorioka,SprottB,Halvorsen,Lorenz84,NoseHoover"
METHODS = {
    "fd2": dict(derivative="fd", fd_order=2),
    "fd8": dict(derivative="fd", fd_order=8),
    "spectral": dict(derivative="spectral"),
    "weak15": dict(derivative="weak", weak_window=15),
    "weak9": dict(derivative="weak", weak_window=9),
    "weak21": dict(derivative="weak", weak_window=21),
    "smoothed": dict(derivative="smoothed_fd"),
}


def vpt(truth, pred, dt, lyap, scale) -> float:
    return metrics.valid_prediction_time(truth, pred, dt=dt, lyapunov_time=lyap, scale=scale)


def catalog(names: list[str]) -> dict:
    out: dict = {}
    for name in names:
        sys_ = systems.get(name)
        for k, tr in enumerate(systems.simulate(name, n_points=6000, points_per_period=30, seed=[11, 12])):
            sc = Standardizer().fit(tr[:3000])
            train, X = sc.transform(tr[:3000]), sc.transform(tr[3000:]).states
            ftrue = sys_.rhs(sc.mean + sc.std * X, 0.0, Params(sys_.params)) / sc.std
            starts = np.linspace(32, len(X) - 200, 20).astype(int)
            ctx = np.stack([X[s - 32 : s] for s in starts])
            truth = np.stack([X[s : s + 200] for s in starts])
            for meth, cfg in METHODS.items():
                m = models.create("sindy", **cfg).fit(train)
                ferr = float(np.linalg.norm(m.rhs(X) - ftrue) / np.linalg.norm(ftrue))
                pred = m.predict(ctx, 200)
                lyap, scale = tr.meta["lyapunov_time"], train.states.std(0)
                v = float(np.median([vpt(truth[i], pred[i], train.dt, lyap, scale) for i in range(len(starts))]))
                out.setdefault(name, {}).setdefault(meth, []).append((ferr, v))
            print(name, k, {m: [round(x, 4) for x in out[name][m][-1]] for m in METHODS}, flush=True)
    return out


def lorenz() -> dict:
    out: dict = {}
    for seed in (0, 1, 2):
        (tr,) = systems.simulate("Lorenz", n_points=6000, points_per_period=30, seed=seed)
        train, test = tr[:3000], tr.states[3000:]
        for name, cfg in [
            ("fd2", METHODS["fd2"]),
            ("fd8", METHODS["fd8"]),
            ("spectral", {"derivative": "spectral"}),
            ("weak (default)", {}),
        ]:
            m = models.create("sindy", **cfg).fit(train)
            c = m.coef_
            sigma, rho, beta = -c[0, 1], c[1, 1], -c[2, 3]
            err = max(abs(sigma / 10 - 1), abs(rho / 28 - 1), abs(beta / (8 / 3) - 1))
            starts = np.linspace(32, len(test) - 1000, 20).astype(int)
            pred = m.predict(np.stack([test[s - 32 : s] for s in starts]), 1000)
            lyap, scale = tr.meta["lyapunov_time"], train.states.std(0)
            v = [vpt(test[s : s + 1000], pred[i], tr.dt, lyap, scale) for i, s in enumerate(starts)]
            out[f"{seed} {name}"] = dict(
                sigma=sigma, rho=rho, beta=beta, max_rel_err=err, vpt_median=float(np.median(v))
            )
            print(
                f"seed {seed} {name:15s} sigma {sigma:.4f} rho {rho:.4f} beta {beta:.5f} max rel err "
                f"{100 * err:.3f}% terms {int((c != 0).sum())} VPT median {np.median(v):.2f} min {np.min(v):.2f}",
                flush=True,
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("which", choices=["catalog", "lorenz"])
    ap.add_argument("--systems", default=CATALOG)
    ap.add_argument("--json", help="also write the numbers here")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    out = catalog(args.systems.split(",")) if args.which == "catalog" else lorenz()
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
