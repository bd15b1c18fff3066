"""Decisions: a suggestion the writer accepted or ignored, with its text; the one record shared by the
profile's log (decisions.jsonl, written by the app and the language server) and `nahawi adapt --feedback`.

One JSON object a line: `{"text": "…", "start": 5, "end": 8, "replacement": "…", "kind": "hamza",
"decision": "accepted" | "ignored"}`, offsets in code points of `text` as `nahawi correct --format json`
gives them; `original`, `rule_id` and `confidence` (as that output has them) and `time` (ISO 8601, the log
adds it) may be there too. A line that is not such an object is a `ProfileError` naming the file and line,
and nothing is read from a file with one. Knows nothing of what is learned from them.
"""
from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from nahawi.kinds import KIND_IDS
from nahawi.profile.store import ProfileError, read_text_lines
from nahawi.text.segment import segment_text

DECISIONS = ("accepted", "ignored")
REQUIRED = ("text", "start", "end", "replacement", "kind", "decision")
OPTIONAL = ("original", "rule_id", "confidence", "time")
MAX_TEXT = 100_000  # characters of context one decision may carry
CONTEXT_CHARS = 400  # what the app and the server record: the sentences this many characters either side of the span
MAX_SENTENCE_REACH = 8 * CONTEXT_CHARS  # a sentence running further from the span is cut at a space


@dataclass(frozen=True)
class Decision:
    text: str  # the text the suggestion was made on (a line, a paragraph)
    start: int  # code-point span of the suggestion in text
    end: int
    replacement: str
    kind: str  # a kind id (nahawi.kinds)
    decision: str  # accepted | ignored
    rule_id: str = ""  # the stage that made it, when known (lexicon, punctuation, spacing, model, tagger)
    time: str = ""

    @property
    def accepted(self) -> bool:
        return self.decision == "accepted"

    @property
    def original(self) -> str:
        return self.text[self.start:self.end]

    def to_dict(self) -> dict:
        record = {k: v for k, v in asdict(self).items() if v != "" or k in ("replacement", "text")}
        return record


def decision_context(text: str, start: int, end: int) -> tuple[str, int, int]:
    """text around [start, end) as a decision records it, with the span's offsets in it: all of it, or of a
    run-on paragraph the whole sentences (`segment_text`, as the engine cuts them) that hold the characters
    CONTEXT_CHARS either side of the span, so the sentence around the span, and with it the span's
    neighbours (`nahawi.profile.writer.Neighbours`), is what a check of the paragraph sees. A sentence
    reaching further than MAX_SENTENCE_REACH from the span is cut at a space instead."""
    if len(text) <= 2 * CONTEXT_CHARS + (end - start):
        return text, start, end
    sentences = segment_text(text)
    starts, ends = [s.start for s in sentences], [s.end for s in sentences]
    low, high = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    index = bisect_right(starts, low) - 1
    left = starts[index] if index >= 0 else low
    if start - left > MAX_SENTENCE_REACH:
        left = low
        while 0 < left < start and not text[left - 1].isspace():
            left += 1
    index = bisect_left(ends, high)
    right = ends[index] if index < len(ends) else high
    if right - end > MAX_SENTENCE_REACH:
        right = high
        while end < right < len(text) and not text[right].isspace():
            right -= 1
    return text[left:right], start - left, end - left


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _field(record: dict, name: str, kind: type, where: str):
    value = record.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        wanted = {str: "a string", int: "an integer"}[kind]
        raise ProfileError(f"{where}: {name!r} must be {wanted}, got {json.dumps(value, ensure_ascii=False)[:40]}")
    return value


def decision_from_dict(record, where: str) -> Decision:
    """A Decision from one parsed JSON value; ProfileError (prefixed by `where`) saying what is wrong."""
    if not isinstance(record, dict):
        raise ProfileError(f"{where}: expected a JSON object")
    missing = [k for k in REQUIRED if k not in record]
    if missing:
        raise ProfileError(f"{where}: missing {', '.join(repr(k) for k in missing)}")
    unknown = sorted(set(record) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ProfileError(f"{where}: unknown key {unknown[0]!r}")
    text = _field(record, "text", str, where)
    start, end = _field(record, "start", int, where), _field(record, "end", int, where)
    replacement, kind = _field(record, "replacement", str, where), _field(record, "kind", str, where)
    decision = _field(record, "decision", str, where)
    if len(text) > MAX_TEXT:
        raise ProfileError(f"{where}: 'text' longer than {MAX_TEXT} characters")
    if not 0 <= start <= end <= len(text):
        raise ProfileError(f"{where}: span {start}..{end} is outside the text ({len(text)} code points)")
    if kind not in KIND_IDS:
        raise ProfileError(f"{where}: unknown kind {kind!r}; one of {', '.join(KIND_IDS)}")
    if decision not in DECISIONS:
        raise ProfileError(f"{where}: 'decision' must be \"accepted\" or \"ignored\", got {decision!r}")
    if "original" in record and record["original"] != text[start:end]:
        raise ProfileError(f"{where}: 'original' is not text[start:end] (offsets must be code points, "
                           f"as `nahawi correct --format json` gives them)")
    if replacement == text[start:end]:
        raise ProfileError(f"{where}: the replacement is what the text already has; not a suggestion")
    for name in ("rule_id", "time"):
        if name in record and not isinstance(record[name], str):
            raise ProfileError(f"{where}: {name!r} must be a string")
    return Decision(text, start, end, replacement, kind, decision, record.get("rule_id", ""), record.get("time", ""))


def parse_decisions(lines: Iterable[str], name: str) -> list[Decision]:
    """Decisions of JSON lines (blank lines skipped); the first bad line raises ProfileError 'name:LINE'."""
    decisions = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{name}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ProfileError(f"{where}: invalid JSON ({error.msg})") from None
        decisions.append(decision_from_dict(record, where))
    return decisions


def read_decisions(path: str | Path) -> list[Decision]:
    """A decisions file (the profile's log or a feedback file); missing: none."""
    path = Path(path)
    return parse_decisions(read_text_lines(path), str(path))
