"""`nahawi correct`: correct a file (or standard input) line by line with the engine.

Thin: reads bytes and decodes them strictly (invalid UTF-8 is an input error naming the byte offset, with a
hint when the file looks like UTF-16 or Windows-1256), streams the lines through `nahawi.engine.Corrector`
in bounded chunks, and writes text, JSON lines, M2 or a coloured diff to standard output or, atomically,
to --output. A UTF-8 byte order mark is set aside before correcting and written back. Exit codes:
`nahawi.cli.EXIT_CODES`. The engine is imported inside the command so `nahawi --help` stays fast.
"""
from __future__ import annotations

import codecs
import io
import json
import logging
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, BinaryIO, Self

import typer

from nahawi.cli import (
    EXIT_CODES,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    LANG_HELP,
    LATIN_MARKS_HELP,
    error_line,
    exit_code,
    root_lang,
)
from nahawi.contract import Correction, apply_edits
from nahawi.errors import InputError, NahawiError

FORMATS = ("text", "json", "m2")
CHUNK_LINES = 256  # documents corrected together (sorted by length inside the engine)
CHUNK_BYTES = 1 << 20  # ... or fewer when they are long: memory stays bounded on huge files
SPOOL_BYTES = 1 << 22  # standard output held in memory up to this many characters, then in a temporary file
PROGRESS_BYTES = 256 << 10  # inputs at least this large get a progress bar on a terminal
MAX_LENGTH_HELP = "Hard cap on generated tokens per segment (a segment needing more is left as is)."
CONFIDENCE_HELP = "Drop edits whose confidence (0-1) is below this; edits without a score (spacing) stay."
STRICT_HELP = "The model's strict policy: fewer false alarms on correct text, fewer corrections."
LEARNER_HELP = ("The model's learner policy, for writers learning Arabic: its grammar corrections too (word forms, "
                "agreement), at more false alarms.")
PROGRESS_HELP = "Progress bar on stderr (default: for large input on a terminal)."
VERBOSE_HELP = "Say which device and provider run the model, and why CUDA is not used."
PROFILE_HELP = "A personal profile folder (nahawi adapt; docs/profile.md): correct for that writer."
HELP = f"""Correct Arabic text: each line is a document; empty lines and all text outside the corrections are
kept byte for byte. Colour only on a terminal, never with NO_COLOR set.

{EXIT_CODES}"""
# JSON allows these raw inside strings, but JavaScript and many line readers break lines at them.
LINE_BREAKING = {"\u2028": "\\u2028", "\u2029": "\\u2029", "\u0085": "\\u0085"}


class UsageError(InputError):
    """Options that cannot be used as given (bad values, or two that conflict)."""


