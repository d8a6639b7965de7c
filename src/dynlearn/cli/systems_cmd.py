"""``dynlearn systems``: the chaotic-systems catalog."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from dynlearn.cli._common import console, err_console

app = typer.Typer(help="The chaotic-systems catalog.", no_args_is_help=True)


def _record(s) -> dict:
    return {
        "name": s.name,
        "kind": s.kind,
        "family": s.family,
        "dimension": s.dim,
        "parameters": dict(s.params),
        "initial_condition": list(s.x0),
        "description": s.description,
        "reference": s.reference,
        "equations": s.equations,
        "nonautonomous": s.nonautonomous,
        "max_lyapunov": s.max_lyapunov,
        "lyapunov_time": s.lyapunov_time,
        "lyapunov_spectrum": s.invariants.get("lyapunov_spectrum"),
        "kaplan_yorke_dimension": s.invariants.get("kaplan_yorke_dimension"),
        "correlation_dimension": s.invariants.get("correlation_dimension"),
        "period": s.period,
        "dt": s.dt,
        "invariants": dict(s.invariants),
        "invariants_source": s.invariants_source,
    }


@app.command("list")
def list_systems(
    dim: int = typer.Option(None, "--dim", help="Only systems of this dimension."),
    kind: str = typer.Option(None, "--kind", help="Only flows, maps or delay equations: flow | map | delay."),
    family: str = typer.Option(None, "--family", help="Only one family, e.g. lorenz, sprott, circuits, maps."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable records."),
) -> None:
    """The catalog, one line per system (filter with --dim, --kind and --family)."""
    from dynlearn import systems
    from dynlearn.errors import ValidationError

    kinds = {"flow": "flow", "flows": "flow", "map": "map", "maps": "map", "delay": "delay", "delays": "delay"}
    if kind is not None and kind.lower() not in kinds:
        raise ValidationError(f"--kind must be flow, map or delay; got {kind!r}")
    want = kinds.get((kind or "").lower())
    families = sorted({s.family for _, s in systems.SYSTEMS.items() if s.family})
    if family is not None and family.lower() not in families:
        raise ValidationError(f"--family must be one of {', '.join(families)}; got {family!r}")
    records = [
        _record(s)
        for _, s in systems.SYSTEMS.items()
        if (dim is None or s.dim == dim)
        and (want is None or s.kind == want)
        and (family is None or s.family == family.lower())
    ]
    if as_json:
        typer.echo(json.dumps(records, indent=2))
        return
    table = Table(title=f"{len(records)} systems")
    for col in ("name", "kind", "family", "dim", "λ_max", "period", "description"):
        table.add_column(col)
    for r in records:
        table.add_row(
            r["name"],
            r["kind"],
            r["family"] or "-",
            str(r["dimension"]),
            "-" if r["max_lyapunov"] is None else f"{r['max_lyapunov']:.3g}",
            f"{r['period']:.3g}",
            r["description"],
        )
    console.print(table)


@app.command("show")
def show(
    name: str = typer.Argument(..., help="System name from the catalog (see `dynlearn systems list`)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable record."),
) -> None:
    """Equations, parameters, invariants and reference of one system."""
    from dynlearn import systems

    r = _record(systems.get(name))
    if as_json:
        typer.echo(json.dumps(r, indent=2))
        return
    for key, value in r.items():
        console.print(f"[bold]{key}[/]: {value}")


@app.command("simulate")
def simulate(
    name: str = typer.Argument(..., help="System name from the catalog (see `dynlearn systems list`)."),
    points: int = typer.Option(10_000, "--points", "-n", help="Number of output points."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random initial condition."),
    points_per_period: float = typer.Option(100.0, "--points-per-period", help="Sampling granularity."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file: .npz (dynlearn format) or .csv."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file at --out."),
) -> None:
    """Simulate a trajectory on the attractor and write it to a file."""
    from dynlearn import systems
    from dynlearn.data import save_npz, write_csv

    if out.suffix.lower() not in (".csv", ".npz"):
        from dynlearn.errors import ValidationError

        raise ValidationError(f"cannot write {out}: the output must end in .npz (dynlearn format) or .csv")
    from dynlearn.io_utils import check_output_file

    check_output_file(out, force=force)
    with err_console.status(f"simulating {name} ({points:,} points)"):
        (traj,) = systems.simulate(name, n_points=points, seed=seed, points_per_period=points_per_period)
    if out.suffix.lower() == ".csv":
        write_csv(traj, out)
    else:
        save_npz(traj, out)
    err_console.print(f"wrote {traj!r} to {out}")


@app.command("plot")
def plot(
    name: str = typer.Argument(..., help="System name from the catalog (see `dynlearn systems list`)."),
    points: int = typer.Option(20_000, "--points", "-n", help="Number of points to draw."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random initial condition."),
    out: Path = typer.Option(None, "--out", "-o", help="PNG path (default NAME.png)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file at --out."),
) -> None:
    """Draw the attractor (3-D projection of the first three coordinates) to a PNG."""
    from dynlearn import systems
    from dynlearn.systems.plot import plot_attractor

    sys_ = systems.get(name)
    out = out or Path(f"{sys_.name}.png")
    if out.suffix.lower() != ".png":
        from dynlearn.errors import ValidationError

        raise ValidationError(f"cannot write {out}: plots are PNG files (end the path in .png)")
    from dynlearn.io_utils import check_output_file

    check_output_file(out, force=force)
    with err_console.status(f"simulating and drawing {sys_.name} ({points:,} points)"):
        plot_attractor(sys_, out, n_points=points, seed=seed)
    err_console.print(f"wrote {out}")


@app.command("compute-invariants")
def compute_invariants_cmd(
    names: list[str] = typer.Argument(None, help="Systems (default: every registered one)."),
    jobs: int = typer.Option(1, "--jobs", "-j", help="Worker processes."),
    force: bool = typer.Option(False, "--force", help="Recompute systems whose record is current."),
    below_precision: bool = typer.Option(
        False, "--below-precision", help="Also recompute records whose Lyapunov estimate missed its precision target."
    ),
    out: Path = typer.Option(None, "--out", "-o", help="Invariants file (default: the one shipped in the package)."),
) -> None:
    """Compute every system's invariants into systems/data/invariants.json (resumable: finished systems are kept)."""
    from dynlearn.io_utils import exclusive_lock
    from dynlearn.systems import metadata

    path = Path(out) if out else metadata.DEFAULT_PATH

    def progress(name, done, total, rec):
        err_console.print(
            f"[{done}/{total}] {name}: λ_max={rec['max_lyapunov']:.4g} period={rec['period']:.4g} dt={rec['dt']:.3g}",
            highlight=False,
        )

    with exclusive_lock(path.with_name(path.name + ".lock"), what="another compute-invariants run"):
        metadata.compute_all(
            names or None, path=path, on_progress=progress, jobs=jobs, force=force, below_precision=below_precision
        )
    err_console.print(f"invariants written to {path}")
