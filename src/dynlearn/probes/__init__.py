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

# foundation (lane probes): recorders and probes, geometry, spectral tools, task generators
from dynlearn.probes.geometry import (  # noqa: E402
    ccgp,
    condition_means,
    effective_rank,
    kernel_alignment,
    linear_cka,
    parallelism_score,
    participation_ratio,
    project_on_axes,
    rbf_cka,
    rdm,
    rsa,
    shattering_dimensionality,
)
from dynlearn.probes.record import (  # noqa: E402
    ActivationRecorder,
    FeatureCache,
    GradientRecorder,
    GroupCurves,
    KNNProbe,
    LinearProbe,
    ParameterRecorder,
    extract_features,
    log_checkpoints,
)
from dynlearn.probes.spectral import asymmetry, eigen_spectra, eigenvector_alignment, principal_angles  # noqa: E402
from dynlearn.probes.tasks import HypercubeTask, augment_images, hypercube_task, two_views  # noqa: E402

__all__ += [
    "ActivationRecorder", "FeatureCache", "GradientRecorder", "GroupCurves", "HypercubeTask", "KNNProbe",
    "LinearProbe", "ParameterRecorder", "asymmetry", "augment_images", "ccgp", "condition_means",
    "effective_rank", "eigen_spectra", "eigenvector_alignment", "extract_features", "hypercube_task",
    "kernel_alignment", "linear_cka", "log_checkpoints", "parallelism_score", "participation_ratio",
    "principal_angles", "project_on_axes", "rbf_cka", "rdm", "rsa", "shattering_dimensionality", "two_views",
]
