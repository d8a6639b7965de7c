"""NG-RC and ESN configurations on the dysts benchmark protocol (Gilpin 2023), 20 chaotic flows.

    .venv/bin/python benchmarks/accuracy_dysts_protocol.py [--systems 20] [--json out.json] \
        [--config 'label={"model": "ngrc", "skip": 10}' ...]

The protocol of the published benchmark (dysts ``benchmarks/``): each system
sampled at 100 points per dominant period, the first 1,000 points train, ONE
200-point forecast follows from the end of training, the series are not
standardised, and the forecast is scored by the multivariate sMAPE on the
0-200 scale. Here the context given to ``predict`` is the end of the training
series (the last 100 points). Also reported: the valid prediction time in
Lyapunov times, with dysts's criterion (the first step whose sMAPE exceeds 30)
and with the NRMSE > 0.4 criterion (training standard deviation as the scale).

``--points-per-period 15`` gives the published coarse variant.

Systems: ``--systems`` chaotic flows (positive maximum exponent, autonomous,
no delay) of the catalog drawn with a fixed seed, so every run scores the same
ones. A fit that raises or a forecast that is not finite scores sMAPE 200 and
VPT 0 (the worst values), and is counted. Medians over systems are printed per
configuration; one trajectory (seed 0) per system, as in the published run.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from dynlearn import metrics, models, systems  # noqa: E402
from dynlearn.errors import DynlearnError  # noqa: E402

TRAIN, TEST, CONTEXT = 1000, 200, 100

#: the configurations measured by default: the defaults, then what the experiment found
CONFIGS = {
    "ngrc default": {"model": "ngrc"},
    "ngrc search": {"model": "ngrc", "search": True},
    "esn default": {"model": "esn"},
}


def chaotic_flows(n: int) -> list[str]:
    names = [
        s
        for s in systems.names()
        if (sy := systems.get(s)).kind == "flow" and (sy.max_lyapunov or 0) > 0 and not sy.nonautonomous
    ]
    rng = np.random.default_rng(0)
    return sorted(rng.choice(names, size=min(n, len(names)), replace=False).tolist())


def data(name: str, points_per_period: float = 100):
    (tr,) = systems.simulate(name, n_points=TRAIN + TEST, points_per_period=points_per_period, seed=0)
    return tr


def score(name: str, tr, config: dict) -> dict:
    cfg = dict(config)
    model = cfg.pop("model")
    train, truth = tr[:TRAIN], tr.states[TRAIN:]
    sy = systems.get(name)
    lt = 1.0 / sy.max_lyapunov
    t0 = time.perf_counter()
    try:
        with np.errstate(all="ignore"):
            pred = models.create(model, cfg).fit(train).predict(train.states[-CONTEXT:], TEST)
    except (DynlearnError, np.linalg.LinAlgError, ValueError) as exc:
        return {"smape": 200.0, "vpt_smape": 0.0, "vpt_nrmse": 0.0, "failed": f"{type(exc).__name__}: {exc}"}
    sec = time.perf_counter() - t0
    if not np.all(np.isfinite(pred)):
        return {"smape": 200.0, "vpt_smape": 0.0, "vpt_nrmse": 0.0, "failed": "non-finite forecast", "seconds": sec}
    kw = {"dt": tr.dt, "lyapunov_time": lt}
    return {
        "smape": metrics.smape(truth, pred),
        "vpt_smape": metrics.valid_prediction_time(truth, pred, criterion="smape", **kw),
        "vpt_nrmse": metrics.valid_prediction_time(truth, pred, scale=train.states.std(0), **kw),
        "seconds": sec,
        "vpt_cap": TEST * tr.dt / lt,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--systems", type=int, default=20)
    ap.add_argument("--points-per-period", type=float, default=100, help="15 is the published coarse variant")
    ap.add_argument("--config", action="append", default=[], help='label={"model": ..., hyper-parameters}')
    ap.add_argument("--json", help="write per-system results here")
    ap.add_argument("--per-system", action="store_true", help="print every system's numbers")
    args = ap.parse_args()
    configs = dict(CONFIGS)
    if args.config:
        configs = {}
        for item in args.config:
            label, _, spec = item.partition("=")
            configs[label] = json.loads(spec)
    names = chaotic_flows(args.systems)
    trajs = {n: data(n, args.points_per_period) for n in names}
    out = {"systems": names, "results": {}}
    for label, config in configs.items():
        rows = {n: score(n, trajs[n], config) for n in names}
        out["results"][label] = {"config": config, "per_system": rows}
        sm = [r["smape"] for r in rows.values()]
        v1 = [r["vpt_smape"] for r in rows.values()]
        v2 = [r["vpt_nrmse"] for r in rows.values()]
        fails = sum("failed" in r for r in rows.values())
        secs = sum(r.get("seconds", 0.0) for r in rows.values())
        print(
            f"{label:40s} median sMAPE {np.median(sm):6.1f}  median VPT (sMAPE>30) {np.median(v1):5.2f}"
            f"  (NRMSE>0.4) {np.median(v2):5.2f}  failed {fails}/{len(names)}  fit+predict {secs:6.1f} s",
            flush=True,
        )
        if args.per_system:
            for n, r in rows.items():
                cap = TEST * trajs[n].dt * systems.get(n).max_lyapunov
                print(
                    f"    {n:28s} sMAPE {r['smape']:7.2f}  VPT {r['vpt_smape']:5.2f} / {r['vpt_nrmse']:5.2f}"
                    f"  (horizon {cap:5.2f} Lyapunov times)  {r.get('failed', '')[:70]}"
                )
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(out, fh, indent=1, default=float)
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main()