def correct(
    file: Annotated[str, typer.Argument(help="UTF-8 text file, one document per line; '-' is stdin.")] = "-",
    output_format: Annotated[str, typer.Option("--format", help="text, json (JSON lines) or m2.")] = "text",
    diff: Annotated[bool, typer.Option("--diff", help="Show changes as [-old-]{+new+}, coloured (text only).")] = False,
    model: Annotated[Path | None, typer.Option("--model", help="Model directory (default: bundled).")] = None,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    beam: Annotated[int, typer.Option("--beam", help="Beam size (1 = greedy).")] = 1,
    max_length: Annotated[int | None, typer.Option("--max-length", help=MAX_LENGTH_HELP)] = None,
    no_guard: Annotated[bool, typer.Option("--no-guard", help="Keep corrections that drift far.")] = False,
    min_confidence: Annotated[float | None, typer.Option("--min-confidence", help=CONFIDENCE_HELP)] = None,
    strict: Annotated[bool, typer.Option("--strict", help=STRICT_HELP)] = False,
    learner: Annotated[bool, typer.Option("--learner", help=LEARNER_HELP)] = False,
    latin_marks: Annotated[bool, typer.Option("--latin-marks", help=LATIN_MARKS_HELP)] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here, atomically.")] = None,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help=PROGRESS_HELP)] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help=VERBOSE_HELP)] = False,
    lang: Annotated[str | None, typer.Option("--lang", help=LANG_HELP, envvar="NAHAWI_LANG")] = None,
    profile: Annotated[Path | None, typer.Option("--profile", help=PROFILE_HELP)] = None,
) -> None:
    lang = lang or root_lang()
    arabic = (lang or "en").strip().lower().startswith("ar")
    try:
        if (lang or "en").strip().lower()[:2] not in ("en", "ar"):
            raise UsageError(f"--lang must be en or ar, got {lang!r}")
        _check_choice("--format", output_format, FORMATS)
        _check_choice("--device", device, ("auto", "cpu", "cuda"))
        if diff and output_format != "text":
            raise UsageError(f"--diff shows a text diff and cannot be used with --format {output_format}")
        if strict and learner:
            raise UsageError("--strict and --learner are two policies: choose one")
        call = {"beam": beam, "max_length": max_length, "guard": not no_guard,
                "min_confidence": min_confidence}
        run_correct(file, output_format, diff, model, device, output, progress, call, verbose, arabic,
                    CorrectorChoices(strict, latin_marks, profile, learner))
    except UsageError as error:
        _fail(EXIT_USAGE, str(error), arabic)
    except NahawiError as error:
        _fail(exit_code(error), str(error), arabic)
    except BrokenPipeError:  # `nahawi correct big.txt | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # (Python docs' recipe)
        raise typer.Exit(EXIT_OK) from None
    except KeyboardInterrupt:
        _fail(EXIT_INTERRUPTED, "interrupted", arabic)
    except Exception as error:  # the one place an unexpected failure becomes exit code 3
        if os.environ.get("NAHAWI_DEBUG"):
            raise
        _fail(EXIT_INTERNAL, f"internal error: {type(error).__name__}: {error} "
                             "(set NAHAWI_DEBUG=1 for a traceback)", arabic)


def _fail(code: int, message: str, arabic: bool = False) -> None:
    typer.echo(error_line(code, message, arabic), err=True)
    raise typer.Exit(code)


def _check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise UsageError(f"{option} must be one of {', '.join(choices)}, got {value!r}")


@dataclass(frozen=True)
class CorrectorChoices:
    """The engine options the command line sets."""
    strict: bool = False
    latin_marks: bool = False
    profile: Path | None = None
    learner: bool = False


def run_correct(file: str, output_format: str, diff: bool, model: Path | None, device: str,
                output: Path | None, progress: bool | None, call: dict, verbose: bool = False,
                arabic: bool = False, choices: CorrectorChoices = CorrectorChoices()) -> None:
    """Validate the input, load the engine, correct chunk by chunk, then publish the output."""
    from nahawi.engine import Corrector, CorrectorOptions
    from nahawi.engine.corrector import validate_call

    try:
        validate_call([], **call)
    except InputError as error:
        raise UsageError(str(error)) from None
    check_output(output)
    profile = choices.profile
    if profile is not None and not profile.is_dir():
        raise InputError(f"--profile {profile}: no such profile folder (nahawi adapt --profile DIR makes one)")
    source, size = open_input(file)
    with source:
        validate_utf8(source, file)
        bom = source.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8  # set aside: the first word is a word
        if not bom:
            source.seek(0)
        _configure_logging(verbose, arabic)
        options = CorrectorOptions(strict=choices.strict, learner=choices.learner, profile=profile,
                                   latin_marks=choices.latin_marks)
        corrector = Corrector.from_dir(model, device=device, options=options)
        if verbose:
            info = corrector.info
            logging.getLogger("nahawi").info("model %s (%s) on %s, %s, %d thread(s)", info.model_name,
                                             info.precision, info.device, info.provider, info.threads)
        with _Sink(output) as sink, _progress_bar(size, progress) as advance:
            if bom and output_format == "text":
                sink.handle.write("\ufeff")
            writer = _writer(output_format, diff, sink.handle, color=output is None and _color_wanted())
            number = 0
            for lines in read_chunks(source):
                texts = [text for text, _, _ in lines]
                for (text, ending, raw_size), result in zip(lines, corrector.correct_batch(texts, **call)):
                    number += 1
                    writer(number, result, ending)
                    advance(raw_size)


