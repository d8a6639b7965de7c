"""A small check runner: the pattern behind every conformance kit in dynlearn.

A protocol (models today; control environments, field solvers, probes and
graph learners later) gets one :class:`CheckSuite`. Each check is a function
of a *context* object that the protocol's kit builds once per subject (the
class under test, its small test config, shared data and a cached fitted
instance). A check states what it verifies in its docstring's first line,
fails through :func:`expect` with a message that says what is wrong and how to
fix it, and declares with ``when=`` which subjects it applies to (usually a
capability flag)::

    ENV_CHECKS = CheckSuite("environment")

    @ENV_CHECKS.check
    def check_reset_returns_observation(ctx):
        \"\"\"reset() returns an observation inside the observation space.\"\"\"
        obs = ctx.make().reset(seed=0)
        expect(obs.shape == ctx.space.shape, f"reset returned shape {obs.shape}; ...")

    def check_environment(cls):
        return ENV_CHECKS.run(EnvContext(cls))

``suite.bind(ctx)`` gives the applicable checks one by one (for pytest
parametrisation, so each check is its own test); ``suite.run(ctx)`` runs them
all and raises one :class:`ConformanceError` listing every failure.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

C = TypeVar("C")


class CheckFailed(AssertionError):
    """A check found a problem; the message says what is wrong and how to fix it."""


class ConformanceError(AssertionError):
    """A subject failed one or more checks of its protocol; the message lists each."""

    def __init__(self, label: str, failures: list[tuple[str, str]], n_run: int):
        self.label, self.failures = label, failures
        lines = [f"{label} failed {len(failures)} of {n_run} conformance checks:"]
        lines += [f"- {name}: {msg}" for name, msg in failures]
        super().__init__("\n".join(lines))


def expect(condition: Any, message: str) -> None:
    """Fail the running check with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def expect_raises(exc_type: type[BaseException], fn: Callable[[], Any], what: str, match: str | None = None):
    """Fail unless ``fn()`` raises ``exc_type`` (whose message contains ``match``, case-insensitive).

    ``what`` describes the call in the failure message, e.g. ``"predict(context, -1)"``."""
    try:
        fn()
    except exc_type as exc:
        if match is not None and match.lower() not in str(exc).lower():
            raise CheckFailed(
                f"{what} raised {type(exc).__name__} as it should, but its message {str(exc)!r} "
                f"does not mention {match!r}; say what was wrong and how to fix it"
            ) from None
        return exc
    except CheckFailed:
        raise
    except Exception as exc:
        raise CheckFailed(
            f"{what} raised {type(exc).__name__}: {exc}; it should raise {exc_type.__name__} "
            "(validate in the base class's public method, not in the hook)"
        ) from None
    raise CheckFailed(f"{what} returned normally; it should raise {exc_type.__name__}")


@dataclasses.dataclass(frozen=True)
class Check(Generic[C]):
    """One conformance check: ``fn(ctx)`` raises :class:`CheckFailed` on a problem."""

    name: str
    fn: Callable[[C], None]
    when: Callable[[C], bool] | None = None

    @property
    def description(self) -> str:
        doc = (self.fn.__doc__ or "").strip()
        return doc.splitlines()[0].rstrip(".") if doc else self.name

    def applies(self, ctx: C) -> bool:
        return self.when is None or bool(self.when(ctx))


@dataclasses.dataclass(frozen=True)
class BoundCheck(Generic[C]):
    """A check bound to one subject's context; calling it runs the check."""

    check: Check[C]
    ctx: C

    @property
    def name(self) -> str:
        return self.check.name

    def __call__(self) -> None:
        label = getattr(self.ctx, "label", "subject")
        try:
            self.check.fn(self.ctx)
        except CheckFailed as exc:
            raise CheckFailed(f"{label} failed {self.name} ({self.check.description}): {exc}") from None
        except Exception as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1]  # where it was raised
            raise CheckFailed(
                f"{label} failed {self.name} ({self.check.description}): it raised {type(exc).__name__}: {exc} "
                f"(at {frame.filename}:{frame.lineno}, in {frame.name}: {frame.line})"
            ) from exc


class CheckSuite(Generic[C]):
    """The checks of one protocol, in the order they were declared."""

    def __init__(self, kind: str):
        self.kind = kind
        self._checks: dict[str, Check[C]] = {}

    def check(self, fn: Callable[[C], None] | None = None, *, when: Callable[[C], bool] | None = None):
        """Decorator adding a check; ``when(ctx)`` decides whether it applies to a subject."""

        def add(f: Callable[[C], None]) -> Callable[[C], None]:
            if f.__name__ in self._checks:
                raise ValueError(f"{self.kind} check {f.__name__!r} is defined twice")
            self._checks[f.__name__] = Check(f.__name__, f, when)
            return f

        return add if fn is None else add(fn)

    @property
    def checks(self) -> list[Check[C]]:
        return list(self._checks.values())

    def bind(self, ctx: C, select: Iterable[str] | None = None) -> list[BoundCheck[C]]:
        """The checks that apply to ``ctx``'s subject (optionally only those named in ``select``)."""
        if select is not None:
            wanted = list(select)
            unknown = sorted(set(wanted) - set(self._checks))
            if unknown:
                raise ValueError(f"unknown {self.kind} checks {unknown}; known: {', '.join(self._checks)}")
            chosen = [self._checks[n] for n in wanted]
        else:
            chosen = self.checks
        return [BoundCheck(c, ctx) for c in chosen if c.applies(ctx)]

    def run(self, ctx: C, select: Iterable[str] | None = None) -> list[str]:
        """Run every applicable check; return their names, or raise :class:`ConformanceError`."""
        bound = self.bind(ctx, select)
        failures: list[tuple[str, str]] = []
        seen: dict[str, str] = {}  # one root cause often fails many checks: spell it out once
        for b in bound:
            try:
                b()
            except CheckFailed as exc:
                msg = str(exc)
                prefix = f"{getattr(ctx, 'label', 'subject')} failed {b.name} ({b.check.description}): "
                msg = msg[len(prefix) :] if msg.startswith(prefix) else msg
                if msg in seen:
                    failures.append((b.name, f"the same error as {seen[msg]}"))
                else:
                    seen[msg] = b.name
                    failures.append((b.name, f"({b.check.description}) {msg}"))
        if failures:
            raise ConformanceError(getattr(ctx, "label", "subject"), failures, len(bound))
        return [b.name for b in bound]
