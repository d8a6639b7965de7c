"""PETS: probabilistic ensembles with trajectory sampling (Chua et al. 2018, NeurIPS,
"Deep reinforcement learning in a handful of trials using probabilistic dynamics models").

Loop: collect ``seed_steps`` random real steps; then per episode, fit a
:class:`~dynlearn.control.GaussianEnsemble` on all transitions so far (continuing from its weights),
and act in the real environment by MPC with CEM (or any planner) over the ensemble, propagating
``particles`` particles per candidate by trajectory sampling; append the episode's transitions.
The reward is the environment's known reward function, as in the paper.

:meth:`PETS.run` returns one record per episode (real steps so far, return, model loss, planning
wall time per step, fit seconds) and, given ``out``, writes them to ``out/history.json`` atomically
after every episode, plus the model, so a run can be inspected while it goes.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from dynlearn.config import build_config, config_to_dict
from dynlearn.errors import ValidationError


@dataclasses.dataclass
class PETSConfig:
    env: str = "cartpole_swingup"
    frame_skip: int = 4
    max_episode_steps: int = 250
    seed_steps: int = 500
    episodes: int = 10
    planner: str = "cem"
    horizon: int = 30
    population: int = 500
    iterations: int = 5
    elites: int = 50
    particles: int = 7
    alpha: float = 0.1
    members: int = 7
    hidden: int = 200
    layers: int = 3
    propagation: str = "tsinf"
    epochs: int = 50
    batch_size: int = 64
    seed: int = 0

    def validate(self) -> None:
        if self.episodes < 1 or self.seed_steps < 2:
            raise ValidationError("PETS needs episodes >= 1 and seed_steps >= 2")


def _env_kwargs(c: PETSConfig) -> dict[str, Any]:
    from dynlearn.control.envs import make_env

    probe = make_env(c.env)
    kw: dict[str, Any] = {"max_episode_steps": c.max_episode_steps}
    if hasattr(probe.params, "frame_skip"):
        kw["frame_skip"] = c.frame_skip
    return kw


class PETS:
    """The PETS agent (see the module doc). ``PETS(episodes=5).run()``."""

    def __init__(self, config: Any = None, **overrides: Any):
        self.config = build_config(PETSConfig, config, overrides)
        self.model_ = None
        self.history_: list[dict[str, Any]] = []

    def make_env(self):
        from dynlearn.control.envs import make_env

        return make_env(self.config.env, **_env_kwargs(self.config))

    def make_planner(self):
        from dynlearn.control.planners import make_planner

        c = self.config
        return make_planner(
            c.planner,
            horizon=c.horizon,
            population=c.population,
            iterations=c.iterations,
            elites=c.elites,
            particles=c.particles,
            alpha=c.alpha,
            seed=c.seed,
        )

    def run(self, *, out: str | Path | None = None, log=None) -> list[dict[str, Any]]:
        from dynlearn.control.models import GaussianEnsemble
        from dynlearn.control.mpc import MPC, run_episode
        from dynlearn.control.transitions import Transitions, collect
        from dynlearn.io_utils import atomic_write_text

        c = self.config
        env = self.make_env()
        data = collect(env, None, c.seed_steps, seed=c.seed)
        model = GaussianEnsemble(
            members=c.members,
            hidden=c.hidden,
            layers=c.layers,
            propagation=c.propagation,
            epochs=c.epochs,
            batch_size=c.batch_size,
            seed=c.seed,
            reward=env.model(),
        )
        planner = self.make_planner()
        self.model_, self.history_ = model, []
        for ep in range(c.episodes):
            t0 = time.perf_counter()
            model.fit(data)
            fit_s = time.perf_counter() - t0
            mpc = MPC(model, planner, env=env, seed=c.seed + ep)
            episode = run_episode(env, mpc, seed=c.seed + 1000 + ep)
            new = Transitions(
                episode.observations[:-1],
                episode.actions,
                episode.observations[1:],
                episode.rewards,
                np.zeros(len(episode), bool),
                np.zeros(len(episode), int),
            )
            model_mse = model.mse(new)  # on data the model has not seen yet
            data = data.concat(new)
            rec = {
                "episode": ep,
                "real_steps": len(data),
                "return": episode.total_reward,
                "model_mse_next_episode": model_mse,
                "train_loss": model.history_[-1],
                "plan_seconds_per_step": float(np.mean(mpc.plan_seconds)),
                "fit_seconds": fit_s,
                "fallbacks": len(mpc.fallbacks),
            }
            self.history_.append(rec)
            if log is not None:
                log(rec)
            if out is not None:
                out = Path(out)
                atomic_write_text(
                    out / "history.json", json.dumps({"config": config_to_dict(c), "episodes": self.history_}, indent=1)
                )
                model.save(out / "model")
        return self.history_