def _color_wanted() -> bool:
    """Colour on a terminal unless NO_COLOR is set to anything non-empty (https://no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


class _QuietAutoDevice(logging.Filter):
    """Without --verbose, `--device auto` falling back to the CPU is not news: drop that notice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("CUDA not available")


class _ArabicFormatter(logging.Formatter):
    """Log lines (the --verbose notes, warnings) in Arabic where nahawi.cli.messages knows them."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        from nahawi.cli.messages import arabic_message

        return f"nahawi: {arabic_message(record.message) or record.message}"


def _configure_logging(verbose: bool, arabic: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ArabicFormatter() if arabic else logging.Formatter("nahawi: %(message)s"))
    if not verbose:
        handler.addFilter(_QuietAutoDevice())
    logger = logging.getLogger("nahawi")
    logger.handlers = [handler]  # one handler per run, also when a test runner calls the command again
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False


def open_input(file: str) -> tuple[BinaryIO, int]:
    """(a seekable binary stream, its size in bytes); standard input is read into memory first."""
    if file == "-":
        data = sys.stdin.buffer.read()
        return io.BytesIO(data), len(data)
    path = Path(file)
    try:
        handle = path.open("rb")
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None
    return handle, path.stat().st_size


def validate_utf8(source: BinaryIO, name: str) -> None:
    """Strictly decode the whole stream once (no output is written before this passes), then rewind.
    UTF-16 without a byte order mark can decode as UTF-8 (Arabic letters are 0x06xx: every byte is
    ASCII), so it is looked for first."""
    head = source.read(SNIFF_BYTES)
    source.seek(0)
    if _utf16_order(head):
        where = "standard input" if name == "-" else name
        raise InputError(f"{where} is not valid UTF-8 text (control bytes in every other byte)"
                         f"{encoding_hint(head)}")
    offset = 0
    for number, raw in enumerate(source, 1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as error:
            where = "standard input" if name == "-" else name
            source.seek(0)
            raise InputError(f"{where} is not valid UTF-8: byte 0x{raw[error.start]:02x} at byte offset "
                             f"{offset + error.start} (line {number}): {error.reason}"
                             f"{encoding_hint(source.read(SNIFF_BYTES))}") from None
        offset += len(raw)
    source.seek(0)


SNIFF_BYTES = 1 << 16


def encoding_hint(head: bytes) -> str:
    """"; it looks like …" naming the encoding of text that is not UTF-8, when it is recognisably UTF-16
    (a byte order mark, or a NUL in every other byte) or Arabic Windows-1256; else ""."""
    for bom, name in ((codecs.BOM_UTF16_LE, "UTF-16LE"), (codecs.BOM_UTF16_BE, "UTF-16BE")):
        if head.startswith(bom):
            return _hint(f"UTF-16 ({name}, with a byte order mark)", "UTF-16")
    if _utf16_order(head):
        return _hint(f"UTF-16{_utf16_order(head)}", "UTF-16")
    from nahawi.text.chars import is_arabic_letter

    text = head.decode("cp1256", errors="replace")
    letters = sum(map(str.isalpha, text))
    if letters and sum(map(is_arabic_letter, text)) >= letters // 2:
        return _hint("Windows-1256 (cp1256, Arabic Windows)", "CP1256")
    return ""


def _utf16_order(head: bytes) -> str:
    """"LE" or "BE" when every other byte is mostly 0x00 or 0x06 (the high bytes of Latin and Arabic text
    in UTF-16, control characters that UTF-8 text does not hold), else ""."""
    for order, high in (("LE", head[1::2]), ("BE", head[0::2])):
        if len(high) >= 2 and sum(byte in (0, 6) for byte in high) * 2 >= len(high):
            return order
    return ""


def _hint(encoding: str, iconv_name: str) -> str:
    return f"; it looks like {encoding}: convert it first, e.g. iconv -f {iconv_name} -t UTF-8 FILE"


def read_chunks(source: BinaryIO) -> Iterator[list[tuple[str, str, int]]]:
    """Chunks of (document, line ending, raw byte count); the document excludes its "\\n" or "\\r\\n"."""
    chunk, size = [], 0
    for raw in source:
        text = raw.decode("utf-8")
        ending = "\r\n" if text.endswith("\r\n") else "\n" if text.endswith("\n") else ""
        chunk.append((text[:len(text) - len(ending)], ending, len(raw)))
        size += len(raw)
        if len(chunk) >= CHUNK_LINES or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def check_output(output: Path | None) -> None:
    """Refuse an --output that can never be written as a file (a directory, or in a missing folder) before
    any input is read or any model loaded."""
    if output is None:
        return
    if output.is_dir():
        raise UsageError(f"--output {output} is a directory; name a file")
    if not output.resolve().parent.is_dir():
        raise UsageError(f"--output {output}: folder {output.resolve().parent} does not exist")


class _Sink:
    """Standard output, or a temporary file beside --output renamed over it only when all went well: synced
    to disk first, the target's mode kept, a link to the file left a link (its target is replaced), the
    temporary file removed on an error, Ctrl-C or SIGTERM. Standard output too gets nothing unless all
    went well: the text is spooled (in memory up to SPOOL_BYTES, then in a temporary file) and copied out
    at the end, so a model error on the thousandth line leaves no half output behind."""

    def __init__(self, output: Path | None):
        self.output, self.temp = output, None
        self.target = output.resolve() if output is not None else None  # through a link to the real file
        self.previous_handler = None

    def __enter__(self) -> Self:
        if self.output is None:
            self.handle = tempfile.SpooledTemporaryFile(SPOOL_BYTES, mode="w+", encoding="utf-8", newline="")
            return self
        try:
            fd, self.temp = tempfile.mkstemp(prefix=f".{self.target.name}.", suffix=".tmp",
                                             dir=self.target.parent)
        except OSError as error:
            raise InputError(f"cannot write {self.output}: {error.strerror}") from None
        self.handle = open(fd, "w", encoding="utf-8", newline="")
        if threading.current_thread() is threading.main_thread():  # SIGTERM unwinds through __exit__ too
            self.previous_handler = signal.signal(signal.SIGTERM, _terminate)
        return self

    def __exit__(self, kind, error, trace) -> None:
        if self.temp is None:
            with self.handle:
                if kind is None:
                    self.handle.seek(0)
                    _copy_to_stdout(self.handle)
            return
        try:
            if kind is None:
                self.handle.flush()
                os.fsync(self.handle.fileno())  # the data is on disk before the name points at it
            self.handle.close()
            if kind is None:
                os.chmod(self.temp, _output_mode(self.target))  # mkstemp made it 0600
                os.replace(self.temp, self.target)
        finally:
            if os.path.exists(self.temp):
                os.unlink(self.temp)
            if self.previous_handler is not None:
                signal.signal(signal.SIGTERM, self.previous_handler)


def _copy_to_stdout(spool) -> None:
    stream = getattr(sys.stdout, "buffer", None)
    # UTF-8 whatever the locale says, and no newline translation: output bytes mirror input bytes.
    out = io.TextIOWrapper(stream, encoding="utf-8", newline="") if stream is not None else sys.stdout
    try:
        shutil.copyfileobj(spool, out, 1 << 16)
        out.flush()
    finally:
        if out is not sys.stdout:
            out.detach()  # leave sys.stdout's buffer open


def _terminate(signum, frame) -> None:
    raise SystemExit(128 + signum)


def _output_mode(path: Path) -> int:
    """The permissions --output gets: those of the file it replaces, else a new file's under the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


