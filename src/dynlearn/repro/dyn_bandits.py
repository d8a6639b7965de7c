"""Reproduction of Mussi, Metelli & Restelli, "Dynamical Linear Bandits" (ICML 2023), CPU-sized.

Claim checked: on a synthetic bandit whose reward depends on a hidden linear state driven by the
actions, DynLin-UCB's regret grows as about √T (log-log slope about 0.5), while LinUCB, blind to the
dynamics, suffers linear regret (slope about 1); the gap holds as the hidden state's spectral radius
ρ varies (the bound grows as (1 - ρ)^(-3/2)).

Setup (ours; only the abstract is stored here): hidden state of dimension 3 with ``A = ρ Q`` (Q a
random rotation, so the spectral radius is exactly ρ), 2-D actions on 1,024 unit vectors of the
circle (fine enough that no gap between neighbouring arms is resolved within the horizon: the
continuous-action regime where √T is the optimal rate), an instantaneous effect set against the
delayed one (``conflict = 0.5``: the arm of the best immediate reward is far from the best
steady-state arm), state noise 0.05 and reward noise 0.1, the steady-state gain scaled to unit
norm. Pseudo-regret against the oracle that plays the best steady-state arm from the same initial
state. See :mod:`dynlearn.control.bandits` for the algorithms and our choices.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import numpy as np

from dynlearn.repro import ReproContext, ReproResult, recipe

CLAIM = (
    "DynLin-UCB's regret grows as about sqrt(T) (log-log slope ~0.5) on a bandit with a hidden linear state, "
    "while LinUCB's grows linearly (slope ~1), as the hidden state's spectral radius varies"
)


@dataclasses.dataclass(frozen=True)
class Sizes:
    rhos: tuple[float, ...]
    seeds: int
    horizon: int
    arms: int
    conflict: float = 0.5
    lag_tol: float = 1e-3


FULL = Sizes(rhos=(0.3, 0.6, 0.9), seeds=5, horizon=50_000, arms=1024)
SMOKE = Sizes(rhos=(0.5,), seeds=1, horizon=1_500, arms=64)
POLICIES = ("DynLin-UCB", "LinUCB", "ε-greedy", "oracle")
#: points at which the regret curve is kept (log-spaced)
N_CURVE = 60


def _policy(name: str, bandit, lags: int):
    from dynlearn.control.bandits import DynLinUCB, EpsilonGreedy, LinUCB, Oracle

    sigma = bandit.reward_noise
    if name == "DynLin-UCB":
        return DynLinUCB(lags, sigma=sigma)
    if name == "LinUCB":
        return LinUCB(sigma=sigma)
    if name == "ε-greedy":
        return EpsilonGreedy(lags, sigma=sigma)
    return Oracle(bandit)


def _one(ctx: ReproContext, s: Sizes, rho: float, seed: int, name: str) -> dict[str, Any]:
    """One run, cached as JSON in the output folder (a resumed recipe does not repeat it)."""
    key = f"rho{rho}-seed{seed}-{name.replace('ε', 'eps')}-T{s.horizon}-K{s.arms}-c{s.conflict}"
    return ctx.cached(key, lambda: _compute_one(s, rho, seed, name))


def _compute_one(s: Sizes, rho: float, seed: int, name: str) -> dict[str, Any]:
    from dynlearn.control.bandits import DynamicalLinearBandit, regret_slope, run_bandit

    bandit = DynamicalLinearBandit.random(rho=rho, arms=s.arms, conflict=s.conflict, seed=1000 + seed)
    lags = bandit.lags_for(s.lag_tol)
    t0 = time.process_time()
    run = run_bandit(bandit, _policy(name, bandit, lags), s.horizon, seed=seed)
    ts = np.unique(np.geomspace(1, s.horizon, N_CURVE).astype(int))
    best = bandit.arms[bandit.best_arm]
    final = bandit.arms[run.arms[-1]]
    return {
        "rho": rho,
        "seed": seed,
        "policy": name,
        "lags": lags,
        "regret": float(run.regret[-1]),
        "slope": regret_slope(run.regret) if name != "oracle" else float("nan"),
        "curve_t": ts.tolist(),
        "curve": run.regret[ts - 1].tolist(),
        "final_angle_deg": float(np.degrees(np.arccos(np.clip(best @ final, -1, 1)))),
        "switches": int(np.count_nonzero(np.diff(run.arms))),
        "cpu_s": time.process_time() - t0,
    }


def _late_slope(r: dict[str, Any], horizon: int) -> float:
    """Slope of log R on log t over the stored curve's points in the last decade of the horizon."""
    t = np.asarray(r["curve_t"], dtype=float)
    c = np.asarray(r["curve"], dtype=float)
    keep = (t >= horizon / 10) & (c > 0)
    if keep.sum() < 3:
        return float("nan")
    return float(np.polyfit(np.log(t[keep]), np.log(c[keep]), 1)[0])


