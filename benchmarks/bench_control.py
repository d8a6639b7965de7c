"""Track B measurements: planner throughput, planning quality, and PETS on the cart-pole swing-up.

    .venv/bin/python benchmarks/bench_control.py throughput [--repeats 5] [--json out.json]
    .venv/bin/python benchmarks/bench_control.py quality [--seeds 3] [--warm-iterations 3] [--json out.json]
    .venv/bin/python benchmarks/bench_control.py pets [--real-steps 5000] [--json out.json]

throughput: one CEM plan (population 500, horizon 30, ``--iterations`` 5, 50 elites) from a swing-up
state, on a 7-member Gaussian ensemble (3 hidden layers of ``--hidden`` units) with TS-1 (one
particle per candidate) and TS-inf (7 particles per candidate), and on the true model as the peer
measured in the same run (the same planner, the same number of model steps). Each ensemble is timed
through its fused ``rollout`` and (TS-1) through ``step`` alone, the planner's path for models without
a fused rollout; and as an MPC control step after the first: warm-started from the previous plan
shifted by one, with ``--warm-iterations``. Wall time and the process's CPU time per plan, median (and
the CPU minimum) of ``--repeats`` after one warm-up; torch on ``--threads`` threads (default 1: on a shared machine a
second torch thread mostly waits).

quality: whether fewer warm-started iterations cost return: MPC with the same CEM on the exact
swing-up model, ``--iterations`` at every step against ``--warm-iterations`` after the first step,
one 250-step episode per setting and seed (``--seeds`` seeds from ``--seed``), the same seeds for both.

pets: the true-model reference first (MPC with the same planner on the exact dynamics: the best
return this planner reaches, our "best achievable"), then PETS from ``--seed-steps`` random
steps, one episode per refit, until ``--real-steps`` real steps. One record per episode.
Episodes are 250 steps of 0.04 s (frame_skip 4 on dt 0.01: the 10 s of the DeepMind task).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402


class _StepOnly:
    """The model seen through ``step`` alone: the planner's per-step path (no fused rollout)."""

    def __init__(self, model):
        self.m, self.observation_dim, self.action_dim = model, model.observation_dim, model.action_dim

    def step(self, obs, actions, *, generator=None):
        return self.m.step(obs, actions, generator=generator)

    def reward(self, obs, actions, next_obs):
        return self.m.reward(obs, actions, next_obs)

    def terminated(self, next_obs):
        return self.m.terminated(next_obs)


def _time_plans(planner, model, obs, repeats: int, warm: bool) -> dict:
    """Median wall and CPU ms of ``repeats`` plans after one warm-up; ``warm``: each plan starts from
    the previous plan shifted by one step (an MPC control step after the first)."""
    plan = planner.plan(model, obs)
    wall, cpu = [], []
    for _ in range(repeats):
        init = torch.cat([plan.mean[1:], plan.mean[-1:]]) if warm else None
        w0, c0 = time.perf_counter(), time.process_time()
        plan = planner.plan(model, obs, init=init)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return {"wall_ms": 1000 * statistics.median(wall), "cpu_ms": 1000 * statistics.median(cpu),
            "cpu_ms_min": 1000 * min(cpu)}


def throughput(args) -> dict:
    from dynlearn.control import GaussianEnsemble, collect, make_env, make_planner

    torch.set_num_threads(args.threads)
    env = make_env("cartpole_swingup", frame_skip=4)
    data = collect(env, None, 500, seed=0)
    obs, _ = env.reset(seed=0)
    ts1 = GaussianEnsemble(hidden=args.hidden, layers=3, members=7, epochs=1, propagation="ts1", reward=env.model())
    tsinf = GaussianEnsemble(hidden=args.hidden, layers=3, members=7, epochs=1, propagation="tsinf", reward=env.model())
    ts1.fit(data)
    tsinf.fit(data)
    its, warm_its = args.iterations, args.warm_iterations
    cases = [  # label, model, particles, iterations, warm start
        ("true model", env.model(), 1, its, False),
        ("ensemble ts1, step by step", _StepOnly(ts1), 1, its, False),
        ("ensemble ts1, fused rollout", ts1, 1, its, False),
        (f"ensemble ts1, fused, MPC step ({warm_its} it.)", ts1, 1, warm_its, True),
        ("ensemble tsinf x7, fused rollout", tsinf, 7, its, False),
        (f"ensemble tsinf x7, fused, MPC step ({warm_its} it.)", tsinf, 7, warm_its, True),
    ]
    out = {"threads": args.threads, "iterations": its, "warm_iterations": warm_its, "cases": {}}
    for label, model, particles, iters, warm in cases:
        planner = make_planner(
            "cem", horizon=30, population=500, iterations=its, warm_iterations=iters, elites=50, particles=particles
        )
        rec = _time_plans(planner, model, obs, args.repeats, warm)
        out["cases"][label] = rec
        print(f"{label:46s} wall {rec['wall_ms']:8.1f} ms   cpu {rec['cpu_ms']:8.1f} ms (min {rec['cpu_ms_min']:.1f})",
              flush=True)
    out["load_average"] = os.getloadavg()
    return out


