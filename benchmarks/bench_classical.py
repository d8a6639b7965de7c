"""Speed of dynlearn's SINDy and ESN against pysindy and reservoirpy, in one run.

    .venv/bin/python benchmarks/bench_classical.py [--steps 10000] [--parts import,sindy,esn] [--json out.json]

SINDy: Lorenz-63 sampled every 0.002 (5,000 points), polynomial library of
degree 2, STLSQ (threshold 0.1, alpha 0.05) and second-order differences in
both (pysindy's defaults); fit time, and the time to simulate ``--steps`` steps
from the first state (pysindy: ``simulate``, LSODA with rtol = atol = 1e-12
through a Python callback; dynlearn: RK4 at the sampling step, by the generated
Python step (``backend="numpy"``), by the catalog's generic numpy integrator on
the learned right-hand side, and by the compiled kernel, warm). First calls are
also timed in fresh Python processes that load the saved model: ``auto`` (the
default) and ``numba``, with an empty kernel cache and with the kernel on disk,
so numba's import and cache load fall inside the timed call when numba is used.
The trajectories are compared over the first 1,000 steps (2 time units, before
chaos amplifies rounding) and over all.

Import: best and median of 5 fresh interpreters for ``python -c pass``,
``import numpy``, ``from dynlearn import systems, models, metrics`` (and which
heavy modules it loaded) and ``python -m dynlearn --help``.

ESN: standardised Lorenz-63 sampled every 0.025, 2,000 training points, the
same hyper-parameters in both (``--units`` units, default 500, spectral radius 0.9, leak rate 0.5,
input scaling 0.5, connectivity 0.1, input connectivity 0.1, ridge 1e-6,
washout 50); training time, the time of a 1,000-step closed-loop generation,
and forecast quality as the median valid prediction time (NRMSE <= 0.4, in
Lyapunov times) over 6 test windows with 50 context states, for our float32
reservoir (the default) and the float64 one; the 6 windows forecast as one batch
against one at a time; and a per-part profile of our training (drawing W, its
spectral radius, the driven run, the ridge) and of one closed-loop step (the
reservoir product, tanh).

The ESN's times are taken both as wall time and as the process's CPU time
(``time.process_time``; every part runs on one thread): on a shared, loaded
machine the wall time is mostly waiting for a core.

Every BLAS library is limited to one thread (set before numpy is imported):
on a shared 2-core machine multi-threaded BLAS on small matrices is slower
and noisier. Times are the median of ``--repeats`` runs.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

from dynlearn import metrics, models, systems  # noqa: E402
from dynlearn.data import Standardizer  # noqa: E402


def timed(fn, repeats: int = 1):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def bench_sindy(steps: int, repeats: int) -> dict:
    import pysindy as ps

    (tr,) = systems.simulate("Lorenz", n_points=5000, dt=0.002, seed=0)
    x, dt = tr.states, tr.dt
    r: dict = {"steps": steps}

    def fit_peer():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = ps.SINDy(optimizer=ps.STLSQ(threshold=0.1, alpha=0.05), feature_library=ps.PolynomialLibrary(degree=2))
            return m.fit(x, t=dt)

    r["fit_pysindy_s"], peer = timed(fit_peer, repeats)
    r["fit_dynlearn_s"], ours = timed(
        lambda: models.create("sindy", backend="numpy", derivative="fd", fd_order=2).fit(tr), repeats
    )
    r["coef_max_abs_diff"] = float(np.max(np.abs(ours.coef_ - peer.coefficients())))

    r["simulate_pysindy_s"], ref = timed(lambda: peer.simulate(x[0], dt * np.arange(steps + 1))[1:])
    # backend="numpy": the learned equations generated as Python code (no compiler)
    r["simulate_python_s"], a = timed(lambda: ours.predict(x[:1], steps), repeats)
    r["dev_python_first1000"] = float(np.max(np.abs(a[:1000] - ref[:1000])))
    r["dev_python_all"] = float(np.max(np.abs(a - ref)))
    # the catalog's generic numpy integrator on the learned right-hand side (the path before the generated one)
    generic = ours.as_system()
    r["simulate_generic_numpy_s"], _ = timed(
        lambda: systems.integrate(generic, x[:1], n_points=steps + 1, dt=dt, backend="numpy")
    )
    try:
        import numba  # noqa: F401

        ours.set_params(backend="numba")
        r["simulate_numba_first_call_in_process_s"], _ = timed(lambda: ours.predict(x[:1], steps))
        r["simulate_numba_s"], b = timed(lambda: ours.predict(x[:1], steps), repeats)
        r["identical_python_numba"] = bool(np.array_equal(a, b))
        r["fresh"] = fresh_process_first_calls(ours, x[:1], steps)
    except ImportError:
        pass
    return r


def fresh_process_first_calls(model, context: np.ndarray, steps: int) -> dict:
    """The first ``predict`` in new interpreters that load the saved model: ``auto`` (the default)
    and ``numba`` with an empty kernel cache and with the kernel on disk (numba's import and the
    cache load fall inside the call). Each also reports the interpreter's import of dynlearn."""
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        model.save(os.path.join(tmp, "m"))
        np.save(os.path.join(tmp, "ctx.npy"), context)

        def run(backend: str, cache: str) -> dict:
            code = (
                "import time\nt0 = time.perf_counter()\nimport numpy as np\nfrom dynlearn import models\n"
                "t1 = time.perf_counter()\n"
                f"m = models.load({os.path.join(tmp, 'm')!r}).set_params(backend={backend!r})\n"
                f"c = np.load({os.path.join(tmp, 'ctx.npy')!r})\n"
                f"t = time.perf_counter(); m.predict(c, {steps}); t2 = time.perf_counter()\n"
                "import sys; print(t1 - t0, t2 - t, 'numba' in sys.modules)\n"
            )
            env = {**os.environ, "DYNLEARN_CACHE_DIR": os.path.join(tmp, cache)}
            res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
            imp, call, nb = res.stdout.split()[-3:]
            return {"import_s": float(imp), "call_s": float(call), "numba_loaded": nb == "True"}

        out["auto_empty_cache"] = run("auto", "empty")
        out["numba_empty_cache"] = run("numba", "primed")  # compiles and leaves the kernel on disk
        out["numba_kernel_on_disk"] = run("numba", "primed")
        out["auto_kernel_on_disk"] = run("auto", "primed")
    return out


