"""Agents of ``dynlearn.control``: each runs from a typed config and logs returns, model losses and
wall time per step. PETS lives here (:mod:`dynlearn.control.agents.pets`); SAC and MBPO join it.

:func:`get_agent` finds the online RL agents (SAC, MBPO) by name for ``dynlearn control train``.
"""

from __future__ import annotations

import importlib

from dynlearn.errors import UnknownNameError

#: agent name -> "module:Class" (imported on first use, so torch loads only when an agent is built)
_AGENTS = {
    "sac": "dynlearn.control.agents.sac:SAC",
    "mbpo": "dynlearn.control.agents.mbpo:MBPO",
}


def agent_names() -> list[str]:
    return sorted(_AGENTS)


def get_agent(name: str) -> type:
    """The agent class registered as ``name`` (unknown names get suggestions)."""
    key = str(name).lower()
    if key not in _AGENTS:
        raise UnknownNameError("agent", name, list(_AGENTS))
    module, cls = _AGENTS[key].split(":")
    return getattr(importlib.import_module(module), cls)
