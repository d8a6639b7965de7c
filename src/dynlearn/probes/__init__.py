"""The learning dynamics of neural networks (track D): probes that observe any torch model as it trains.

Training-trajectory recorders, representational geometry, spectral tools, neural tangent kernels and the
task generators of track D's papers. The tools are callbacks and pure functions: they plug into any
training loop and never own it.
"""

from __future__ import annotations

__all__: list[str] = []

# neural tangent kernels and the permutation tasks (issue 21 §4-5); torch is imported only when used
from dynlearn.probes.ntk import FCKernel, GaussianPrediction, empirical_ntk, fc_network, ntk_gp, sample_ensemble  # noqa: E402
from dynlearn.probes.permutations import (  # noqa: E402
    PermutationTask,
    exact_match,
    nonzero_binary_inputs,
    ntk_mean_levels,
    permutation_task,
    round_to_permutation,
)

__all__ += [
    "FCKernel",
    "GaussianPrediction",
    "empirical_ntk",
    "fc_network",
    "ntk_gp",
    "sample_ensemble",
    "PermutationTask",
    "exact_match",
    "nonzero_binary_inputs",
    "ntk_mean_levels",
    "permutation_task",
    "round_to_permutation",
]
