"""Progress of long fits: a bar with the training loss on a terminal, silence otherwise.

Training loops report through :func:`training_bar`; whether anything is shown
is decided here, once:

- ``set_progress(False)`` (or the environment variable ``DYNLEARN_PROGRESS=0``)
  silences every bar, ``set_progress(True)`` shows them even off a terminal;
- by default (``None``) a bar is shown only when stderr is a terminal;
- ``with quiet(): ...`` silences bars for a block (benchmark workers use it, so
  their bars never interleave with the runner's).
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Iterator

_setting: bool | None = None
_quiet_depth = 0


def set_progress(enabled: bool | None) -> None:
    """Show training bars always (True), never (False) or on a terminal only (None, the default)."""
    global _setting
    _setting = enabled


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No training bars inside the block."""
    global _quiet_depth
    _quiet_depth += 1
    try:
        yield
    finally:
        _quiet_depth -= 1


def enabled() -> bool:
    if _quiet_depth:
        return False
    if _setting is not None:
        return _setting
    if os.environ.get("DYNLEARN_PROGRESS", "").strip() in ("0", "false", "no"):
        return False
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


class _NoBar:
    def update(self, epoch: int, loss: float) -> None:
        pass


class _Bar:
    def __init__(self, progress, task):
        self._progress, self._task = progress, task

    def update(self, epoch: int, loss: float) -> None:
        shown = f"{loss:.4g}" if math.isfinite(loss) else str(loss)
        self._progress.update(self._task, completed=epoch, loss=shown)


@contextlib.contextmanager
def training_bar(label: str, epochs: int) -> Iterator[_Bar | _NoBar]:
    """A bar over ``epochs`` whose ``update(epoch, loss)`` shows the last epoch's mean loss.

    The bar disappears when training ends, so a fit leaves only its own output behind."""
    if not enabled():
        yield _NoBar()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = (
        TextColumn(f"training {label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("epochs  loss {task.fields[loss]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        yield _Bar(progress, progress.add_task(label, total=epochs, loss="-"))


class Epochs:
    """``for epoch in Epochs("gru", 30): ...; bar.loss = value``: epochs 1..n with a bar.

    The loop needs no extra indentation: the bar starts with the first epoch and
    is removed when the loop ends or is left by an exception."""

    def __init__(self, label: str, epochs: int):
        self.label, self.epochs, self.loss = label, int(epochs), math.nan

    def __iter__(self) -> Iterator[int]:
        with training_bar(self.label, self.epochs) as bar:
            for epoch in range(1, self.epochs + 1):
                yield epoch
                bar.update(epoch, self.loss)


__all__ = ["Epochs", "enabled", "quiet", "set_progress", "training_bar"]
