"""Typed configs: dataclasses built from keyword arguments or strings (models, suites, later packages).

``build_config(Config, {"lags": "5"})`` coerces ``"5"`` to the field's type so
the CLI (``--set lags=5``) and suite files share one path; unknown names are
an error that suggests the closest field.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from dynlearn.errors import ValidationError


@dataclasses.dataclass
class ModelConfig:
    """Fields every model has. ``seed`` drives all of a model's randomness."""

    seed: int = 0


def _coerce(value: Any, hint: Any, field: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or (origin is not None and str(origin) == "<class 'types.UnionType'>"):
        if value is None or (isinstance(value, str) and value.lower() == "none"):
            if type(None) in args:
                return None
        last = None
        for a in args:
            if a is type(None):
                continue
            try:
                return _coerce(value, a, field)
            except ValidationError as exc:
                last = exc
        raise last or ValidationError(f"config field {field!r}: cannot use {value!r}")
    if origin in (tuple, list):
        items = value.split(",") if isinstance(value, str) else list(value)
        inner = args[0] if args else str
        return origin(_coerce(v, inner, field) for v in items)
    if hint is bool:
        if isinstance(value, str):
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
            raise ValidationError(f"config field {field!r} must be true or false, got {value!r}")
        return bool(value)
    if hint in (int, float):
        try:
            num = float(value)
        except (TypeError, ValueError):
            raise ValidationError(f"config field {field!r} must be a number, got {value!r}") from None
        if hint is int:
            if num != int(num):
                raise ValidationError(f"config field {field!r} must be a whole number, got {value!r}")
            return int(num)
        return num
    if hint is str:
        return str(value)
    return value


def build_config(cls: type, base: Any = None, overrides: dict[str, Any] | None = None):
    """An instance of the dataclass ``cls`` from ``base`` (instance or dict) and ``overrides``."""
    values: dict[str, Any] = {}
    if base is not None:
        values.update(config_to_dict(base) if dataclasses.is_dataclass(base) else dict(base))
    values.update(overrides or {})
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    for key in values:
        if key not in fields:
            import difflib  # only for the error message

            close = difflib.get_close_matches(key, sorted(fields), n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"valid fields: {', '.join(sorted(fields))}"
            raise ValidationError(f"{cls.__qualname__} has no field {key!r}; {hint}")
    coerced = {k: _coerce(v, hints[k], k) for k, v in values.items()}
    try:
        cfg = cls(**coerced)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"invalid {cls.__qualname__}: {exc}") from None
    validate = getattr(cfg, "validate", None)
    if callable(validate):
        validate()
    return cfg


def from_known_fields(cls: type, d: dict[str, Any], *, what: str = "setting"):
    """``cls(**d)`` for a dataclass ``cls``, refusing a key that is not one of its fields with
    "unknown {what} 'key'; known: [...]" (no coercion: see :func:`build_config` for that)."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - known)
    if unknown:
        raise ValidationError(f"unknown {what} {unknown[0]!r}; known: {sorted(known)}")
    return cls(**d)


def config_to_dict(cfg) -> dict[str, Any]:
    """Every field of a config instance; lists and dicts are copied, other values shared
    (a field may hold an object, e.g. a SINDy ``CustomLibrary``, that must keep its identity)."""
    return {f.name: _copy(getattr(cfg, f.name)) for f in dataclasses.fields(cfg)}


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value
