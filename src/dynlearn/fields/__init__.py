"""Neural simulators of fields on grids (track C): ground-truth PDE solvers and the field data model.

- :mod:`dynlearn.fields.spectral`: pseudo-spectral ETDRK4 solvers on periodic grids, batched over
  initial conditions and parameters: 2-D incompressible Navier-Stokes (vorticity form, Kolmogorov
  forcing, drag), 1-D Burgers and Kuramoto-Sivashinsky; each validated against a known solution.
- :mod:`dynlearn.fields.projection`: incompressible Navier-Stokes in a box with walls by a projection
  method on a MAC grid (lid-driven cavity, channel, masked obstacles), validated against Ghia, Ghia &
  Shin (1982) and plane Poiseuille flow.
- :class:`Fields` / :class:`Grid`: ``values (N, T, C, *space)`` with times, channels, grid,
  boundary conditions and per-trajectory parameters; npz + JSON files, no pickle.
- :func:`simulate`: a registered equation's dataset on demand, cached on disk by a hash of its
  configuration.
- :mod:`dynlearn.fields.metrics`: relative L2, NMSE, error against rollout step, energy spectra.
- :mod:`dynlearn.fields.lbm`: D2Q9 lattice Boltzmann (TRT, batched obstacle masks, Zou-He
  inlet/outlet, drag and lift by momentum exchange), validated on Poiseuille and Schaefer-Turek 2D-1;
  the ``cylinder`` equation.

torch is needed by the solvers (``torch.fft``) and imported when one runs.
"""

from __future__ import annotations

from dynlearn.fields.data import Fields, Grid
from dynlearn.fields.generate import EQUATIONS, equations, simulate

__all__ = ["EQUATIONS", "Fields", "Grid", "equations", "simulate"]
