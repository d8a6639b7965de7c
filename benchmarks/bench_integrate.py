"""Batched integration speed against dysts at matched accuracy.

Integrates ``--n-traj`` Lorenz-63 initial conditions on the attractor for
``--n-points`` output points (``--points-per-period`` per dominant period)
with dynlearn's integrators, and dysts's ``make_trajectory`` on the same
output grid, in one run, and reports trajectories per second for both.

Accuracy is matched, not assumed. Two integrations of a chaotic flow part
company exponentially fast, so accuracy is measured over the first Lyapunov
time: for ``--n-ref`` trajectories the error is
``max_{t <= 1/lambda_max} max_i |x_i(t) - x_ref_i(t)| / sigma`` (sigma: the
standard deviation of the attractor's coordinates) against scipy's
``solve_ivp(method="DOP853", rtol=atol=1e-13)``; we report the median over
those trajectories. For each dynlearn configuration, dysts's DOP853
tolerance (``rtol = atol = tol``) whose error equals ours is found by
log-log interpolation over tol = 1e-3 ... 1e-12, and dysts is then timed at
that tolerance on ``--n-dysts`` trajectories of full length (it loops over
initial conditions, one ``solve_ivp`` call each, so its time per trajectory is
measured on a few and extrapolated to the batch).

dysts caveats handled here: its Lorenz entry has beta = 2.667 (we pass
8/3); ``make_trajectory`` ignores its ``dt`` argument for systems with a
stored ``dt`` (we set the attribute) and, with ``resample=False``, samples
``linspace(0, (n - 1) dt, n)``: exactly our grid.

Fresh processes (``--fresh``): the README's quick start
``simulate("Lorenz", n_points=4000, points_per_period=30, seed=0)`` and one
call of each compiled kernel are timed in new Python processes, first with an
empty kernel cache (compilation included), then again with the cache the first
process left (numba loads the machine code), and the quick start once more
with the compiled path disabled (numpy).

    .venv/bin/python benchmarks/bench_integrate.py --fresh --out runs/bench_integrate.json
    .venv/bin/python benchmarks/bench_integrate.py --n-traj 100 --n-points 2000   # quick
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

from dynlearn import systems
from dynlearn.systems.integrate import integrate

TOLS = [10.0**-k for k in range(3, 13)]


def attractor_ics(system, n: int, dt: float, seed: int) -> np.ndarray:
    trajs = systems.simulate(system, n_points=1, dt=dt, n_trajectories=n, seed=seed)
    return np.stack([tr.states[0] for tr in trajs])


def reference(system, x0: np.ndarray, t_eval: np.ndarray) -> np.ndarray:
    p = system.make_params()
    f = lambda t, y: system.rhs(y[None], t, p)[0]
    out = []
    for x in x0:
        sol = solve_ivp(f, (t_eval[0], t_eval[-1]), x, method="DOP853", rtol=1e-13, atol=1e-13, t_eval=t_eval)
        out.append(sol.y.T)
    return np.stack(out)


def error(states: np.ndarray, ref: np.ndarray, sigma: float) -> float:
    return float(np.median(np.abs(states - ref).max(axis=(1, 2)) / sigma))


def dysts_model(dt: float):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from dysts.flows import Lorenz

        model = Lorenz(parameters={"sigma": 10.0, "rho": 28.0, "beta": 8.0 / 3.0})
    model.dt = dt  # make_trajectory ignores its dt argument when the attribute is set
    return model


def dysts_run(model, x0: np.ndarray, n: int, tol: float) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = [model.make_trajectory(n, init_cond=x, resample=False, method="DOP853", rtol=tol, atol=tol) for x in x0]
    return np.stack(out)


def matched_tolerance(target: float, tols: list[float], errs: list[float]) -> tuple[float, str]:
    """The tolerance whose (log-log interpolated) dysts error equals ``target``."""
    le, lt = np.log10(errs), np.log10(tols)
    if target >= max(errs):
        return tols[int(np.argmax(errs))], "ours is less accurate than dysts at its loosest tolerance"
    if target <= min(errs):
        return tols[int(np.argmin(errs))], "ours is more accurate than dysts at its tightest tolerance"
    # errors are not always monotone in tol: take the loosest bracket
    for i in range(len(tols) - 1):
        lo, hi = sorted((le[i], le[i + 1]))
        if lo <= np.log10(target) <= hi and le[i] != le[i + 1]:
            w = (np.log10(target) - le[i]) / (le[i + 1] - le[i])
            return float(10 ** (lt[i] + w * (lt[i + 1] - lt[i]))), "interpolated"
    return tols[int(np.argmin(np.abs(le - np.log10(target))))], "nearest"


_FRESH = """
import time
t = time.perf_counter()
import numpy as np
from dynlearn import systems
from dynlearn.systems import _compiled
if {numpy}:
    _compiled.available = lambda: False
