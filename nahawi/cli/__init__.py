"""`nahawi` command line: thin commands that parse options and call library functions.

Each subcommand group lives in its own module and imports heavy dependencies inside the command. Owns the
exit codes, one meaning each (`EXIT_CODES`), shared by every command.
"""
from __future__ import annotations

import sys

import typer
from typer.core import TyperGroup

from nahawi import __version__
from nahawi.errors import InputError, MissingExtraError, NahawiError

EXIT_OK, EXIT_INPUT, EXIT_MODEL, EXIT_INTERNAL, EXIT_USAGE, EXIT_EXTRA, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 5, 130
EXIT_CODES = (f"Exit codes: {EXIT_OK} ok, {EXIT_INPUT} input error (unreadable file, invalid UTF-8), "
              f"{EXIT_MODEL} model error (missing or corrupt model directory, unusable device), "
              f"{EXIT_INTERNAL} internal error, {EXIT_USAGE} usage error (unknown option, bad or conflicting "
              f"option values), {EXIT_EXTRA} missing extra (pip install 'nahawi[...]'), "
              f"{EXIT_INTERRUPTED} interrupted.")


def exit_code(error: NahawiError) -> int:
    """The exit code of an expected failure that reached the top."""
    if isinstance(error, MissingExtraError):
        return EXIT_EXTRA
    return EXIT_INPUT if isinstance(error, InputError) else EXIT_MODEL


class UsageExitGroup(TyperGroup):
    """Click exits 2 on a usage error, which is this CLI's model error: usage errors exit EXIT_USAGE."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        from typer._click.exceptions import UsageError

        from nahawi.cli.messages import arabic_message, arabic_wanted

        arabic = arabic_wanted(list(sys.argv[1:] if args is None else args))
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except UsageError as error:
            if not arabic:
                error.show()
                sys.exit(EXIT_USAGE)
            message = error.format_message()
            where = error.ctx.command_path if error.ctx is not None else "nahawi"
            typer.echo(f"nahawi: خطأ: خطأ في الخيارات: {arabic_message(message) or message}\n"
                       f"للمساعدة: {where} --help", err=True)
            sys.exit(EXIT_USAGE)
        except typer.Abort:
            typer.echo("أُوقف التشغيل." if arabic else "Aborted.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(code if isinstance(code, int) else EXIT_OK)


# Plain help (rich_markup_mode=None): rich markup swallowed every "[...]" in help texts ("[env var: …]",
# "[-old-]") and showed flags as taking a <bool>.
app = typer.Typer(help=f"Nahawi (نحوي): Arabic grammatical error correction.\n\n{EXIT_CODES}",
                  no_args_is_help=True, pretty_exceptions_enable=False, cls=UsageExitGroup, rich_markup_mode=None)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"nahawi {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", help="Print the version and exit.",
                                       callback=_print_version, is_eager=True)) -> None:
    pass


def _register() -> None:
    from nahawi.cli import bench, correct, export, train, train_model  # noqa: F401  (train_model adds to train.app)

    app.add_typer(bench.app, name="bench")
    app.add_typer(train.app, name="train")
    app.command("correct", help=correct.HELP)(correct.correct)
    app.add_typer(export.app, name="export")


_register()


def main() -> None:
    try:
        app()
    except NahawiError as error:
        print(f"nahawi: error: {error}", file=sys.stderr)
        sys.exit(exit_code(error))