def _drop_dynlearn_bytecode() -> bool:
    """Remove the ``__pycache__`` folders of an editable (source-tree) install of dynlearn; False
    (nothing removed) for an installed copy in site-packages, whose bytecode pip wrote."""
    import shutil
    from pathlib import Path

    import dynlearn

    root = Path(dynlearn.__file__).parent
    if "site-packages" in root.parts:
        return False
    for d in root.rglob("__pycache__"):
        shutil.rmtree(d, ignore_errors=True)
    return True


def bench_import(repeats: int = 5) -> dict:
    """Wall and CPU time (user + system) of fresh interpreters (best and median of ``repeats``, the cases interleaved so they
    share the machine's load): bare Python, numpy, the library's three packages, ``dynlearn --help``;
    whether the three packages loaded torch/numba/scipy/matplotlib/rich.

    *bytecode cached*: as after ``pip install`` (which byte-compiles); a warm-up run writes
    ``__pycache__``. *no dynlearn bytecode* (editable installs only): ``PYTHONDONTWRITEBYTECODE=1``
    and dynlearn's ``__pycache__`` removed, so each process compiles dynlearn's modules from source,
    as in an environment that sets that variable over a source checkout."""
    probe = "import sys; {}; print(sorted(m for m in ('torch', 'numba', 'scipy', 'matplotlib', 'rich') if m in sys.modules))"
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import numpy": [sys.executable, "-c", "import numpy"],
        "from dynlearn import systems, models, metrics": [
            sys.executable,
            "-c",
            probe.format("from dynlearn import systems, models, metrics"),
        ],
        "dynlearn --help": [sys.executable, "-m", "dynlearn", "--help"],
        # typer with its rich help formatter (dynlearn's help uses the plain one since run 4 of docs/performance.md)
        "import typer, typer.rich_utils": [sys.executable, "-c", "import typer, typer.rich_utils"],
    }
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    nobyte = {**cached, "PYTHONDONTWRITEBYTECODE": "1"}

    def warm() -> None:  # writes __pycache__, fills the OS file cache
        for cmd in cases.values():
            subprocess.run(cmd, capture_output=True, text=True, check=True, env=cached)

    warm()
    times: dict = {}
    cpu: dict = {}
    heavy = ""
    for _ in range(repeats):
        for env_name in ("bytecode cached", "no dynlearn bytecode"):
            if env_name != "bytecode cached" and not _drop_dynlearn_bytecode():
                continue
            for name, cmd in cases.items():
                env = cached if env_name == "bytecode cached" else nobyte
                t, c = time.perf_counter(), _children_cpu()
                res = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
                times.setdefault(env_name, {}).setdefault(name, []).append(time.perf_counter() - t)
                cpu.setdefault(env_name, {}).setdefault(name, []).append(_children_cpu() - c)
                if name.startswith("from dynlearn"):
                    heavy = res.stdout.strip().splitlines()[-1]
            warm()
    out: dict = {"heavy_modules_loaded_by_the_three_packages": heavy}
    for env_name, per in times.items():
        out[env_name] = {
            name: {
                "best_s": min(v),
                "median_s": float(np.median(v)),
                "cpu_best_s": min(cpu[env_name][name]),
                "cpu_median_s": float(np.median(cpu[env_name][name])),
            }
            for name, v in per.items()
        }
    return out


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes (on a loaded machine the wall time of
    a fresh interpreter is mostly waiting for a core; its CPU time is the work)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