def quality(args) -> dict:
    """MPC on the exact swing-up model, cold plans of ``--iterations`` every step against warm-started
    plans of ``--warm-iterations`` after the first step: the same seeds, the return of each episode."""
    from dynlearn.control import MPC, make_env, make_planner, run_episode

    torch.set_num_threads(args.threads)
    env = make_env("cartpole_swingup", frame_skip=4, max_episode_steps=250)
    out = {"config": vars(args), "episodes": []}
    settings = {"every step": args.iterations, "warm-started": args.warm_iterations}
    for seed in range(args.seed, args.seed + args.seeds):
        for label, warm in settings.items():
            planner = make_planner(
                args.planner, horizon=30, population=500, iterations=args.iterations, warm_iterations=warm, elites=50
            )
            mpc = MPC(env.model(), planner, env=env, seed=seed)
            c0 = time.process_time()
            ep = run_episode(env, mpc, seed=seed)
            rec = {"seed": seed, "setting": label, "iterations": warm, "return": ep.total_reward,
                   "cpu_ms_per_step": 1000 * (time.process_time() - c0) / len(ep)}
            out["episodes"].append(rec)
            print(json.dumps(rec), flush=True)
            if args.json:
                _write(args.json, out)
    out["load_average"] = os.getloadavg()
    return out


def pets(args) -> dict:
    from dynlearn.control import MPC, run_episode
    from dynlearn.control.agents.pets import PETS

    torch.set_num_threads(args.threads)
    episodes = (args.real_steps - args.seed_steps) // 250
    agent = PETS(
        episodes=episodes,
        seed_steps=args.seed_steps,
        hidden=args.hidden,
        population=args.population,
        iterations=args.iterations,
        horizon=args.horizon,
        elites=args.population // 10,
        particles=args.particles,
        propagation=args.propagation,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
    )
    env = agent.make_env()
    t0 = time.perf_counter()
    if args.true_return is None:
        ref = run_episode(env, MPC(env.model(), agent.make_planner(), env=env), seed=agent.config.seed + 1000)
        true_return = ref.total_reward
    else:  # measured by an earlier run of this script with the same planner settings and seed
        true_return = args.true_return
    result = {"config": vars(args), "true_model_return": true_return, "true_model_seconds": time.perf_counter() - t0}
    print(f"true model: return {true_return:.1f} in {result['true_model_seconds']:.0f} s", flush=True)

    def log(rec):
        print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in rec.items()}), flush=True)
        result["episodes"] = agent.history_
        if args.json:
            _write(args.json, result)

    agent.run(log=log)
    best = max(r["return"] for r in agent.history_)
    result["best_pets_return"] = best
    result["fraction_of_true_model"] = best / true_return
    result["first_step_at_90pct"] = next(
        (r["real_steps"] for r in agent.history_ if r["return"] >= 0.9 * true_return), None
    )
    result["load_average"] = os.getloadavg()
    print(json.dumps({k: v for k, v in result.items() if k != "episodes"}, default=float), flush=True)
    return result


def _write(path: str, obj: dict) -> None:
    from dynlearn.io_utils import atomic_write_text

    atomic_write_text(path, json.dumps(obj, indent=1, default=float))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=["throughput", "quality", "pets"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--hidden", type=int, default=None)
    ap.add_argument("--real-steps", type=int, default=5000)
    ap.add_argument("--seed-steps", type=int, default=250)
    ap.add_argument("--population", type=int, default=300)
    ap.add_argument("--iterations", type=int, default=None, help="CEM iterations (throughput/quality 5, pets 3)")
    ap.add_argument("--warm-iterations", type=int, default=3, help="iterations of a warm-started MPC step")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--planner", default="cem")
    ap.add_argument("--horizon", type=int, default=25)
    ap.add_argument("--particles", type=int, default=1)
    ap.add_argument("--propagation", default="ts1")
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--true-return",
        type=float,
        default=None,
        help="reuse the true-model return of an earlier run with the same planner settings and seed",
    )
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    if args.hidden is None:
        args.hidden = 64 if args.part == "throughput" else 128
    if args.iterations is None:
        args.iterations = 3 if args.part == "pets" else 5
    result = {"throughput": throughput, "quality": quality, "pets": pets}[args.part](args)
    if args.json:
        _write(args.json, result)


if __name__ == "__main__":
    main()