class _progress_bar:
    """A rich progress bar on stderr counting input bytes; a no-op for small inputs or no terminal."""

    def __init__(self, size: int, wanted: bool | None):
        if wanted is None:
            wanted = size >= PROGRESS_BYTES and sys.stderr.isatty()
        self.size, self.wanted, self.bar = size, wanted, None

    def __enter__(self):
        if not self.wanted:
            return lambda n: None
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        self.bar = Progress("correcting", BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                            console=Console(stderr=True), transient=True)
        self.bar.start()
        task = self.bar.add_task("correct", total=self.size)
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _writer(output_format: str, diff: bool, handle, color: bool):
    if diff:
        from rich.console import Console

        console = Console(file=handle, force_terminal=color, no_color=not color, highlight=False,
                          soft_wrap=True, emoji=False, markup=False)
        return lambda number, result, ending: console.print(diff_text(result), end=ending or "")
    if output_format == "json":
        return lambda number, result, ending: handle.write(json_line(to_json(number, result)))
    if output_format == "m2":
        return lambda number, result, ending: handle.write(to_m2(result))
    return lambda number, result, ending: handle.write(result.corrected + ending)


def json_line(record: dict) -> str:
    """One JSON record on one line for every reader: U+2028, U+2029 and U+0085 escaped."""
    line = json.dumps(record, ensure_ascii=False)
    for char, escaped in LINE_BREAKING.items():
        line = line.replace(char, escaped)
    return line + "\n"


