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


# --- npz archives with a JSON header, and weight folders (model.json + weights.safetensors) ---------

META_ENTRY = "__meta__"


def write_npz_with_meta(path: str | os.PathLike, arrays: dict[str, np.ndarray], meta: dict) -> Path:
    """An npz of ``arrays`` plus the JSON ``meta`` as a byte entry ``__meta__``, written atomically."""
    import json

    blob = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    return atomic_savez(path, **arrays, **{META_ENTRY: blob})


def read_npz_with_meta(
    path: str | os.PathLike, *, format: str, version: int, what: str
) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and the JSON header of a file written by :func:`write_npz_with_meta`.

    A missing file, a file that is not an npz archive (corrupt, truncated, another kind), an archive with
    no header, another ``format`` or another ``version`` raise :class:`~dynlearn.errors.FileFormatError`
    naming the file and what it holds instead. No pickle is ever loaded."""
    import json
    import zipfile

    from dynlearn.errors import FileFormatError

    path = Path(path)
    if not path.is_file():
        raise FileFormatError(f"no such file: {path}")
    with open(path, "rb") as f:
        head = f.read(4)
    if head not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise FileFormatError(f"{path} is not an npz archive (corrupt, truncated or another kind of file)")
    try:
        arrays = read_npz(path, what=what)
        if META_ENTRY not in arrays:
            raise FileFormatError(f"{path} has no {META_ENTRY!r} entry: not a dynlearn {what} file")
        meta = json.loads(bytes(arrays.pop(META_ENTRY)).decode("utf-8"))
    except FileFormatError:
        raise
    except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise FileFormatError(f"{path} is not a readable dynlearn {what} file ({type(exc).__name__}: {exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != format:
        got = meta.get("format") if isinstance(meta, dict) else None
        raise FileFormatError(f"{path} holds format {got!r}, expected {format!r}")
    if meta.get("version") != version:
        raise FileFormatError(f"{path} is {what} format version {meta.get('version')}; this dynlearn reads {version}")
    return arrays, meta


def save_weights(path: str | os.PathLike, module, meta: dict, *, header: str = "model.json") -> Path:
    """Write a torch module's ``state_dict`` as ``weights.safetensors`` and ``meta`` as the JSON
    ``header`` into the directory ``path`` (both atomically); never pickle."""
    import json

    from safetensors.torch import save as st_save

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous() for k, v in module.state_dict().items()}
    atomic_write_bytes(path / "weights.safetensors", st_save(tensors))
    atomic_write_text(path / header, json.dumps(meta, indent=1))
    return path


def read_weights_header(path: str | os.PathLike, *, format: str, version: int, what: str, header: str = "model.json"):
    """The JSON header of a folder written by :func:`save_weights`, checked for ``format`` and ``version``."""
    import json

    from dynlearn.errors import FileFormatError

    path = Path(path)
    try:
        meta = json.loads((path / header).read_text())
    except (OSError, ValueError) as exc:
        raise FileFormatError(f"{path / header} cannot be read ({exc}); save the {what} again") from None
    if not isinstance(meta, dict) or meta.get("format") != format:
        raise FileFormatError(f"{path} holds no dynlearn {what} (format {format!r} expected)")
    if meta.get("version") != version:
        raise FileFormatError(f"{path} is {what} format version {meta.get('version')}; this dynlearn reads {version}")
    return meta


def load_weights(path: str | os.PathLike, module, *, what: str):
    """Load ``weights.safetensors`` of the folder ``path`` into ``module`` (a damaged file or weights that
    do not fit the module raise :class:`~dynlearn.errors.FileFormatError`); returns the module."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from dynlearn.errors import FileFormatError

    path = Path(path)
    try:
        tensors = load_file(str(path / "weights.safetensors"))
    except (FileNotFoundError, SafetensorError, OSError) as exc:
        raise FileFormatError(f"{path / 'weights.safetensors'} cannot be read ({exc}); save the {what} again") from None
    try:
        module.load_state_dict(tensors)
    except RuntimeError as exc:
        raise FileFormatError(f"{path} does not match its header ({exc}); save the {what} again") from None
    return module
