"""Environments of ``dynlearn.control``, found by name: ``make_env("cartpole_swingup", gravity=9.0)``.

Every environment follows Gymnasium's ``Env`` API and exposes ``env.model()``, its batched true
dynamics and reward (:class:`TrueDynamics`), ``env.params`` (its physical parameters, set by keyword)
and ``env.dt``. Register your own with ``ENVS.register("name", factory)``; a factory takes the
parameter keywords and returns the environment.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from dynlearn.registry import Registry

ENVS: Registry = Registry("environment")


def _numpy_env(module: str, cls: str, **fixed: Any):
    def factory(**params: Any):
        import importlib

        env_cls = getattr(importlib.import_module(f"dynlearn.control.envs.{module}"), cls)
        return env_cls(**{**fixed, **params})

    factory.__doc__ = f"dynlearn.control.envs.{module}.{cls}" + (f" with {fixed}" if fixed else "")
    return factory


def _gym_env(name: str):
    def factory(**params: Any):
        from dynlearn.control.envs.gym import GymEnv

        return GymEnv(name, **params)

    factory.__doc__ = f"Gymnasium's {name} with its batched true model"
    return factory


ENVS.register("cartpole_swingup", _numpy_env("cartpole_swingup", "CartpoleSwingup"))
ENVS.register("cartpole_swingup_sparse", _numpy_env("cartpole_swingup", "CartpoleSwingup", sparse=True))
ENVS.register("point_mass", _numpy_env("point_mass", "PointMass"))
ENVS.register("reacher", _numpy_env("reacher", "Reacher"))
for _name in ("pendulum", "mountain_car_continuous", "cartpole"):
    ENVS.register(_name, _gym_env(_name))


def _mujoco_env(name: str):
    def factory(**params: Any):
        from dynlearn.control.envs.mujoco import MujocoEnv

        return MujocoEnv(name, **params)

    factory.__doc__ = f"Gymnasium's MuJoCo task {name} (needs dynlearn[mujoco])"
    return factory


if importlib.util.find_spec("mujoco") is not None:  # optional extra: listed only when installed
    for _name in ("inverted_pendulum_v5", "half_cheetah_v5"):
        ENVS.register(_name, _mujoco_env(_name))


def make_env(name: str, **params: Any):
    """The environment ``name`` with physical parameters overridden by keyword.

    An unknown name is an error that suggests close names; an unknown parameter one that
    suggests the closest field."""
    return ENVS.get(name)(**params)


def env_names() -> list[str]:
    return ENVS.names()


__all__ = ["ENVS", "env_names", "make_env"]
