"""COPlanner (Wang et al. 2024): conservative model rollouts and optimistic exploration with UP-MPC.

The paper plugs UP-MPC into Dyna-style agents (MBPO, DreamerV3) on MuJoCo and DeepMind Control
tasks and reports better sample efficiency and lower model error. Here: plain MBPO against
COPlanner-MBPO (:class:`dynlearn.control.coplanner.COPlanner`, the same MBPO with UP-MPC choosing
real and model-rollout actions) on Pendulum-v1, over several seeds, with the
same seeds, budgets and evaluation episodes for both arms. Measured:

- real steps until the deterministic policy's evaluation return first reaches the threshold
  (a run that never reaches it is counted at the budget and reported as censored);
- the ensemble's error (MSE of its mean prediction) on the states the evaluation policy visits,
  at every evaluation point, and on the behaviour policy's fresh data before each refit.
"""

from __future__ import annotations

import json
import time

import numpy as np

from dynlearn.io_utils import atomic_write_text
from dynlearn.repro import ReproContext, ReproResult, recipe

CLAIM = ("UP-MPC (a disagreement penalty for model rollouts, a bonus for real exploration) plugged into "
         "MBPO reaches a threshold return in >= 20% fewer real steps than plain MBPO, with lower model "
         "error on the states the policy visits")

#: the task: Gymnasium's Pendulum-v1 (swing up and balance, dense reward, 200-step episodes). The two sparse
#: tasks the issue suggests were measured first and neither arm learned them in this budget (see the page)
ENV = "pendulum"
ENV_KW: dict = {}
#: halfway from a random policy's return (about -1,250) to a solved one's (about -150)
THRESHOLD = -700.0
TASK_NAME = "Pendulum-v1"

AGENT = {"hidden": (64, 64), "lr": 1e-3, "batch_size": 128, "updates_per_step": 3, "real_ratio": 0.5,
         "learning_starts": 250, "members": 5, "model_hidden": 64, "model_layers": 3, "model_epochs": 10,
         "model_train_freq": 250, "rollout_batch": 1000, "rollout_schedule": (500, 2000, 1, 4), "model_retain": 4}
COPLANNER = {"optimism": 1.0, "conservatism": 1.0, "plan_candidates": 5, "plan_horizon": 3}

FULL = {"seeds": 3, "steps": 2500, "eval_every": 250, "eval_episodes": 3}
SMOKE = {"seeds": 1, "steps": 120, "eval_every": 60, "eval_episodes": 1,
         "agent": {"hidden": (16, 16), "batch_size": 16, "updates_per_step": 1, "learning_starts": 40,
                   "members": 2, "model_hidden": 16, "model_layers": 2, "model_epochs": 1, "model_train_freq": 40,
                   "rollout_batch": 16, "rollout_schedule": (40, 80, 1, 2)},
         "coplanner": {"plan_candidates": 2, "plan_horizon": 2}, "env": {"max_episode_steps": 60}}


def _reference_set(env, n: int, seed: int = 12_345):
    """A state set shared by both arms, fixed before the runs: ``n`` states uniform over the task's region
    (angle in (-pi, pi], angular velocity in [-8, 8]) with uniform actions, next states from the true model.
    Each arm's model is judged on the same transitions, wherever its own policy went."""
    from dynlearn.control.transitions import Transitions

    rng = np.random.default_rng(seed)
    th, thd = rng.uniform(-np.pi, np.pi, n), rng.uniform(-8.0, 8.0, n)
    obs = np.stack([np.cos(th), np.sin(th), thd], axis=1)
    act = rng.uniform(env.action_space.low, env.action_space.high, (n, env.action_space.shape[0]))
    return Transitions(obs, act, np.asarray(env.model().step(obs, act)))


def _evaluate(agent, env, episodes: int):
    """Deterministic returns on reset seeds 10,000 + i, and the ensemble's MSE on the visited transitions."""
    from dynlearn.control.transitions import Transitions

    rets, obs_l, act_l, nxt_l = [], [], [], []
    for i in range(episodes):
        obs, _ = env.reset(seed=10_000 + i)
        total, done = 0.0, False
        while not done:
            a = agent.act(obs, deterministic=True)
            nxt, r, term, trunc, _ = env.step(a)
            obs_l.append(obs)
            act_l.append(a)
            nxt_l.append(nxt)
            total += float(r)
            obs, done = nxt, term or trunc
        rets.append(total)
    mse = float("nan")
    if agent.model_fitted_:
        mse = agent.model_.mse(Transitions(np.asarray(obs_l), np.asarray(act_l), np.asarray(nxt_l)))
    return float(np.mean(rets)), mse


