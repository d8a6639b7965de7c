"""dynlearn: learning dynamics from data.

Layers (lower never imports higher): systems/data -> metrics -> models ->
training -> control/rl -> bench/repro -> cli. See docs/ and ARCHITECTURE.md.
"""

__version__ = "0.1.0"