def _median(xs) -> float:
    xs = [x for x in xs if np.isfinite(x)]
    return float(np.median(xs)) if xs else float("nan")


def _figure(ctx: ReproContext, s: Sizes, rows) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(s.rhos), figsize=(4.2 * len(s.rhos), 3.8), squeeze=False)
    colors = {"DynLin-UCB": "C0", "LinUCB": "C3", "ε-greedy": "C2"}
    for ax, rho in zip(axes[0], s.rhos):
        for name, color in colors.items():
            rs = [r for r in rows if r["rho"] == rho and r["policy"] == name]
            t = np.asarray(rs[0]["curve_t"])
            curves = np.asarray([r["curve"] for r in rs])
            for c in curves:
                ax.loglog(t, np.maximum(c, 1e-1), color=color, alpha=0.25, lw=0.8)
            ax.loglog(t, np.maximum(curves.mean(axis=0), 1e-1), color=color, lw=2, label=name)
        t_ref = np.geomspace(100, s.horizon, 10)
        ax.loglog(t_ref, 2 * np.sqrt(t_ref), "k:", lw=1, label="∝ √T")
        ax.loglog(t_ref, 0.3 * t_ref, "k--", lw=1, label="∝ T")
        ax.set_title(f"spectral radius ρ = {rho}")
        ax.set_xlabel("step t")
        ax.set_ylim(1, None)
    axes[0][0].set_ylabel("pseudo-regret R(t)")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    path = ctx.figure_path("dyn-bandits-regret.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


@recipe("dyn-bandits", title="Dynamical Linear Bandits (Mussi, Metelli & Restelli, ICML 2023)", claim=CLAIM)
def run(ctx: ReproContext) -> ReproResult:
    s = SMOKE if ctx.smoke else FULL
    t_start = time.perf_counter()
    rows = []
    total = len(s.rhos) * s.seeds * len(POLICIES)
    for rho in s.rhos:
        for seed in range(s.seeds):
            for name in POLICIES:
                rows.append(_one(ctx, s, rho, ctx.seed + seed, name))
                ctx.progress(
                    f"[{len(rows)}/{total}] rho={rho} seed={seed} {name}: regret {rows[-1]['regret']:.1f}, "
                    f"slope {rows[-1]['slope']:.2f}"
                )
    fig = _figure(ctx, s, rows)

    table = []
    for rho in s.rhos:
        for name in POLICIES[:3]:
            rs = [r for r in rows if r["rho"] == rho and r["policy"] == name]
            reg = np.asarray([r["regret"] for r in rs])
            slopes = [r["slope"] for r in rs]
            table.append(
                {
                    "rho": rho,
                    "policy": name,
                    "lags": rs[0]["lags"],
                    "regret_mean": float(reg.mean()),
                    "regret_sd": float(reg.std(ddof=1)) if len(reg) > 1 else 0.0,
                    "slope_median": _median(slopes),
                    "slope_min": float(np.min(slopes)),
                    "slope_max": float(np.max(slopes)),
                    "linear_seeds": int(sum(x >= 0.8 for x in slopes)),
                    "late_slope_median": _median([_late_slope(r, s.horizon) for r in rs]),
                    "final_angle_median": _median([r["final_angle_deg"] for r in rs]),
                    "switches_median": _median([r["switches"] for r in rs]),
                    "cpu_s": float(sum(r["cpu_s"] for r in rs)),
                }
            )

    def get(rho, name, key):
        return next(r[key] for r in table if r["rho"] == rho and r["policy"] == name)

    dyn_slopes = {rho: get(rho, "DynLin-UCB", "slope_median") for rho in s.rhos}
    lin_slopes = {rho: get(rho, "LinUCB", "slope_median") for rho in s.rhos}
    dyn_sqrt = all(abs(v - 0.5) <= 0.15 for v in dyn_slopes.values())
    dyn_sublinear = all(v < 0.7 for v in dyn_slopes.values())
    lin_linear = all(v >= 0.8 for v in lin_slopes.values())
    dyn_best = all(
        get(rho, "DynLin-UCB", "regret_mean")
        < min(get(rho, "LinUCB", "regret_mean"), get(rho, "ε-greedy", "regret_mean"))
        for rho in s.rhos
    )
    if dyn_sqrt and lin_linear:
        verdict = "reproduced"
    elif dyn_sublinear and dyn_best:
        verdict = "partially reproduced"
    else:
        verdict = "not reproduced"

    # how DynLin-UCB's regret at T grows with 1 / (1 - rho) (the bound: exponent 3/2)
    if len(s.rhos) > 1:
        x = np.log([1 / (1 - r) for r in s.rhos])
        y = np.log([get(r, "DynLin-UCB", "regret_mean") for r in s.rhos])
        rho_exp = float(np.polyfit(x, y, 1)[0])
    else:
        rho_exp = float("nan")

    seconds = time.perf_counter() - t_start
    fmt = lambda d: ", ".join(f"ρ={k}: {v:.2f}" for k, v in d.items())  # noqa: E731
    summary = (
        f"Over {s.seeds} seed(s) per spectral radius and {s.horizon:,} steps, the median log-log regret slope of "
        f"DynLin-UCB was {fmt(dyn_slopes)}, and of LinUCB {fmt(lin_slopes)}. "
        + (
            "DynLin-UCB's slopes are within 0.15 of 0.5 and LinUCB's at or above 0.8 at every ρ."
            if verdict == "reproduced"
            else (
                "DynLin-UCB's regret is sublinear and the lowest of the learners at every ρ, but "
                + ("its slopes are not all near 0.5" if not dyn_sqrt else "LinUCB's slope is not near 1 at every ρ")
                + " (table below)."
                if verdict == "partially reproduced"
                else "The claim did not hold in this setup (table below)."
            )
        )
    )

    def f(v, nd=2):
        return "—" if not np.isfinite(v) else f"{v:.{nd}f}"

    lines = [
        "## Setup",
        "",
        "| | paper | here |",
        "|---|---|---|",
        "| environment | synthetic DLB (and a real-world advertising dataset) | synthetic DLB only: hidden state n = 3, "
        f"A = ρ·(random rotation), 2-D actions on {s.arms:,} unit vectors, instantaneous effect set against the delayed one "
        f"(conflict {s.conflict}), state noise 0.05, reward noise 0.1, steady-state gain of unit norm |",
        f"| horizon, seeds | paper's own | T = {s.horizon:,}, {s.seeds} seed(s) per ρ (a new random instance per seed) |",
        f"| spectral radius ρ | varied | {', '.join(str(r) for r in s.rhos)} |",
        "| DynLin-UCB | optimism on the lagged regression, see the paper | ridge regression of the reward on the last H + 1 "
        f"actions (H where ρ^H/(1-ρ) < {s.lag_tol:g}), UCB on the summed lag coefficients (the steady-state gain) with "
        "the self-normalised radius (δ = 0.05, λ = 1), the chosen arm held for H steps |",
        "| baselines | LinUCB, ε-greedy, oracle (and others) | LinUCB (OFUL, current action only, decides every step); "
        "ε-greedy on DynLin-UCB's regression with ε_t = min(1, t^(-1/3)); oracle = best steady-state arm (regret 0) |",
        "| regret | expected regret | pseudo-regret from the noise-free state, same initial state as the oracle |",
        "",
        "## Measured",
        "",
        "Slope: least-squares fit of log R(t) on log t over 30 log-spaced points from 2% of the horizon to its end, per "
        "seed; median (min–max) over seeds (this window decides the verdict, fixed before the run). 'last decade': the "
        "same fit over the curve's points from T/10 to T only (the asymptotic rate, without the first blocks' "
        "exploration), median over seeds. 'linear seeds': seeds whose slope is ≥ 0.8. Final angle: between the arm "
        "played last and the best arm (degrees).",
        "",
        "| ρ | policy | lags H | regret at T (mean ± sd) | slope median (min–max) | last decade | linear seeds | final angle (°) | arm switches | CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        lines.append(
            f"| {r['rho']} | {r['policy']} | {r['lags'] if r['policy'] != 'LinUCB' else 0} | "
            f"{r['regret_mean']:,.1f} ± {r['regret_sd']:,.1f} | {f(r['slope_median'])} ({f(r['slope_min'])}–{f(r['slope_max'])}) | {f(r['late_slope_median'])} | "
            f"{r['linear_seeds']}/{s.seeds} | {f(r['final_angle_median'], 1)} | {r['switches_median']:.0f} | {r['cpu_s']:.1f} |"
        )
    lines += [
        "",
        f"![regret curves]({fig.name})",
        "",
        "Thin lines: seeds; thick: their mean. Dotted: ∝ √T; dashed: ∝ T.",
        "",
    ]
    if np.isfinite(rho_exp):
        lines += [
            f"DynLin-UCB's mean regret at T against 1/(1-ρ) has a log-log slope of **{rho_exp:.2f}** over the ρ measured "
            "(the paper's upper bound grows with exponent 3/2; a bound, so a smaller measured exponent does not contradict it).",
            "",
        ]
    lin_at = [rho for rho in s.rhos if lin_slopes[rho] >= 0.8]
    lines += [
        "## Reading",
        "",
        "- LinUCB's median slope is ≥ 0.8 "
        + (f"at ρ = {', '.join(str(r) for r in lin_at)} only" if lin_at else "at no ρ measured")
        + f" (of {', '.join(str(r) for r in s.rhos)}); where it is lower, LinUCB paid a large regret early and then "
        "held an arm near the best one (final angle column), so its regret stopped growing.",
        "- The verdict rule: *reproduced* when DynLin-UCB's median slope is within 0.15 of 0.5 and LinUCB's at least 0.8 "
        "at every ρ; *partially* when DynLin-UCB's regret is sublinear (slope < 0.7) and the lowest of the three learners "
        "at every ρ; *not reproduced* otherwise.",
        "- A slope well below 0.5 over a finite horizon can mean that the regret is still dominated by the first blocks' exploration "
        "(long blocks at large ρ: few decisions), not a rate better than √T.",
        "- LinUCB's regret is linear only when its estimate of the immediate effect leads it to an arm far from the best "
        "steady-state arm and it never holds an arm long enough for the delayed effect to show in its regression; "
        "the column 'linear seeds' counts how often that happened.",
        "- Differences from the paper: only the synthetic experiment; the block length, confidence radius and ε schedule "
        "are ours (module docstring of `dynlearn.control.bandits`); the paper's instances are not specified in the "
        "stored abstract, so ours are random with a planted conflict between immediate and delayed effects.",
        "",
        f"Runs are cached in the output folder (`runs/*.json`); an interrupted recipe resumes without repeating them. "
        f"Compute of this run: {sum(r['cpu_s'] for r in table):.0f} CPU s in the runs, {seconds:.0f} s wall.",
    ]
    metrics = {
        "dynlin_slope": dyn_slopes,
        "linucb_slope": lin_slopes,
        "rho_exponent": rho_exp,
        "table": table,
    }
    return ReproResult(verdict=verdict, summary=summary, markdown="\n".join(lines), metrics=metrics, figures=[fig])
