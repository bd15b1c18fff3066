"""Edits → LSP diagnostics: positions in the client's units, messages, severities, and which edits show.

Owns the conversion at the LSP edge: code-point offsets (the core's) become (line, character) in the
position encoding negotiated with the client (UTF-16 unless the client asked for UTF-8 or UTF-32), with
LSP's line breaks (\\r\\n, \\r, \\n); one diagnostic per edit with the kind id as `code`, source "nahawi",
an Arabic (or English) message naming the kind, and the replacement in `data`. Also the filter that
decides which findings are visible (kinds enabled, dictionary, ignored). An insertion keeps its empty
edit but is shown on the word before it (`display_span`): editors draw an empty range on a neighbouring
letter, line or emoji. Publishing thousands of findings at each edit stays cheap (`DiagnosticJson`): each
finding's JSON but its range is made once, positions are counted by C codecs. Knows nothing of engines
or scheduling.
"""
from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Collection, Iterable
from functools import lru_cache
from pathlib import Path

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from lsp_server.dictionary import Dictionary
from lsp_server.settings import Settings
from nahawi.contract import Edit
from nahawi.kinds import KINDS
from nahawi.text.segment import segment_text

SOURCE = "nahawi"
SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
            "information": types.DiagnosticSeverity.Information, "hint": types.DiagnosticSeverity.Hint}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Finding:
    """One edit of a checked document: the engine's edit, in offsets of the paragraph it was found in, and
    where that paragraph starts in the document (so moving a paragraph creates no new edits)."""
    __slots__ = ("rel", "segment", "segment_start")

    def __init__(self, rel: Edit, segment: str, segment_start: int):
        self.rel, self.segment, self.segment_start = rel, segment, segment_start

    @property
    def start(self) -> int:
        return self.segment_start + self.rel.start

    @property
    def end(self) -> int:
        return self.segment_start + self.rel.end

    @property
    def edit(self) -> Edit:
        """The edit in document offsets."""
        rel = self.rel
        return Edit(self.start, self.end, rel.replacement, rel.kind, rel.rule_id, rel.original, rel.confidence)

    @property
    def key(self) -> tuple[str, int, int, str]:
        """What "ignore here" remembers: the sentence, the span inside it and the replacement; it survives
        edits elsewhere in the document and is forgotten when the sentence itself changes."""
        rel = self.rel
        for start, end in _sentences(self.segment):
            if start <= rel.start and rel.end <= end:
                return self.segment[start:end], rel.start - start, rel.end - start, rel.replacement
        return self.segment, rel.start, rel.end, rel.replacement  # across sentences: the paragraph

    def __eq__(self, other) -> bool:
        return isinstance(other, Finding) and (self.rel, self.segment, self.segment_start) == (
            other.rel, other.segment, other.segment_start)

    def __hash__(self) -> int:
        return hash((self.rel, self.segment_start))


@lru_cache(maxsize=1 << 12)
def _sentences(paragraph: str) -> tuple[tuple[int, int], ...]:
    return tuple((s.start, s.end) for s in segment_text(paragraph))


_WORD_LIMIT = 64  # an insertion is shown on at most this many characters of the word before it


def display_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Where a finding is shown: its span, or for an insertion the word before it on the same line (after
    it when the line has none before; empty only on a line with no word)."""
    if start != end:
        return start, end
    stop = start
    while stop > 0 and text[stop - 1] in " \t":
        stop -= 1
    begin = stop
    while begin > 0 and stop - begin < _WORD_LIMIT and not text[begin - 1].isspace():
        begin -= 1
    if begin < stop:
        return begin, stop
    first = start
    while first < len(text) and text[first] in " \t":
        first += 1
    last = first
    while last < len(text) and last - first < _WORD_LIMIT and not text[last].isspace():
        last += 1
    return (first, last) if last > first else (start, end)


def _unit_counter(codec: PositionCodec):
    """Length of a string in the client's units, counted by C codecs (pygls counts in Python)."""
    if codec.encoding == types.PositionEncodingKind.Utf8:
        return lambda s: len(s.encode("utf-8", "surrogatepass"))
    if codec.encoding == types.PositionEncodingKind.Utf32:
        return len
    return lambda s: len(s) if s.isascii() else len(s.encode("utf-16-le", "surrogatepass")) // 2


