"""Every dynamics model behind one protocol, found through one registry.

>>> from dynlearn import models
>>> m = models.create("linear_ar", lags=3).fit(trajectory)
>>> forecast = m.predict(context, horizon=100)
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import re
from typing import Any

from dynlearn.config import ModelConfig, build_config
from dynlearn.models.base import Capabilities, Model, read_model_dir
from dynlearn.models.registry import MODELS, register

_INFRASTRUCTURE = {"base", "config", "registry", "torch_model", "window_model"}
#: public modules that register no model (their own API; importing them at discovery would import their
#: dependencies: prose imports dynlearn.symbolic)
_UNREGISTERED = {"prose"}
_REGISTERS = re.compile(r"""^@register\(\s*["']([^"']+)["']""", re.MULTILINE)


def _discover() -> None:
    """List the models of every public module of this package, importing none of them.

    A module's ``@register("name")`` lines are read from its source and the names
    registered lazily: the module (and torch, for the neural models) is imported only
    when one of its models is used, so ``import dynlearn.models`` stays fast. A new
    model file needs no edit here; a module whose names cannot be read is imported."""
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("_") or mod.name in _INFRASTRUCTURE or mod.name in _UNREGISTERED:
            continue
        full = f"{__name__}.{mod.name}"
        spec = importlib.util.find_spec(full)
        try:
            with open(spec.origin, encoding="utf-8") as fh:  # type: ignore[union-attr, arg-type]
                found = _REGISTERS.findall(fh.read())
        except (OSError, TypeError, AttributeError):
            found = []
        if not found:
            importlib.import_module(full)
        for name in found:
            MODELS.register_lazy(name, full)


_discover()


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
