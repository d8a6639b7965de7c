"""The model registry: every model is found by name."""

from __future__ import annotations

from dynlearn.registry import Registry

MODELS: Registry[type] = Registry("model")


def register(name: str):
    """Class decorator: ``@register("esn")`` adds a Model subclass to the registry."""
    return MODELS.register_class(name)
