"""Plots of Koopman spectra: eigenvalues coloured by their ResDMD residual, pseudospectral contours."""

from __future__ import annotations

import numpy as np


def _axes(ax):
    if ax is None:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5, 5))
    return ax


def plot_eigenvalues(estimate, *, tol: float | None = None, ax=None, title: str | None = None):
    """EDMD eigenvalues in the complex plane coloured by log10 residual, with the unit circle;
    with ``tol``, the eigenvalues ResDMD keeps (residual ≤ tol) are circled."""
    ax = _axes(ax)
    lam, res = estimate.eigenvalues, estimate.residuals
    t = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(t), np.sin(t), color="0.6", lw=0.8, zorder=0)
    # colours clipped at 1e-4: residuals at rounding level (the constant function) would flatten the scale
    sc = ax.scatter(
        lam.real, lam.imag, c=np.log10(np.clip(res, 1e-4, None)), cmap="viridis", vmin=-4, vmax=0, s=12, zorder=2
    )
    if tol is not None:
        keep = res <= tol
        ax.scatter(
            lam[keep].real,
            lam[keep].imag,
            s=40,
            facecolors="none",
            edgecolors="red",
            lw=0.8,
            label=f"ResDMD kept (res ≤ {tol:g})",
            zorder=3,
        )
        ax.legend(loc="lower left", fontsize=8)
    ax.figure.colorbar(sc, ax=ax, shrink=0.8, label="log10 residual (clipped at -4)")
    ax.set_aspect("equal")
    ax.set_xlabel("Re λ")
    ax.set_ylabel("Im λ")
    if title:
        ax.set_title(title)
    return ax


def plot_pseudospectrum(re, im, tau, *, levels=(1e-3, 1e-2, 1e-1, 0.3), eigenvalues=None, ax=None, title=None):
    """Contours of τ_N on the grid ``re`` × ``im`` (``tau`` of shape (len(im), len(re))) at ``levels``."""
    ax = _axes(ax)
    t = np.linspace(0, 2 * np.pi, 400)
    ax.plot(np.cos(t), np.sin(t), color="0.6", lw=0.8, ls="--")
    cs = ax.contour(re, im, np.log10(np.maximum(tau, 1e-16)), levels=np.log10(levels), cmap="magma")
    ax.clabel(cs, fmt=lambda v: f"{10**v:g}", fontsize=7)
    if eigenvalues is not None:
        ax.plot(np.real(eigenvalues), np.imag(eigenvalues), ".", color="C0", ms=3, label="EDMD eigenvalues")
        ax.legend(loc="lower left", fontsize=8)
    ax.set_aspect("equal")
    ax.set_xlabel("Re z")
    ax.set_ylabel("Im z")
    if title:
        ax.set_title(title)
    return ax
