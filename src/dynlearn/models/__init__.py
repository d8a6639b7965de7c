"""Every dynamics model behind one protocol, found through one registry.

>>> from dynlearn import models
>>> m = models.create("linear_ar", lags=3).fit(trajectory)
>>> forecast = m.predict(context, horizon=100)
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from typing import Any

from dynlearn.config import ModelConfig, build_config
from dynlearn.models.base import Capabilities, Model, read_model_dir
from dynlearn.models.registry import MODELS, register

_INFRASTRUCTURE = {"base", "config", "registry", "torch_model", "window_model"}
# Every public module of this package defines and registers models: import them all,
# so a new model file needs no edit here.
for _mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if not _mod.name.startswith("_") and _mod.name not in _INFRASTRUCTURE:
        importlib.import_module(f"{__name__}.{_mod.name}")


def create(name: str, config: Any = None, **overrides: Any) -> Model:
    """A new, unfitted model by registry name with its config overridden by keywords."""
    return model_class(name)(config, **overrides)


def model_class(name: str) -> type[Model]:
    """The registered class of ``name``; an unknown name suggests near names and aliases (LSTM -> gru)."""
    if name not in MODELS:
        from dynlearn.models._aliases import unknown_model

        raise unknown_model(name, MODELS.names())
    return MODELS.get(name)


def load(path: str | os.PathLike) -> Model:
    """Load any saved model; its directory says which class it is."""
    return Model.load(path)


def names() -> list[str]:
    return MODELS.names()


# The torch bases are public here but imported on first use, so `import dynlearn.models` alone
# does not have to import torch for them.
_TORCH_EXPORTS = {
    "TorchModel": "dynlearn.models.torch_model",
    "torch_generator": "dynlearn.models.torch_model",
    "WindowModel": "dynlearn.models.window_model",
    "WindowConfig": "dynlearn.models.window_model",
}


def __getattr__(name: str) -> Any:
    if name in _TORCH_EXPORTS:
        return getattr(importlib.import_module(_TORCH_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MODELS",
    "Capabilities",
    "Model",
    "ModelConfig",
    "TorchModel",
    "WindowConfig",
    "WindowModel",
    "build_config",
    "create",
    "load",
    "model_class",
    "names",
    "read_model_dir",
    "register",
    "torch_generator",
]