def _run_arm(arm: str, seed: int, s: dict, progress) -> dict:
    from dynlearn.control.agents._loop import make_env
    from dynlearn.control.agents.mbpo import MBPO
    from dynlearn.control.coplanner import COPlanner

    env_kw = {**ENV_KW, **s.get("env", {})}
    env, eval_env = make_env(ENV, **env_kw), make_env(ENV, **env_kw)
    cfg = {**AGENT, **s.get("agent", {})}
    cop = {**COPLANNER, **s.get("coplanner", {})}
    agent = MBPO(seed=seed, **cfg) if arm == "mbpo" else COPlanner(seed=seed, **cfg, **cop)
    curve: list[tuple[int, float, float, float]] = []
    ref = _reference_set(eval_env, s.get("reference_states", 2000))

    def callback(step):
        if step % s["eval_every"] == 0:
            ret, mse = _evaluate(agent, eval_env, s["eval_episodes"])
            ref_mse = agent.model_.mse(ref) if agent.model_fitted_ else float("nan")
            curve.append((step, ret, mse, ref_mse))
            progress(f"  {arm} seed {seed} step {step}: eval return {ret:.1f}, model MSE on visited {mse:.3g}, "
                     f"on the reference set {ref_mse:.3g}")

    t0 = time.perf_counter()
    records = agent.train(env, s["steps"], callback=callback)
    wall = time.perf_counter() - t0
    eps = [r for r in records if r["kind"] == "episode"]
    new_mse = [r["model_mse_new"] for r in eps if "model_mse_new" in r]
    reached = [c[0] for c in curve if c[1] >= THRESHOLD]
    return {"arm": arm, "seed": seed, "curve": curve, "steps_to_threshold": reached[0] if reached else None,
            "train_returns": [(r["step"], r["return"]) for r in eps], "behaviour_mse": new_mse,
            "wall_s": wall, "final_return": curve[-1][1] if curve else float("nan")}


