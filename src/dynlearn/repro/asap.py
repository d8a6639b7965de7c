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
SMOKE = Sizes(seeds=1, pretrain_steps=300, finetune_steps=200, real_episodes=1, heldout_episodes=1,
              eval_episodes=1, fit_epochs=5, horizons=(1, 5, 10))


def _collect(env, agent, n: int, seed0: int):
    """``n`` real episodes of the stochastic policy (the data a real deployment would log)."""
    from dynlearn.control import run_episode

    rng_state = agent.act_rng_.bit_generator.state
    eps = [run_episode(env, lambda o: agent.act(o, deterministic=False), seed=seed0 + i) for i in range(n)]
    agent.act_rng_.bit_generator.state = rng_state  # collecting does not move the agent's own streams
    return eps


def _one_seed(s: Sizes, seed: int, progress) -> dict:
    from dynlearn.control import SAC, make_env
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

    t0 = time.perf_counter()
    sim_env, real_env = make_env("pendulum"), make_env("pendulum", **REAL)
    sim = sim_env.model()
    agent = SAC(seed=seed, hidden=s.hidden, lr=1e-3)
    agent.train(sim_env, s.pretrain_steps)
    out: dict = {"seed": seed, "pretrain_sim_return": float(agent.evaluate(sim_env, s.eval_episodes).mean())}
    progress(f"seed {seed}: pre-trained in sim ({s.pretrain_steps} steps), sim return "
             f"{out['pretrain_sim_return']:.1f} [{time.perf_counter() - t0:.0f} s]")

    real = _collect(real_env, agent, s.real_episodes, 1000 * seed + 100)
    held = _collect(real_env, agent, s.heldout_episodes, 1000 * seed + 500)
    out["real_steps"] = int(sum(len(e) for e in real))

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
    out["delta_curve"] = {"a": a_grid[:, 0].tolist(),
                          "delta": delta.delta(np.tile(held[0].observations[0], (9, 1)), a_grid)[:, 0].tolist()}
    progress(f"seed {seed}: fitted delta / residual, sysid mass {sid.params['mass']} "
             f"[{time.perf_counter() - t0:.0f} s]")

    envs = {
        "asap": DeltaActionWrapper(make_env("pendulum"), delta),
        "sysid": make_env("pendulum", mass=sid.params["mass"]),
        "residual": ModelEnv(make_env("pendulum"), residual),
        "dr": RandomizedEnv("pendulum", {"mass": DR_MASS}),
        "real_finetune": make_env("pendulum", **REAL),
    }
    returns = {"pretrained": agent.evaluate(real_env, s.eval_episodes).tolist()}
    for arm, env in envs.items():
        tuned = clone_agent(agent)
        tuned.train(env, s.pretrain_steps + s.finetune_steps)
        returns[arm] = tuned.evaluate(real_env, s.eval_episodes).tolist()
        progress(f"seed {seed}: {arm:14s} real return {np.mean(returns[arm]):8.1f} "
                 f"[{time.perf_counter() - t0:.0f} s]")
    out["real_return"] = returns
    out["seconds"] = time.perf_counter() - t0
    return out


