"""Per-document checking state: which sentences need the model, and the findings of the last check.

Owns the incremental part of checking. A document is reduced to its prose (`markdown.prose`), cut into
sentences with `nahawi.text.segment` exactly as the engine cuts them, and each sentence's edits are kept
keyed by the sentence's text: after a keystroke only the sentences whose text is new go to the engine
(which has its own cache for the same keys), the rest are reused. Findings are assembled in document
offsets, minus anything touching skipped (non-prose) text. Keeps the document's text itself, applying
each change with LSP's own line breaks (`apply_change`). Knows nothing of threads.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from lsp_server.diagnostics import Finding, LineIndex
from lsp_server.markdown import Prose, overlaps, prose
from nahawi.contract import Edit
from nahawi.text.segment import Segment, segment_text

MARKDOWN_LANGUAGES = frozenset({"markdown", "mdx", "rmd", "quarto"})


@dataclass(frozen=True)
class Plan:
    prose: Prose
    segments: tuple[Segment, ...]  # sentences of the prose, with offsets into the document


def plan_document(text: str, language_id: str, segment_words: int) -> Plan:
    doc = prose(text, markdown=language_id in MARKDOWN_LANGUAGES)
    return Plan(doc, tuple(segment_text(doc.text, segment_words)))


def apply_change(text: str, change: types.TextDocumentContentChangeEvent, codec: PositionCodec) -> str:
    """text after one change of textDocument/didChange. Lines are cut where LSP cuts them (\n, \r\n, \r):
    pygls's own document store cuts where str.splitlines() does, at U+2028 too, and would apply an edit
    after such a character on the wrong line."""
    if not isinstance(change, types.TextDocumentContentChangePartial):
        return change.text
    index = LineIndex(text, codec)
    start, end = index.offset(change.range.start), index.offset(change.range.end)
    start, end = min(start, end), max(start, end)
    return text[:start] + change.text + text[end:]


@dataclass
class DocumentState:
    uri: str
    language_id: str
    text: str = ""  # the client's current text
    version: int | None = None  # its version
    results: dict[str, tuple[Edit, ...]] = field(default_factory=dict)  # sentence text -> its edits
    findings: tuple[Finding, ...] = ()  # all edits of the last completed check, document offsets
    checked_text: str = ""  # the text that check ran on
    checked_version: int | None = None  # its version; None until the first check completes
    ignored: set[tuple] = field(default_factory=set)  # Finding.key values the user chose to ignore
    generation: int = 0  # bumped on every change: a running check compares it to notice it is stale
    task: asyncio.Task | None = None  # the pending (debounced) or running check
    too_large: bool = False  # the size message was shown for the current oversize episode
    index: LineIndex | None = None  # positions in checked_text, built when published

    def missing(self, plan: Plan) -> list[str]:
        """Sentence texts of plan with no stored result, each once, in document order."""
        return list(dict.fromkeys(s.text for s in plan.segments if s.text not in self.results))

    def complete(self, plan: Plan, text: str, version: int) -> None:
        """Record a finished check: findings assembled from stored results; results of sentences no longer
        in the document are dropped."""
        self.results = {s.text: self.results[s.text] for s in plan.segments if s.text in self.results}
        self.findings = tuple(assemble(plan, self.results))
        self.checked_text, self.checked_version = text, version

    def forget(self) -> None:
        """Drop every stored result (the model changed)."""
        self.results.clear()
        self.findings, self.checked_text, self.checked_version, self.index = (), "", None, None


def assemble(plan: Plan, results: dict[str, tuple[Edit, ...]]) -> list[Finding]:
    findings = []
    for segment in plan.segments:
        for edit in results.get(segment.text, ()):
            start, end = segment.start + edit.start, segment.start + edit.end
            if overlaps(plan.prose.skipped, start, end):
                continue
            moved = Edit(start, end, edit.replacement, edit.kind, edit.rule_id, edit.original, edit.confidence)
            findings.append(Finding(moved, segment.text, segment.start))
    return findings
