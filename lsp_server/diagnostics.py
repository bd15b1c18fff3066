"""Edits → LSP diagnostics: positions in the client's units, messages, severities, and which edits show.

Owns the conversion at the LSP edge: code-point offsets (the core's) become (line, character) in the
position encoding negotiated with the client (UTF-16 unless the client asked for UTF-8 or UTF-32), with
LSP's line breaks (\\r\\n, \\r, \\n); one diagnostic per edit with the kind id as `code`, source "nahawi",
an Arabic (or English) message naming the kind, and the replacement in `data`. Also the filter that
decides which findings are visible (kinds enabled, dictionary, ignored). Knows nothing of engines or
scheduling.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from lsp_server.dictionary import Dictionary
from lsp_server.settings import Settings
from nahawi.contract import Edit
from nahawi.kinds import KINDS

SOURCE = "nahawi"
SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning,
            "information": types.DiagnosticSeverity.Information, "hint": types.DiagnosticSeverity.Hint}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Finding:
    """One edit of a checked document, with the sentence it was found in."""
    edit: Edit  # code-point offsets into the document
    segment: str  # the text of the sentence (segment) that produced it
    segment_start: int  # where that sentence starts in the document

    @property
    def key(self) -> tuple[str, int, int, str]:
        """What "ignore here" remembers: the sentence, the span inside it and the replacement; it survives
        edits elsewhere in the document and is forgotten when the sentence itself changes."""
        start = self.edit.start - self.segment_start
        return self.segment, start, start + self.edit.end - self.edit.start, self.edit.replacement


class LineIndex:
    """Code-point offset ↔ LSP position in one text, for one position encoding."""

    def __init__(self, text: str, codec: PositionCodec):
        self.text, self.codec = text, codec
        self.starts = [0, *(m.end() for m in _LINE_BREAK.finditer(text))]

    def _line_end(self, line: int) -> int:
        if line + 1 < len(self.starts):
            end = self.starts[line + 1]
            return end - (2 if self.text[end - 2:end] == "\r\n" else 1)
        return len(self.text)

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self.starts, offset) - 1
        offset = min(offset, self._line_end(line))
        start = self.starts[line]
        return types.Position(line=line, character=self.codec.client_num_units(self.text[start:offset]))

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


def to_diagnostic(finding: Finding, index: LineIndex, settings: Settings) -> types.Diagnostic:
    edit = finding.edit
    return types.Diagnostic(
        range=index.range(edit.start, edit.end),
        message=message(edit, settings.message_language),
        severity=SEVERITY[settings.severity.get(edit.kind, "warning")],
        code=edit.kind,
        source=SOURCE,
        data={"replacement": edit.replacement, "original": edit.original, "kind": edit.kind,
              "ruleId": edit.rule_id, "confidence": edit.confidence},
    )


def visible(findings: Iterable[Finding], text: str, settings: Settings, dictionary: Dictionary,
            ignored: Collection[tuple]) -> list[Finding]:
    """The findings to show: kind enabled, confident enough, not ignored, not changing a dictionary word."""
    enabled = set(settings.enabled_kinds)
    threshold = settings.min_confidence
    out = []
    for finding in findings:
        edit = finding.edit
        if edit.kind not in enabled or finding.key in ignored:
            continue
        if threshold is not None and edit.confidence is not None and edit.confidence < threshold:
            continue
        if dictionary.words and dictionary.touches(text, edit.start, edit.end):
            continue
        out.append(finding)
    return out