HP = dict(units=500, sr=0.9, lr=0.5, input_scaling=0.5, connectivity=0.1, input_connectivity=0.1, ridge=1e-6)


def bench_esn(repeats: int) -> dict:
    from reservoirpy.nodes import Reservoir, Ridge

    (tr,) = systems.simulate("Lorenz", n_points=3400, dt=0.025, seed=1)
    s = Standardizer().fit_transform(tr).states
    train, starts, ctx, horizon = s[:2000], range(2100, 2700, 100), 50, 400

    def vpt(pred, a):
        truth = s[a : a + horizon]
        return metrics.valid_prediction_time(truth, pred, dt=0.025, lyapunov_time=1 / 0.906, scale=np.ones(3))

    def ours(readout, noise=0.0, dtype="float32"):
        # reservoirpy's Reservoir has no bias and no input noise by default; the data are
        # standardised already
        return models.create(
            "esn",
            bias_scaling=0.0,
            noise=noise,
            standardize=False,
            n_reservoir=HP["units"],
            spectral_radius=HP["sr"],
            leak_rate=HP["lr"],
            input_scaling=HP["input_scaling"],
            density=HP["connectivity"],
            input_density=HP["input_connectivity"],
            alpha=HP["ridge"],
            washout=50,
            readout=readout,
            readout_input=readout == "pathak",
            dtype=dtype,
        )

    def fit_peer(seed=0):
        res = Reservoir(
            HP["units"],
            sr=HP["sr"],
            lr=HP["lr"],
            input_scaling=HP["input_scaling"],
            rc_connectivity=HP["connectivity"],
            input_connectivity=HP["input_connectivity"],
            seed=seed,
        )
        esn = res >> Ridge(ridge=HP["ridge"])
        esn.fit(train[:-1], train[1:], warmup=50)
        return res, esn

    def peer_generate(res, esn, context, n):
        res.reset()
        u = np.asarray(esn.run(context))[-1]
        out = np.empty((n, 3))
        for h in range(n):
            out[h] = u
            u = np.asarray(esn.step(u)).reshape(-1)
        return out

    r: dict = {"units": HP["units"]}
    variants = [(ro, dt) for dt in ("float32", "float64") for ro in ("linear", "pathak")]
    # the compiled loops load from numba's cache (compiled once per install): not part of training
    t0 = time.perf_counter()
    for ro, dt in variants:
        ours(ro, dtype=dt).fit(train[:200], dt=0.025).predict(s[:60], 5)
    r["dynlearn_first_use_s"] = time.perf_counter() - t0
    # and reservoirpy's first fit and run (its lazy imports and first-call set-up), likewise untimed
    res, esn = fit_peer()
    peer_generate(res, esn, s[1950:2000], 5)
    # peer and ours alternate within each repeat, and each repeat gives its own ratio: on a
    # shared machine the load changes between measurements taken minutes apart
    times: dict = {}
    cpu: dict = {}
    windows = np.stack([s[a - ctx : a] for a in starts])

    def run(key, fn):
        # wall time, and the process's CPU time: on a loaded machine the wall time is mostly
        # waiting for a core, the CPU time is the work (both libraries run single-threaded)
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        times.setdefault(key, []).append(time.perf_counter() - w)
        cpu.setdefault(key, []).append(time.process_time() - c)
        return out

    for _ in range(repeats):
        res, esn = run("train_reservoirpy", fit_peer)
        run("generate1000_reservoirpy", lambda res=res, esn=esn: peer_generate(res, esn, s[1950:2000], 1000))
        run("windows6_reservoirpy", lambda res=res, esn=esn: [peer_generate(res, esn, w, horizon) for w in windows])
        for ro, dt in variants:
            key = f"{ro}_{dt}"
            m = run(f"train_dynlearn_{key}", lambda ro=ro, dt=dt: ours(ro, dtype=dt).fit(train, dt=0.025))
            run(f"generate1000_dynlearn_{key}", lambda m=m: m.predict(s[1950:2000], 1000))
            run(f"windows6_dynlearn_{key}", lambda m=m: m.predict(windows, horizon))
    for key, v in times.items():
        r[f"{key}_s"] = float(np.median(v))
        r[f"{key}_cpu_s"] = float(np.median(cpu[key]))
    for ro, dt in variants:
        for what in ("train", "generate1000", "windows6"):
            for clock, tab in (("", times), ("cpu_", cpu)):
                ratios = np.array(tab[f"{what}_reservoirpy"]) / np.array(tab[f"{what}_dynlearn_{ro}_{dt}"])
                r[f"{what}_{clock}ratio_{ro}_{dt}_per_repeat"] = [round(float(x), 2) for x in ratios]
    r["profile"] = esn_profile(ours("pathak"), train, repeats)
    vp: dict = {"reservoirpy": []}
    for seed in range(3):
        res, esn = fit_peer(seed)
        vp["reservoirpy"] += [vpt(peer_generate(res, esn, s[a - ctx : a], horizon), a) for a in starts]
        # the last rows: our default input noise (1e-3) on the same reservoir
        for ro, noise, dt in [(ro, 0.0, dt) for ro, dt in variants] + [("pathak", 1e-3, "float32")]:
            m = ours(ro, noise, dt).set_params(seed=seed).fit(train, dt=0.025)
            pred = m.predict(windows, horizon)
            vp.setdefault(f"{ro}_{dt}" + ("_noise" if noise else ""), []).extend(
                vpt(pred[i], a) for i, a in enumerate(starts)
            )
    for k, v in vp.items():
        r[f"vpt_median_{k}"] = float(np.median(v))
    return r