t_import = time.perf_counter() - t
t = time.perf_counter()
{call}
print(t_import, time.perf_counter() - t)
"""

_CALLS = {
    "quick start simulate (backend auto)": 'systems.simulate("Lorenz", n_points=4000, points_per_period=30, seed=0)',
    "rk4 kernel, 1 call (backend numba)": (
        'systems.integrate(systems.get("Lorenz"), np.ones((2, 3)), n_points=3, dt=0.01, backend="numba")'
    ),
    "dopri5 kernel, 1 call (backend numba)": (
        'systems.integrate(systems.get("Lorenz"), np.ones((2, 3)), n_points=3, dt=0.01, method="dopri5", backend="numba")'
    ),
}


def _fresh(call: str, env: dict, numpy: bool = False) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", _FRESH.format(call=call, numpy=numpy)], env=env, capture_output=True, text=True
    )
    if res.returncode != 0:
        raise RuntimeError(f"fresh process failed: {res.stderr[-2000:]}")
    t_import, t_call = map(float, res.stdout.split()[-2:])
    return {"import_s": t_import, "call_s": t_call}


def fresh_processes() -> dict:
    """Wall times (import, call) of first calls in new processes: with an empty kernel cache, then with
    the cache a previous process left; the quick start also with the compiled path disabled."""
    out = {}
    env = dict(os.environ)
    quick = _CALLS["quick start simulate (backend auto)"]
    with tempfile.TemporaryDirectory() as cache:
        env["DYNLEARN_CACHE_DIR"] = cache
        steps = [("quick start simulate (backend auto), empty cache", quick, False)]
        steps.append(("quick start simulate, numpy only", quick, True))
        for label, call in list(_CALLS.items())[1:]:
            steps += [(f"{label}, empty cache", call, False), (f"{label}, warm cache", call, False)]
        # the rk4 kernel call above left the quick start's kernel on disk
        steps.append(("quick start simulate (backend auto), warm cache", quick, False))
        for label, call, numpy in steps:
            out[label] = r = _fresh(call, env, numpy)
            print(f"fresh process: {label}: import {r['import_s']:.2f} s, call {r['call_s']:.2f} s", flush=True)
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n-traj", type=int, default=1000)
    ap.add_argument("--n-points", type=int, default=10_000)
    ap.add_argument("--points-per-period", type=float, default=100.0)
    ap.add_argument("--n-ref", type=int, default=5, help="trajectories used to measure the error")
    ap.add_argument("--n-dysts", type=int, default=3, help="trajectories dysts is timed on")
    ap.add_argument("--rtol", type=float, default=1e-6, help="dopri5 tolerance (rtol = atol)")
    ap.add_argument("--threads", type=int, default=None, help="threads of the compiled path (default: all cores)")
    ap.add_argument("--repeats", type=int, default=3, help="timing repeats of ours (best is reported)")
    ap.add_argument("--numpy-dopri5", action="store_true", help="also time the numpy dopri5 path (slow)")
    ap.add_argument("--fresh", action="store_true", help="also time first calls in fresh processes (cold/warm cache)")
    ap.add_argument("--only-fresh", action="store_true", help="time only the fresh processes")
    ap.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = ap.parse_args(argv)
    if args.only_fresh:
        result = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "fresh_processes": fresh_processes()}
        result["load_average_at_end"] = os.getloadavg()
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(result, indent=2))
        return result

    L = systems.get("Lorenz")
    n = args.n_points
    dt = L.period * (n / args.points_per_period) / (n - 1)  # dysts's grid: linspace(0, period n / ppp, n)
    x0 = attractor_ics(L, args.n_traj, dt, seed=0)
    n_ref = min(args.n_ref, args.n_traj)
    horizon = 1.0 / L.max_lyapunov
    n_h = int(np.ceil(horizon / dt)) + 1
    t_h = dt * np.arange(n_h)
    ref = reference(L, x0[:n_ref], t_h)
    sigma = float(systems.simulate(L, n_points=20_000, dt=dt, seed=1)[0].states.std())

    tol = dict(rtol=args.rtol, atol=args.rtol)
    configs = [
        ("rk4, 1 step per output, compiled", dict(method="rk4", max_step=dt, backend="numba")),
        ("rk4, system dt, compiled", dict(method="rk4", backend="numba")),
        (f"dopri5, tol {args.rtol:g}, compiled", dict(method="dopri5", backend="numba", **tol)),
    ]
    if args.numpy_dopri5:
        configs.append((f"dopri5, tol {args.rtol:g}, numpy", dict(method="dopri5", backend="numpy", **tol)))
    model = dysts_model(dt)
    dysts_errs = [error(dysts_run(model, x0[:n_ref], n_h, tol), ref, sigma) for tol in TOLS]
    rows = []
    for label, kw in configs:
        t = time.perf_counter()
        integrate(L, x0[:2], n_points=3, dt=dt, threads=args.threads, **kw)  # compile (or load) outside the timing
        warmup = time.perf_counter() - t
        err = error(integrate(L, x0[:n_ref], n_points=n_h, dt=dt, **kw), ref, sigma)
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            integrate(L, x0, n_points=n, dt=dt, threads=args.threads, **kw)
            times.append(time.perf_counter() - t)
        ours = args.n_traj / min(times)
        tol, how = matched_tolerance(err, TOLS, dysts_errs)
        d_err = error(dysts_run(model, x0[:n_ref], n_h, tol), ref, sigma)
        t = time.perf_counter()
        dysts_run(model, x0[: args.n_dysts], n, tol)
        per_traj = (time.perf_counter() - t) / args.n_dysts
        rows.append(
            {
                "config": label,
                "ours_seconds": min(times),
                "ours_seconds_all": times,
                "ours_traj_per_s": ours,
                "ours_error": err,
                "warmup_seconds": warmup,
                "dysts_tol": tol,
                "dysts_tol_match": how,
                "dysts_error": d_err,
                "dysts_seconds_per_traj": per_traj,
                "dysts_traj_per_s": 1.0 / per_traj,
                "speedup": ours * per_traj,
            }
        )
        r = rows[-1]
        print(
            f"{label:<26} ours {r['ours_traj_per_s']:9.1f} traj/s  err {err:.2e} | dysts DOP853 tol {tol:.2e} "
            f"err {d_err:.2e} {r['dysts_traj_per_s']:6.2f} traj/s | speedup {r['speedup']:8.0f}x",
            flush=True,
        )
    fresh = fresh_processes() if args.fresh else None

    import scipy

    result = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "numba": importlib.metadata.version("numba"),
            "dysts": importlib.metadata.version("dysts"),
        },
        "setup": {
            "system": "Lorenz",
            "n_traj": args.n_traj,
            "n_points": n,
            "dt": dt,
            "t_end": dt * (n - 1),
            "error_horizon": horizon,
            "n_ref": n_ref,
            "n_dysts": args.n_dysts,
            "sigma": sigma,
            "threads": args.threads,
        },
        "dysts_error_curve": dict(zip([f"{t:.0e}" for t in TOLS], dysts_errs)),
        "results": rows,
        "fresh_processes": fresh,
    }
    print("dysts DOP853 error vs tol:", ", ".join(f"{t:.0e}: {e:.1e}" for t, e in zip(TOLS, dysts_errs)))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
