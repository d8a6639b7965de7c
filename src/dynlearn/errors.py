"""One exception hierarchy for dynlearn.

Every error a user can cause is a :class:`DynlearnError`; the CLI prints its
message as one line. Messages say what was wrong and how to fix it.
"""

from __future__ import annotations


class DynlearnError(Exception):
    """Base class of every error dynlearn raises on purpose."""


class ValidationError(DynlearnError, ValueError):
    """Input has the wrong shape, dtype, values or ordering."""


class UnknownNameError(DynlearnError, LookupError):
    """A name (model, system, suite, metric, ...) is not registered."""

    def __init__(self, kind: str, name: str, known: list[str] | tuple[str, ...]):
        import difflib

        self.kind, self.name, self.known = kind, name, sorted(known)
        close = difflib.get_close_matches(str(name).lower(), [k.lower() for k in self.known], n=3, cutoff=0.5)
        lookup = {k.lower(): k for k in self.known}
        if close:
            hint = "did you mean " + ", ".join(repr(lookup[c]) for c in close) + "?"
        else:
            hint = "known: " + ", ".join(self.known[:20]) + (" ..." if len(self.known) > 20 else "")
        super().__init__(f"unknown {kind} {name!r}; {hint}")

    def __str__(self) -> str:  # LookupError would quote the message like a KeyError
        return self.args[0]


class DuplicateNameError(DynlearnError, ValueError):
    """A name is registered twice in one registry (models, systems, metrics, ...)."""


class FileFormatError(DynlearnError, ValueError):
    """A file or directory is corrupt, truncated or of the wrong kind."""


class DivergenceError(DynlearnError, FloatingPointError):
    """A simulation or forecast left the finite numbers (NaN, inf, overflow)."""


class NotFittedError(DynlearnError, RuntimeError):
    """A model was used before ``fit`` (or ``load``)."""


class TrainingError(DynlearnError, RuntimeError):
    """Training failed (for example the loss exploded)."""


class OutputExistsError(DynlearnError, FileExistsError):
    """Writing an output would replace or delete something that is not dynlearn's own."""