def to_json(number: int, result: Correction) -> dict:
    """One JSON line: offsets are code points into source."""
    return {"line": number, "source": result.source, "corrected": result.corrected,
            "edits": [{"start": e.start, "end": e.end, "original": e.original, "replacement": e.replacement,
                       "kind": e.kind, "rule_id": e.rule_id,
                       "confidence": None if e.confidence is None else round(e.confidence, 4)}
                      for e in result.edits]}


def to_m2(result: Correction) -> str:
    """An M2 block over the benchmark tokenisation of the source (`nahawi.text.model_tokens`): each edit
    widened to the tokens it touches, whitespace-only changes (no token changes) left out."""
    from nahawi.m2.reader import GoldEdit, M2Sentence, format_m2
    from nahawi.text.tokens import model_tokens

    tokens = model_tokens(result.source)
    edits = []
    for first, last, group in _token_groups(tokens, result.edits):
        lo = min([e.start for e in group] + ([tokens[first].start] if first < last else []))
        hi = max([e.end for e in group] + ([tokens[last - 1].end] if first < last else []))
        local = tuple(replace(e, start=e.start - lo, end=e.end - lo) for e in group)
        original = [t.text for t in tokens[first:last]]
        corrected = [t.text for t in model_tokens(apply_edits(result.source[lo:hi], local))]
        if corrected != original:
            edits.append(GoldEdit(first, last, " ".join(original), (" ".join(corrected),),
                                  type=group[0].kind))
    return format_m2([M2Sentence(" ".join(t.text for t in tokens), ((0, tuple(edits)),))])


def _token_range(tokens, edit) -> tuple[int, int]:
    """Tokens [first, last) an edit touches; an edit between tokens is an insertion point (first == last)."""
    if edit.start == edit.end:
        touched = [k for k, t in enumerate(tokens) if t.start < edit.start < t.end]
    else:
        touched = [k for k, t in enumerate(tokens) if t.start < edit.end and t.end > edit.start]
    if touched:
        return touched[0], touched[-1] + 1
    point = sum(1 for t in tokens if t.end <= edit.start)
    return point, point


def _token_groups(tokens, edits):
    """Edits grouped by overlapping token ranges, in order, as (first, last, edits)."""
    groups: list[tuple[int, int, tuple]] = []
    for edit in edits:
        first, last = _token_range(tokens, edit)
        if groups:
            g_first, g_last, g_edits = groups[-1]
            if first < g_last or (first == last == g_first == g_last):
                groups[-1] = (g_first, max(g_last, last), g_edits + (edit,))
                continue
        groups.append((first, last, (edit,)))
    return groups


def diff_text(result: Correction):
    """The document with each edit shown as [-original-]{+replacement+}, red and green."""
    from rich.text import Text

    text, cursor = Text(), 0
    for edit in result.edits:
        text.append(result.source[cursor:edit.start])
        if edit.original:
            text.append(f"[-{edit.original}-]", style="red strike")
        if edit.replacement:
            text.append(f"{{+{edit.replacement}+}}", style="green")
        cursor = edit.end
    text.append(result.source[cursor:])
    return text
