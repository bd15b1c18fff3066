"""`nahawi correct`: correct a file (or standard input) line by line with the engine.

Thin: reads bytes and decodes them strictly (invalid UTF-8 is an input error naming the byte offset),
streams the lines through `nahawi.engine.Corrector` in bounded chunks, and writes text, JSON lines, M2 or a
coloured diff to standard output or, atomically, to --output. Exit codes: 0 ok, 1 input error, 2 model
error, 3 internal error. The engine is imported inside the command so `nahawi --help` stays fast.
"""
from __future__ import annotations

import io
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Annotated, BinaryIO, Self

import typer

from nahawi.contract import Correction, apply_edits
from nahawi.errors import InputError, NahawiError

EXIT_OK, EXIT_INPUT, EXIT_MODEL, EXIT_INTERNAL = 0, 1, 2, 3
FORMATS = ("text", "json", "m2")
CHUNK_LINES = 256  # documents corrected together (sorted by length inside the engine)
CHUNK_BYTES = 1 << 20  # ... or fewer when they are long: memory stays bounded on huge files
PROGRESS_BYTES = 256 << 10  # inputs at least this large get a progress bar on a terminal
MAX_LENGTH_HELP = "Hard cap on generated tokens per segment (a segment needing more is left as is)."
CONFIDENCE_HELP = "Drop edits whose confidence (0-1) is below this."
STRICT_HELP = "The model's strict policy: fewer false alarms on correct text, fewer corrections."
PROGRESS_HELP = "Progress bar on stderr (default: for large input on a terminal)."


def correct(
    file: Annotated[str, typer.Argument(help="UTF-8 text file, one document per line; '-' is stdin.")] = "-",
    output_format: Annotated[str, typer.Option("--format", help="text, json (JSON lines) or m2.")] = "text",
    diff: Annotated[bool, typer.Option("--diff", help="Show changes as [-old-]{+new+}, coloured.")] = False,
    model: Annotated[Path | None, typer.Option("--model", help="Model directory (default: bundled).")] = None,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    beam: Annotated[int, typer.Option("--beam", help="Beam size (1 = greedy).")] = 1,
    max_length: Annotated[int | None, typer.Option("--max-length", help=MAX_LENGTH_HELP)] = None,
    no_guard: Annotated[bool, typer.Option("--no-guard", help="Keep corrections that drift far.")] = False,
    min_confidence: Annotated[float | None, typer.Option("--min-confidence", help=CONFIDENCE_HELP)] = None,
    strict: Annotated[bool, typer.Option("--strict", help=STRICT_HELP)] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here, atomically.")] = None,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help=PROGRESS_HELP)] = None,
) -> None:
    """Correct Arabic text: each line is a document; empty lines and all text outside the corrections are
    kept byte for byte.

    Exit codes: 0 ok, 1 input error (unreadable file, invalid UTF-8, bad option value), 2 model error
    (missing or corrupt model directory, unusable device), 3 internal error.
    """
    try:
        _check_choice("--format", output_format, FORMATS)
        _check_choice("--device", device, ("auto", "cpu", "cuda"))
        call = {"beam": beam, "max_length": max_length, "guard": not no_guard,
                "min_confidence": min_confidence}
        run_correct(file, output_format, diff, model, device, output, progress, call, strict)
    except InputError as error:
        _fail(EXIT_INPUT, str(error))
    except NahawiError as error:
        _fail(EXIT_MODEL, str(error))
    except BrokenPipeError:  # `nahawi correct big.txt | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # (Python docs' recipe)
        raise typer.Exit(EXIT_OK) from None
    except KeyboardInterrupt:
        _fail(130, "interrupted")
    except Exception as error:  # the one place an unexpected failure becomes exit code 3
        if os.environ.get("NAHAWI_DEBUG"):
            raise
        _fail(EXIT_INTERNAL, f"internal error: {type(error).__name__}: {error} "
                             "(set NAHAWI_DEBUG=1 for a traceback)")


def _fail(code: int, message: str) -> None:
    typer.echo(f"nahawi: error: {message}", err=True)
    raise typer.Exit(code)


def _check_choice(option: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InputError(f"{option} must be one of {', '.join(choices)}, got {value!r}")


def run_correct(file: str, output_format: str, diff: bool, model: Path | None, device: str,
                output: Path | None, progress: bool | None, call: dict, strict: bool = False) -> None:
    """Validate the input, load the engine, correct chunk by chunk, then publish the output."""
    from nahawi.engine import Corrector, CorrectorOptions
    from nahawi.engine.corrector import validate_call

    validate_call([], **call)
    source, size = open_input(file)
    with source:
        validate_utf8(source, file)
        logging.basicConfig(format="nahawi: %(message)s", level=logging.WARNING)
        corrector = Corrector.from_dir(model, device=device, options=CorrectorOptions(strict=strict))
        with _Sink(output) as sink, _progress_bar(size, progress) as advance:
            writer = _writer(output_format, diff, sink.handle, color=output is None and sys.stdout.isatty())
            number = 0
            for lines in read_chunks(source):
                texts = [text for text, _, _ in lines]
                for (text, ending, raw_size), result in zip(lines, corrector.correct_batch(texts, **call)):
                    number += 1
                    writer(number, result, ending)
                    advance(raw_size)


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
    """Strictly decode the whole stream once (no output is written before this passes), then rewind."""
    offset = 0
    for number, raw in enumerate(source, 1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as error:
            where = "standard input" if name == "-" else name
            raise InputError(f"{where} is not valid UTF-8: byte 0x{raw[error.start]:02x} at byte offset "
                             f"{offset + error.start} (line {number}): {error.reason}") from None
        offset += len(raw)
    source.seek(0)


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


class _Sink:
    """Standard output, or a temporary file beside --output renamed over it only when all went well."""

    def __init__(self, output: Path | None):
        self.output, self.temp = output, None

    def __enter__(self) -> Self:
        if self.output is None:
            stream = getattr(sys.stdout, "buffer", None)
            # UTF-8 whatever the locale says, and no newline translation: output bytes mirror input bytes.
            self.handle = (io.TextIOWrapper(stream, encoding="utf-8", newline="", write_through=True)
                           if stream is not None else sys.stdout)
            return self
        directory = self.output.resolve().parent
        try:
            fd, self.temp = tempfile.mkstemp(prefix=f".{self.output.name}.", suffix=".tmp", dir=directory)
        except OSError as error:
            raise InputError(f"cannot write {self.output}: {error.strerror}") from None
        self.handle = open(fd, "w", encoding="utf-8", newline="")
        return self

    def __exit__(self, kind, error, trace) -> None:
        if self.temp is None:
            self.handle.flush()
            if self.handle is not sys.stdout:
                self.handle.detach()  # leave sys.stdout's buffer open
            return
        self.handle.close()
        if kind is None:
            os.replace(self.temp, self.output)
        else:
            os.unlink(self.temp)


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
        return lambda number, result, ending: handle.write(json.dumps(to_json(number, result),
                                                                      ensure_ascii=False) + "\n")
    if output_format == "m2":
        return lambda number, result, ending: handle.write(to_m2(result))
    return lambda number, result, ending: handle.write(result.corrected + ending)


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
