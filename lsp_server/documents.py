"""Per-document checking state: which paragraphs need the model, and the findings of the last check.

Owns the incremental part of checking. A document is reduced to its prose (`markdown.prose`) and cut into
paragraphs exactly where `nahawi correct` cuts a file (`paragraphs`: at \n, a \r before it set aside;
a lone \r, U+2028, U+2029 or U+0085 stays inside its paragraph, as the CLI and the engine's punctuation
stage read it), and each paragraph goes to the engine as the CLI sends a line, so the server shows what
the CLI prints. Each paragraph's edits are kept keyed by its text: after a keystroke only the paragraphs
whose text is new go to the engine (whose cache holds their unchanged sentences), the rest are reused.
Findings are assembled in document offsets, minus anything touching skipped (non-prose) text. Keeps the
document's text itself, applying each change with LSP's own line breaks (`apply_change`), and its plan
with it (`update_plan`: an edit re-reads its line or paragraph, not the document), so that the findings
of the current version, from every paragraph with a result, are at hand at any moment. Knows nothing of threads.
"""
from __future__ import annotations

import asyncio
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from lsp_server.diagnostics import Finding, LineIndex
from lsp_server.markdown import (
    FINAL_MARKS,
    Prose,
    ends_title_line,
    local_window,
    merge_spans,
    overlaps,
    prose,
)
from nahawi.contract import Edit
from nahawi.text.chars import has_arabic
from nahawi.text.segment import Segment

MARKDOWN_LANGUAGES = frozenset({"markdown", "mdx", "rmd", "quarto"})


@dataclass(frozen=True)
class Plan:
    prose: Prose
    segments: tuple[Segment, ...]  # paragraphs of the prose with Arabic letters, with offsets into the document
    markdown: bool = False
    segment_words: int = 64  # the engine's segment length (kept to notice a change of engine options)
    read: int = 0  # characters read to make this plan: the document, or the window an edit re-read


def paragraphs(text: str, start: int = 0, end: int | None = None) -> list[Segment]:
    """The paragraphs of text[start:end] (start after a \n or 0, end at a \n or the end) as `nahawi correct` reads a
    file's lines: cut at \n only, a \r before the \n left out, each passed whole (its spaces included);
    those without an Arabic letter are left out (the engine has nothing to correct there)."""
    end = len(text) if end is None else end
    out = []
    while start <= end:
        stop = text.find("\n", start, end + 1)
        stop = end if stop < 0 else stop
        last = stop - 1 if stop < len(text) and stop > start and text[stop - 1] == "\r" else stop
        if has_arabic(text[start:last]):
            out.append(Segment(text[start:last], start, last))
        start = stop + 1
    return out


def plan_document(text: str, language_id: str, segment_words: int) -> Plan:
    markdown = language_id in MARKDOWN_LANGUAGES
    doc = prose(text, markdown=markdown)
    return Plan(doc, tuple(paragraphs(doc.text)), markdown, segment_words, len(text))


def update_plan(plan: Plan, old_text: str, text: str, start: int, old_end: int, new_end: int) -> Plan:
    """The plan of text, which is old_text with [start, old_end) replaced by text[start:new_end]: only the
    line (plain text) or paragraph (Markdown) around the change is read again, and the paragraphs (`\n` to
    `\n`) holding it are cut again; those before them are kept and those after them moved. The whole text is read again when a
    construct there may reach further, or when the old plan was not local there either (a construct
running into the window from before it: an unclosed comment or ignore region, a code block)."""
    window = local_window(text, start, new_end, plan.markdown)
    if window is None:
        return plan_document(text, "markdown" if plan.markdown else "plaintext", plan.segment_words)
    a, b = window
    delta = new_end - old_end
    old_b = b - delta
    if local_window(old_text, a, old_b, plan.markdown) is None or (a > 0 and overlaps(plan.prose.skipped, a - 1, a)) \
            or prose(old_text[a:old_b], plan.markdown, front_matter=a == 0).text != plan.prose.text[a:old_b]:
        return plan_document(text, "markdown" if plan.markdown else "plaintext", plan.segment_words)
    piece = prose(text[a:b], plan.markdown, front_matter=a == 0)
    prose_text = plan.prose.text[:a] + piece.text + plan.prose.text[old_b:]
    lo = prose_text.rfind("\n", 0, a) + 1
    hi = prose_text.find("\n", b)
    hi = len(prose_text) if hi < 0 else hi
    starts = [segment.start for segment in plan.segments]
    first, last = bisect_left(starts, lo), bisect_left(starts, hi - delta)
    middle = paragraphs(prose_text, lo, hi)
    after = [Segment(s.text, s.start + delta, s.end + delta) for s in plan.segments[last:]] if delta else \
        plan.segments[last:]
    skipped = merge_spans([*(sp for sp in plan.prose.skipped if sp[1] <= a),
                           *((max(sp[0], 0), min(sp[1], a)) for sp in plan.prose.skipped if sp[0] < a < sp[1]),
                           *((s + a, e + a) for s, e in piece.skipped),
                           *((s + delta, e + delta) for s, e in plan.prose.skipped if s >= old_b),
                           *((old_b + delta, e + delta) for s, e in plan.prose.skipped if s < old_b < e)])
    return Plan(Prose(prose_text, skipped), (*plan.segments[:first], *middle, *after), plan.markdown,
                plan.segment_words, b - a)


