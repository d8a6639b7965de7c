"""``dynlearn cache``: the compiled-kernel cache on disk (see :mod:`dynlearn.systems._cache`)."""

from __future__ import annotations

from pathlib import Path

import typer

from dynlearn.cli._common import console

app = typer.Typer(help="The compiled-kernel cache: show where it is and how big, or empty it.", no_args_is_help=True)


def _plural(n: int) -> str:
    return f"{n} kernel{'' if n == 1 else 's'}"


@app.command("info")
def info() -> None:
    """Where the kernel cache is, whether it is used, and its size against its bound."""
    from dynlearn.systems import _cache

    i = _cache.info()
    console.print(f"directory: {i['directory']}", highlight=False, soft_wrap=True)
    if i["used"] and not i["kernels"] and not Path(i["directory"]).exists():
        console.print("empty: created when something is first compiled", highlight=False)
        return
    if not i["used"]:
        console.print(
            "not used: it cannot be created, or it is not owned by you and private to you "
            "(kernels are then compiled in memory); set DYNLEARN_CACHE_DIR to a private directory",
            highlight=False,
        )
        return
    console.print(
        f"{_plural(i['kernels'])}, {i['bytes'] / 1e6:.1f} MB of at most {i['max_bytes'] / 1e6:.0f} MB "
        "(least recently used removed first; bound: DYNLEARN_CACHE_MAX_MB)",
        highlight=False,
    )


@app.command("clear")
def clear() -> None:
    """Remove every compiled kernel; the next use compiles it again."""
    from dynlearn.systems import _cache

    n = _cache.clear()
    console.print(f"removed {_plural(n)} from {_cache.cache_root() / 'kernels'}", highlight=False, soft_wrap=True)
