"""The punctuation stage: the punctuation model (nahawi.punctuation) run over each line of a document,
turned into edits on the user's own text.

Runs per line (a paragraph), as the model was trained on whole documents: "how near the end" means the end
of the paragraph, not of a segment the engine cut. A gap is left alone when another edit touches it, when a
word beside it has no Arabic letter, or when it holds anything other than one mark. Inserted marks go right
after the word, as users write them (`كلمة، كلمة`); a Latin mark is replaced by its Arabic form where it
stands. The model never deletes or moves a mark the writer wrote (nahawi.punctuation.ARABIC_FORM).
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from itertools import accumulate

from nahawi.contract import Edit
from nahawi.punctuation import PunctuationModel, split_marks
from nahawi.text.chars import has_arabic
from nahawi.text.tokens import Token, model_tokens

KIND = "punctuation"


def _lines(text: str) -> list[tuple[int, str]]:
    spans, start = [], 0
    for line in text.split("\n"):
        spans.append((start, line))
        start += len(line) + 1
    return spans


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
    (`threshold`: instead of the model's own)."""
    edits, spans = [], TakenSpans(taken)
    for offset, line in _lines(text):
        tokens = [Token(t.text, t.start + offset, t.end + offset) for t in model_tokens(line)]
        words, marks = split_marks(tokens, lambda token: token.text)
        if not words:
            continue
        written = [" ".join(m.text for m in group) for group in marks]
        for gap in model.gaps([w.text for w in words], written, threshold):
            left = words[gap.index]
            right = words[gap.index + 1] if gap.index + 1 < len(words) else None
            end = right.start if right else (marks[gap.index][-1].end if marks[gap.index] else left.end)
            if not has_arabic(left.text) or (right is not None and not has_arabic(right.text)):
                continue
            if spans.touches(left.end, end):
                continue
            edits.append(_gap_edit(left, marks[gap.index], gap.proposed, gap.probability))
    return edits