def apply_change(text: str, change: types.TextDocumentContentChangeEvent, codec: PositionCodec,
                 index: LineIndex | None = None) -> tuple[str, tuple[int, int, int] | None]:
    """text after one change of textDocument/didChange, and the span it replaced (start, old end, new
    end; None for a whole-document change). Lines are cut where LSP cuts them (\n, \r\n, \r): pygls's
    own document store cuts where str.splitlines() does, at U+2028 too, and would apply an edit after
    such a character on the wrong line."""
    if not isinstance(change, types.TextDocumentContentChangePartial):
        return change.text, None
    index = index if index is not None and index.text is text else LineIndex(text, codec)
    start, end = index.offset(change.range.start), index.offset(change.range.end)
    start, end = min(start, end), max(start, end)
    return text[:start] + change.text + text[end:], (start, end, start + len(change.text))


@dataclass
class DocumentState:
    uri: str
    language_id: str
    text: str = ""  # the client's current text
    version: int | None = None  # its version
    plan: Plan | None = None  # the plan of text, kept up to date on every change once a check made one
    results: dict[str, tuple[Edit, ...]] = field(default_factory=dict)  # paragraph text -> its edits
    without_punctuation: bool = False  # some results were corrected without the punctuation model (kind off)
    checked_version: int | None = None  # the version whose check completed last; None before the first
    ignored: set[tuple] = field(default_factory=set)  # Finding.key values the user chose to ignore
    generation: int = 0  # bumped on every change: a running check compares it to notice it is stale
    task: asyncio.Task | None = None  # the pending (debounced) or running check
    pending: dict[str, asyncio.Future] = field(default_factory=dict)  # paragraph -> its engine job in flight
    too_large: bool = False  # the size message was shown for the current oversize episode
    index: LineIndex | None = None  # positions in text, built when needed
    fixed: Any = None  # each paragraph's text once fix-all is done with it (`fixall.FixedPoints`)
    _findings: tuple[int, tuple[Finding, ...]] | None = None  # (generation, findings of text)

    def change(self, text: str, span: tuple[int, int, int] | None) -> None:
        """Take the text after one change (span from `apply_change`), keeping the plan current."""
        if self.plan is not None:
            self.plan = None if span is None else update_plan(self.plan, self.text, text, *span)
        self.text, self.index, self._findings = text, None, None
        self.generation += 1

    def plan_for(self, segment_words: int) -> Plan:
        if self.plan is None or self.plan.segment_words != segment_words:
            self.plan = plan_document(self.text, self.language_id, segment_words)
        return self.plan

    def missing(self, plan: Plan, start: int = 0, end: int | None = None) -> list[str]:
        """Paragraph texts of plan with no stored result, each once, in document order (those overlapping
        [start, end] when given)."""
        segments = plan.segments if start == 0 and end is None else \
            [s for s in plan.segments if s.end >= start and (end is None or s.start <= end)]
        return list(dict.fromkeys(s.text for s in segments if s.text not in self.results))

    def complete(self, plan: Plan, version: int) -> None:
        """Record a finished check of plan; results of paragraphs no longer in the document are dropped."""
        self.results = {s.text: self.results[s.text] for s in plan.segments if s.text in self.results}
        self.checked_version, self._findings = version, None

    @property
    def findings(self) -> tuple[Finding, ...]:
        """The edits of the current text from the paragraphs that have results (the others, new since the
        last check, have none yet); nothing before the first check."""
        if self.plan is None or self.checked_version is None:
            return ()
        if self._findings is None or self._findings[0] != self.generation:
            self._findings = (self.generation, tuple(assemble(self.plan, self.results, self.text)))
        return self._findings[1]

    def invalidate(self) -> None:
        """New results arrived for the current text: its findings are assembled again when asked."""
        self._findings = None

    def line_index(self, codec: PositionCodec) -> LineIndex:
        if self.index is None or self.index.text is not self.text or self.index.codec is not codec:
            self.index = LineIndex(self.text, codec)
        return self.index

    def forget(self) -> None:
        """Drop every stored result (the model changed)."""
        self.results.clear()
        self.without_punctuation = False
        self.plan, self.checked_version, self._findings = None, None, None


def assemble(plan: Plan, results: dict[str, tuple[Edit, ...]], text: str = "") -> list[Finding]:
    """The findings of plan's paragraphs, minus edits touching skipped text and, in Markdown, the full stop
    the model would add to a heading, a list item or a table row."""
    findings, skipped, lo = [], plan.prose.skipped, 0
    for segment in plan.segments:
        edits = results.get(segment.text)
        if not edits:
            continue
        while lo < len(skipped) and skipped[lo][1] <= segment.start:
            lo += 1
        for edit in edits:
            finding = Finding(edit, segment.text, segment.start)
            if overlaps(skipped, finding.start, finding.end, lo):
                continue
            if plan.markdown and _final_mark(edit, segment) and ends_title_line(text, finding.start, finding.end):
                continue
            findings.append(finding)
    return findings


def _final_mark(edit: Edit, segment: Segment) -> bool:
    """A full stop (or ! ? …) inserted where a line of the paragraph ends."""
    return (edit.start == edit.end and bool(edit.replacement.strip()) and set(edit.replacement.strip()) <= FINAL_MARKS
            and not segment.text[edit.end:].split("\r", 1)[0].strip())
