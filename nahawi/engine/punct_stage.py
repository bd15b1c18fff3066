"""The punctuation stage: the punctuation model (nahawi.punctuation) run over each line of a document,
turned into edits on the user's own text.

Runs per line (a paragraph), as the model was trained on whole documents: "how near the end" means the end
of the paragraph, not of a segment the engine cut. A gap is left alone when another edit touches it, when a
word beside it has no Arabic letter, or when it holds anything other than one mark. Inserted marks go right
after the word, as users write them (`كلمة، كلمة`); a Latin mark is replaced by its Arabic form where it
stands. The model never deletes or moves a mark the writer wrote (nahawi.text.punct.ARABIC_FORM).
A writer who writes marks the Latin way (`, ? ;`) keeps them: `in_latin_marks` turns every edit into that
convention.
"""
from __future__ import annotations

import dataclasses
import re
from bisect import bisect_left
from collections import deque
from collections.abc import Iterator, Sequence
from itertools import accumulate

from nahawi.contract import Edit
from nahawi.punctuation import READ_AHEAD, PunctuationModel
from nahawi.text.chars import has_arabic, strip_diacritics
from nahawi.text.punct import ARABIC_FORM, LATIN_FORM, is_punct_char
from nahawi.text.tokens import Token, model_tokens

KIND = "punctuation"
_ARABIC_MARKS = frozenset(ARABIC_FORM.values())
_SPACE = re.compile(r"\s")


WINDOW = 1 << 15  # characters of a line tokenised at a time (cut at a space: tokens never cross one)


def _lines(text: str) -> Iterator[tuple[int, str]]:
    start = 0
    while (end := text.find("\n", start)) >= 0:
        yield start, text[start:end]
        start = end + 1
    yield start, text[start:]


def _windows(line: str, size: int = WINDOW) -> Iterator[tuple[int, int]]:
    """Spans of at least `size` characters (or to the end) covering line, each ending at a space."""
    start = 0
    while start < len(line):
        end = len(line) if start + size >= len(line) else _space_at_or_after(line, start + size)
        yield start, end
        start = end


def _space_at_or_after(line: str, position: int) -> int:
    match = _SPACE.search(line, position)
    return match.start() if match else len(line)


def _line_words(line: str, offset: int) -> Iterator[tuple[Token, list[Token]]]:
    """(word, the mark tokens after it) along line, as `split_marks` pairs them (marks before the first
    word belong to no gap), tokenised a window at a time: the benchmark tokeniser looks one character
    either side, and a space has no tokens, so cutting at one changes nothing."""
    word, marks = None, []
    for start, end in _windows(line):
        for t in model_tokens(line, start, end):
            token = Token(t.text, t.start + offset, t.end + offset) if offset else t
            if all(map(is_punct_char, token.text)):
                if word is not None:
                    marks.append(token)
                continue
            if word is not None:
                yield word, marks
            word, marks = token, []
    if word is not None:
        yield word, marks


class TakenSpans:
    """The spans of edits already taken, indexed so that asking whether one touches a gap costs O(log n):
    a gap [start, end) is touched by an edit that overlaps it or by an insertion inside it (ends included).
    The stage asks once per proposed gap: a scan of every edit there made it quadratic in the document."""

    def __init__(self, edits: Sequence[Edit]):
        spans = sorted((e.start, e.end) for e in edits if e.start < e.end)
        self.starts = [start for start, _ in spans]
        self.reach = list(accumulate((end for _, end in spans), max))  # furthest end among spans[:k + 1]
        self.points = sorted(e.start for e in edits if e.start == e.end)

    def touches(self, start: int, end: int) -> bool:
        before = bisect_left(self.starts, end)  # spans that begin before the gap ends ...
        if before and self.reach[before - 1] > start:  # ... one of which ends after it begins
            return True
        k = bisect_left(self.points, start)
        return k < len(self.points) and self.points[k] <= end


def _gap_edit(left: Token, marks: list[Token], proposed: str, probability: float) -> Edit:
    if not marks:
        return Edit(left.end, left.end, proposed, KIND, rule_id=KIND, original="", confidence=probability)
    mark = marks[0]
    return Edit(mark.start, mark.end, proposed, KIND, rule_id=KIND, original=mark.text, confidence=probability)


def punctuation_edits(text: str, taken: tuple[Edit, ...] | list[Edit], model: PunctuationModel,
                      threshold: float | None = None) -> list[Edit]:
    """Mark insertions and Latin-to-Arabic replacements for text, outside every edit in `taken`
    (`threshold`: instead of the model's own). Each line is read as a stream (a few dozen words held at
    once), so one huge line costs no more memory than many short ones."""
    edits, spans = [], TakenSpans(taken)
    for offset, line in _lines(text):
        edits += _line_edits(line, offset, spans, model, threshold)
    return edits


class _Recent:
    """The last (word, marks) pairs read from a line, and how many were read: the model decides a gap
    less than READ_AHEAD words behind what it has read, so its two words are still here."""

    def __init__(self):
        self.items: deque[tuple[Token, list[Token]]] = deque(maxlen=READ_AHEAD + 2)
        self.read = 0

    def pairs(self, line: str, offset: int) -> Iterator[tuple[str, str]]:
        for word, marks in _line_words(line, offset):
            self.items.append((word, marks))
            self.read += 1
            written = " ".join([m.text for m in marks]) if marks else ""
            yield strip_diacritics(word.text), written  # the model saw no tashkeel

    def get(self, index: int) -> tuple[Token, list[Token]] | None:
        return self.items[index - (self.read - len(self.items))] if index < self.read else None


def _line_edits(line: str, offset: int, spans: TakenSpans, model: PunctuationModel,
                threshold: float | None) -> list[Edit]:
    edits, recent = [], _Recent()
    for gap in model.iter_gaps(recent.pairs(line, offset), threshold):
        left, marks = recent.get(gap.index)
        following = recent.get(gap.index + 1)
        right = following[0] if following else None
        end = right.start if right else (marks[-1].end if marks else left.end)
        if not has_arabic(left.text) or (right is not None and not has_arabic(right.text)):
            continue
        if spans.touches(left.end, end):
            continue
        edits.append(_gap_edit(left, marks, gap.proposed, gap.probability))
    return edits


def in_latin_marks(text: str, edits: Sequence[Edit]) -> list[Edit]:
    """edits for a writer who writes marks the Latin way: an edit that only gave Latin marks their Arabic
    form is dropped, and the Arabic marks an edit adds are written in Latin form (`،` → `,`, `؟` → `?`,
    `؛` → `;`). An edit over text holding an Arabic mark is left as it is: the writer chose that form there."""
    kept = []
    for edit in edits:
        written = text[edit.start:edit.end]
        latin = edit.replacement.translate(LATIN_FORM)
        if latin == written:
            continue
        if latin != edit.replacement and not _ARABIC_MARKS.intersection(written):
            edit = dataclasses.replace(edit, replacement=latin)
        kept.append(edit)
    return kept
