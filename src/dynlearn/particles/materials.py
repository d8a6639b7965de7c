"""Constitutive laws for the material point method, behind one interface.

A :class:`ConstitutiveLaw` is a ``torch.nn.Module`` with two maps on deformation gradients
``F (..., d, d)`` (batched over any leading axes: scenes, particles):

- :meth:`ConstitutiveLaw.stress`: the first Piola-Kirchhoff stress ``P(F) (..., d, d)`` of the
  elastic part (the simulator turns it into the Kirchhoff stress ``P F^T``);
- :meth:`ConstitutiveLaw.project`: the return mapping applied to the trial elastic ``F`` after each
  step (identity for purely elastic materials; projection onto a yield surface for plastic ones).

Material constants are per-law buffers (``E``, ``nu``, ...), so a law moves with ``.to()`` and is saved
with a model. Analytic laws have no trainable parameters; a neural law (NCLaw) is the same interface
with learned weights, so the simulator, its gradients and its tests do not tell them apart.

Every law must be *frame-indifferent*: ``P(R F) = R P(F)`` for any rotation ``R``, and
``project(R F) = R project(F)``. The conformance suite checks it for every registered name.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch

from dynlearn.registry import Registry

LAWS: Registry[type[ConstitutiveLaw]] = Registry("constitutive law")


def register_law(name: str):
    """Class decorator: ``@register_law("neo_hookean")`` makes the law buildable by name."""

    def _add(cls: type[ConstitutiveLaw]) -> type[ConstitutiveLaw]:
        cls.name = name
        LAWS.register(name, cls)
        return cls

    return _add


def lame(E: float, nu: float) -> tuple[float, float]:
    """Lamé parameters ``(mu, lambda)`` from Young's modulus and Poisson's ratio."""
    return E / (2.0 * (1.0 + nu)), E * nu / ((1.0 + nu) * (1.0 - 2.0 * nu))


class ConstitutiveLaw(torch.nn.Module):
    """Base of the constitutive laws (see the module doc). Subclasses write ``stress`` (and ``project``)."""

    name: ClassVar[str] = "?"
    #: True when project() is not the identity (plastic laws)
    plastic: ClassVar[bool] = False
    #: True when the law is a fluid: the simulator resets its deviatoric deformation every step
    fluid: ClassVar[bool] = False

    def stress(self, F: torch.Tensor) -> torch.Tensor:
        """First Piola-Kirchhoff stress ``(..., d, d)`` of the deformation gradients ``F (..., d, d)``."""
        raise NotImplementedError

    def project(self, F: torch.Tensor) -> torch.Tensor:
        """The return mapping: the admissible elastic ``F`` for the trial ``F`` (identity by default)."""
        return F

    def config(self) -> dict[str, Any]:
        """The constructor arguments (JSON), so that ``type(law)(**law.config())`` rebuilds it."""
        return {}


__all__ = ["LAWS", "ConstitutiveLaw", "lame", "register_law"]
