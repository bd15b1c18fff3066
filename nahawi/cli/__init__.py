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


# What each exit code means, in Arabic, before the message itself (`--lang ar` or NAHAWI_LANG=ar).
ARABIC_KINDS = {EXIT_INPUT: "خطأ في المدخلات", EXIT_MODEL: "خطأ في النموذج", EXIT_INTERNAL: "خطأ داخلي",
                EXIT_USAGE: "خطأ في الخيارات", EXIT_EXTRA: "حزمة إضافية غير مثبتة",
                EXIT_INTERRUPTED: "توقف بطلب المستخدم"}
LANG_HELP = "Language of messages: en or ar."
LATIN_MARKS_HELP = "Write marks the Latin way (, ? ;): yours are kept, and the marks added are written so."


def error_line(code: int, message: str, arabic: bool = False) -> str:
    """The one line every command prints for a failure: `nahawi: error: …`, or in Arabic with its kind."""
    if not arabic:
        return f"nahawi: error: {message}"
    from nahawi.cli.messages import arabic_message

    return f"nahawi: خطأ: {ARABIC_KINDS.get(code, 'خطأ')}: {arabic_message(message) or message}"


def root_lang() -> str | None:
    """The `nahawi --lang` given before the command's name (or NAHAWI_LANG), while a command runs."""
    from typer._click.globals import get_current_context

    context = get_current_context(silent=True)
    return context.find_root().params.get("lang") if context is not None else None


def fail(code: int, message: str) -> typer.Exit:
    """Print a command's failure line, in Arabic when `nahawi --lang ar` (or NAHAWI_LANG=ar) asked for it,
    and return the Exit to raise."""
    typer.echo(error_line(code, message, (root_lang() or "").strip().lower().startswith("ar")), err=True)
    return typer.Exit(code)


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


def _check_lang(value: str | None) -> str | None:
    if value is not None and value.strip().lower()[:2] not in ("en", "ar"):
        raise typer.BadParameter(f"--lang must be en or ar, got {value!r}")
    return value


@app.callback()
def _root(version: bool = typer.Option(False, "--version", help="Print the version and exit.",
                                       callback=_print_version, is_eager=True),
          lang: str | None = typer.Option(None, "--lang", help=f"{LANG_HELP} For every command (`nahawi --lang "
                                          "ar train …`); `nahawi correct` takes it after its name too.",
                                          envvar="NAHAWI_LANG", callback=_check_lang)) -> None:
    pass


def _register() -> None:
    from nahawi.cli import adapt, bench, correct, export, train, train_model  # noqa: F401  (train_model adds to train.app)

    app.add_typer(bench.app, name="bench")
    app.add_typer(train.app, name="train")
    app.command("correct", help=correct.HELP)(correct.correct)
    app.command("adapt", help=adapt.HELP)(adapt.adapt)
    app.add_typer(export.app, name="export")


_register()


def main() -> None:
    try:
        app()
    except NahawiError as error:
        from nahawi.cli.messages import arabic_wanted

        print(error_line(exit_code(error), str(error), arabic_wanted(sys.argv[1:])), file=sys.stderr)
        sys.exit(exit_code(error))
