"""The learning dynamics of neural networks (track D): probes that observe any torch model as it trains.

Training-trajectory recorders, representational geometry, spectral tools, neural tangent kernels and the
task generators of track D's papers. The tools are callbacks and pure functions: they plug into any
training loop and never own it.
"""

from __future__ import annotations

__all__: list[str] = []
