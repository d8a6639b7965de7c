"""Atomic file writes: write beside the target, fsync, then rename over it."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

import numpy as np


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    import tempfile  # where used: it imports shutil and its compression modules

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp makes 0600; a written file should honour the umask
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_savez(path: str | os.PathLike, **arrays: np.ndarray) -> Path:
    """``np.savez`` to ``path`` atomically (the suffix ``.npz`` is kept as given)."""
    import io

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return atomic_write_bytes(path, buf.getvalue())


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def exclusive_lock(path: str | os.PathLike, *, what: str = "another process", hint: str = "wait for it to finish"):
    """Hold an exclusive lock on ``path`` (created if needed) for the ``with`` block.

    Raises :class:`~dynlearn.errors.DynlearnError` at once if another process
    holds it: two writers of one store or one metadata file would lose work.
    The lock dies with its process, so a killed run never leaves it stuck."""
    from dynlearn.errors import DynlearnError

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown pid"
            raise DynlearnError(f"{path.parent} is in use by {what} ({holder}); {hint}") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- reading npz without pickle ------------------------------------------------------------

PICKLE_REFUSED = "pickle is never loaded"


def read_npz(path: str | os.PathLike, *, what: str = "file") -> dict[str, np.ndarray]:
    """Every array of the npz archive at ``path``, read with ``allow_pickle=False``.

    An archive holding object (pickled) arrays raises
    :class:`~dynlearn.errors.FileFormatError` with dynlearn's own message,
    never numpy's advice to load it unsafely. Other errors propagate."""
    from dynlearn.errors import FileFormatError

    try:
        # our own handle: np.load leaks its file when the zip inside is truncated
        with open(path, "rb") as fh:
            loaded = np.load(fh, allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):
                raise FileFormatError(f"{path} holds a single .npy array, not the npz archive a {what} is stored in")
            with loaded as npz:
                return {k: npz[k] for k in npz.files}
    except ValueError as exc:
        if "pickle" not in str(exc):
            raise
        raise FileFormatError(
            f"{path} holds pickled (object) data and {PICKLE_REFUSED} by dynlearn; "
            f"write the {what} again with numeric arrays only"
        ) from None


# --- refusing to overwrite what is not ours ----------------------------------------------


def _is_current_or_parent(path: Path) -> bool:
    cwd = Path.cwd().resolve()
    return path == cwd or path in cwd.parents or path == Path.home().resolve() or path.parent == path


def describe_existing(path: Path) -> str:
    """A few words on what is at ``path`` (for refusal messages)."""
    if path.is_symlink():
        return "a symbolic link"
    if path.is_dir():
        n = sum(1 for _ in path.iterdir())
        return f"a folder with {n} entr{'y' if n == 1 else 'ies'}"
    if path.exists():
        return "a file"
    return "nothing"


def check_output_file(
    path: str | os.PathLike, *, force: bool = False, inputs: tuple = (), flag: str = "--force"
) -> Path:
    """Check that writing a file at ``path`` loses nothing; returns the path.

    Refused (:class:`~dynlearn.errors.OutputExistsError`): a directory at
    ``path`` (always), one of the ``inputs`` (always), an existing file
    (unless ``force``). ``flag`` is how the caller spells "force" in its
    message (``--force`` on the command line, ``overwrite=True`` in Python)."""
    from dynlearn.errors import OutputExistsError

    path = Path(path)
    real = path.resolve()
    for src in inputs:
        if src is not None and Path(src).resolve() == real:
            raise OutputExistsError(f"{path} is also an input of this command; write the output to another path")
    if real.is_dir():
        raise OutputExistsError(
            f"{path} is a folder; name a file inside it, e.g. {path / ('output' + (path.suffix or '.csv'))}"
        )
    if (real.exists() or path.is_symlink()) and not force:
        raise OutputExistsError(f"{path} already exists; pass {flag} to replace it, or choose another path")
    return path
