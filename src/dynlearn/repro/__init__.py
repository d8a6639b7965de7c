"""Reproduction recipes: one per paper, each a CPU-sized experiment that checks
the paper's key claim and reports the numbers it measured.

A recipe is a function registered under the paper's id::

    @recipe("gtf", title="Generalized Teacher Forcing for Learning Chaotic Dynamics",
            claim="GTF keeps gradients bounded and reconstructs the attractor better than BPTT")
    def run(ctx: ReproContext) -> ReproResult: ...

``ctx.smoke`` asks for a seconds-long version (used by the tests); the full
version must run in minutes on 2 CPU cores. ``dynlearn repro ID`` runs it,
prints the result and writes ``docs/repro/ID.md`` (or ``--doc PATH``).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import importlib
import os
import pkgutil
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dynlearn.io_utils import atomic_write_bytes, atomic_write_text
from dynlearn.registry import Registry


@dataclasses.dataclass(frozen=True)
class Recipe:
    id: str
    title: str
    claim: str
    fn: Callable[[ReproContext], ReproResult]


@dataclasses.dataclass
class ReproContext:
    """What a recipe gets: where to write figures, how big to run, a progress callback."""

    out_dir: Path
    smoke: bool = False
    seed: int = 0
    #: the paper-sized run where a recipe's default is a subset (``dynlearn repro run ID --full``)
    full: bool = False
    progress: Callable[[str], None] = print
    #: cells of this call read from an earlier call's cache, and the seconds they took when computed
    reused_cells: int = 0
    reused_seconds: float = 0.0

    def figure_path(self, name: str) -> Path:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        return self.out_dir / name

    def cached(self, key: str, compute: Callable[[], dict[str, Any]], *, folder: str = "runs") -> dict[str, Any]:
        """The JSON result of one cell of a recipe (a seed, a model, a setting), computed once.

        Stored as ``out_dir/folder/key.json``, written atomically when ``compute()`` returns, so a recipe
        that is interrupted and run again resumes after its last finished cell without repeating or losing
        one; a damaged file is computed again. ``key`` must name every setting the result depends on."""
        import json

        path = self.out_dir / folder / f"{key}.json"
        if path.is_file():
            try:
                out = json.loads(path.read_text())
                seconds = float(out.pop(_CELL_SECONDS, 0.0))
                self.reused_cells += 1
                self.reused_seconds += seconds
                return out
            except (OSError, ValueError, AttributeError, TypeError):
                pass  # a damaged cell is recomputed
        start = time.perf_counter()
        out = compute()
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({**out, _CELL_SECONDS: time.perf_counter() - start}))
        return out


_CELL_SECONDS = "__cell_seconds__"


@dataclasses.dataclass
class ReproResult:
    """The outcome of a recipe.

    ``verdict``: ``"reproduced"``, ``"partially reproduced"`` or ``"not reproduced"``;
    ``summary``: one paragraph saying what was measured and whether the claim held;
    ``markdown``: the body of the docs page (tables of measured numbers, setup, deviations);
    ``metrics``: the key numbers, machine-readable; ``figures``: files written.
    """

    verdict: str
    summary: str
    markdown: str
    metrics: dict[str, Any] = dataclasses.field(default_factory=dict)
    figures: list[Path] = dataclasses.field(default_factory=list)


RECIPES: Registry[Recipe] = Registry("reproduction recipe")


def recipe(id: str, *, title: str, claim: str):
    """Register a reproduction recipe under a paper id."""

    def deco(fn):
        RECIPES.register(id, Recipe(id, title, claim, fn))
        return fn

    return deco


def _load_all() -> None:
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")


def get(id: str) -> Recipe:
    _load_all()
    return RECIPES.get(id)


def names() -> list[str]:
    _load_all()
    return RECIPES.names()


def run(
    id: str,
    *,
    out_dir: str | Path = "repro-out",
    smoke: bool = False,
    seed: int = 0,
    progress: Callable[[str], None] = print,
    doc: str | Path | None = None,
    full: bool = False,
) -> ReproResult:
    """Run recipe ``id``; write its docs page to ``doc`` (if given) atomically."""
    rec = get(id)
    ctx = ReproContext(out_dir=Path(out_dir) / rec.id, smoke=smoke, seed=seed, progress=progress, full=full)
    start = time.perf_counter()
    result = rec.fn(ctx)
    seconds = time.perf_counter() - start
    result.metrics.setdefault("wall_seconds", round(seconds, 1))
    if ctx.reused_cells:
        result.metrics.setdefault("reused_cells", ctx.reused_cells)
        result.metrics.setdefault("reused_seconds", round(ctx.reused_seconds, 1))
    if doc is not None:
        # recipes link their figures by bare name. They are written with the page, so it never shows
        # stale pictures: beside a page of docs/repro into docs/figures (docs/repro holds pages only),
        # beside any other page into its own folder; the links are pointed there
        page_dir = Path(doc).resolve().parent
        fig_dir = page_dir.parent / "figures" if page_dir.name == "repro" else page_dir
        for fig in result.figures:
            if Path(fig).is_file():
                target = fig_dir / Path(fig).name
                if Path(fig).resolve() != target:
                    atomic_write_bytes(target, Path(fig).read_bytes())
                link = Path(os.path.relpath(target, page_dir)).as_posix()
                result.markdown = result.markdown.replace(f"]({Path(fig).name})", f"]({link})")
        atomic_write_text(doc, render_page(rec, result, seconds, smoke))
    return result


def render_page(rec: Recipe, result: ReproResult, seconds: float, smoke: bool) -> str:
    from dynlearn import __version__

    when = _dt.date.today().isoformat()
    machine = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    return (
        f"# {rec.title} (`{rec.id}`)\n\n"
        f"**Claim checked:** {rec.claim}\n\n"
        f"**Verdict:** {result.verdict}{' (smoke-sized run: not evidence)' if smoke else ''}\n\n"
        f"{result.summary}\n\n"
        f"{result.markdown.strip()}\n\n"
        f"---\nGenerated by `dynlearn repro run {rec.id}` on {when} (dynlearn {__version__}, {machine}); "
        f"wall time {seconds:.1f} s{_reused(result)}.\n"
    )


def _reused(result: ReproResult) -> str:
    """The footer's note on cells a resumed run read from an earlier call's cache."""
    n = result.metrics.get("reused_cells", 0)
    if not n:
        return ""
    seconds = result.metrics.get("reused_seconds", 0.0)
    cost = (
        f"computing {'them' if n != 1 else 'it'} had taken {seconds:.1f} s"
        if seconds > 0
        else "their compute time was not recorded"
    )
    return f"; {n} cell{'s were' if n != 1 else ' was'} read from an earlier call's cache ({cost})"


__all__ = ["RECIPES", "Recipe", "ReproContext", "ReproResult", "get", "names", "recipe", "render_page", "run"]