@lru_cache(maxsize=1 << 16)
def _inner_units(segment: str, edit: Edit, encoding: str, shown: bool) -> tuple[int, int] | None:
    """Units from a paragraph's start to the start and end of edit (or of where it is shown); None when
    where it is shown depends on text outside the paragraph, or when a line break (a lone \r) is inside."""
    if "\r" in segment:
        return None
    start, end = edit.start, edit.end
    if shown and start == end:
        start, end = display_span(segment, start, end)
        if start == 0 or start == end:
            return None
    units = _unit_counter(PositionCodec(encoding))
    return units(segment[:start]), units(segment[:end])


class LineIndex:
    """Code-point offset ↔ LSP position in one text, for one position encoding."""

    def __init__(self, text: str, codec: PositionCodec):
        self.text, self.codec = text, codec
        self.units = _unit_counter(codec)
        self.starts = [0, *(m.end() for m in _LINE_BREAK.finditer(text))]
        self._segments: dict[int, tuple[int, int]] = {}  # paragraph start -> its (line, character)

    def _line_end(self, line: int) -> int:
        if line + 1 < len(self.starts):
            end = self.starts[line + 1]
            return end - (2 if self.text[end - 2:end] == "\r\n" else 1)
        return len(self.text)

    def line_character(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        offset = min(offset, self._line_end(line))
        return line, self.units(self.text[self.starts[line]:offset])

    def finding_span(self, finding: Finding, shown: bool) -> tuple[int, int, int, int]:
        """(line, character) of the start and end of a finding's edit (shown: of the span it is drawn on),
        from its paragraph's position and the units inside the paragraph (kept across versions: most
        paragraphs do not change; one holding a line break is counted from the document)."""
        inner = _inner_units(finding.segment, finding.rel, self.codec.encoding, shown)
        if inner is None:
            start, end = display_span(self.text, finding.start, finding.end) if shown else (finding.start, finding.end)
            return (*self.line_character(start), *self.line_character(end))
        where = self._segments.get(finding.segment_start)
        if where is None:
            where = self._segments[finding.segment_start] = self.line_character(finding.segment_start)
        line, character = where
        return line, character + inner[0], line, character + inner[1]

    def position(self, offset: int) -> types.Position:
        line, character = self.line_character(offset)
        return types.Position(line=line, character=character)

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(end))

    def offset(self, position: types.Position) -> int:
        """The code-point offset of a client position (clamped to the text; a position inside a character
        maps to the character's start)."""
        if position.line < 0:
            return 0
        if position.line >= len(self.starts):
            return len(self.text)
        start, end = self.starts[position.line], self._line_end(position.line)
        units = 0
        for index in range(start, end):
            units += self.codec.client_num_units(self.text[index])
            if units > position.character:
                return index
        return end


def _shown(text: str) -> str:
    return text.replace("\n", "⏎").replace(" ", "␣") if not text.strip() else text


def message(edit: Edit, language: str = "ar") -> str:
    """«همزة: "اخذ" ← "أخذ"», or in English 'Hamza: "اخذ" → "أخذ"'; then the kind's explanation."""
    kind = KINDS.get(edit.kind, KINDS["other"])
    original, replacement = _shown(edit.original), _shown(edit.replacement)
    if language == "en":
        if not edit.original:
            change = f'insert "{replacement}"'
        elif not edit.replacement:
            change = f'remove "{original}"'
        else:
            change = f'"{original}" → "{replacement}"'
        return f"{kind.name_en}: {change}\n{kind.explain_en}"
    if not edit.original:
        change = f'أضف "{replacement}"'
    elif not edit.replacement:
        change = f'احذف "{original}"'
    else:
        change = f'"{original}" ← "{replacement}"'
    return f"{kind.name_ar}: {change}\n{kind.explain_ar}"


