"""Learned particle simulators behind one protocol (:mod:`dynlearn.particles.models.base`).

Importing this package registers every model: ``constant_velocity`` (the baseline); ``gns`` and ``giorom``
register lazily (their module is imported the first time the name is asked for).
"""

from __future__ import annotations

from dynlearn.particles.models.base import (
    PARTICLE_MODELS,
    ConstantVelocity,
    ParticleModel,
    ParticleModelConfig,
    ParticleSpec,
    build_particle_model,
    load_particle_model,
    register_particle_model,
)

PARTICLE_MODELS.register_lazy("gns", "dynlearn.particles.models.gns")
PARTICLE_MODELS.register_lazy("giorom", "dynlearn.particles.models.giorom")

__all__ = [
    "PARTICLE_MODELS",
    "ConstantVelocity",
    "ParticleModel",
    "ParticleModelConfig",
    "ParticleSpec",
    "build_particle_model",
    "load_particle_model",
    "register_particle_model",
]
