"""The catalog's declarations: every public module here is imported and each
function it declares with ``@flow``, ``@map_`` or ``@delay`` becomes a System."""

from __future__ import annotations

import importlib
import pkgutil

from dynlearn.systems.catalog._declare import CATALOG, delay, flow, map_


def load_all() -> list:
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
    return CATALOG


__all__ = ["CATALOG", "delay", "flow", "load_all", "map_"]
