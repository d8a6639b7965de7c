"""Reproduction of *Chaos as an interpretable benchmark for forecasting and
data-driven modelling* (Gilpin, NeurIPS Datasets & Benchmarks 2021): a
database of chaotic systems that can be re-integrated at any length, each
annotated with mathematical properties.

What we check: every catalog system regenerates from its declaration, stays
bounded and finite, and is chaotic (positive maximum Lyapunov exponent,
re-estimated here independently of the shipped invariants); and how our
computed invariants compare with the values dysts ships.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import math
import multiprocessing as mp
from pathlib import Path

import numpy as np

from dynlearn.repro import ReproContext, ReproResult, recipe

#: a system counts as chaotic when λ_max·period exceeds this (exponent per period, not per time unit)
CHAOS_THRESHOLD = 0.01


def _dysts_metadata() -> dict[str, dict]:
    """dysts's shipped metadata (flows and maps), or {} when dysts is not installed."""
    try:
        import importlib.util

        spec = importlib.util.find_spec("dysts")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return {}
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    out: dict[str, dict] = {}
    for fname, kind in (("chaotic_attractors.json", "flow"), ("discrete_maps.json", "map")):
        try:
            for name, rec in json.loads((data / fname).read_text()).items():
                out.setdefault(f"{kind}:{name}", rec)
        except (OSError, json.JSONDecodeError):
            continue
    return out


def check_system(name: str, smoke: bool, seed: int) -> dict:
    """Regenerate one system and re-estimate λ_max with settings independent of the shipped ones."""
    import warnings

    from dynlearn import systems
    from dynlearn.errors import DynlearnError
    from dynlearn.systems.invariants import estimate_lyapunov, max_lyapunov_delay

    warnings.simplefilter("ignore")
    s = systems.get(name)
    row = {"name": s.name, "kind": s.kind, "dim": s.dim, "bounded": False, "error": ""}
    try:
        (traj,) = systems.simulate(s, n_points=1000 if smoke else 5000, seed=seed + 1)
        x = traj.states
        row["bounded"] = bool(np.isfinite(x).all() and np.abs(x).max() < 1e6 * max(1.0, np.abs(s.x0).max()))
        row["std_min"] = float(x.std(axis=0).min())
        per_period = 1.0 if s.kind == "map" else s.period / s.dt
        n_steps = int(min(3000 if smoke else 20_000, max(500, (20 if smoke else 40) * per_period)))
        if s.kind == "delay":
            est = max_lyapunov_delay(s, n_steps=n_steps, transient=n_steps // 5, seed=seed + 7)
        else:
            est = estimate_lyapunov(
                s, n_steps=n_steps, transient=n_steps // 5, n_trajectories=2, seed=seed + 7, x0=x[-1]
            )
        row["lambda_check"] = float(est.spectrum[0])
    except DynlearnError as exc:
        row["error"] = f"{type(exc).__name__}: {exc}"
    return row


def _fmt(v, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "–"
    return f"{v:.{digits}g}"


def _ratio(a, b) -> float | None:
    if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)) or b == 0:
        return None
    return a / b


