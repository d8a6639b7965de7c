"""Name -> object registries, one per kind (models, systems, metrics, suites, repro).

Users add their own entries without touching the core::

    from dynlearn.models import register

    @register("my_model")
    class MyModel(Model): ...
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Generic, TypeVar

from dynlearn.errors import DuplicateNameError, UnknownNameError, ValidationError

T = TypeVar("T")


def normalize_name(name: str) -> str:
    """Case-, dash- and underscore-insensitive key: ``"Lorenz-63"`` -> ``"lorenz63"``."""
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def _describe(obj: object) -> str:
    """``module.QualName`` of a class or function, else the object's type and name."""
    qual = getattr(obj, "__qualname__", None)
    if qual is not None:
        return f"{getattr(obj, '__module__', '?')}.{qual}"
    label = getattr(obj, "name", None)
    return f"a {type(obj).__name__}" + (f" named {label!r}" if label else "")


class _Lazy:
    """A placeholder for an entry whose module registers it when imported."""

    __slots__ = ("module",)

    def __init__(self, module: str):
        self.module = module


class Registry(Generic[T]):
    """A mapping from names to objects of one kind, with helpful misses."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, tuple[str, T]] = {}

    def register(self, name: str, obj: T | None = None, *, overwrite: bool = False):
        """Register ``obj`` under ``name``; usable as a decorator when ``obj`` is omitted."""

        def _add(item: T) -> T:
            key = normalize_name(name)
            if not key:
                raise ValidationError(
                    f"{self.kind} name {name!r} has no letters or digits; use a name like 'my_{self.kind}'"
                )
            old = self._items.get(key, (None, None))[1]
            # a lazy placeholder is replaced by the entry its module registers
            if key in self._items and not overwrite and old is not item and not isinstance(old, _Lazy):
                taken = self._items[key][0]
                raise DuplicateNameError(
                    f"{self.kind} name {name!r} is already taken by {_describe(old)} (registered as {taken!r}); "
                    "choose another name, or pass overwrite=True to replace it"
                )
            self._items[key] = (name, item)
            return item

        if obj is None:
            return _add
        return _add(obj)

    def register_class(self, name: str):
        """Class decorator: register the class under ``name`` and set its ``name`` attribute to it
        (what every registry of model classes does: ``@MODELS.register_class("esn")``)."""

        def _add(cls):
            cls.name = name
            return self.register(name, cls)

        return _add

    def register_lazy(self, name: str, module: str) -> None:
        """List ``name`` now, import ``module`` (which registers it) on first use.

        This keeps heavy dependencies (torch) out of ``import dynlearn.models``."""
        key = normalize_name(name)
        if key not in self._items:
            self._items[key] = (name, _Lazy(module))  # type: ignore[assignment]

    def _resolve(self, key: str) -> T:
        item = self._items[key][1]
        if isinstance(item, _Lazy):
            importlib.import_module(item.module)
            item = self._items[key][1]
            if isinstance(item, _Lazy):
                raise LookupError(f"module {item.module} did not register {self.kind} {self._items[key][0]!r}")
        return item

    def unregister(self, name: str) -> None:
        """Remove an entry (for plugins and tests that register temporary ones)."""
        self.get(name)
        del self._items[normalize_name(name)]

    def get(self, name: str) -> T:
        try:
            return self._resolve(normalize_name(name))
        except KeyError:
            raise UnknownNameError(self.kind, name, self.names()) from None

    def canonical(self, name: str) -> str:
        """The name an entry was registered under."""
        self.get(name)
        return self._items[normalize_name(name)][0]

    def names(self) -> list[str]:
        return sorted(n for n, _ in self._items.values())

    def items(self) -> Iterator[tuple[str, T]]:
        for key in sorted(self._items):
            yield self._items[key][0], self._resolve(key)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and normalize_name(name) in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"
