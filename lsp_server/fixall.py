"""Fix-all as a fixed point: applying `source.fixAll.nahawi` twice changes nothing the second time.

The model reads each paragraph in context, so a paragraph with its fixes applied can show a fix the first
reading did not (`و أيض ا` → `وأيض ا` → `وأيضا`: one join per reading). Owns the rounds that find the
text fix-all should leave: apply the visible findings, check the paragraphs that changed, apply what is
visible there, until nothing is (at most `MAX_ROUNDS` readings). A line that needed no second round is
fixed with the engine's own edits; a line that did is rewritten over the span where it differs. The
results of every round are kept with the document, so the check after the client applies the fix is
already done. Findings the user ignored stay ignored in the fixed text (their keys follow the fixes).
Knows nothing of LSP messages; the engine is reached through `check` (paragraph texts → their edits).
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from lsp_server.diagnostics import Finding
from lsp_server.documents import assemble, plan_document
from nahawi.contract import Edit, apply_edits

MAX_ROUNDS = 4  # readings of a changed paragraph, the first included


@dataclass(frozen=True)
class Rewrite:
    """Replace [start, end) of the document (code points) with text."""
    start: int
    end: int
    text: str


Check = Callable[[list[str]], Awaitable[dict[str, tuple[Edit, ...]] | None]]
Visible = Callable[[Sequence[Finding], str, set], list[Finding]]  # (findings, their text, ignored keys)


async def fixed_point(text: str, language_id: str, segment_words: int, findings: Sequence[Finding],
                      hidden: Sequence[Finding], results: dict[str, tuple[Edit, ...]], check: Check,
                      visible: Visible, ignored: set) -> list[Finding | Rewrite] | None:
    """What fix-all applies to text: findings (the visible ones of text), with the lines that change again
    when read after them rewritten. `hidden` are text's findings the user ignored; their keys in the fixed
    text are added to `ignored`. results (paragraph → edits) is read and extended; None when `check` gave up
    (the document changed meanwhile)."""
    current, applied = text, [f.edit for f in findings]
    hidden_spans = [(f.start, f.end, f.rel.replacement) for f in hidden]
    for _ in range(MAX_ROUNDS - 1):
        if not applied:
            break
        hidden_spans = _moved(hidden_spans, applied)
        current = apply_edits(current, applied)
        plan = plan_document(current, language_id, segment_words)
        missing = list(dict.fromkeys(s.text for s in plan.segments if s.text not in results))
        if missing:
            found = await check(missing)
            if found is None:
                return None
            results.update(found)
        everything = assemble(plan, results, current)
        ignored |= {f.key for f in everything if (f.start, f.end, f.rel.replacement) in hidden_spans}
        hidden_spans = [(f.start, f.end, f.rel.replacement) for f in everything if f.key in ignored]
        applied = [f.edit for f in visible(everything, current, ignored)]
    return _changes(text, apply_edits(text, [f.edit for f in findings]), current, findings)


def _moved(spans: Sequence[tuple[int, int, str]], edits: Sequence[Edit]) -> set[tuple[int, int, str]]:
    """(start, end, replacement) of findings not applied, where they are once edits are applied (an edit
    ending at or before a finding's start comes before it)."""
    out = set()
    for start, end, replacement in spans:
        if any(e.start < end and start < e.end for e in edits):
            continue
        shift = sum(len(e.replacement) - (e.end - e.start) for e in edits if e.end <= start)
        out.add((start + shift, end + shift, replacement))
    return out


def _changes(text: str, first: str, final: str, findings: Sequence[Finding]) -> list[Finding | Rewrite]:
    """The findings, except on the lines (\\n to \\n) where final differs from first: those lines are
    rewritten from text to final over the span where they differ."""
    if first == final:
        return list(findings)
    lines, firsts, finals = text.split("\n"), first.split("\n"), final.split("\n")
    if not len(lines) == len(firsts) == len(finals):
        return list(findings)  # a fix added or removed a line break: the first reading's fixes only
    out: list[Finding | Rewrite] = []
    starts, offset = [], 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1
    rewritten = set()
    for number, (line, once, fixed) in enumerate(zip(lines, firsts, finals)):
        if once != fixed:
            rewritten.add(number)
            out.append(_rewrite(starts[number], line, fixed))
    for finding in findings:
        if _line_of(starts, finding.start) not in rewritten:
            out.append(finding)
    return sorted(out, key=lambda c: (c.start, c.end))


def _rewrite(base: int, old: str, new: str) -> Rewrite:
    prefix = 0
    while prefix < min(len(old), len(new)) and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < min(len(old), len(new)) - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return Rewrite(base + prefix, base + len(old) - suffix, new[prefix:len(new) - suffix])


def _line_of(starts: list[int], offset: int) -> int:
    return bisect_right(starts, offset) - 1
