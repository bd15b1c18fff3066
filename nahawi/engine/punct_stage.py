"""The punctuation stage: the punctuation model (nahawi.punctuation) run over each line of a document,
turned into edits on the user's own text.

Runs per line (a paragraph), as the model was trained on whole documents: "how near the end" means the end
of the paragraph, not of a segment the engine cut. A gap is left alone when another edit touches it, when a
word beside it has no Arabic letter, or when it holds anything other than one mark. Inserted marks go right
after the word, as users write them (`كلمة، كلمة`); a Latin mark is replaced by its Arabic form where it
stands. The model never deletes or moves a mark the writer wrote (nahawi.punctuation.ARABIC_FORM).
"""
from __future__ import annotations

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


def _touches(edit: Edit, start: int, end: int) -> bool:
    return edit.start < end and start < edit.end or start <= edit.start == edit.end <= end


def _gap_edit(left: Token, marks: list[Token], proposed: str, probability: float) -> Edit:
    if not marks:
        return Edit(left.end, left.end, proposed, KIND, rule_id=KIND, original="", confidence=probability)
    mark = marks[0]
    return Edit(mark.start, mark.end, proposed, KIND, rule_id=KIND, original=mark.text, confidence=probability)


def punctuation_edits(text: str, taken: tuple[Edit, ...] | list[Edit], model: PunctuationModel,
                      threshold: float | None = None) -> list[Edit]:
    """Mark insertions and Latin-to-Arabic replacements for text, outside every edit in `taken`
    (`threshold`: instead of the model's own)."""
    edits = []
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
            if any(_touches(e, left.end, end) for e in taken):
                continue
            edits.append(_gap_edit(left, marks[gap.index], gap.proposed, gap.probability))
    return edits
