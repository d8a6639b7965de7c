"""The ``dynlearn`` command line; every command is a thin call into the library."""

from dynlearn.cli.main import app, main

__all__ = ["app", "main"]
