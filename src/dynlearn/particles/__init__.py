"""Neural simulators of particles (track C, Lagrangian): a differentiable MPM, graph networks and
reduced-order operators.

- :class:`Particles`: ``positions (N, T, P, d)`` with times, per-particle kinds, the domain box and
  per-scene parameters; npz + JSON files, no pickle.
- :mod:`dynlearn.particles.models`: learned simulators behind one protocol (a window of positions
  -> the next positions), one registry and one conformance suite.

torch is imported when a model or the simulator is used.
"""

from __future__ import annotations

from dynlearn.particles.data import Particles

__all__ = ["Particles"]