def esn_profile(model, train: np.ndarray, repeats: int) -> dict:
    """Medians (CPU ms) of the parts of one training run and of one closed-loop step, timed apart."""
    from dynlearn.models._reservoir_utils import random_reservoir, ridge_solutions, spectral_radius

    c = model.config
    model.fit(train, dt=0.025)
    rng = np.random.default_rng(0)
    W = model.W_
    comp = model._compiled(W)
    U, r0 = train[None, :-1], np.zeros((1, len(model.b_)))
    R = comp.drive(U, model.Win_, model.b_, r0, model.leak_rate_)[0]
    F = model._phi(R[c.washout :], train[c.washout : -1])
    parts = {
        "train: draw W (dense N(0,1) with mask)": lambda: random_reservoir(c.n_reservoir, c.density, 0.0, rng),
        "train: spectral radius (ARPACK)": lambda: spectral_radius(W),
        "train: driven run (compiled)": lambda: comp.drive(U, model.Win_, model.b_, r0, model.leak_rate_),
        "train: readout features": lambda: model._phi(R[c.washout :], train[c.washout : -1]),
        "train: ridge (Gram, Cholesky)": lambda: ridge_solutions(
            F.copy(), train[c.washout + 1 :], [c.alpha], center=True, owned=True
        ),
    }
    r0, u0 = R[-1:], train[-1:]
    n = c.n_reservoir
    WT = np.ascontiguousarray(W.T, dtype=np.float32)
    v = R[-1].astype(np.float32)
    pre = (v @ WT).astype(np.float32)
    steps = 1000

    def loop(fn):
        def run():
            for _ in range(steps):
                fn()

        return run

    parts.update(
        {
            "closed loop: whole step (1,000-step rollout / 1,000)": lambda: comp.closed_loop(
                model.Win_, model.b_, model.Wout_, model.bout_, r0, u0, model.leak_rate_, steps, True, True
            ),
            "closed loop: one float32 product W r (numpy, per step)": loop(lambda: np.dot(v, WT, out=pre)),
            "closed loop: tanh of the units (numpy float32, per step)": loop(lambda: np.tanh(pre, out=pre)),
        }
    )
    out = {}
    for name, fn in parts.items():
        ts = []
        for _ in range(max(repeats, 3)):
            t = time.process_time()  # CPU time (see the module's docstring)
            fn()
            ts.append(time.process_time() - t)
        div = steps if name.startswith("closed loop") else 1
        out[name] = round(float(np.median(ts)) * 1e3 / div, 4)
    out["units"] = n
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10_000, help="SINDy simulation length")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--units", type=int, default=500, help="ESN reservoir size")
    ap.add_argument("--parts", default="import,sindy,esn", help="comma-separated: import, sindy, esn")
    ap.add_argument("--json", help="also write the numbers here")
    args = ap.parse_args()
    parts = set(args.parts.split(","))
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    out = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()}"}
    HP["units"] = args.units
    if "import" in parts:
        out["import"] = bench_import(max(5, args.repeats))
    if "sindy" in parts:
        out["sindy"] = bench_sindy(args.steps, args.repeats)
    if "esn" in parts:
        out["esn"] = bench_esn(args.repeats)
    out["load_at_end"] = os.getloadavg()
    print(json.dumps(out, indent=2))
    print("\nratios (peer time / dynlearn time):")
    s = out.get("sindy")
    if s:
        peer = s["simulate_pysindy_s"]
        print(f"  SINDy fit                                  {s['fit_pysindy_s'] / s['fit_dynlearn_s']:8.1f}x")
        print(f"  SINDy simulate {args.steps} (generated Python)   {peer / s['simulate_python_s']:8.1f}x")
        print(f"  SINDy simulate (generic numpy integrator)  {peer / s['simulate_generic_numpy_s']:8.1f}x")
        if "simulate_numba_s" in s:
            print(f"  SINDy simulate (compiled, warm)            {peer / s['simulate_numba_s']:8.1f}x")
            for k, v in s["fresh"].items():
                print(f"  SINDy first call in a fresh process, {k:22s} {peer / v['call_s']:8.1f}x")
    e = out.get("esn")
    for key in ("linear_float32", "pathak_float32", "linear_float64", "pathak_float64") if e else ():
        for what in ("train", "generate1000", "windows6"):
            for clock in ("", "cpu_"):
                per = e[f"{what}_{clock}ratio_{key}_per_repeat"]
                label = f"{what} {clock or 'wall_'}"[:-1]
                print(f"  ESN {label:16s} ({key:14s})  median {np.median(per):5.2f}x  per repeat {per}")
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(out, fh, indent=2)
        os.replace(tmp, args.json)


if __name__ == "__main__":
    main()
