"""Koopman spectra from data: DMD, EDMD, kernel EDMD, and ResDMD's verified eigenpairs and pseudospectra.

>>> from dynlearn import koopman
>>> psi = koopman.RBF(n_centers=200, seed=0).fit(X)
>>> est = koopman.edmd(psi(X), psi(Y))          # X, Y: (M, d) snapshot pairs
>>> est.eigenvalues[est.verified(0.05)]         # ResDMD: the eigenvalues with residual <= 0.05
>>> tau = est.pseudospectrum(re[None, :] + 1j * im[:, None])

The mathematics and the references are in :mod:`dynlearn.koopman.spectral` and
``docs/models-koopman.md``; forecasting models built on these (``dmd``, ``edmd``,
``kernel_edmd``) are in :mod:`dynlearn.models.koopman`.
"""

from dynlearn.koopman import plot  # matplotlib is imported only when a plot is drawn
from dynlearn.koopman.dictionaries import RBF, Dictionary, Monomials, Nystrom, RandomFourier, gaussian_kernel
from dynlearn.koopman.spectral import (
    DMDResult,
    IllConditionedWarning,
    KoopmanEstimate,
    dmd,
    edmd,
    edmd_from_gram,
    gram_matrices,
    kernel_edmd,
)

__all__ = [
    "RBF",
    "DMDResult",
    "Dictionary",
    "IllConditionedWarning",
    "KoopmanEstimate",
    "Monomials",
    "Nystrom",
    "RandomFourier",
    "dmd",
    "edmd",
    "edmd_from_gram",
    "gaussian_kernel",
    "gram_matrices",
    "kernel_edmd",
    "plot",
]
