"""M2 files: reading, writing, and the one-line-per-sentence hypothesis files scored against them.

Owns the M2 format as the MaxMatch scorer reads it (Dahlmeier & Ng 2012, CoNLL/QALB shared tasks):
`S <tokens>` then `A start end|||type|||corrections|||required|||comment|||annotator` lines, a blank line
between sentences. Alternatives in `corrections` are separated by `||`; `-NONE-` (or nothing) is the
empty correction; `A -1 -1|||noop|||...` records an annotator who made no edit (the annotator still
counts when the scorer picks the best annotator). Anything else is an `M2FormatError` naming file and line.
It knows nothing about scoring or punctuation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nahawi.errors import InputError, M2FormatError

NONE = "-NONE-"


@dataclass(frozen=True)
class GoldEdit:
    start: int  # token offset into the S line
    end: int  # exclusive; start == end is an insertion
    original: str  # the source tokens [start, end) joined by single spaces
    corrections: tuple[str, ...]  # acceptable replacements; "" deletes
    type: str = "Edit"
    required: str = "REQUIRED"
    comment: str = NONE


@dataclass(frozen=True)
class M2Sentence:
    source: str  # the S line without its "S " prefix, stripped
    annotators: tuple[tuple[int, tuple[GoldEdit, ...]], ...] = ()  # in order of first appearance
    line: int = 0  # 1-based line of the S line in its file (0 when built in code)
    tokens: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "tokens", tuple(self.source.split()))

    def gold_sets(self) -> dict[int, tuple[GoldEdit, ...]]:
        """Edits per annotator; a sentence nobody annotated has one annotator (0) with no edits."""
        return dict(self.annotators) if self.annotators else {0: ()}


def _fail(name: str, line: int, message: str) -> M2FormatError:
    return M2FormatError(f"{name}:{line}: {message}")


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise _fail(name, line, f"not valid UTF-8 (byte 0x{data[error.start]:02x})") from None


def _parse_edit(text: str, tokens: tuple[str, ...], name: str, line: int) -> tuple[int, GoldEdit | None]:
    """One `A` line → (annotator, edit), edit None for a noop."""
    fields = text[2:].split("|||")
    if len(fields) < 6:
        raise _fail(name, line, f"expected 6 fields separated by '|||', found {len(fields)}")
    offsets = fields[0].split()
    try:
        start, end = (int(x) for x in offsets) if len(offsets) == 2 else (None, None)
        annotator = int(fields[5])
    except ValueError:
        raise _fail(name, line, "offsets and annotator id must be integers") from None
    if start is None:
        raise _fail(name, line, f"expected two token offsets, found {fields[0]!r}")
    if fields[1] == "noop" or (start, end) == (-1, -1):
        return annotator, None
    if not 0 <= start <= end <= len(tokens):
        raise _fail(name, line, f"bad span {start} {end} for a sentence of {len(tokens)} tokens")
    corrections = tuple(c.strip() if c != NONE else "" for c in fields[2].split("||"))
    return annotator, GoldEdit(start, end, " ".join(tokens[start:end]), corrections, fields[1],
                               fields[3], fields[4])


def _parse_block(block: list[tuple[int, str]], name: str) -> M2Sentence:
    first_line, first = block[0]
    if not (first.startswith("S ") or first == "S"):
        raise _fail(name, first_line, "an M2 sentence must start with an 'S' line")
    source = first[2:].strip()
    tokens = tuple(source.split())
    annotators: dict[int, list[GoldEdit]] = {}
    for line, text in block[1:]:
        if text.startswith("I "):
            continue
        if text.startswith("S ") or text == "S":
            raise _fail(name, line, "second 'S' line in one sentence (separate sentences by a blank line)")
        if not text.startswith("A "):
            raise _fail(name, line, f"expected an 'A' line, found {text[:30]!r}")
        annotator, edit = _parse_edit(text, tokens, name, line)
        edits = annotators.setdefault(annotator, [])
        if edit is not None:
            edits.append(edit)
    return M2Sentence(source, tuple((a, tuple(e)) for a, e in annotators.items()), first_line)


def parse_m2(text: str, name: str = "<m2>") -> list[M2Sentence]:
    """Parse M2 text; `name` is used in error messages."""
    sentences, block = [], []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if line.strip():
            block.append((number, line))
        elif block:
            sentences.append(_parse_block(block, name))
            block = []
    if block:
        sentences.append(_parse_block(block, name))
    return sentences


def read_m2(path: str | Path) -> list[M2Sentence]:
    """Read an M2 file (UTF-8)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read M2 file {path}: {error.strerror}") from None
    return parse_m2(_decode(data, str(path)), str(path))


def format_m2(sentences: list[M2Sentence]) -> str:
    """M2 text for sentences; an annotator without edits is written as a noop line."""
    out = []
    for sentence in sentences:
        out.append(f"S {sentence.source}")
        for annotator, edits in sentence.annotators:
            if not edits:
                out.append(f"A -1 -1|||noop|||{NONE}|||REQUIRED|||{NONE}|||{annotator}")
            for e in edits:
                corrections = "||".join(c or NONE for c in e.corrections)
                out.append(f"A {e.start} {e.end}|||{e.type}|||{corrections}|||{e.required}|||{e.comment}"
                           f"|||{annotator}")
        out.append("")
    return "\n".join(out) + ("\n" if out else "")


def write_m2(sentences: list[M2Sentence], path: str | Path) -> None:
    Path(path).write_text(format_m2(sentences), encoding="utf-8")


def split_lines(text: str) -> list[str]:
    """Lines of a one-sentence-per-line file: universal newlines, no final empty line, edges stripped."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.strip() for line in lines]


def read_lines(path: str | Path) -> list[str]:
    """Read a hypothesis (or source) file: one sentence per line, UTF-8; empty lines are kept."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None
    try:
        return split_lines(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(f"{path}:{line}: not valid UTF-8 (byte 0x{data[error.start]:02x})") from None
