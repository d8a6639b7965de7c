"""Agents of ``dynlearn.control``: each runs from a typed config and logs returns, model losses and
wall time per step. PETS lives here (:mod:`dynlearn.control.agents.pets`); SAC and MBPO join it.

``AGENTS`` finds the online RL agents (SAC, MBPO) by name for ``dynlearn control train``; a user's
own agent (a subclass of ``dynlearn.control.agents._loop.OffPolicyAgent``) joins with
``AGENTS.register("name", cls)``.
"""

from __future__ import annotations

from dynlearn.registry import Registry

AGENTS: Registry = Registry("agent")
# imported on first use, so torch loads only when an agent is built
AGENTS.register_lazy("sac", "dynlearn.control.agents.sac")
AGENTS.register_lazy("mbpo", "dynlearn.control.agents.mbpo")
AGENTS.register_lazy("coplanner", "dynlearn.control.coplanner")


def get_agent(name: str) -> type:
    """The agent class registered as ``name`` (unknown names get suggestions)."""
    return AGENTS.get(name)


def agent_names() -> list[str]:
    return AGENTS.names()
