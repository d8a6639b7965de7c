"""Link-prediction models on temporal event streams, behind one protocol and one registry.

``create(name, **config)`` builds a model; every model has ``fit(train)``, ``score(src, dst, t,
history)``, ``save(dir)`` and ``load(dir)`` (see :class:`~dynlearn.graphs.models.base.LinkPredictor`).
Modules are imported on first use, so listing the names does not import torch.
"""

from __future__ import annotations

from pathlib import Path

from dynlearn.graphs.models.base import LinkPredictor, load_model
from dynlearn.registry import Registry

MODELS: Registry[type[LinkPredictor]] = Registry("temporal-graph model")
register = MODELS.register

for _name, _module in (
    ("edgebank", "edgebank"),
    ("graphmixer", "graphmixer"),
    ("dygformer", "dygformer"),
    ("tgn", "tgn"),
    ("gru4rec", "gru4rec"),
    ("semba", "semba"),
):
    MODELS.register_lazy(_name, f"{__name__}.{_module}")


def names() -> list[str]:
    """The registered model names."""
    return MODELS.names()


def create(name: str, **config) -> LinkPredictor:
    """A new, unfitted model ``name`` with its config fields overridden by ``config``."""
    return MODELS.get(name)(**config)


def load(path: str | Path) -> LinkPredictor:
    """A model written by ``save(path)`` (JSON config + safetensors/npz state, never pickle)."""
    return load_model(path, MODELS.get)


__all__ = ["MODELS", "LinkPredictor", "create", "load", "names", "register"]
