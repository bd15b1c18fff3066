"""Fix-all as a fixed point: applying `source.fixAll.nahawi` twice changes nothing the second time.

The model reads each paragraph in context, so a paragraph with its fixes applied can show a fix the first
reading did not (`و أيض ا` → `وأيض ا` → `وأيضا`: one join per reading). Owns the rounds that find the
text fix-all should leave, paragraph by paragraph (the engine reads paragraphs alone, so a paragraph's
fixed point depends on nothing else): apply its visible findings, read it again, apply what is visible
there, until nothing is (at most `MAX_ROUNDS` readings). A paragraph that needed no second round is fixed
with the engine's own edits; one that did is rewritten over the span where it differs. Each paragraph's
outcome is remembered (`FixedPoints`), so after an edit only the edited paragraph is read again. Findings
the user ignored stay ignored in the fixed text (their keys follow the fixes). Knows nothing of LSP
messages; the engine is reached through `check` (paragraph texts → their edits).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from lsp_server.diagnostics import Finding
from lsp_server.documents import Plan, assemble
from lsp_server.markdown import Prose
from nahawi.contract import Edit, apply_edits
from nahawi.edits.align import common_ends
from nahawi.text.segment import Segment

MAX_ROUNDS = 4  # readings of a paragraph, the first included

Check = Callable[[list[str]], Awaitable[dict[str, tuple[Edit, ...]] | None]]
Visible = Callable[[Sequence[Finding], str, set], list[Finding]]  # (findings, their text, ignored keys)
Span = tuple[int, int]


@dataclass(frozen=True)
class Rewrite:
    """Replace [start, end) of the document (code points) with text."""
    start: int
    end: int
    text: str


@dataclass
class _Paragraph:
    """One paragraph on its way to its fixed point: its text and prose (markup blanked), in its own offsets."""
    text: str
    prose: str
    skipped: tuple[Span, ...]
    applied: list[Edit]  # the edits of the latest reading, to apply next
    hidden: set[tuple[int, int, str]]  # (start, end, replacement) of ignored findings in the latest reading


@dataclass
class FixedPoints:
    """Each paragraph's text once fix-all is done with it, by (its text, its prose, its findings' edits);
    valid while `filters` (what decides which findings are visible) stays the same."""
    filters: tuple = ()
    done: dict[tuple, str] = field(default_factory=dict)


async def fixed_point(text: str, plan: Plan, findings: Sequence[Finding], hidden: Sequence[Finding],
                      results: dict[str, tuple[Edit, ...]], check: Check, visible: Visible, ignored: set,
                      memo: FixedPoints) -> list[Finding | Rewrite] | None:
    """What fix-all applies to text (whose plan is plan): findings (the visible ones), except in the
    paragraphs that change again when read after them, which are rewritten. `hidden` are findings the
    user ignored; their keys in the fixed text are added to `ignored`. results (paragraph → edits) is read
    and extended; None when `check` gave up (the document changed meanwhile)."""
    by_paragraph = _group(plan.segments, findings)
    hidden_by = {s.start: fs for s, fs in _group(plan.segments, hidden)}
    keys = {s.start: (text[s.start:s.end], s.text, tuple(f.rel for f in fs)) for s, fs in by_paragraph}
    todo = {s.start: _start(text, plan, s, fs, hidden_by.get(s.start, ())) for s, fs in by_paragraph
            if keys[s.start] not in memo.done}
    for _ in range(MAX_ROUNDS - 1):
        for start in [start for start, p in todo.items() if not p.applied]:  # nothing left to fix there
            memo.done[keys[start]] = todo.pop(start).text
        if not todo:
            break
        for paragraph in todo.values():
            _apply(paragraph)
        missing = list(dict.fromkeys(p.prose for p in todo.values() if p.prose not in results))
        if missing:
            found = await check(missing)
            if found is None:
                return None
            results.update(found)
        for paragraph in todo.values():
            _read(paragraph, results, plan.markdown, visible, ignored)
    for start, paragraph in todo.items():  # still changing after MAX_ROUNDS readings: as far as they went
        memo.done[keys[start]] = paragraph.text
    memo.done = {key: memo.done[key] for key in keys.values()}
    return _changes(text, by_paragraph, {start: memo.done[key] for start, key in keys.items()})


def _group(segments: Sequence[Segment], findings: Sequence[Finding]) -> list[tuple[Segment, list[Finding]]]:
    starts = {s.start: s for s in segments}
    grouped: dict[int, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.segment_start, []).append(finding)
    return [(starts[start], fs) for start, fs in grouped.items() if start in starts]


def _start(text: str, plan: Plan, segment: Segment, findings, hidden) -> _Paragraph:
    skipped = tuple((max(a, segment.start) - segment.start, min(b, segment.end) - segment.start)
                    for a, b in plan.prose.skipped if a < segment.end and b > segment.start)
    return _Paragraph(text[segment.start:segment.end], segment.text, skipped, [f.rel for f in findings],
                      {(f.rel.start, f.rel.end, f.rel.replacement) for f in hidden})


def _apply(paragraph: _Paragraph) -> None:
    """Apply the latest reading's edits (never inside skipped text) to the paragraph, its prose and spans."""
    edits = paragraph.applied
    paragraph.text = apply_edits(paragraph.text, edits)
    paragraph.prose = apply_edits(paragraph.prose, edits)
    paragraph.skipped = tuple((a + _shift(edits, a), b + _shift(edits, a)) for a, b in paragraph.skipped)
    paragraph.hidden = {(a + _shift(edits, a), b + _shift(edits, a), r) for a, b, r in paragraph.hidden
                        if not any(e.start < b and a < e.end for e in edits)}


def _shift(edits: Sequence[Edit], offset: int) -> int:
    """How far applying edits moves text at offset (edits ending at or before it come before it)."""
    return sum(len(e.replacement) - (e.end - e.start) for e in edits if e.end <= offset)


def _read(paragraph: _Paragraph, results, markdown: bool, visible: Visible, ignored: set) -> None:
    """Read the paragraph again: its findings as the document would show them, the visible ones to apply."""
    plan = Plan(Prose(paragraph.prose, paragraph.skipped), (Segment(paragraph.prose, 0, len(paragraph.prose)),),
                markdown)
    everything = assemble(plan, results, paragraph.text)
    ignored |= {f.key for f in everything if (f.start, f.end, f.rel.replacement) in paragraph.hidden}
    paragraph.hidden = {(f.start, f.end, f.rel.replacement) for f in everything if f.key in ignored}
    paragraph.applied = [f.rel for f in visible(everything, paragraph.text, ignored)]


def _changes(text: str, by_paragraph, fixed: dict[int, str]) -> list[Finding | Rewrite]:
    """The findings of each paragraph whose first reading's fixes were the last, else a rewrite of it."""
    out: list[Finding | Rewrite] = []
    for segment, findings in by_paragraph:
        written = text[segment.start:segment.end]
        if apply_edits(written, [f.rel for f in findings]) == fixed[segment.start]:
            out.extend(findings)
        else:
            out.append(_rewrite(segment.start, written, fixed[segment.start]))
    return sorted(out, key=lambda c: (c.start, c.end))


def _rewrite(base: int, old: str, new: str) -> Rewrite:
    prefix, suffix = common_ends(old, new)
    return Rewrite(base + prefix, base + len(old) - suffix, new[prefix:len(new) - suffix])
