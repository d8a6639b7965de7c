"""dynlearn's on-disk kernel cache: where it is, whether it may be trusted, and its size bound.

Every compiled part of dynlearn (the integrators of :mod:`._compiled`, the
tangent loops of :mod:`.invariants._tangent`, SINDy's simulation) writes its
generated module to ``<root>/kernels/k_<hash>.py`` and lets numba keep the
machine code beside it in ``__pycache__`` (``cache=True``). ``<root>`` is
``$DYNLEARN_CACHE_DIR``, else ``$XDG_CACHE_HOME/dynlearn`` or
``~/.cache/dynlearn``.

**Trust.** numba's cache index is a pickle, so the directory is used only when
this user owns it and nobody else can write to it (the trust Python gives its
own ``__pycache__``); otherwise :func:`cache_dir` is ``None`` and kernels are
compiled in memory only.

**Bound.** A kernel is one ``.py`` file plus numba's index and data files
(about 0.1–1 MB together). After each new kernel is written, the least
recently used kernels are removed until the directory holds at most
``$DYNLEARN_CACHE_MAX_MB`` megabytes (default :data:`DEFAULT_MAX_MB`); loading
a kernel marks it used. ``dynlearn cache info`` and ``dynlearn cache clear``
show and empty the cache.
"""

from __future__ import annotations

import os
from pathlib import Path

#: default bound of the kernel cache in megabytes (about 300-1000 kernels)
DEFAULT_MAX_MB = 300.0


def cache_root() -> Path:
    """The configured cache directory (whether or not it exists or may be used)."""
    root = os.environ.get("DYNLEARN_CACHE_DIR")
    if root:
        return Path(root)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "dynlearn"


def _private(st) -> bool:
    return not hasattr(os, "getuid") or (st.st_uid == os.getuid() and not st.st_mode & 0o022)


def cache_dir() -> Path | None:
    """Directory of the generated kernels, or ``None`` when no private, writable one exists."""
    path = cache_root() / "kernels"
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = path.stat()
    except OSError:
        return None
    # numba's cache index is a pickle: use only a directory that this user owns and nobody else can write,
    # so what it loads was written by this user's own dynlearn, as with Python's own bytecode cache
    return path if _private(st) and os.access(path, os.W_OK) else None


def max_bytes() -> float:
    """The size bound in bytes (``$DYNLEARN_CACHE_MAX_MB``, default :data:`DEFAULT_MAX_MB`)."""
    raw = os.environ.get("DYNLEARN_CACHE_MAX_MB")
    try:
        mb = float(raw) if raw else DEFAULT_MAX_MB
    except ValueError:
        mb = DEFAULT_MAX_MB
    return max(0.0, mb) * 1e6


def on_disk(digest: str, function: str) -> bool:
    """Whether numba's cache holds ``function`` of the generated module ``k_<digest>``."""
    d = cache_dir()
    if d is None or not (d / f"k_{digest}.py").exists():
        return False
    return any((d / "__pycache__").glob(f"k_{digest}.{function}-*.nbi"))


def touch(path: Path) -> None:
    """Mark a kernel as used now (its ``.py`` modification time orders the pruning)."""
    try:
        os.utime(path)
    except OSError:
        pass


def _groups(d: Path) -> dict[str, list[Path]]:
    """Files of each kernel, by digest: the ``.py`` and numba's ``__pycache__/k_<digest>.*`` files."""
    groups: dict[str, list[Path]] = {}
    for p in d.glob("k_*.py"):
        groups.setdefault(p.stem[2:], []).append(p)
    pyc = d / "__pycache__"
    if pyc.is_dir():
        for p in pyc.iterdir():
            if p.name.startswith("k_"):
                groups.setdefault(p.name[2:].split(".", 1)[0], []).append(p)
    return groups


def _size(files) -> int:
    total = 0
    for p in files:
        try:
            total += p.stat().st_size
        except OSError:
            pass
    return total


def _last_used(files) -> float:
    times = []
    for p in files:
        try:
            times.append(p.stat().st_mtime)
        except OSError:
            pass
    return max(times, default=0.0)


def _remove(files) -> None:
    for p in files:
        try:
            p.unlink()
        except OSError:
            pass


def prune(limit: float | None = None, keep: str | None = None) -> int:
    """Remove the least recently used kernels until the cache holds at most ``limit`` bytes
    (default :func:`max_bytes`); the kernel ``keep`` (a digest) stays. Returns how many were removed."""
    d = cache_dir()
    if d is None:
        return 0
    limit = max_bytes() if limit is None else limit
    groups = _groups(d)
    sizes = {k: _size(v) for k, v in groups.items()}
    total = sum(sizes.values())
    removed = 0
    for digest in sorted(groups, key=lambda k: _last_used(groups[k])):
        if total <= limit:
            break
        if digest == keep:
            continue
        _remove(groups[digest])
        total -= sizes[digest]
        removed += 1
    return removed


def info() -> dict:
    """What ``dynlearn cache info`` shows: directory, whether it is used, kernels, bytes, bound."""
    root = cache_root() / "kernels"
    d = cache_dir() if root.is_dir() else None  # looking does not create the directory
    groups = _groups(d) if d is not None else {}
    return {
        "directory": str(root),
        "used": d is not None or not root.exists(),  # a missing directory is created on first use
        "kernels": len(groups),
        "bytes": sum(_size(v) for v in groups.values()),
        "max_bytes": max_bytes(),
    }


def clear() -> int:
    """Remove every kernel from the cache; returns how many were removed."""
    d = cache_dir()
    if d is None:
        return 0
    groups = _groups(d)
    for files in groups.values():
        _remove(files)
    return len(groups)
