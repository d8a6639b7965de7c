"""Reproduction of He et al., "ASAP: Aligning Simulation and Real-World Physics for Learning Agile Humanoid
Whole-Body Skills" (RSS 2025), CPU-sized on a pendulum.

Setup. "Sim" is Gymnasium's ``Pendulum-v1``; "real" is the same pendulum with 1.3x the mass and a torque
gain of 0.8 (``make_env("pendulum", mass=1.3, torque_gain=0.8)``). Per seed:

1. SAC is trained in sim (the pre-trained policy);
2. it runs a few stochastic episodes in real (the only real data the sim-to-real methods see), and a few
   more, from other initial states, are held out;
3. ASAP's delta-action model ``pi_delta(s, a)`` is fitted so that ``sim(s, a + pi_delta(s, a))`` tracks the
   real transitions (gradient descent through the differentiable simulator, not PPO: see
   :mod:`dynlearn.control.sim2real`); the baselines get the same real data: system identification
   (grid search of the mass by rollout error), a residual state-correction model, and domain
   randomisation of the mass (which needs no real data);
4. claim (a): open-loop rollout error on the held-out real episodes, sim + delta against plain sim (and the
   baselines' models), at several horizons;
5. claim (b): the pre-trained policy is fine-tuned for the same number of simulated steps in sim + delta,
   in the identified sim, in sim + residual, and under domain randomisation; each is evaluated in real.
   Two references: the pre-trained policy as is, and fine-tuning in real itself (which spends that many
   real steps, unlike the others).
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from dynlearn.repro import ReproContext, ReproResult, recipe

CLAIM = (
    "a delta-action model fitted on a few real episodes makes the simulator's open-loop rollouts far closer "
    "to the real system's than plain sim, and a policy fine-tuned in sim + delta does at least as well in "
    "real as policies adapted by system identification, domain randomisation or a residual-dynamics model"
)

REAL = {"mass": 1.3, "torque_gain": 0.8}
#: the issue's "real" pendulum, and one whose gap lies partly outside what SysID of the mass can express
SCENARIOS = {"in_family": REAL, "outside": {**REAL, "gravity": 11.0}}
MASS_GRID = tuple(round(float(m), 3) for m in np.arange(0.8, 2.0001, 0.05))
GAIN_GRID = tuple(round(float(g), 3) for g in np.arange(0.6, 1.2001, 0.1))
DR_MASS = (0.8, 2.0)
ARMS = ("pretrained", "asap", "sysid", "residual", "dr", "real_finetune")
LABELS = {
    "pretrained": "sim policy, no fine-tuning",
    "asap": "ASAP: fine-tuned in sim + delta",
    "sysid": "SysID: fine-tuned in sim(identified mass)",
    "residual": "residual dynamics: fine-tuned in sim + r(s, a)",
    "dr": f"DR: fine-tuned with mass ~ U{DR_MASS}",
    "real_finetune": "reference: fine-tuned in real (uses the real steps)",
}


@dataclasses.dataclass(frozen=True)
class Sizes:
    seeds: int
    pretrain_steps: int
    finetune_steps: int
    real_episodes: int
    heldout_episodes: int
    eval_episodes: int
    fit_epochs: int
    horizons: tuple[int, ...]
    hidden: tuple[int, ...] = (64, 64)


FULL = Sizes(seeds=3, pretrain_steps=5000, finetune_steps=1500, real_episodes=5, heldout_episodes=3,
             eval_episodes=10, fit_epochs=300, horizons=(1, 5, 10, 20, 50))
SMOKE = Sizes(seeds=1, pretrain_steps=200, finetune_steps=100, real_episodes=1, heldout_episodes=1,
              eval_episodes=1, fit_epochs=3, horizons=(1, 5, 10))


def _collect(env, agent, n: int, seed0: int):
    """``n`` real episodes of the stochastic policy (the data a real deployment would log)."""
    from dynlearn.control import run_episode

    rng_state = agent.act_rng_.bit_generator.state
    eps = [run_episode(env, lambda o: agent.act(o, deterministic=False), seed=seed0 + i) for i in range(n)]
    agent.act_rng_.bit_generator.state = rng_state  # collecting does not move the agent's own streams
    return eps


def _one_seed(s: Sizes, seed: int, progress) -> dict:
    """Pre-train SAC in sim once, then run every scenario of ``SCENARIOS`` from that policy."""
    from dynlearn.control import SAC, make_env

    t0 = time.perf_counter()
    sim_env = make_env("pendulum")
    agent = SAC(seed=seed, hidden=s.hidden, lr=1e-3)
    agent.train(sim_env, s.pretrain_steps)
    pre = float(agent.evaluate(sim_env, s.eval_episodes).mean())
    progress(f"seed {seed}: pre-trained in sim ({s.pretrain_steps} steps), sim return {pre:.1f} "
             f"[{time.perf_counter() - t0:.0f} s]")
    out = {}
    for scenario, real_params in SCENARIOS.items():
        res = _scenario(s, seed, agent, real_params, lambda m, sc=scenario: progress(
            f"seed {seed} ({sc}): {m} ({time.perf_counter() - t0:.0f} s)"))
        out[scenario] = {"seed": seed, "pretrain_sim_return": pre, **res}
    for res in out.values():
        res["seconds"] = time.perf_counter() - t0
    return out


def _scenario(s: Sizes, seed: int, agent, real_params: dict, progress) -> dict:
    """Steps 2-5 of the module docstring for one "real" pendulum."""
    from dynlearn.control import make_env
    from dynlearn.control.sim2real import (
        DeltaActionModel,
        DeltaActionWrapper,
        ModelEnv,
        RandomizedEnv,
        ResidualDynamics,
        clone_agent,
        rollout_error,
        sysid_grid,
    )

    real_env = make_env("pendulum", **real_params)
    sim = make_env("pendulum").model()
    real = _collect(real_env, agent, s.real_episodes, 1000 * seed + 100)
    held = _collect(real_env, agent, s.heldout_episodes, 1000 * seed + 500)
    out: dict = {"real_steps": int(sum(len(e) for e in real))}

    delta = DeltaActionModel(sim, epochs=s.fit_epochs, seed=seed).fit(real)
    residual = ResidualDynamics(sim, epochs=s.fit_epochs, seed=seed).fit(real)
    sid = sysid_grid("pendulum", real, {"mass": list(MASS_GRID)}, horizon=10)
    sid2 = sysid_grid("pendulum", real, {"mass": list(MASS_GRID), "torque_gain": list(GAIN_GRID)}, horizon=10)
    out["sysid_mass"] = sid.params["mass"]
    out["sysid2_best"] = sid2.params
    ranked = sorted(sid2.table, key=lambda r: r["error"])[:5]  # the ridge k / m ~ const
    out["sysid2_ridge"] = [(r["mass"], r["torque_gain"], round(r["torque_gain"] / r["mass"], 3)) for r in ranked]
    identified = make_env("pendulum", mass=sid.params["mass"]).model()
    models = {"sim": sim, "sim + delta (ASAP)": delta, "sim(identified mass)": identified,
              "sim + residual": residual, "real (exact)": real_env.model()}
    out["rollout_error"] = {k: rollout_error(m, held, s.horizons) for k, m in models.items()}
    a_grid = np.linspace(-2, 2, 9)[:, None]
    s0 = np.tile(held[0].observations[0], (9, 1))
    out["delta_curve"] = {"a": a_grid[:, 0].tolist(), "delta": delta.delta(s0, a_grid)[:, 0].tolist(),
                          "exact": _exact_delta(s0, a_grid, real_params)[:, 0].tolist()}
    progress(f"fitted delta / residual, sysid mass {sid.params['mass']}")

    envs = {
        "asap": DeltaActionWrapper(make_env("pendulum"), delta),
        "sysid": make_env("pendulum", mass=sid.params["mass"]),
        "residual": ModelEnv(make_env("pendulum"), residual),
        "dr": RandomizedEnv("pendulum", {"mass": DR_MASS}),
        "real_finetune": make_env("pendulum", **real_params),
    }
    returns = {"pretrained": agent.evaluate(real_env, s.eval_episodes).tolist()}
    for arm, env in envs.items():
        tuned = clone_agent(agent)
        tuned.train(env, s.pretrain_steps + s.finetune_steps)
        returns[arm] = tuned.evaluate(real_env, s.eval_episodes).tolist()
        progress(f"{arm:14s} real return {np.mean(returns[arm]):8.1f}")
    out["real_return"] = returns
    return out


def _exact_delta(obs: np.ndarray, a: np.ndarray, real: dict) -> np.ndarray:
    """The action correction that makes the default pendulum (m = l = 1, g = 10) step exactly like ``real``:
    sim's angular acceleration 15 sin(th) + 3 (a + delta) equals real's 3 g/2 sin(th) + 3 k a / m."""
    g, k, m = real.get("gravity", 10.0), real.get("torque_gain", 1.0), real.get("mass", 1.0)
    return 0.5 * (g - 10.0) * obs[:, 1:2] + (k / m - 1.0) * a


def _figures(ctx: ReproContext, s: Sizes, runs: list[dict], name: str, title: str) -> list:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    for model in runs[0]["rollout_error"]:
        err = np.array([[r["rollout_error"][model][h] for h in s.horizons] for r in runs])
        ax.errorbar(s.horizons, np.maximum(err.mean(0), 1e-8), yerr=err.std(0), marker="o", capsize=3, label=model)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("open-loop horizon (steps of 0.05 s)")
    ax.set_ylabel("RMS state error on held-out real episodes")
    ax.set_title(f"rollout error (real: {title})", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[1]
    for r in runs:
        ax.plot(r["delta_curve"]["a"], r["delta_curve"]["delta"], "o-", alpha=0.7, label=f"learned, seed {r['seed']}")
    ax.plot(runs[0]["delta_curve"]["a"], runs[0]["delta_curve"]["exact"], "k--", label="exact (seed 0's state)")
    ax.set_xlabel("action a")
    ax.set_ylabel("delta(s0, a)")
    ax.set_title("delta action at the first held-out state of each seed", fontsize=9)
    ax.legend(fontsize=7)
    ax = axes[2]
    for i, arm in enumerate(ARMS):
        vals = [np.mean(r["real_return"][arm]) for r in runs]
        ax.bar(i, np.mean(vals), color="tab:red" if arm == "asap" else "0.7")
        ax.plot([i] * len(vals), vals, "k.", ms=8)
    ax.set_xticks(range(len(ARMS)))
    ax.set_xticklabels(ARMS, rotation=30, fontsize=8)
    ax.set_ylabel("mean real return (deterministic episodes)")
    ax.set_title("real return after fine-tuning (dots: seeds)", fontsize=9)
    fig.tight_layout()
    path = ctx.figure_path(name)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [path]


def _stats(s: Sizes, runs: list[dict]) -> dict:
    err = {name: np.array([[r["rollout_error"][name][h] for h in s.horizons] for r in runs])
           for name in runs[0]["rollout_error"]}
    ratio = err["sim"] / err["sim + delta (ASAP)"]  # (seeds, horizons)
    ret = {arm: np.array([np.mean(r["real_return"][arm]) for r in runs]) for arm in ARMS}
    vs = {}
    for base in ("sysid", "residual", "dr"):
        d = ret["asap"] - ret[base]
        se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0
        vs[base] = {"mean_diff": round(float(d.mean()), 2), "se": round(se, 2), "not_worse": bool(d.mean() >= -2 * se)}
    return {"err": err, "ratio": ratio, "ret": ret, "vs": vs,
            "claim_a": bool(np.all(ratio.min(0)[1:] >= 5.0)), "claim_b": all(v["not_worse"] for v in vs.values())}


@recipe("asap", title="ASAP: Aligning Simulation and Real-World Physics (delta-action models)", claim=CLAIM)
def run(ctx: ReproContext) -> ReproResult:
    s = SMOKE if ctx.smoke else FULL
    both = [_one_seed(s, ctx.seed + k, ctx.progress) for k in range(s.seeds)]
    runs, extra = [b["in_family"] for b in both], [b["outside"] for b in both]
    figures = _figures(ctx, s, runs, "asap.png", "mass x1.3, gain x0.8")
    figures += _figures(ctx, s, extra, "asap-outside.png", "mass x1.3, gain x0.8, gravity 11")
    st, sx = _stats(s, runs), _stats(s, extra)
    claim_a, claim_b = st["claim_a"], st["claim_b"]
    verdict = ("reproduced" if claim_a and claim_b else "partially reproduced" if claim_a or claim_b
               else "not reproduced")
    h10 = list(s.horizons).index(10) if 10 in s.horizons else -1
    hs = list(map(str, s.horizons))
    metrics = {
        "rollout_ratio_sim_over_delta_mean": dict(zip(hs, st["ratio"].mean(0).round(2).tolist())),
        "rollout_ratio_sim_over_delta_min": dict(zip(hs, st["ratio"].min(0).round(2).tolist())),
        "real_return_mean": {arm: round(float(v.mean()), 1) for arm, v in st["ret"].items()},
        "asap_minus_baseline": st["vs"],
        "sysid_mass": [r["sysid_mass"] for r in runs],
        "claim_a": claim_a,
        "claim_b": claim_b,
        "outside": {
            "rollout_error_h10": {k: float(v.mean(0)[h10]) for k, v in sx["err"].items()},
            "real_return_mean": {arm: round(float(v.mean()), 1) for arm, v in sx["ret"].items()},
            "asap_minus_baseline": sx["vs"],
            "sysid_mass": [r["sysid_mass"] for r in extra],
        },
    }
    summary = (
        f"Over {s.seeds} seed(s), sim + delta's open-loop error on held-out real episodes is "
        f"{st['ratio'].mean(0)[h10]:.0f}x below plain sim's at 10 steps (smallest ratio over seeds and horizons "
        f">= 5: {st['ratio'].min(0)[1:].min():.1f}x): claim (a) {'holds' if claim_a else 'does not hold'}. After "
        "fine-tuning, the mean real return is "
        + ", ".join(f"{arm} {st['ret'][arm].mean():.1f}" for arm in ARMS)
        + f": claim (b) (ASAP not worse than SysID, residual and DR within 2 standard errors of the paired "
        f"difference) {'holds' if claim_b else 'does not hold'}. Caveats: this gap (mass and torque gain) lies "
        "inside the simulator's own family, so SysID of the mass alone is exact up to its grid; and the "
        "pre-trained policy loses little in real, so every arm ends close to the others (claim (b) is a weak "
        "test here). A second 'real' pendulum with gravity 11 as well (outside the mass-only SysID's family) "
        "is reported below."
    )
    markdown = _page(s, runs, st, extra, sx)
    return ReproResult(verdict, summary, markdown, metrics, figures)


def _error_table(s: Sizes, st: dict) -> list[str]:
    lines = ["| model | " + " | ".join(f"h = {h}" for h in s.horizons) + " |", "|---|" + "---|" * len(s.horizons)]
    for name, e in st["err"].items():
        lines.append(f"| {name} | " + " | ".join(f"{m:.2e} +- {sd:.1e}" for m, sd in zip(e.mean(0), e.std(0)))
                     + " |")
    lines.append("| **ratio sim / sim + delta** (mean, min over seeds) | "
                 + " | ".join(f"**{m:.1f}**, {mn:.1f}" for m, mn in zip(st["ratio"].mean(0), st["ratio"].min(0)))
                 + " |")
    return lines


def _return_table(runs: list[dict], st: dict) -> list[str]:
    lines = ["| arm | " + " | ".join(f"seed {r['seed']}" for r in runs) + " | mean |",
             "|---|" + "---|" * (len(runs) + 1)]
    for arm in ARMS:
        v = st["ret"][arm]
        lines.append(f"| {LABELS[arm]} | " + " | ".join(f"{x:.1f}" for x in v) + f" | {v.mean():.1f} |")
    lines += ["", "ASAP minus each baseline (paired by seed): "
              + "; ".join(f"{b}: {v['mean_diff']:+.1f} (SE {v['se']:.1f}, "
                          f"{'not worse' if v['not_worse'] else 'worse'})" for b, v in st["vs"].items()) + "."]
    return lines


def _reading(s: Sizes, st: dict, sx: dict) -> list[str]:
    """Sentences comparing the measured numbers (no claim is written in advance)."""
    h = list(s.horizons).index(10) if 10 in s.horizons else -1
    out = []
    for label, x in (("(a, b)", st), ("(c)", sx)):
        e = {k: v.mean(0)[h] for k, v in x["err"].items()}
        d, sid, res = e["sim + delta (ASAP)"], e["sim(identified mass)"], e["sim + residual"]
        out.append(
            f"- {label}, at h = {s.horizons[h]}: sim + delta's error is {e['sim'] / d:.1f}x below plain sim's; "
            f"SysID's is {'below' if sid < d else 'above'} the delta's ({sid:.2e} against {d:.2e}); the residual "
            f"model's is {'below' if res < d else 'above'} it ({res:.2e}).")
        r = {k: v.mean() for k, v in x["ret"].items()}
        spread = max(r[a] for a in ARMS[1:]) - min(r[a] for a in ARMS[1:])
        out.append(
            f"- {label}, returns: the pre-trained policy gets {r['pretrained']:.1f} in real, fine-tuning in real "
            f"{r['real_finetune']:.1f}, ASAP {r['asap']:.1f}; the fine-tuned arms lie within {spread:.1f} of each "
            "other. Where that spread is small beside the seeds' spread, the return comparison is weak evidence "
            "either way.")
    out.append("- In (a, b) the gap is inside the simulator's own family, so a mass-only SysID can express it up to "
               "its grid step; the paper's advantage over SysID comes from mismatches SysID cannot parameterise, "
               "which (c) imitates with one unmodelled parameter.")
    out.append("- The residual state model's correction is not constrained to the simulator's physics (it can leave "
               "the circle cos^2 + sin^2 = 1); the delta's is, by construction.")
    return out


def _page(s: Sizes, runs, st, extra, sx) -> str:
    lines = [
        "## Setup: the paper's and ours",
        "",
        "| | paper (He et al. 2025) | here |",
        "|---|---|---|",
        "| system | Unitree G1 humanoid; IsaacGym -> IsaacSim / Genesis / real robot | Pendulum-v1 -> the same "
        "pendulum with mass x1.3 and torque gain x0.8 (and, in part (c), gravity 11 instead of 10) |",
        "| pre-trained policy | PPO motion tracking on retargeted human motions | SAC (64, 64), lr 1e-3, "
        f"{s.pretrain_steps} sim steps (sim return {np.mean([r['pretrain_sim_return'] for r in runs]):.1f}) |",
        f"| real data | real rollouts of the deployed policy | {s.real_episodes} stochastic episodes "
        f"({runs[0]['real_steps']} steps) of the pre-trained policy; {s.heldout_episodes} more held out |",
        "| delta-action model | MLP trained with PPO on the tracking error in sim | MLP (64, 64), zero last layer, "
        f"fitted by Adam on the one-step tracking error through the differentiable sim ({s.fit_epochs} epochs) |",
        f"| fine-tuning | PPO in sim + delta | SAC, {s.finetune_steps} steps in sim + delta (the same for "
        "every arm), replay buffer kept from pre-training |",
        "| baselines | SysID (mass, CoM, ...), DR, delta dynamics | grid SysID of the mass (0.8-2.0, step 0.05), "
        f"DR of the mass U{DR_MASS}, residual state model s' = sim(s, a) + r(s, a) (same net and loss) |",
        f"| evaluation | tracking errors on motions | mean return of {s.eval_episodes} deterministic real episodes "
        "(200 steps; the same initial states for every arm) |",
        f"| seeds | - | {s.seeds} |",
        "",
        "Why a supervised fit and not RL for the delta: the paper's simulators are not differentiable, so it "
        "optimises the tracking error with PPO. dynlearn's pendulum model runs in torch, so the same error is "
        "minimised by gradient descent through the simulator; it needs seconds and no reward shaping. "
        "The object learned is the same: an action correction applied in front of an unchanged simulator.",
        "",
        "In Pendulum-v1 the torque enters the angular acceleration as 3 u / (m l^2), so a torque gain k and a "
        "mass m act only through k / m, and gravity as 3 g / (2 l) sin(th). The real transition therefore equals "
        "sim(s, a + delta) for delta = 0.5 (g - 10) sin(th) + (k/m - 1) a (= -0.385 a in (a, b)), inside the "
        "action box: an exact delta exists in both scenarios. The middle panels compare the learned delta with it.",
        "",
        "## (a) Open-loop rollout error on held-out real episodes",
        "",
        "RMS over all windows of || s_hat_{t+h} - s_{t+h} || (state = (cos, sin, angular velocity)), "
        f"mean +- std over {s.seeds} seed(s):",
        "",
        *_error_table(s, st),
        "",
        f"System identification: the mass-only grid chose {[r['sysid_mass'] for r in runs]} (the exact "
        "equivalent mass is 1.3/0.8 = 1.625, between grid points). On the (mass, torque gain) grid the best "
        f"points were {[tuple(r['sysid2_best'].values()) for r in runs]}; mass and gain are identifiable "
        f"only as their ratio: the five best points of seed {runs[0]['seed']} as (mass, gain, gain / mass) were "
        f"{runs[0]['sysid2_ridge']} (real: 0.8 / 1.3 = 0.615).",
        "",
        "## (b) Real return after fine-tuning",
        "",
        *_return_table(runs, st),
        "",
        "![rollout error, learned delta, real returns](asap.png)",
        "",
        "## (c) A gap outside SysID's family: gravity 11 as well",
        "",
        "The same pre-trained policies, the same amounts of real data and fine-tuning; the real pendulum also "
        "has gravity 11 (say, an unmodelled load torque), which the mass-only SysID cannot express and DR does "
        f"not randomise. SysID chose masses {[r['sysid_mass'] for r in extra]}.",
        "",
        *_error_table(s, sx),
        "",
        *_return_table(extra, sx),
        "",
        "![the same with gravity 11](asap-outside.png)",
        "",
        "## Reading the result",
        "",
        *_reading(s, st, sx),
        f"- Timings: {np.mean([r['seconds'] for r in runs]):.0f} s per seed (both scenarios) on a shared, loaded "
        "2-core machine (8 helpers' jobs running); no peer implementation was timed.",
    ]
    return "\n".join(lines)
