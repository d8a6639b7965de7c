"""``dynlearn control train | eval | collect | offline``: the RL agents of ``dynlearn.control`` from the shell.

The control layer's own command module adds these to ``dynlearn control`` with :func:`register`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from dynlearn.cli._common import console, parse_sets


def train(
    agent: str = typer.Argument(..., help="Agent name: sac or mbpo."),
    env: str = typer.Option(..., "--env", "-e", help="Environment name (see `dynlearn control envs`)."),
    steps: int = typer.Option(20_000, "--steps", help="Real environment steps to take in total."),
    run_dir: Path = typer.Option(None, "--run-dir", "-o", help="Run folder (default runs/AGENT-ENV-sSEED)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the agent, its environment and its data."),
    set_: list[str] = typer.Option(None, "--set", help="Agent config override KEY=VALUE (repeatable)."),
    eval_every: int = typer.Option(2_000, "--eval-every", help="Evaluate every N steps (0: never)."),
    eval_episodes: int = typer.Option(5, "--eval-episodes", help="Episodes per evaluation."),
) -> None:
    """Train an agent; the run folder is checkpointed every episode, and the same command resumes it."""
    from dynlearn.control.agents import get_agent
    from dynlearn.control.agents._loop import make_env
    from dynlearn.control.runlog import plot_learning_curve
    from dynlearn.progress import training_bar

    cls = get_agent(agent)
    ag = cls(parse_sets(set_), seed=seed)
    environment, eval_env = make_env(env), (make_env(env) if eval_every else None)
    run_dir = run_dir or Path("runs") / f"{agent.lower()}-{env}-s{seed}"
    with training_bar(f"{agent} on {env} (steps; last value: step)", steps) as bar:
        recs = ag.train(
            environment,
            steps,
            run_dir=run_dir,
            eval_env=eval_env,
            eval_every=eval_every,
            eval_episodes=eval_episodes,
            progress=lambda s: bar.update(s, s) if s % 100 == 0 else None,
        )
    ag.save(run_dir / "agent")
    png = plot_learning_curve(
        {f"{agent} seed {seed}": run_dir}, run_dir / "learning_curve.png", title=f"{agent} on {env}"
    )
    evals = [r for r in recs if r.get("kind") == "eval"]
    last = f"; last evaluation {evals[-1]['return_mean']:.1f} at step {evals[-1]['step']}" if evals else ""
    console.print(f"trained {agent} for {steps} steps on {env}{last}")
    console.print(f"agent: {run_dir / 'agent'}  log: {run_dir / 'log.jsonl'}  curve: {png}")


def evaluate(
    agent_dir: Path = typer.Argument(..., help="A saved agent folder (RUN_DIR/agent) or a run folder."),
    env: str = typer.Option(..., "--env", "-e", help="Environment name."),
    episodes: int = typer.Option(10, "--episodes", help="Episodes to evaluate."),
    seed: int = typer.Option(10_000, "--seed", help="Reset seed of the first episode (then +1 each)."),
) -> None:
    """Evaluate a saved agent's deterministic policy: mean and spread of episode returns."""
    from dynlearn.control.agents._loop import OffPolicyAgent, make_env

    if (agent_dir / "agent" / "agent.json").exists():
        agent_dir = agent_dir / "agent"
    ag = OffPolicyAgent.load(agent_dir)
    rets = ag.evaluate(make_env(env), episodes, seed=seed)
    console.print(
        f"{ag.name} on {env}: return {rets.mean():.1f} ± {rets.std():.1f} over {len(rets)} episodes "
        f"(min {rets.min():.1f}, max {rets.max():.1f})"
    )


def collect(
    env: str = typer.Option(..., "--env", "-e", help="Environment name."),
    out: Path = typer.Option(Path("datasets"), "--out", "-o", help="Folder that receives ENV-TIER datasets."),
    tiers: str = typer.Option(
        "random,medium,medium-replay,expert", "--tiers", help="Dataset tiers to write (comma-separated)."
    ),
    train_steps: int = typer.Option(20_000, "--train-steps", help="SAC steps behind the expert tier."),
    steps_per_tier: int = typer.Option(10_000, "--steps-per-tier", help="Transitions per tier."),
    eval_every: int = typer.Option(1_000, "--eval-every", help="Snapshot spacing for the medium tier."),
    seed: int = typer.Option(0, "--seed", help="Seed of the agent, its environment and its data."),
    set_: list[str] = typer.Option(None, "--set", help="SAC config override KEY=VALUE (repeatable)."),
    force: bool = typer.Option(False, "--force", help="Replace existing datasets of the same name."),
) -> None:
    """Write D4RL-style offline datasets (random, medium, medium-replay, expert) from SAC."""
    from dynlearn.control.offline import generate_tiers

    written = generate_tiers(
        env,
        out,
        train_steps=train_steps,
        eval_every=eval_every,
        steps_per_tier=steps_per_tier,
        seed=seed,
        overwrite=force,
        agent_config=parse_sets(set_),
        tiers=tuple(t.strip() for t in tiers.split(",") if t.strip()),
        log=lambda m: console.print(m, highlight=False),
    )
    console.print(f"wrote {len(written)} datasets under {out}")


def offline(
    algo: str = typer.Argument(..., help="bc, td3bc or cql."),
    dataset: Path = typer.Option(..., "--dataset", "-d", help="A dataset folder written by `control collect`."),
    steps: int = typer.Option(10_000, "--steps", help="Training steps."),
    episodes: int = typer.Option(5, "--episodes", help="Evaluation episodes on the dataset's environment."),
    seed: int = typer.Option(0, "--seed", help="Seed of the agent, its environment and its data."),
    set_: list[str] = typer.Option(None, "--set", help="Config override KEY=VALUE (repeatable)."),
) -> None:
    """Train an offline baseline on a dataset and evaluate it on the dataset's environment."""
    from dynlearn.control.agents._loop import make_env
    from dynlearn.control.offline import BASELINES, OfflineDataset
    from dynlearn.errors import UnknownNameError

    if algo.lower() not in BASELINES:
        raise UnknownNameError("offline baseline", algo, list(BASELINES))
    ds = OfflineDataset.load(dataset)
    model = BASELINES[algo.lower()](parse_sets(set_), seed=seed).fit(ds, steps)
    rets = model.evaluate(make_env(ds.meta["env"]), episodes)
    console.print(
        f"{algo} on {dataset.name} ({len(ds)} transitions, data return "
        f"{ds.episode_returns().mean():.1f}): return {rets.mean():.1f} ± {rets.std():.1f}"
    )


def register(app: typer.Typer) -> None:
    """Add ``train``, ``eval``, ``collect`` and ``offline`` to the ``dynlearn control`` app."""
    app.command("train")(train)
    app.command("eval")(evaluate)
    app.command("collect")(collect)
    app.command("offline")(offline)


#: a stand-alone ``control`` app, used only while the control layer's own command module is absent
app = typer.Typer(help="Control with learned dynamics: train, evaluate, collect.", no_args_is_help=True)
register(app)
