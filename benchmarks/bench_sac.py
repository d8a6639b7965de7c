"""SAC on Pendulum-v1: dynlearn's SAC against stable-baselines3's, same budget, same networks, one run.

    .venv/bin/python benchmarks/bench_sac.py [--steps 20000] [--hidden 256,256] [--seeds 0] [--json out.json]

Both agents: actor and twin critics with hidden layers ``--hidden`` (default 256, 256), Adam with
learning rate 1e-3 (rl-zoo's Pendulum setting), batch 256, gamma 0.99,
tau 0.005, one gradient step per environment step after 100 uniformly random
steps, automatic entropy tuning from alpha = 1 with target -dim(A), replay of
1e6. Each run takes ``--steps`` environment steps; the score is the mean
return of 10 deterministic-policy episodes on a separate environment after
training (reset seeds 10,000-10,009 for all), and after every chunk the mean of
5 such episodes (the curve). Steps per second = training steps / training wall
time (evaluation excluded).

``mbpo`` (on by default) is dynlearn's MBPO with the same SAC settings, taking
a quarter of SAC's real steps (it reaches step k/4 when SAC reaches k): the
issue's target is SAC's final return with <= 1/4 of SAC's real steps. Its
model and rollout settings are ``MBPO_HP`` below. Each BLAS and torch use one
thread; the implementations take turns in this process, ``--chunk`` steps each,
so a change in the machine's load hits both alike (the ratio is the fair figure
on a shared machine).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

HP = {"hidden": (256, 256), "lr": 1e-3, "batch_size": 256, "gamma": 0.99, "tau": 0.005,
      "learning_starts": 100, "buffer_size": 1_000_000}


def _evaluate(policy, seeds=range(10_000, 10_010)) -> float:
    import gymnasium as gym

    env = gym.make("Pendulum-v1")
    rets = []
    for s in seeds:
        obs, _ = env.reset(seed=s)
        done, total = False, 0.0
        while not done:
            obs, r, term, trunc, _ = env.step(policy(obs))
            total += float(r)
            done = term or trunc
        rets.append(total)
    return float(np.mean(rets))


class _Dynlearn:
    def __init__(self, seed: int):
        import gymnasium as gym

        from dynlearn.control.agents.sac import SAC

        self.agent, self.env = SAC(seed=seed, **HP), gym.make("Pendulum-v1")

    def learn_until(self, step: int) -> None:
        self.agent.train(self.env, step)

    def policy(self, obs):
        return self.agent.act(obs, deterministic=True)


class _SB3:
    def __init__(self, seed: int):
        import gymnasium as gym
        from stable_baselines3 import SAC as SB3SAC

        self.model = SB3SAC("MlpPolicy", gym.make("Pendulum-v1"), learning_rate=HP["lr"],
                            buffer_size=HP["buffer_size"], learning_starts=HP["learning_starts"],
                            batch_size=HP["batch_size"], tau=HP["tau"], gamma=HP["gamma"], train_freq=1,
                            gradient_steps=1, ent_coef="auto_1.0", policy_kwargs={"net_arch": list(HP["hidden"])},
                            seed=seed, device="cpu", verbose=0)
        self.done = 0

    def learn_until(self, step: int) -> None:
        self.model.learn(total_timesteps=step - self.done, reset_num_timesteps=self.done == 0)
        self.done = step

    def policy(self, obs):
        return self.model.predict(obs, deterministic=True)[0]


class _MBPO:
    """dynlearn's MBPO with a quarter of SAC's real steps: it advances ``stop // 4`` when SAC reaches ``stop``."""

    share = 4

    def __init__(self, seed: int):
        from dynlearn.control.agents._loop import make_env
        from dynlearn.control.agents.mbpo import MBPO

        self.agent = MBPO(seed=seed, hidden=HP["hidden"], lr=HP["lr"], batch_size=HP["batch_size"],
                          gamma=HP["gamma"], tau=HP["tau"], **MBPO_HP)
        self.env = make_env("pendulum")  # Pendulum-v1 behind the control layer's adapter (its reward function)

    def learn_until(self, step: int) -> None:
        self.agent.train(self.env, step // self.share)

    def policy(self, obs):
        return self.agent.act(obs, deterministic=True)


MBPO_HP = {"updates_per_step": 10, "real_ratio": 0.05, "learning_starts": 250, "members": 7, "model_hidden": 200,
           "model_layers": 3, "model_epochs": 20, "model_train_freq": 250, "rollout_batch": 5_000,
           "rollout_schedule": (1_000, 4_000, 1, 5), "model_retain": 4}

IMPLS = {"dynlearn": _Dynlearn, "sb3": _SB3, "mbpo": _MBPO}


def run(impls: list[str], steps: int, seed: int, chunk: int) -> list[dict]:
    """Train every implementation in alternating chunks of ``chunk`` steps (so load changes hit all alike)."""
    runs = {name: IMPLS[name](seed) for name in impls}
    wall = dict.fromkeys(impls, 0.0)
    curves: dict[str, list] = {n: [] for n in impls}
    for stop in range(chunk, steps + chunk, chunk):
        stop = min(stop, steps)
        for name, r in runs.items():
            t0 = time.perf_counter()
            r.learn_until(stop)
            wall[name] += time.perf_counter() - t0
        curve = {n: _evaluate(r.policy, range(10_000, 10_005)) for n, r in runs.items()}
        for n in impls:
            curves[n].append((stop // getattr(runs[n], "share", 1), curve[n]))
        print(f"step {stop}: " + ", ".join(
            f"{n} {stop / getattr(runs[n], 'share', 1) / wall[n]:.1f} steps/s, return {curve[n]:.0f}" for n in impls),
            flush=True)
        if stop >= steps:
            break
    out = []
    for n, r in runs.items():
        k = steps // getattr(r, "share", 1)
        out.append({"impl": n, "seed": seed, "steps": k, "wall_s": wall[n], "steps_per_s": k / wall[n],
                    "return": _evaluate(r.policy), "curve": curves[n]})
    return out


def plot(rows: list[dict], path: str) -> None:
    """Evaluation return against real steps for every implementation (the curves of one run)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    for r in rows:
        xs, ys = zip(*r["curve"])
        ax.plot(xs, ys, "o-", ms=3, label=f"{r['impl']} (seed {r['seed']})")
    ax.axhline(-200, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("real environment steps")
    ax.set_ylabel("mean return, 5 episodes")
    ax.set_title("Pendulum-v1: SAC (dynlearn, sb3) and MBPO (dynlearn)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    import torch

    torch.set_num_threads(1)
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=20_000)
    p.add_argument("--seeds", default="0")
    p.add_argument("--impls", default="dynlearn,sb3,mbpo")
    p.add_argument("--chunk", type=int, default=1000)
    p.add_argument("--hidden", default="256,256", help="hidden layer widths of actor and critics (both impls)")
    p.add_argument("--json", default=None)
    p.add_argument("--png", default=None, help="write the return curves as a PNG")
    p.add_argument("--plot-only", default=None, help="only draw --png from this JSON of an earlier run")
    args = p.parse_args()
    if args.plot_only:
        with open(args.plot_only) as fh:
            plot(json.load(fh), args.png)
        return
    HP["hidden"] = tuple(int(h) for h in args.hidden.split(","))
    print(f"hyper-parameters (both): {HP}", flush=True)
    rows = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        for row in run(args.impls.split(","), args.steps, seed, args.chunk):
            rows.append(row)
            print(json.dumps(row), flush=True)
    by = {}
    for r in rows:
        by.setdefault(r["impl"], []).append(r)
    for impl, rs in by.items():
        print(f"{impl:9s} return {np.mean([r['return'] for r in rs]):8.1f}  "
              f"steps/s {np.median([r['steps_per_s'] for r in rs]):7.1f}")
    if "dynlearn" in by and "sb3" in by:
        ratio = np.median([r["steps_per_s"] for r in by["dynlearn"]]) / np.median([r["steps_per_s"] for r in by["sb3"]])
        print(f"speed ratio dynlearn / sb3: {ratio:.2f}x")
    if args.json:
        from dynlearn.io_utils import atomic_write_text

        atomic_write_text(args.json, json.dumps(rows, indent=2) + "\n")
    if args.png:
        plot(rows, args.png)


if __name__ == "__main__":
    main()