def _figures(ctx: ReproContext, s: Sizes, runs: list[dict]) -> list:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs = []
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    ax = axes[0]
    for name in runs[0]["rollout_error"]:
        err = np.array([[r["rollout_error"][name][h] for h in s.horizons] for r in runs])
        ax.errorbar(s.horizons, np.maximum(err.mean(0), 1e-8), yerr=err.std(0), marker="o", capsize=3, label=name)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("open-loop horizon (steps of 0.05 s)")
    ax.set_ylabel("RMS state error on held-out real episodes")
    ax.set_title("(a) rollout error")
    ax.legend(fontsize=7)
    ax = axes[1]
    for r in runs:
        ax.plot(r["delta_curve"]["a"], r["delta_curve"]["delta"], "o-", alpha=0.7, label=f"seed {r['seed']}")
    a = np.linspace(-2, 2, 9)
    ax.plot(a, (REAL["torque_gain"] / REAL["mass"] - 1) * a, "k--", label="exact: (0.8/1.3 - 1) a")
    ax.set_xlabel("action a")
    ax.set_ylabel("learned delta(s0, a)")
    ax.set_title("delta action at one held-out state")
    ax.legend(fontsize=7)
    ax = axes[2]
    for i, arm in enumerate(ARMS):
        vals = [np.mean(r["real_return"][arm]) for r in runs]
        ax.bar(i, np.mean(vals), color="tab:red" if arm == "asap" else "0.7")
        ax.plot([i] * len(vals), vals, "k.", ms=8)
    ax.set_xticks(range(len(ARMS)))
    ax.set_xticklabels(ARMS, rotation=30, fontsize=8)
    ax.set_ylabel("mean real return (10 episodes)")
    ax.set_title("(b) real return after fine-tuning")
    fig.tight_layout()
    path = ctx.figure_path("asap.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    figs.append(path)
    return figs


@recipe("asap", title="ASAP: Aligning Simulation and Real-World Physics (delta-action models)", claim=CLAIM)
def run(ctx: ReproContext) -> ReproResult:
    s = SMOKE if ctx.smoke else FULL
    runs = [_one_seed(s, ctx.seed + k, ctx.progress) for k in range(s.seeds)]
    figures = _figures(ctx, s, runs)

    err = {name: np.array([[r["rollout_error"][name][h] for h in s.horizons] for r in runs])
           for name in runs[0]["rollout_error"]}
    ratio = err["sim"] / err["sim + delta (ASAP)"]  # (seeds, horizons)
    ratio_min = ratio.min(0)
    claim_a = bool(np.all(ratio_min[1:] >= 5.0))

    ret = {arm: np.array([np.mean(r["real_return"][arm]) for r in runs]) for arm in ARMS}
    verdict_b = {}
    for base in ("sysid", "residual", "dr"):
        d = ret["asap"] - ret[base]
        se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else 0.0
        verdict_b[base] = {"mean_diff": float(d.mean()), "se": se, "not_worse": bool(d.mean() >= -2 * se)}
    claim_b = all(v["not_worse"] for v in verdict_b.values())
    verdict = ("reproduced" if claim_a and claim_b else "partially reproduced" if claim_a or claim_b
               else "not reproduced")

    metrics = {
        "rollout_ratio_sim_over_delta_mean": dict(zip(map(str, s.horizons), ratio.mean(0).round(2).tolist())),
        "rollout_ratio_sim_over_delta_min": dict(zip(map(str, s.horizons), ratio_min.round(2).tolist())),
        "real_return_mean": {arm: round(float(v.mean()), 1) for arm, v in ret.items()},
        "asap_minus_baseline": verdict_b,
        "sysid_mass": [r["sysid_mass"] for r in runs],
        "claim_a": claim_a,
        "claim_b": claim_b,
    }
    summary = (
        f"Over {s.seeds} seed(s), sim + delta's open-loop error on held-out real episodes is "
        f"{ratio.mean(0)[list(s.horizons).index(10) if 10 in s.horizons else -1]:.0f}x below plain sim's at "
        f"10 steps (smallest ratio over seeds and horizons >= 5: {ratio_min[1:].min():.1f}x): claim (a) "
        f"{'holds' if claim_a else 'does not hold'}. After fine-tuning, the mean real return is "
        + ", ".join(f"{arm} {ret[arm].mean():.1f}" for arm in ARMS)
        + f": claim (b) (ASAP not worse than SysID, residual and DR within 2 standard errors of the paired "
        f"difference) {'holds' if claim_b else 'does not hold'}. SysID is a strong baseline here because "
        "the sim-to-real gap lies inside the simulator's parameter family (see below)."
    )
    return ReproResult(verdict, summary, _page(s, runs, err, ratio, ret, verdict_b), metrics, figures)


def _page(s: Sizes, runs, err, ratio, ret, verdict_b) -> str:
    hs = list(s.horizons)
    lines = [
        "## Setup: the paper's and ours",
        "",
        "| | paper (He et al. 2025) | here |",
        "|---|---|---|",
        "| system | Unitree G1 humanoid; IsaacGym -> IsaacSim / Genesis / real robot | Pendulum-v1 -> the same "
        "pendulum with mass x1.3 and torque gain x0.8 |",
        "| pre-trained policy | PPO motion tracking on retargeted human motions | SAC (64, 64), lr 1e-3, "
        f"{s.pretrain_steps} sim steps |",
        f"| real data | real rollouts of the deployed policy | {s.real_episodes} stochastic episodes "
        f"({runs[0]['real_steps']} steps) of the pre-trained policy; {s.heldout_episodes} more held out |",
        "| delta-action model | MLP trained with PPO on the tracking error in sim | MLP (64, 64), zero last layer, "
        f"fitted by Adam on the one-step tracking error through the differentiable sim ({s.fit_epochs} epochs) |",
        f"| fine-tuning | PPO in sim + delta | SAC, {s.finetune_steps} steps in sim + delta (the same for "
        "every arm), replay buffer kept from pre-training |",
        "| baselines | SysID (mass, CoM, ...), DR, delta dynamics | grid SysID of the mass (0.8-2.0, step 0.05), "
        f"DR of the mass U{DR_MASS}, residual state model s' = sim(s, a) + r(s, a) (same net and loss) |",
        f"| seeds | - | {s.seeds} |",
        "",
        "Why a supervised fit and not RL for the delta: the paper's simulators are not differentiable, so it "
        "optimises the tracking error with PPO. dynlearn's pendulum model runs in torch, so the same error is "
        "minimised by gradient descent through the simulator; it needs a few seconds and no reward shaping. "
        "The object learned is the same: an action correction applied in front of an unchanged simulator.",
        "",
        "## (a) Open-loop rollout error on held-out real episodes",
        "",
        "RMS over all windows of || s_hat_{t+h} - s_{t+h} || (state = (cos, sin, angular velocity)), "
        f"mean +- std over {s.seeds} seed(s):",
        "",
        "| model | " + " | ".join(f"h = {h}" for h in hs) + " |",
        "|---|" + "---|" * len(hs),
    ]
    for name, e in err.items():
        lines.append(f"| {name} | " + " | ".join(f"{m:.2e} +- {sd:.1e}" for m, sd in zip(e.mean(0), e.std(0)))
                     + " |")
    lines.append("| **ratio sim / sim + delta** (mean, min over seeds) | "
                 + " | ".join(f"**{m:.1f}**, {mn:.1f}" for m, mn in zip(ratio.mean(0), ratio.min(0))) + " |")
    lines += [
        "",
        "The learned delta against the exact correction: in Pendulum-v1 the torque enters the angular "
        "acceleration as 3 u / (m l^2), so a torque gain k and mass m act only through k / m; the real "
        "transition equals sim(s, a + delta) with delta = (0.8/1.3 - 1) a = -0.385 a (inside the action box, "
        "so an exact delta exists). The middle panel of the figure compares them.",
        "",
        f"System identification: the mass-only grid chose {[r['sysid_mass'] for r in runs]} (the exact "
        "equivalent mass is 1.3/0.8 = 1.625, between grid points). On the (mass, torque gain) grid the best "
        f"points were {[tuple(r['sysid2_best'].values()) for r in runs]}; mass and gain are identifiable "
        "only as their ratio: the five best points of seed "
        f"{runs[0]['seed']} as (mass, gain, gain / mass) were {runs[0]['sysid2_ridge']} (real: 0.8 / 1.3 = 0.615).",
        "",
        "## (b) Real return after fine-tuning",
        "",
        f"Mean return over {s.eval_episodes} deterministic real episodes (200 steps, the same initial states "
        "for every arm), per seed:",
        "",
        "| arm | " + " | ".join(f"seed {r['seed']}" for r in runs) + " | mean |",
        "|---|" + "---|" * (len(runs) + 1),
    ]
    for arm in ARMS:
        lines.append(f"| {LABELS[arm]} | " + " | ".join(f"{v:.1f}" for v in ret[arm]) + f" | {ret[arm].mean():.1f} |")
    lines += ["", "ASAP minus each baseline (paired by seed): "
              + "; ".join(f"{b}: {v['mean_diff']:+.1f} (SE {v['se']:.1f}, "
                          f"{'not worse' if v['not_worse'] else 'worse'})" for b, v in verdict_b.items()) + ".",
              "", "![rollout error, learned delta, real returns](asap.png)", "",
              "## Reading the result", "",
              "- The pendulum's mismatch (mass and torque gain) is inside the simulator's own parameter family and "
              "exactly representable as an action correction, so this is the easy case for every method: SysID "
              "recovers an (almost) exact simulator, and the delta-action model recovers the exact correction. "
              "The paper's advantage of ASAP over SysID comes from mismatches SysID cannot parameterise "
              "(motor dynamics, latencies, contacts on a humanoid); this CPU-sized setup does not test that.",
              "- The residual state model is fitted by the same loss and net; it stays accurate one step ahead "
              "but its open-loop error grows faster because its correction is not constrained to the "
              "simulator's physics (it also leaves the circle cos^2 + sin^2 = 1).",
              "- Fine-tuning returns are noisy at this budget (a few SAC episodes); the reference arm that "
              "fine-tunes in real spends real steps the other arms do not.",
              f"- Timings: {np.mean([r['seconds'] for r in runs]):.0f} s per seed on a shared, loaded 2-core "
              "machine (8 jobs running)."]
    return "\n".join(lines)
