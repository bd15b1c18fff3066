"""`nahawi` command line: thin commands that parse options and call library functions.

Each subcommand group lives in its own module and imports heavy dependencies inside the command.
"""
from __future__ import annotations

import sys

import typer

from nahawi.errors import NahawiError

app = typer.Typer(help="Nahawi (نحوي): Arabic grammatical error correction.", no_args_is_help=True,
                  pretty_exceptions_enable=False)


def _register() -> None:
    from nahawi.cli import bench, correct, export, train, train_model  # noqa: F401  (train_model adds to train.app)

    app.add_typer(bench.app, name="bench")
    app.add_typer(train.app, name="train")
    app.command("correct")(correct.correct)
    app.command("export")(export.export)


_register()


def main() -> None:
    try:
        app()
    except NahawiError as error:
        print(f"nahawi: error: {error}", file=sys.stderr)
        sys.exit(2)