@recipe(
    "dysts",
    title="Chaos as an interpretable benchmark for forecasting and data-driven modelling",
    claim="A catalog of chaotic systems can be regenerated at any length, each bounded and chaotic, with "
    "computed invariants (Lyapunov spectrum, dimensions, timescales) that agree with each other.",
)
def run(ctx: ReproContext) -> ReproResult:
    from dynlearn import systems

    names = systems.names()
    if ctx.smoke:
        names = [n for n in ("Lorenz", "Rossler", "Henon", "MackeyGlass", "Chen") if n in names] or names[:4]
    ctx.progress(f"regenerating {len(names)} systems and re-estimating their maximum Lyapunov exponents")
    rows = {}
    jobs = 1 if ctx.smoke else 2
    if jobs == 1:
        for n in names:
            rows[n] = check_system(n, ctx.smoke, ctx.seed)
    else:
        with cf.ProcessPoolExecutor(jobs, mp_context=mp.get_context("spawn")) as pool:
            futs = {pool.submit(check_system, n, ctx.smoke, ctx.seed): n for n in names}
            for i, fut in enumerate(cf.as_completed(futs), 1):
                rows[futs[fut]] = fut.result()
                if i % 20 == 0 or i == len(futs):
                    ctx.progress(f"{i}/{len(futs)} systems checked")
    dy = _dysts_metadata()
    table, stats = (
        [],
        {"bounded": 0, "chaotic": 0, "consistent": 0, "ratios": {}, "dysts_inconsistent": 0, "dysts_spectra": 0},
    )
    for n in names:
        s, r = systems.get(n), rows[n]
        inv = s.invariants
        lam = s.max_lyapunov
        spec = inv.get("lyapunov_spectrum")
        lam_check = r.get("lambda_check")
        chaotic = lam_check is not None and lam_check * s.period > CHAOS_THRESHOLD
        stats["bounded"] += r["bounded"]
        stats["chaotic"] += chaotic
        if spec:
            stats["consistent"] += bool(lam is not None and abs(spec[0] - lam) <= 1e-12 * max(1.0, abs(lam)))
        d = dy.get(f"{s.kind if s.kind != 'delay' else 'flow'}:{s.extra.get('dysts_name', s.name)}")
        d_lam = d.get("maximum_lyapunov_estimated") if d else None
        d_spec = d.get("lyapunov_spectrum_estimated") if d else None
        if d_lam is not None and d_spec:
            stats["dysts_spectra"] += 1
            stats["dysts_inconsistent"] += abs(d_spec[0] - d_lam) > 0.1 * abs(d_lam)
        pairs = {
            "max_lyapunov": (lam, d_lam),
            "kaplan_yorke_dimension": (
                inv.get("kaplan_yorke_dimension"),
                d.get("kaplan_yorke_dimension") if d else None,
            ),
            "correlation_dimension": (inv.get("correlation_dimension"), d.get("correlation_dimension") if d else None),
            "period": (s.period, d.get("period") if d else None),
        }
        for key, (a, b) in pairs.items():
            q = _ratio(a, b)
            if q is not None and q > 0:
                stats["ratios"].setdefault(key, []).append(q)
        table.append(
            f"| {s.name} | {s.kind} | {s.dim} | {'yes' if r['bounded'] else 'NO'} | {_fmt(lam)} | {_fmt(lam_check)} | "
            f"{'yes' if chaotic else 'no'} | {_fmt(inv.get('kaplan_yorke_dimension'))} | "
            f"{_fmt(inv.get('correlation_dimension'))} | {_fmt(s.period)} | {_fmt(d_lam)} | "
            f"{_fmt(pairs['kaplan_yorke_dimension'][1])} | {_fmt(pairs['correlation_dimension'][1])} | "
            f"{_fmt(pairs['period'][1])} |" + (f" {r['error'][:80]}" if r["error"] else "")
        )
    n_total = len(names)
    agree = []
    for key, qs in stats["ratios"].items():
        arr = np.abs(np.log(np.asarray(qs)))
        agree.append(
            f"| {key} | {len(qs)} | {np.exp(np.median(arr)):.3f} | {np.mean(arr < np.log(1.1)) * 100:.0f}% | "
            f"{np.mean(arr < np.log(1.5)) * 100:.0f}% |"
        )
    with_spec = sum(1 for n in names if systems.get(n).invariants.get("lyapunov_spectrum"))
    dy_note = (
        f"dysts's own metadata: for {stats['dysts_inconsistent']} of the {stats['dysts_spectra']} systems that ship "
        "both, the first entry of `lyapunov_spectrum_estimated` differs from `maximum_lyapunov_estimated` by more "
        "than 10%."
        if dy
        else "dysts is not installed here, so the agreement columns are empty (install the `oracles` extra)."
    )
    markdown = f"""
## Setup

Every registered system ({n_total}: {sum(systems.get(n).kind == "flow" for n in names)} flows,
{sum(systems.get(n).kind == "map" for n in names)} maps, {sum(systems.get(n).kind == "delay" for n in names)}
delay equations) is simulated from its declaration ({"1,000" if ctx.smoke else "5,000"} points at 100 points per
dominant period, seeded random start on the attractor) and its maximum Lyapunov exponent is re-estimated
independently of the shipped invariants (QR method, 2 trajectories, up to {"3,000" if ctx.smoke else "20,000"}
steps; two-trajectory method for delay equations). A system counts as chaotic when λ_max · period >
{CHAOS_THRESHOLD}. The invariant columns are those shipped in `src/dynlearn/systems/data/invariants.json`
(regenerate them with `dynlearn systems compute-invariants`); the dysts columns are dysts 0.96's shipped metadata.

## Results

- bounded and finite: **{stats["bounded"]} / {n_total}**
- chaotic by the re-estimated exponent: **{stats["chaotic"]} / {n_total}**
- shipped λ_max equal to the first entry of the shipped spectrum: **{stats["consistent"]} / {with_spec}** systems
  with a spectrum (by construction: one number, stored once). {dy_note}

Agreement with dysts's metadata (ratio ours / dysts; "typical factor" is exp(median |log ratio|)):

| invariant | systems compared | typical factor | within 10% | within 50% |
|---|---|---|---|---|
{chr(10).join(agree) if agree else "| – | 0 | – | – | – |"}

| system | kind | dim | bounded | λ_max (shipped) | λ_max (re-estimated) | chaotic | D_KY | D_corr | period | λ_max dysts | D_KY dysts | D_corr dysts | period dysts |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
{chr(10).join(table)}
"""
    held = stats["bounded"] == n_total and stats["chaotic"] >= 0.9 * n_total
    verdict = "reproduced" if held else "partially reproduced"
    summary = (
        f"{stats['bounded']} of {n_total} systems regenerate bounded and finite; {stats['chaotic']} are chaotic by an "
        f"independently re-estimated exponent. Our λ_max is the first entry of our spectrum for every system that has "
        f"one; where the catalog's systems are not chaotic at their published parameters (quasi-periodic or decaying), "
        f"the table says so rather than hiding them."
    )
    return ReproResult(
        verdict, summary, markdown, metrics={"n_systems": n_total, **{k: v for k, v in stats.items() if k != "ratios"}}
    )
