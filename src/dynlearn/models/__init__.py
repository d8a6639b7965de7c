"""Every dynamics model behind one protocol, found through one registry.

>>> from dynlearn import models
>>> m = models.create("linear_ar", lags=3).fit(trajectory)
>>> forecast = m.predict(context, horizon=100)
"""

from __future__ import annotations

import os
from typing import Any

from dynlearn.models import baselines  # noqa: F401  (registers the baselines)
from dynlearn.models.base import Capabilities, Model, read_model_dir
from dynlearn.models.config import ModelConfig, build_config
from dynlearn.models.registry import MODELS, register


def create(name: str, config: Any = None, **overrides: Any) -> Model:
    """A new, unfitted model by registry name with its config overridden by keywords."""
    return MODELS.get(name)(config, **overrides)


def load(path: str | os.PathLike) -> Model:
    """Load any saved model; its directory says which class it is."""
    return Model.load(path)


def names() -> list[str]:
    return MODELS.names()


__all__ = [
    "MODELS",
    "Capabilities",
    "Model",
    "ModelConfig",
    "build_config",
    "create",
    "load",
    "names",
    "read_model_dir",
    "register",
]
