"""Field models: learned one-step simulators of fields on grids, behind one protocol and one registry.

See :mod:`dynlearn.fields.models.base` for the protocol (``(history, params, mask) -> next frame``,
autoregressive ``rollout``, save/load without pickle). Models in other modules register lazily: the
registry imports a module the first time one of its names is asked for.
"""

from __future__ import annotations

from dynlearn.fields.models.base import (
    FIELD_MODELS,
    FieldModel,
    FieldModelConfig,
    FieldSpec,
    LastFrame,
    build_field_model,
    load_field_model,
    register_field_model,
)

for _name in ("parameter_only", "unet", "sinenet", "fno", "deeponet"):
    FIELD_MODELS.register_lazy(_name, f"dynlearn.fields.models.{_name}")
del _name


def match_parameters(target_count: int, name: str, spec: FieldSpec, **fixed):
    """A ``sinenet`` or ``unet`` config with ``target_count`` trainable parameters within 2%
    (see :func:`dynlearn.fields.models.sinenet.match_parameters`)."""
    from dynlearn.fields.models.sinenet import match_parameters as _match

    return _match(target_count, name, spec, **fixed)


__all__ = [
    "FIELD_MODELS",
    "FieldModel",
    "FieldModelConfig",
    "FieldSpec",
    "LastFrame",
    "build_field_model",
    "load_field_model",
    "match_parameters",
    "register_field_model",
]
