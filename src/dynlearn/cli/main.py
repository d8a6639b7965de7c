"""Entry point of the ``dynlearn`` command."""

from __future__ import annotations

import sys
import warnings

import typer
from rich.markup import escape

from dynlearn.cli import (
    bench_cmd,
    cache_cmd,
    control_cmd,
    data_cmd,
    fields_cmd,
    koopman_cmd,
    models_cmd,
    particles_cmd,
    repro_cmd,
    systems_cmd,
)
from dynlearn.cli._common import State, err_console

app = typer.Typer(
    name="dynlearn",
    help="Learning dynamics from data: systems, models, metrics, benchmarks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # plain help and usage errors: typer's rich help formatter imports rich's markdown and layout
    # modules, which made `dynlearn --help` take 0.6 s where the rest of the CLI takes 0.1 s
    rich_markup_mode=None,
)
app.add_typer(bench_cmd.app, name="bench")
app.add_typer(models_cmd.app, name="models")
app.add_typer(systems_cmd.app, name="systems")
app.add_typer(repro_cmd.app, name="repro")
app.add_typer(cache_cmd.app, name="cache")
app.add_typer(koopman_cmd.app, name="koopman")
app.add_typer(control_cmd.app, name="control")
app.add_typer(fields_cmd.app, name="fields")
app.add_typer(particles_cmd.app, name="particles")
app.command("fit")(models_cmd.fit)
app.command("forecast")(models_cmd.forecast)
app.command("evaluate")(data_cmd.evaluate)
app.command("plot")(data_cmd.plot)


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors.")) -> None:
    State.debug = debug


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; library errors become one line on stderr (exit 2) unless --debug."""
    from dynlearn.errors import DynlearnError

    args = list(sys.argv[1:] if argv is None else argv)
    State.debug = "--debug" in args
    if State.debug:  # --debug is a root option; accept it after the subcommand too
        args = ["--debug", *(a for a in args if a != "--debug")]
    shown = warnings.showwarning
    warnings.showwarning = _note
    try:
        app(args=args, prog_name="dynlearn")
    except KeyboardInterrupt:
        err_console.print("interrupted; finished work is saved — run the same command again to resume")
        sys.exit(130)
    except (DynlearnError, OSError) as exc:
        if State.debug:
            raise
        # one line however long (soft_wrap), and the message is text, not rich markup
        err_console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    finally:
        warnings.showwarning = shown


def _note(message, category, filename, lineno, file=None, line=None) -> None:
    """A library warning as one line through the console, so it never tears a progress bar."""
    where = "" if category is UserWarning else f" ({category.__name__})"
    err_console.print(f"[yellow]note:[/] {escape(str(message))}{where}", highlight=False, soft_wrap=True)
