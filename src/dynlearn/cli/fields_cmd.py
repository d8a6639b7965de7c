"""``dynlearn fields``: list the PDE solvers, generate field datasets, plot them."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from dynlearn.cli._common import console, err_console, parse_sets
from dynlearn.errors import ValidationError

app = typer.Typer(
    help="Fields on grids: PDE solvers that generate datasets on demand, and their plots.", no_args_is_help=True
)


@app.command("list")
def list_() -> None:
    """The equations and their default settings (change one with `simulate --set KEY=VALUE`)."""
    from dynlearn.fields import EQUATIONS

    table = Table(title="dynlearn fields equations")
    table.add_column("equation")
    table.add_column("what")
    table.add_column("defaults")
    for name in sorted(EQUATIONS):
        eq = EQUATIONS[name]
        table.add_row(
            name,
            eq.description,
            ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in eq.defaults.items()),
        )
    console.print(table)


@app.command("simulate")
def simulate(
    equation: str = typer.Argument(..., help="An equation of `dynlearn fields list`, e.g. navier_stokes_2d."),
    set_: list[str] = typer.Option(None, "--set", help="Setting KEY=VALUE, e.g. nu=1e-3 or batch=8 (repeatable)."),
    output: Path = typer.Option(None, "--output", "-o", help="Also write the dataset to this .npz file."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the on-disk cache."),
) -> None:
    """Run EQUATION's solver (or read its cached result) and report what was made."""
    import time

    from dynlearn.fields import simulate as run
    from dynlearn.fields.generate import cache_path, resolve

    if output is not None and output.suffix.lower() != ".npz":
        raise ValidationError(f"cannot write {output}: datasets are .npz files (end the path in .npz)")
    config = parse_sets(set_)
    full = resolve(equation, **config)
    path = cache_path(equation, full)
    cached = path.is_file() and not no_cache
    t0 = time.perf_counter()
    fields = run(equation, cache=not no_cache, **config)
    seconds = time.perf_counter() - t0
    v = fields.values
    console.print(
        f"{equation}: {v.shape[0]} trajectories x {v.shape[1]} frames x channels {', '.join(fields.channels)} "
        f"on a {' x '.join(str(n) for n in fields.grid.shape)} grid, t = {fields.times[0]:g} to {fields.times[-1]:g} "
        f"({'read from the cache' if cached else f'solved in {seconds:.1f} s'})",
        highlight=False,
    )
    if not no_cache:
        err_console.print(f"cache: {path}", highlight=False)
    if output is not None:
        fields.save(output)
        console.print(f"wrote {output}", highlight=False)


@app.command("plot")
def plot(
    data: Path = typer.Argument(..., help="A fields .npz (from `dynlearn fields simulate -o`)."),
    output: Path = typer.Option(..., "--output", "-o", help="The PNG to write."),
    trajectory: int = typer.Option(0, "--trajectory", "-t", help="Which trajectory of the file."),
    channel: str = typer.Option(None, "--channel", "-c", help="Channel name (default: the first)."),
    frames: int = typer.Option(6, "--frames", help="2-D fields: how many frames, evenly spaced, side by side."),
    streamlines: bool = typer.Option(
        False, "--streamlines", help="2-D fields with u and v channels: draw the streamlines over each frame."
    ),
) -> None:
    """A picture of one trajectory: 2-D fields as a filmstrip of frames, 1-D fields as space-time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from dynlearn.fields import Fields

    if output.suffix.lower() != ".png":
        raise ValidationError(f"cannot write {output}: plots are PNG files (end the path in .png)")
    f = Fields.load(data)
    if not 0 <= trajectory < len(f):
        raise ValidationError(f"--trajectory {trajectory} is out of range: the file holds {len(f)} (0 to {len(f) - 1})")
    ch = f.channels[0] if channel is None else channel
    if ch not in f.channels:
        raise ValidationError(f"no channel {ch!r} in {data.name}; it has {', '.join(f.channels)}")
    values = f.values[trajectory, :, f.channels.index(ch)]
    if values.ndim == 2:  # 1-D field: space-time diagram
        fig, ax = plt.subplots(figsize=(7, 4))
        length = f.grid.lengths[0]
        im = ax.imshow(
            values.T, aspect="auto", origin="lower", cmap="RdBu_r", extent=(f.times[0], f.times[-1], 0, length)
        )
        ax.set_xlabel("t")
        ax.set_ylabel("x")
        fig.colorbar(im, ax=ax, label=ch)
    else:
        if streamlines and not {"u", "v"} <= set(f.channels):
            raise ValidationError(f"--streamlines needs channels u and v; {data.name} has {', '.join(f.channels)}")
        idx = np.unique(np.linspace(0, len(f.times) - 1, max(1, frames)).round().astype(int))
        lim = float(np.abs(values[idx]).max()) or 1.0
        if not all(f.grid.periodic):  # walls: their corner singularities would wash the colours out
            lim = float(np.percentile(np.abs(values[idx]), 99.5)) or lim
        (lx, ly), (nx, ny) = f.grid.lengths, f.grid.shape
        width = 2.3 * max(1.0, min(lx / ly, 4.0))
        fig, axes = plt.subplots(1, len(idx), figsize=(width * len(idx), 2.6), squeeze=False)
        # one obstacle for all trajectories, or one per trajectory
        mask = None if f.mask is None else (f.mask[trajectory] if f.mask.ndim == values.ndim else f.mask)
        for ax, i in zip(axes[0], idx):
            shown = values[i] if mask is None else np.ma.masked_array(values[i], mask)
            im = ax.imshow(shown.T, origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim, extent=(0, lx, 0, ly))
            if mask is not None:  # the solid in grey
                ax.imshow(np.ma.masked_array(mask, ~mask).T, origin="lower", cmap="Greys", vmin=0, vmax=2,
                          extent=(0, lx, 0, ly))  # fmt: skip
            if streamlines:
                x, y = np.linspace(0, lx, nx), np.linspace(0, ly, ny)
                uu = f.values[trajectory, i, f.channels.index("u")].T
                vv = f.values[trajectory, i, f.channels.index("v")].T
                if np.any(uu) or np.any(vv):
                    ax.streamplot(x, y, uu, vv, density=1.0, color="k", linewidth=0.5, arrowsize=0.5)
                ax.set_xlim(0, lx)
                ax.set_ylim(0, ly)
            ax.set_title(f"t = {f.times[i]:.3g}", fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        fig.colorbar(im, ax=list(axes[0]), shrink=0.8, label=ch)
    eq = f.meta.get("equation", data.stem)
    fig.suptitle(f"{eq}, trajectory {trajectory}", fontsize=10)
    output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(output, dpi=110, bbox_inches="tight")
    plt.close(fig)
    console.print(f"wrote {output}", highlight=False)


from dynlearn.cli import fields_bench_cmd as _bench  # noqa: E402

app.add_typer(_bench.app, name="bench")