def hover_text(edit: Edit, language: str = "ar") -> str:
    """Markdown for a hover: the kind in bold, the change, the kind's explanation, the confidence."""
    head, explanation = message(edit, language).split("\n", 1)
    kind, change = head.split(": ", 1)
    confidence = "" if edit.confidence is None else (
        f"\n\n{'Confidence' if language == 'en' else 'الثقة'}: {round(100 * edit.confidence)}%")
    return f"**{kind}**: {change}\n\n{explanation}{confidence}"


CHECKOUT_KINDS_PAGE = Path(__file__).resolve().parents[1] / "docs" / "kinds.md"


def kinds_page(settings: Settings) -> str | None:
    """The page diagnostics link to: the setting, else the checkout's docs/kinds.md when there is one."""
    if settings.kinds_documentation:
        return settings.kinds_documentation
    return CHECKOUT_KINDS_PAGE.as_uri() if CHECKOUT_KINDS_PAGE.is_file() else None


def kind_link(kind: str, page: str | None) -> str | None:
    """The section of page on kind (docs/kinds.md has an anchor per kind id)."""
    return None if page is None else f"{page}#{kind if kind in KINDS else 'other'}"


def to_diagnostic(finding: Finding, index: LineIndex, settings: Settings) -> types.Diagnostic:
    edit = finding.rel
    link = kind_link(edit.kind, kinds_page(settings))
    return types.Diagnostic(
        range=index.range(*display_span(index.text, finding.start, finding.end)),
        message=message(edit, settings.message_language),
        severity=SEVERITY[settings.severity.get(edit.kind, "warning")],
        code=edit.kind,
        code_description=None if link is None else types.CodeDescription(href=link),
        source=SOURCE,
        data=_data(edit),
    )


def _data(edit: Edit) -> dict:
    return {"replacement": edit.replacement, "original": edit.original, "kind": edit.kind,
            "ruleId": edit.rule_id, "confidence": edit.confidence}


class DiagnosticJson:
    """The JSON of diagnostics, each finding's made once per settings but for its range."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.page = kinds_page(settings)
        self._rest: dict[Edit, str] = {}

    def _tail(self, edit: Edit) -> str:
        tail = self._rest.get(edit)
        if tail is None:
            body = {"message": message(edit, self.settings.message_language),
                    "severity": SEVERITY[self.settings.severity.get(edit.kind, "warning")].value,
                    "code": edit.kind, "source": SOURCE, "data": _data(edit)}
            if self.page is not None:
                body["codeDescription"] = {"href": kind_link(edit.kind, self.page)}
            tail = self._rest[edit] = json.dumps(body, ensure_ascii=False)[1:]
        return tail

    def diagnostic(self, finding: Finding, index: LineIndex) -> str:
        l1, c1, l2, c2 = index.finding_span(finding, shown=True)
        return (f'{{"range":{{"start":{{"line":{l1},"character":{c1}}},"end":{{"line":{l2},"character":{c2}}}}},'
                f'{self._tail(finding.rel)}')

    def publish(self, uri: str, version: int | None, findings: Iterable[Finding], index: LineIndex) -> str:
        """The body of a textDocument/publishDiagnostics notification."""
        diagnostics = ",".join(self.diagnostic(f, index) for f in findings)
        head = json.dumps({"jsonrpc": "2.0", "method": "textDocument/publishDiagnostics",
                           "params": {"uri": uri, **({} if version is None else {"version": int(version)})}},
                          ensure_ascii=False)
        return f'{head[:-2]},"diagnostics":[{diagnostics}]}}}}'  # head ends with "}}"


def visible(findings: Iterable[Finding], text: str, settings: Settings, dictionary: Dictionary,
            ignored: Collection[tuple]) -> list[Finding]:
    """The findings to show: kind enabled, confident enough, not ignored, not changing a dictionary word."""
    enabled = set(settings.enabled_kinds)
    threshold = settings.min_confidence
    out = []
    for finding in findings:
        edit = finding.rel
        if edit.kind not in enabled or (ignored and finding.key in ignored):
            continue
        if threshold is not None and edit.confidence is not None and edit.confidence < threshold:
            continue
        if dictionary.words and dictionary.touches(text, finding.start, finding.end):
            continue
        out.append(finding)
    return out
