"""``dynlearn koopman``: Koopman spectra of a data file, with ResDMD residuals."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.table import Table

from dynlearn.cli._common import COLUMNS, FILL, RESAMPLE, TIME_COLUMN, console, err_console, load_data, read_options
from dynlearn.errors import ValidationError

app = typer.Typer(help="Koopman spectra from data: EDMD eigenvalues verified by ResDMD.", no_args_is_help=True)

DICTIONARIES = ("rbf", "monomials", "fourier", "nystrom")


@app.command("spectrum")
def spectrum(
    data: Path = typer.Argument(..., help="A .csv (one column per variable) or dynlearn .npz of trajectories."),
    dictionary: str = typer.Option("rbf", "--dictionary", "-d", help=f"One of {', '.join(DICTIONARIES)}."),
    n_functions: int = typer.Option(200, "--n-functions", "-n", help="RBF centres, random features or landmarks."),
    degree: int = typer.Option(3, "--degree", help="Monomial degree (--dictionary monomials)."),
    tol: float = typer.Option(0.05, "--tol", help="ResDMD tolerance: eigenpairs with a larger residual are spurious."),
    top: int = typer.Option(15, "--top", help="Rows of the table (smallest residuals first)."),
    out: Path = typer.Option(None, "--out", "-o", help="PNG of the eigenvalues coloured by residual."),
    seed: int = typer.Option(0, "--seed", help="Seed of the centres / random features."),
    time_column: str = TIME_COLUMN,
    columns: str = COLUMNS,
    fill: str = FILL,
    resample: str = RESAMPLE,
) -> None:
    """EDMD on consecutive states of DATA (standardised), each eigenvalue with its ResDMD residual."""
    import warnings

    import numpy as np

    from dynlearn import koopman

    if dictionary not in DICTIONARIES:
        raise ValidationError(f"--dictionary must be one of {', '.join(DICTIONARIES)}; got {dictionary!r}")
    if out is not None and out.suffix.lower() != ".png":
        raise ValidationError(f"cannot write {out}: plots are PNG files (end the path in .png)")
    loaded = load_data(data, **read_options(time_column, columns, fill, resample))
    trajs = [loaded] if hasattr(loaded, "states") else list(loaded)
    states = np.concatenate([t.states for t in trajs])
    mean, sd = states.mean(0), states.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    X = np.concatenate([(t.states[:-1] - mean) / sd for t in trajs])
    Y = np.concatenate([(t.states[1:] - mean) / sd for t in trajs])
    psi = {
        "rbf": lambda: koopman.RBF(n_functions, seed=seed),
        "monomials": lambda: koopman.Monomials(degree),
        "fourier": lambda: koopman.RandomFourier(n_functions, seed=seed),
        "nystrom": lambda: koopman.Nystrom(n_functions, seed=seed),
    }[dictionary]().fit(X)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", koopman.IllConditionedWarning)
        est = koopman.edmd(psi(X), psi(Y), rcond=1e-10)
    for w in caught:
        err_console.print(f"[yellow]note:[/] {w.message}", highlight=False, soft_wrap=True)
    dt = trajs[0].dt
    order = np.argsort(est.residuals)[: max(top, 0)]
    kept = est.verified(tol)
    table = Table(title=f"{data.name}: {len(est.eigenvalues)} EDMD eigenvalues, {kept.sum()} with residual ≤ {tol}")
    for col in ("λ", "|λ|", "frequency (cycles / time)" if dt else "angle / 2π", "residual", "ResDMD"):
        table.add_column(col, justify="right")
    for j in order:
        lam = est.eigenvalues[j]
        freq = np.angle(lam) / (2 * np.pi * (dt or 1.0))
        table.add_row(
            f"{lam.real:+.4f}{lam.imag:+.4f}i",
            f"{abs(lam):.4f}",
            f"{freq:+.4g}",
            f"{est.residuals[j]:.2e}",
            "kept" if kept[j] else "discarded",
        )
    console.print(table)
    if out is not None:
        from dynlearn.bench.report import _plt
        from dynlearn.koopman.plot import plot_eigenvalues

        plt = _plt()
        fig, ax = plt.subplots(figsize=(6, 5.5))
        plot_eigenvalues(est, tol=tol, ax=ax, title=f"{data.name}: EDMD eigenvalues by ResDMD residual")
        fig.tight_layout()
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp.png")
        fig.savefig(tmp, dpi=110)
        plt.close(fig)
        os.replace(tmp, out)  # atomic: a crash never leaves half a PNG
        err_console.print(f"wrote {out}")