def _plot(runs, s, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    colors = {"mbpo": "tab:blue", "coplanner": "tab:red"}
    first = {}
    for r in runs:
        st = [c[0] for c in r["curve"]]
        label = None if r["arm"] in first else {"mbpo": "MBPO", "coplanner": "COPlanner-MBPO"}[r["arm"]]
        first[r["arm"]] = True
        axes[0].plot(st, [c[1] for c in r["curve"]], color=colors[r["arm"]], alpha=0.8, marker="o", ms=3,
                     label=label)
        for ax, col in ((axes[1], 3), (axes[2], 2)):
            ax.semilogy(st, [c[col] for c in r["curve"]], color=colors[r["arm"]], alpha=0.8, marker="o", ms=3,
                        label=label)
    axes[0].axhline(THRESHOLD, color="0.5", ls=":", lw=1, label="threshold")
    axes[0].set(xlabel="real steps", ylabel=f"eval return ({s['eval_episodes']} episodes)",
                title=TASK_NAME)
    axes[1].set(xlabel="real steps", ylabel="ensemble MSE", title="model error on a shared uniform state set")
    axes[2].set(xlabel="real steps", ylabel="ensemble MSE", title="model error on each arm's eval-policy states")
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _nanmean(v):
    v = [x for x in v if np.isfinite(x)]
    return float(np.mean(v)) if v else float("nan")


def _fmt_steps(v, budget):
    return f"> {budget:,} (not reached)" if v is None else f"{v:,}"


@recipe("coplanner", title="COPlanner: Plan to Roll Out Conservatively but to Explore Optimistically (Wang et al.)",
        claim=CLAIM)
def run(ctx: ReproContext) -> ReproResult:
    s = SMOKE if ctx.smoke else FULL
    runs = []
    for k in range(s["seeds"]):
        seed = ctx.seed + k
        for arm in ("mbpo", "coplanner"):  # interleaved, so a change of machine load hits both arms
            ctx.progress(f"{arm}, seed {seed}")
            runs.append(_run_arm(arm, seed, s, ctx.progress))
    budget = s["steps"]
    by = {arm: [r for r in runs if r["arm"] == arm] for arm in ("mbpo", "coplanner")}

    def steps(arm):  # censored runs count at the budget (a lower bound on their true steps)
        return [r["steps_to_threshold"] if r["steps_to_threshold"] is not None else budget for r in by[arm]]

    def mean_mse(arm, last_only=False, col=3):
        vals = []
        for r in by[arm]:
            m = [c[col] for c in r["curve"] if np.isfinite(c[col])]
            if m:
                vals.append(m[-1] if last_only else float(np.mean(m)))
        return float(np.mean(vals)) if vals else float("nan")

    def mean_behaviour(arm):
        vals = [float(np.mean(r["behaviour_mse"])) for r in by[arm] if r["behaviour_mse"]]
        return float(np.mean(vals)) if vals else float("nan")

    st_m, st_c = float(np.mean(steps("mbpo"))), float(np.mean(steps("coplanner")))
    reduction = 1.0 - st_c / st_m if st_m > 0 else float("nan")
    mse_m, mse_c = mean_mse("mbpo"), mean_mse("coplanner")
    own_m, own_c = mean_mse("mbpo", col=2), mean_mse("coplanner", col=2)
    fast = reduction >= 0.2 and sum(r["steps_to_threshold"] is not None for r in by["coplanner"]) >= 1
    lower = mse_c < mse_m
    verdict = "reproduced" if fast and lower else ("partially reproduced" if fast or lower else "not reproduced")

    fig = ctx.figure_path("coplanner-curves.png")
    _plot(runs, s, fig)
    rows = "\n".join(
        f"| {r['arm']} | {r['seed']} | {_fmt_steps(r['steps_to_threshold'], budget)} | {r['final_return']:.1f} | "
        f"{_nanmean([c[3] for c in r['curve']]):.3g} | {_nanmean([c[2] for c in r['curve']]):.3g} | "
        f"{np.mean(r['behaviour_mse']) if r['behaviour_mse'] else float('nan'):.3g} | {r['wall_s']:.0f} |"
        for r in runs)
    n_reach = {a: sum(r["steps_to_threshold"] is not None for r in by[a]) for a in by}
    summary = (
        f"Over {s['seeds']} seeds on {TASK_NAME} (budget {budget:,} real steps), "
        f"COPlanner-MBPO reached an evaluation return of {THRESHOLD:g} in {n_reach['coplanner']}/{s['seeds']} runs "
        f"and plain MBPO in {n_reach['mbpo']}/{s['seeds']}; mean real steps to the threshold (censored runs at the "
        f"budget) {st_c:,.0f} against {st_m:,.0f}, a reduction of {100 * reduction:.0f}% (claim: >= 20%). The "
        f"ensemble's MSE on a shared set of {s.get('reference_states', 2000):,} uniformly drawn transitions, averaged over "
        f"evaluations, is {mse_c:.3g} for COPlanner and {mse_m:.3g} for MBPO ({'lower' if lower else 'not lower'}); "
        f"on each arm's own evaluation-policy states {own_c:.3g} against {own_m:.3g}.")
    markdown = f"""
## Setup (ours beside the paper's)

| | paper (Wang et al. 2024) | here |
|---|---|---|
| tasks | MuJoCo (Hopper, Walker, Ant, HalfCheetah, Humanoid), DMC proprioceptive and visual | `Pendulum-v1` (swing-up, dense reward, 200-step episodes) |
| base agent | MBPO (and DreamerV3) | dynlearn's MBPO: SAC {AGENT['hidden']}, {AGENT['updates_per_step']} updates per real step, {int(100 * AGENT['real_ratio'])}% real data; {AGENT['members']}-member Gaussian ensemble {AGENT['model_layers']} x {AGENT['model_hidden']}, refit every {AGENT['model_train_freq']} steps ({AGENT['model_epochs']} epochs) after {AGENT['learning_starts']} random steps; {AGENT['rollout_batch']} branched rollouts per refit, length 1 -> 4 |
| uncertainty | disagreement of the members' predicted means | the same: sum over dimensions of the members' variance of the predicted next-state mean, each dimension divided by the variance of the model's training targets |
| UP-MPC | K policy samples, H-step policy-guided lookahead, reward + alpha u (explore) / - beta u (rollouts) | K = {COPLANNER['plan_candidates']}, H = {COPLANNER['plan_horizon']}, gamma 0.99, alpha = {COPLANNER['optimism']}, beta = {COPLANNER['conservatism']} (not tuned) |
| budget | 100k-1M real steps, 5+ seeds | {budget:,} real steps, {s['seeds']} seeds (0-{s['seeds'] - 1}), evaluation every {s['eval_every']} steps on {s['eval_episodes']} deterministic episodes (reset seeds 10,000+) |

The threshold is an evaluation return of {THRESHOLD:g}, halfway from a random policy's return (about
-1,250) to a solved pendulum's (about -150).
Half of each SAC batch is real data; MBPO's paper uses 5 %. At 5 % (development runs, seed 0, not
repeated here, 5 updates per real step) neither arm passed -1,000 within 2,500-3,000 real steps, so the
budget this recipe can afford (2,500 real steps per run, 6 runs) could not separate them.
Both arms share seeds, budgets, network sizes and evaluation episodes; the only difference is UP-MPC
choosing the real actions (optimistic) and the model-rollout actions (conservative).
Runs were interleaved (MBPO then COPlanner for each seed) on a shared, loaded machine (about eight
other jobs on 2 cores), so wall times are noisy; their ratio within a seed is the meaningful figure.

## Results

| arm | seed | real steps to return >= {THRESHOLD:g} | final eval return | model MSE on the shared uniform set (mean over evals) | model MSE on own eval-policy states (mean over evals) | model MSE on fresh behaviour data (mean over refits) | wall s |
|---|---|---|---|---|---|---|---|
{rows}

| | MBPO | COPlanner-MBPO |
|---|---|---|
| runs reaching the threshold | {n_reach['mbpo']}/{s['seeds']} | {n_reach['coplanner']}/{s['seeds']} |
| mean real steps to threshold (censored at {budget:,}) | {st_m:,.0f} | {st_c:,.0f} |
| model MSE on the shared uniform set (mean over evals) | {mse_m:.3g} | {mse_c:.3g} |
| the same, last evaluation | {mean_mse('mbpo', True):.3g} | {mean_mse('coplanner', True):.3g} |
| model MSE on own eval-policy states (mean over evals) | {own_m:.3g} | {own_c:.3g} |
| model MSE on fresh behaviour data | {mean_behaviour('mbpo'):.3g} | {mean_behaviour('coplanner'):.3g} |

![evaluation returns and model error]({fig.name})

How model error is compared. Each arm's own evaluation-policy states are not a common yardstick: a
policy that balances the pendulum visits few, easy states, one that keeps swinging visits many. So
the verdict uses a **shared** set, fixed before the runs: {s.get('reference_states', 2000):,} states drawn
uniformly over the task's region (angle in (-pi, pi], angular velocity in [-8, 8]) with uniform
actions, next states from the true dynamics. The own-policy error is reported beside it, as is the
error on the behaviour policy's fresh data before each refit (COPlanner chooses that data where the
ensemble disagrees, so a higher value there is expected, not a defect).

Why not a sparse-reward task. The issue suggests the sparse cart-pole swing-up or
`MountainCarContinuous`. We measured MountainCarContinuous first (development runs, seed 0, not
repeated by this recipe; 400-step episodes, SAC (64, 64) with 5 updates per real step and 10 % real
data, a 5-member 3 x 64 ensemble refit every 200 steps after 400 random steps, 400 branched rollouts,
UP-MPC K = 5, H = 5): MBPO for 2,400 real steps and COPlanner for 2,000 with the default engine, and
COPlanner for 1,600 more with the engine power doubled to 0.003; no evaluation ever left the valley
(returns about 0). With only the action cost to learn from, SAC drives its policy to near-zero actions
and its automatic temperature to about 0.01, and UP-MPC's candidates are samples of that policy, so
the optimistic choice among them cannot push the car up the hill (in the doubled-power run the chosen
actions' disagreement fell from 0.19 to 0.001). Policy-guided optimism needs a policy that still
spreads its actions; the paper's tasks give it that through many action dimensions and dense rewards. We therefore checked the
claim on the dense Pendulum-v1, where MBPO is known to start slowly because of its model
(`docs/performance.md`, "SAC and MBPO").
"""
    metrics = {"steps_to_threshold_mbpo": st_m, "steps_to_threshold_coplanner": st_c, "reduction": reduction,
               "model_mse_mbpo": mse_m, "model_mse_coplanner": mse_c, "own_mse_mbpo": own_m,
               "own_mse_coplanner": own_c, "reached_mbpo": n_reach["mbpo"],
               "reached_coplanner": n_reach["coplanner"]}
    atomic_write_text(ctx.out_dir / "runs.json", json.dumps(runs, default=float, indent=1))
    return ReproResult(verdict, summary, markdown, metrics, [fig])
