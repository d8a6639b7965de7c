"""``dynlearn repro``: run a paper's reproduction recipe."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from dynlearn.cli._common import console, err_console

app = typer.Typer(help="Paper reproductions: `dynlearn repro list`, `dynlearn repro run ID`.", no_args_is_help=True)


@app.command("list")
def list_recipes() -> None:
    """Every registered reproduction recipe."""
    from dynlearn import repro

    table = Table(title="reproduction recipes")
    for col in ("id", "paper", "claim"):
        table.add_column(col)
    for name in repro.names():
        r = repro.get(name)
        table.add_row(r.id, r.title, r.claim)
    console.print(table)


@app.command("run")
def run(
    id: str = typer.Argument(..., help="Paper id, e.g. gtf (see `dynlearn repro list`)."),
    out: Path = typer.Option(Path("repro-out"), "--out", "-o", help="Directory for figures and artefacts."),
    doc: Path = typer.Option(
        None, "--doc", help="Write the docs page here (default docs/repro/ID.md if docs/ exists)."
    ),
    smoke: bool = typer.Option(False, "--smoke", help="Seconds-long version (checks the plumbing, not the claim)."),
    seed: int = typer.Option(0, "--seed"),
) -> None:
    """Run one reproduction and write its page with the measured numbers."""
    from dynlearn import repro

    rec = repro.get(id)
    if doc is None and Path("docs").is_dir() and not smoke:
        doc = Path("docs/repro") / f"{rec.id}.md"
    err_console.print(f"[bold]{rec.title}[/] ({rec.id}): {rec.claim}")
    result = repro.run(
        rec.id,
        out_dir=out,
        smoke=smoke,
        seed=seed,
        doc=doc,
        progress=lambda msg: err_console.print(f"  {msg}", highlight=False),
    )
    console.print(f"[bold]verdict:[/] {result.verdict}")
    console.print(result.summary)
    console.print(result.markdown)
    if doc:
        err_console.print(f"page: {doc}")
