"""Control with learned dynamics (track B): environments, dynamics models with actions, planners, agents.

The protocols everything here plugs into:

- **Environment**: a Gymnasium ``Env`` with ``env.model()``, its batched true dynamics and reward
  (:class:`TrueDynamics`), ``env.params`` (physical parameters, set by keyword) and ``env.dt``;
  found by name with :func:`make_env` (``dynlearn control envs`` lists them).
- **Dynamics model** (:class:`DynamicsModel`): ``step(obs, actions) -> next_obs``,
  ``reward(obs, actions, next_obs)``, ``terminated(next_obs)`` over batches, numpy or torch. The true
  model, :class:`MLPDynamics`, :class:`GaussianEnsemble` and :class:`ForecasterDynamics` (any
  ``dynlearn.models`` forecaster fitted with inputs, e.g. SINDy with control) all follow it.
- **Planner**: ``plan(model, obs, init=...) -> Plan`` (:class:`RandomShooting`, :class:`CEM`,
  :class:`ICEM`, :class:`MPPI`; :func:`make_planner` by name); :class:`MPC` replans every step.
- **Transitions** ``(s, a, s', r, terminated)``: what models learn from; :func:`collect` gathers them.
- **Bandits with a hidden state** (:mod:`dynlearn.control.bandits`): :class:`DynamicalLinearBandit`,
  policies with ``select``/``update`` (:class:`DynLinUCB`, :class:`LinUCB`), :func:`run_bandit` (regret).

gymnasium is needed for the environments only (``pip install 'dynlearn[control]'``); torch for the
learned models and planners. Both are imported when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ENVS": "dynlearn.control.envs",
    "make_env": "dynlearn.control.envs",
    "env_names": "dynlearn.control.envs",
    "TrueDynamics": "dynlearn.control.envs._base",
    "ControlEnv": "dynlearn.control.envs._base",
    "Transitions": "dynlearn.control.transitions",
    "collect": "dynlearn.control.transitions",
    "DynamicsModel": "dynlearn.control.models",
    "DynamicsConfig": "dynlearn.control.models",
    "MLPDynamics": "dynlearn.control.models",
    "GaussianEnsemble": "dynlearn.control.models",
    "ForecasterDynamics": "dynlearn.control.models",
    "load_dynamics": "dynlearn.control.models",
    "DYNAMICS": "dynlearn.control.models",
    "make_dynamics": "dynlearn.control.models",
    "PLANNERS": "dynlearn.control.planners",
    "Planner": "dynlearn.control.planners",
    "PlannerConfig": "dynlearn.control.planners",
    "Plan": "dynlearn.control.planners",
    "RandomShooting": "dynlearn.control.planners",
    "CEM": "dynlearn.control.planners",
    "ICEM": "dynlearn.control.planners",
    "MPPI": "dynlearn.control.planners",
    "make_planner": "dynlearn.control.planners",
    "MPC": "dynlearn.control.mpc",
    "Episode": "dynlearn.control.mpc",
    "run_episode": "dynlearn.control.mpc",
    "check_compatible": "dynlearn.control.mpc",
    "filmstrip": "dynlearn.control.render",
    # agents and their data (the rl lane)
    "SAC": "dynlearn.control.agents.sac",
    "SACConfig": "dynlearn.control.agents.sac",
    "MBPO": "dynlearn.control.agents.mbpo",
    "MBPOConfig": "dynlearn.control.agents.mbpo",
    "ReplayBuffer": "dynlearn.control.replay",
    # bandits whose actions act through a hidden linear state (dyn-bandits)
    "DynamicalLinearBandit": "dynlearn.control.bandits",
    "DynLinUCB": "dynlearn.control.bandits",
    "LinUCB": "dynlearn.control.bandits",
    "run_bandit": "dynlearn.control.bandits",
    # COPlanner's UP-MPC and MBPO with it (coplanner)
    "COPlanner": "dynlearn.control.coplanner",
    "COPlannerConfig": "dynlearn.control.coplanner",
    "UPMPC": "dynlearn.control.coplanner",
    # sparse ReLU dynamics and mixed-integer MPC (sparse-mpc; HiGHS from the mip extra)
    "SparseReLUDynamics": "dynlearn.control.sparse_mpc",
    "MIPMPC": "dynlearn.control.sparse_mpc",
    "L1Cost": "dynlearn.control.sparse_mpc",
    # SINDy-RL (Dyna-style RL in an E-SINDy surrogate; the sindyrl lane)
    "SindyRL": "dynlearn.control.agents.sindy_rl",
    "SindyRLConfig": "dynlearn.control.agents.sindy_rl",
    # continual learning of dynamics over tasks (HyperCRL and baselines)
    "CONTINUAL": "dynlearn.control.continual",
    "make_continual": "dynlearn.control.continual",
    "load_continual": "dynlearn.control.continual",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'dynlearn.control' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
