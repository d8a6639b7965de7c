"""``dynlearn particles``: list the MPM scenes, laws and models, simulate particle datasets, plot them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from dynlearn.cli._common import console, err_console, parse_sets
from dynlearn.errors import ValidationError

app = typer.Typer(
    help="Particles: MPM scenes that generate Lagrangian datasets on demand, and their plots.", no_args_is_help=True
)


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


@app.command("list")
def list_() -> None:
    """The scenes with their settings, the constitutive laws and the particle models."""
    from dynlearn.particles.materials import LAWS
    from dynlearn.particles.models import PARTICLE_MODELS
    from dynlearn.particles.scenes import SCENES

    table = Table(title="dynlearn particle scenes (change a setting with `simulate --set KEY=VALUE`)")
    table.add_column("scene")
    table.add_column("what")
    table.add_column("defaults")
    for name in sorted(SCENES):
        sc = SCENES[name]
        table.add_row(name, sc.description, ", ".join(f"{k}={_fmt(v)}" for k, v in sc.defaults.items()))
    console.print(table)
    console.print(f"constitutive laws: {', '.join(LAWS.names())}", highlight=False)
    console.print(f"particle models: {', '.join(PARTICLE_MODELS.names())}", highlight=False)


def _coerce(scene: str, sets: dict[str, str]) -> dict[str, Any]:
    """``--set`` strings to the types of the scene's defaults (lists as comma-separated numbers)."""
    from dynlearn.particles.scenes import resolve

    defaults = resolve(scene)
    out: dict[str, Any] = {}
    for key, text in sets.items():
        if key not in defaults:
            resolve(scene, **{key: None})  # raises the unknown-setting error with the known keys
        default = defaults[key]
        try:
            if "," in text:
                out[key] = [float(x) for x in text.split(",") if x.strip()]
            elif isinstance(default, bool):
                out[key] = text.lower() in ("1", "true", "yes", "on")
            elif isinstance(default, int):
                out[key] = int(text)
            elif isinstance(default, float) or default is None:
                out[key] = None if text.lower() == "none" else float(text)
            else:
                out[key] = text
        except ValueError:
            kind = type(default).__name__ if default is not None else "number"
            raise ValidationError(f"--set {key}={text}: {key} takes a {kind} (default {default!r})") from None
    return out


@app.command("simulate")
def simulate(
    scene: str = typer.Argument(..., help="A scene of `dynlearn particles list`, e.g. sand_column."),
    n_scenes: int = typer.Option(4, "--scenes", "-n", help="How many scenes (random shapes, velocities, materials)."),
    frames: int = typer.Option(100, "--frames", help="Saved frames per scene (the first is the initial state)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the scenes' random draws."),
    set_: list[str] = typer.Option(None, "--set", help="Setting KEY=VALUE, e.g. n_particles=2000 (repeatable)."),
    output: Path = typer.Option(None, "--output", "-o", help="Also write the dataset to this .npz file."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not read or write the on-disk cache."),
) -> None:
    """Run SCENE's MPM simulation (or read its cached result) and report what was made."""
    import time

    from dynlearn.particles.scenes import cache_path, resolve
    from dynlearn.particles.scenes import simulate as run

    if output is not None and output.suffix.lower() != ".npz":
        raise ValidationError(f"cannot write {output}: datasets are .npz files (end the path in .npz)")
    config = _coerce(scene, parse_sets(set_))
    full = resolve(scene, **config)
    path = cache_path(scene, n_scenes, seed, frames, full)
    cached = path.is_file() and not no_cache
    if not cached:
        steps = (frames - 1) * full["save_every"]
        err_console.print(
            f"simulating {n_scenes} x {scene}: {full['n_particles']} particles, {steps} MPM steps on a "
            f"{full['grid']}^2 grid ...",
            highlight=False,
        )
    t0 = time.perf_counter()
    p = run(scene, n_scenes, seed, frames, cache=not no_cache, **config)
    seconds = time.perf_counter() - t0
    console.print(
        f"{scene}: {len(p)} scenes x {len(p.times)} frames x {p.n_particles} particles, t = {p.times[0]:g} to "
        f"{p.times[-1]:g} s, parameters {', '.join(sorted(p.params)) or 'none'} "
        f"({'read from the cache' if cached else f'simulated in {seconds:.1f} s'})",
        highlight=False,
    )
    if not no_cache:
        err_console.print(f"cache: {path}", highlight=False)
    if output is not None:
        p.save(output)
        console.print(f"wrote {output}", highlight=False)


@app.command("plot")
def plot(
    data: Path = typer.Argument(..., help="A particles .npz (from `dynlearn particles simulate -o`)."),
    output: Path = typer.Option(..., "--output", "-o", help="The PNG to write."),
    scene: int = typer.Option(0, "--scene", "-s", help="Which scene of the file."),
    frames: int = typer.Option(6, "--frames", help="How many frames, evenly spaced, side by side."),
) -> None:
    """A filmstrip of one scene's particles, coloured by material."""
    from dynlearn.particles import Particles
    from dynlearn.particles.plot import plot_particles

    if output.suffix.lower() != ".png":
        raise ValidationError(f"cannot write {output}: plots are PNG files (end the path in .png)")
    p = Particles.load(data)
    plot_particles(p, output, scene=scene, frames=frames)
    console.print(f"wrote {output}", highlight=False)
