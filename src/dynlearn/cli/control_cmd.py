"""``dynlearn control``: environments, planning with true or learned models, PETS.

The RL agents' commands (``train``, ``eval``, ``collect``, ``offline``; their agents are found in
``dynlearn.control.agents.AGENTS``) live in ``cli/control_rl_cmd.py`` and are added to this app by its
``register(app)`` when that module is present.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from dynlearn.cli._common import console, parse_sets

app = typer.Typer(help="Control with learned dynamics: environments, planners, agents.", no_args_is_help=True)


def _print_record(rec: dict[str, Any]) -> None:
    console.print(
        "  ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in rec.items()), highlight=False
    )


@app.command("envs")
def envs() -> None:
    """List the environments: observation and action sizes, step length, episode length."""
    from dynlearn.control.envs import ENVS, make_env

    table = Table("name", "obs", "actions", "dt [s]", "episode steps", "parameters")
    for name in ENVS.names():
        env = make_env(name)
        params = ", ".join(
            f.name
            for f in __import__("dataclasses").fields(env.params)
            if f.name not in ("dt", "frame_skip", "max_episode_steps", "sparse")
        )
        table.add_row(
            name,
            str(env.observation_space.shape[0]),
            str(env.action_space.shape[0]),
            f"{env.dt:g}",
            str(env.max_episode_steps),
            params,
        )
    console.print(table)


@app.command("plan")
def plan(
    env: str = typer.Option(..., "--env", "-e", help="Environment name (dynlearn control envs)."),
    model: str = typer.Option("true", "--model", "-m", help="true, or a learned model: ensemble, mlp, sindy."),
    planner: str = typer.Option("cem", "--planner", "-p", help="random, cem, icem or mppi."),
    steps: int = typer.Option(None, "--steps", help="Control steps to run (default: one episode)."),
    random_steps: int = typer.Option(2000, "--random-steps", help="Random real steps a learned model is fitted on."),
    param: list[str] = typer.Option(None, "--param", help="Environment parameter KEY=VALUE (repeatable)."),
    set_: list[str] = typer.Option(None, "--set", help="Planner setting KEY=VALUE, e.g. horizon=20 (repeatable)."),
    model_set: list[str] = typer.Option(None, "--model-set", help="Model setting KEY=VALUE, e.g. epochs=30."),
    seed: int = typer.Option(0, "--seed", help="Seed of the data, the model, the planner and the episode."),
    filmstrip: Path = typer.Option(None, "--filmstrip", help="Write a PNG filmstrip of the rollout here."),
    save_model: Path = typer.Option(None, "--save-model", help="Save the learned model to this directory."),
) -> None:
    """Run one MPC episode in ENV with the true model or a model learned from random data."""
    import numpy as np

    from dynlearn.control import MPC, collect, make_dynamics, make_env, make_planner, run_episode
    from dynlearn.control import filmstrip as draw_filmstrip
    from dynlearn.control.models import DYNAMICS
    from dynlearn.errors import ValidationError

    e = make_env(env, **parse_sets(param))
    if model != "true" and model not in DYNAMICS:
        DYNAMICS.get(model)  # unknown name: an error with suggestions
    p = make_planner(planner, {"seed": seed, **parse_sets(set_)})
    if model == "true":
        m = e.model()
    else:
        if random_steps < 2:
            raise ValidationError("--random-steps must be >= 2 to fit a model")
        data = collect(e, None, random_steps, seed=seed)
        m = make_dynamics(model, reward=e.model(), **{"seed": seed, **parse_sets(model_set)}).fit(data)
        console.print(f"fitted {model} on {len(data)} random steps; one-step MSE {m.mse(data):.3g}", highlight=False)
        if save_model is not None:
            m.save(save_model)
    mpc = MPC(m, p, env=e, seed=seed)
    ep = run_episode(e, mpc, seed=seed, max_steps=steps)
    console.print(
        f"{env} with {model} model and {planner}: return {ep.total_reward:.2f} over {len(ep)} steps "
        f"(plan {1000 * float(np.mean(mpc.plan_seconds)):.0f} ms per step"
        + (f", {len(mpc.fallbacks)} fallbacks" if mpc.fallbacks else "")
        + ")",
        highlight=False,
    )
    if filmstrip is not None:
        draw_filmstrip(e, ep.observations, filmstrip, rewards=ep.rewards, title=f"{env}: {model} model + {planner}")
        console.print(f"wrote {filmstrip}", highlight=False)


@app.command("pets")
def pets(
    env: str = typer.Option(..., "--env", "-e", help="Environment name (dynlearn control envs)."),
    set_: list[str] = typer.Option(None, "--set", help="PETS setting KEY=VALUE, e.g. episodes=5 (repeatable)."),
    out: Path = typer.Option(None, "--out", "-o", help="Directory for history.json and the model."),
    seed: int = typer.Option(0, "--seed", help="Seed of the data, the ensemble, the planner and the episodes."),
) -> None:
    """Run PETS (ensemble + CEM/MPPI) on ENV, printing one line per episode."""
    from dynlearn.control.agents.pets import PETS
    from dynlearn.control.envs import ENVS

    ENVS.get(env)
    PETS(parse_sets(set_), env=env, seed=seed).run(out=out, log=_print_record)


try:  # the rl lane's commands, when present
    from dynlearn.cli import control_rl_cmd
except ImportError:  # pragma: no cover - depends on what is installed
    control_rl_cmd = None
if control_rl_cmd is not None:
    control_rl_cmd.register(app)
